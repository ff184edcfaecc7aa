"""What the CLI reports when things go wrong, and what it must not leave behind: wrong paths,
unknown options, failed files in watch mode, text replaced by redaction, and the reasons a
call re-scored from the store gives after a person swaps its roles."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_redact_pipeline import make_call, raw_leaks

from qa import store
from qa.cli import main
from qa.diarize import SPECTRAL_METHOD
from qa.transcript import Transcript

SAMPLES = Path(__file__).resolve().parent.parent / "sample_calls"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", [["show", "call01"], ["runs"], ["users", "list"],
                                     ["commitments"], ["export"], ["roles", "review"]])
def test_read_only_commands_refuse_a_missing_database(command: list[str],
                                                       tmp_path: Path) -> None:
    """A mistyped --db is a one-line error, and no empty database file appears there."""
    wrong = tmp_path / "typo.db"
    code, output = run(*command, "--db", str(wrong))
    assert code == 1
    assert output.strip().splitlines() == [f"Error: no database at {wrong} (score calls into "
                                           "it with qa score, or pass --db / set QA_DB)"]
    assert not wrong.exists()


def test_commitments_refuses_an_unknown_status(tmp_path: Path) -> None:
    db = tmp_path / "qa.db"
    store.open_db(db).conn.close()
    code, output = run("commitments", "--status", "bogus", "--db", str(db))
    assert code == 2
    assert "'bogus' is not one of 'open', 'done', 'broken', 'all'" in output


def test_watch_once_exits_1_when_a_file_failed(tmp_path: Path) -> None:
    """As qa score does: a cron job running `qa watch --once` must see the failure."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "good.json").write_bytes((SAMPLES / "call01_internet_outage.json").read_bytes())
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    code, output = run("watch", str(folder), "--db", str(tmp_path / "qa.db"), "--once",
                       "--settle", "0", "--interval", "0.05")
    assert "good.json: scored" in output and "broken.json: failed" in output
    assert code == 1


def test_watch_redact_purges_the_replaced_text(tmp_path: Path) -> None:
    """A call stored unredacted, then redacted by the watcher: its old words must not stay
    in the file (deleted rows, the full-text index's old segments, the write-ahead log)."""
    folder = tmp_path / "calls"
    folder.mkdir()
    make_call(words=True).save(folder / "redact-demo.json")
    db = tmp_path / "qa.db"
    assert run("score", str(folder), "--db", str(db), "--no-redact")[0] == 0
    assert raw_leaks(db)  # the check sees the unredacted call
    code, output = run("watch", str(folder), "--db", str(db), "--redact", "--once",
                       "--settle", "0", "--interval", "0.05")
    assert code == 0, output
    assert "redact-demo.json: scored" in output
    assert raw_leaks(db) == []


def test_swap_on_a_spectral_split_call_keeps_saying_spectral(tmp_path: Path) -> None:
    """A mono call split by the spectral fallback, then swapped by a person: its timing
    reasons must still name the spectral split, not a speaker model."""
    call = Transcript.load(SAMPLES / "call02_card_double_charge.json")
    call.speaker_timing = False
    call.metadata = {"diarization": {"done": True, "method": SPECTRAL_METHOD, "words": 10},
                     "roles": {"agent_voice": 0, "confidence": 0.6, "cues": [[], []],
                               "method": "text", "needs_review": True}}
    path = tmp_path / "call02.json"
    call.save(path)
    db = tmp_path / "qa.db"
    assert run("score", str(path), "--db", str(db))[0] == 0

    def timing_reasons() -> list[str]:
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT reason FROM scores WHERE call_id = ? AND criterion = "
                            "'interruptions'", [call.call_id]).fetchall()
        conn.close()
        return [r[0] for r in rows]

    assert any("by spectral features" in r for r in timing_reasons())
    code, output = run("roles", "swap", call.call_id, "--db", str(db))
    assert code == 0, output
    reasons = timing_reasons()
    assert reasons and all("by spectral features" in r for r in reasons), reasons
    assert not any("speaker model" in r.split("install")[0] for r in reasons)
    stored = sqlite3.connect(db).execute("SELECT diarization FROM calls").fetchone()[0]
    assert json.loads(stored)["method"] == SPECTRAL_METHOD
