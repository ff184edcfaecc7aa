"""The dashboard started as a person would start it, for the browser tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dashboard_server(db: Path, log_dir: Path) -> Iterator[str]:
    """`streamlit run app.py` on ``db`` at a free localhost port, as a person would start it;
    yields its URL once the health endpoint answers, and stops it afterwards. The browser
    tests share it."""
    root = Path(__file__).resolve().parent.parent
    port = _free_port()
    log = log_dir / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(root / "app.py"),
             "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
             "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
             "--", "--db", str(db), "--root", str(root / "sample_calls")],
            cwd=root, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("streamlit did not start:\n" + log.read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def settle(tab: object, ms: int = 1500) -> None:
    """Let Streamlit finish the run and draw (no status widget), then wait ``ms`` more: a click
    while the page is still being redrawn can land on an element that is then replaced."""
    tab.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=stStatusWidget]')")
    tab.wait_for_timeout(ms)  # type: ignore[attr-defined]
