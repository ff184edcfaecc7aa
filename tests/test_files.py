"""Files the tool makes are private, uploads do not pile up or collide, links out of the
scoring root are refused, a NUL in the search box is harmless (issue 12, defect 10)."""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import queries, store
from qa.auth import COACH, Viewer, add_user
from qa.cli import main
from qa.redact import write_redacted_audio
from qa.ui import batch as ui_batch

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual shell umask (022), under which files are world-readable unless made private."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _private(path: Path, mode: int = 0o600) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == mode


def test_database_and_its_log_are_private(tmp_path: Path, loose_umask: None) -> None:
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    db["meta"].insert({"key": "k", "value": "v"}, replace=True)
    for path in (db_path, tmp_path / "qa.db-wal", tmp_path / "qa.db-shm"):
        assert path.exists() and _private(path), (path, oct(path.stat().st_mode))


def test_redacted_audio_copy_is_private(tmp_path: Path, loose_umask: None) -> None:
    folder = tmp_path / "redacted"
    copy = write_redacted_audio([np.zeros(1600, dtype=np.float32)], 16000, [(0.0, 0.05, "CARD")],
                                folder / "c.wav")
    assert _private(copy) and _private(folder, 0o700)


@dataclass
class Upload:
    """What st.file_uploader hands the page."""

    name: str
    data: bytes

    def getvalue(self) -> bytes:
        """The file's bytes."""
        return self.data


def test_uploads_keep_every_file_under_a_safe_private_name(tmp_path: Path,
                                                          loose_umask: None) -> None:
    call = (sorted(DEVSET.glob("*.json"))[0]).read_bytes()
    folder = ui_batch.save_uploads(tmp_path, [
        Upload("call.json", call), Upload("call.json", call + b" "),
        Upload("ü€.mp3", b"ID3"), Upload("../../etc/passwd.json", call),
        Upload("notes.exe", b"MZ")])
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["call-2.json", "call.json", "passwd.json", "ü.mp3"]
    assert (folder / "call-2.json").read_bytes() == call + b" "  # not overwritten
    assert _private(folder, 0o700) and _private(folder.parent, 0o700)
    assert all(_private(p) for p in folder.iterdir())


def test_uploads_are_removed_after_scoring_unless_kept(tmp_path: Path, monkeypatch:
                                                       pytest.MonkeyPatch,
                                                       loose_umask: None) -> None:
    monkeypatch.chdir(ROOT)
    db_path = tmp_path / "qa.db"
    store.open_db(db_path).conn.close()
    srcs = sorted(DEVSET.glob("*.json"))[:2]
    for keep in (False, True):
        folder = ui_batch.save_uploads(tmp_path, [Upload(f"{keep}-{p.name}", p.read_bytes())
                                                  for p in srcs])
        pid, log = ui_batch.start(db_path, folder, None, remove_after=not keep)
        ui_batch._processes()[pid].wait(timeout=120)
        assert _private(log), oct(log.stat().st_mode)
        assert folder.exists() is keep
    assert store.open_db(db_path)["calls"].count == 2


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.json"
    secret.parent.mkdir()
    shutil.copy(sorted(DEVSET.glob("*.json"))[0], secret)
    folder = tmp_path / "root"
    folder.mkdir()
    shutil.copy(sorted(DEVSET.glob("*.json"))[1], folder / "inside.json")
    (folder / "link.json").symlink_to(secret)
    (folder / "ok-link.json").symlink_to(folder / "inside.json")  # stays inside: fine
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "link.json: failed: refused: a symbolic link to a file outside" in result.stderr
    db = store.open_db(db_path)
    assert [r[0] for r in db.execute("SELECT source_path FROM calls")] == [
        str(folder / "inside.json")]


def test_nul_in_the_search_box_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch:
                                                           pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(DEVSET / "air_bag_020.json", folder)
    db_path = tmp_path / "qa.db"
    assert CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)]).exit_code == 0
    coach = Viewer("coach", COACH)
    period = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
    page = queries.list_calls(queries.connect(db_path), coach,
                              queries.CallQuery(period, text="bag\x00gage"))
    assert page.total == 0
    conn = queries.connect(db_path)
    add_user(conn, "coach", COACH, "a long passphrase nobody guesses 7")
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))
    monkeypatch.setenv("QA_SCORE_ROOT", str(folder))
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "calls.py"), default_timeout=60)
    at.session_state["viewer"] = coach
    at.run()
    at.text_input(key="calls-text").input("suit\x00case").run()
    assert not at.exception
    assert any("control characters" in w.value for w in at.warning)


def test_time_is_not_wasted(tmp_path: Path) -> None:
    """The purge of replaced text gives up waiting (and stays pending) when a reader holds
    the log: see test_redaction_leaks for the full check."""
    start = time.monotonic()
    db = store.open_db(tmp_path / "qa.db")
    assert store.purge_replaced_text(db) is False  # nothing pending: returns at once
    assert time.monotonic() - start < 5


def test_the_dashboard_batch_makes_redacted_copies_when_the_rubric_redacts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rubric = tmp_path / "redacting.toml"
    rubric.write_text((ROOT / "rubrics" / "default.toml").read_text()
                      .replace("redact = false", "redact = true"))
    db_path, folder = tmp_path / "qa.db", tmp_path / "in"
    assert "--redacted-audio" not in ui_batch.score_command(db_path, folder, None)
    monkeypatch.setenv("QA_RUBRIC", str(rubric))
    command = ui_batch.score_command(db_path, folder, None)
    assert command[command.index("--redacted-audio") + 1] == str(tmp_path / "redacted-audio")
