"""Scoring needs no network: the model, stemmer and sentiment lexicon all ship with packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent.parent / "sample_calls" / "call03_parcel_missing.ogg"


def _no_network_prefix() -> list[str]:
    """A command prefix that runs a program with no network interface but loopback."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.decode().strip()}")
    return [unshare, "-rn"]


def test_score_runs_with_no_network(tmp_path: Path) -> None:
    qa = Path(sys.executable).with_name("qa")
    db = tmp_path / "offline.db"
    result = subprocess.run(
        [*_no_network_prefix(), str(qa), "score", str(SAMPLE), "--db", str(db)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1 scored" in result.stdout
