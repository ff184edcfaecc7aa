"""Scoring transcripts into SQLite through the real CLI: storage, re-runs, bad input, export."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from qa import store
from qa.cli import main
from qa.detectors import EVAL_LABELS
from qa.rubric import load_rubric

DEVSET = Path(__file__).parent / "devset"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "drop" / "nested"
    folder.mkdir(parents=True)
    for src in sorted(DEVSET.glob("*.json"))[:4]:
        shutil.copy(src, folder / src.name)
    return tmp_path / "drop"


def counts(db_path: Path) -> dict[str, int]:
    return store.table_counts(store.open_db(db_path))


def test_score_folder_stores_everything_the_dashboard_needs(calls_dir: Path,
                                                           tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    code, out, _ = run("score", str(calls_dir), "--db", str(db_path))
    assert code == 0, out
    assert "4 scored" in out
    db = sqlite_utils.Database(db_path)
    assert db["calls"].count == 4
    call = next(db.query("SELECT * FROM calls LIMIT 1"))
    assert call["content_hash"] and call["rubric_version"] and call["agent"]
    assert call["origin"] == "transcript" and call["overall"] is not None
    assert db["utterances"].count > 40 and db["findings"].count > 10
    assert db["scores"].count == 4 * len(load_rubric().criteria)
    finding = next(db.query("SELECT * FROM findings WHERE polarity = 'coaching' LIMIT 1"))
    assert finding["quote"] and finding["suggestion"] and finding["speaker"]
    assert finding["start"] is not None
    # Indexed for per-agent and per-date queries, full-text searchable.
    indexes = {tuple(i.columns) for i in db["calls"].indexes}
    assert ("agent", "call_time") in indexes
    hits = store.search_utterances(store.open_db(db_path), "refund")
    assert hits and all("refund" in h["text"].lower() for h in hits)


def test_scoring_twice_leaves_the_same_rows(calls_dir: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    run("score", str(calls_dir), "--db", str(db_path))
    first = counts(db_path)
    code, out, _ = run("score", str(calls_dir), "--db", str(db_path))
    assert code == 0 and "4 skipped" in out
    assert counts(db_path) == first
    code, out, _ = run("score", str(calls_dir), "--db", str(db_path), "--rescore")
    assert "4 scored" in out and counts(db_path) == first


def test_bad_files_fail_alone_and_nothing_stored_is_lost(calls_dir: Path,
                                                         tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    run("score", str(calls_dir), "--db", str(db_path))
    before = counts(db_path)
    (calls_dir / "latin1.json").write_bytes('{"call_id": "caf\xe9"}'.encode("latin-1"))
    (calls_dir / "broken.json").write_text('{"call_id": "x", "utterances": [')
    code, out, err = run("score", str(calls_dir), "--db", str(db_path))
    assert code == 1
    assert "latin1.json: failed: not UTF-8" in err
    assert "broken.json: failed: malformed JSON" in err
    assert "4 skipped" in out and "2 failed" in out
    assert counts(db_path) == before
    code, out, _ = run("runs", "--db", str(db_path))
    assert "2 failed" in out and "malformed JSON" in out


def test_manifest_sets_metadata_and_reports_missing_files(calls_dir: Path,
                                                          tmp_path: Path) -> None:
    first = sorted(calls_dir.rglob("*.json"))[0]
    manifest = calls_dir / "manifest.csv"
    manifest.write_text("file,call_id,agent,call_time,customer,queue\n"
                        f"nested/{first.name},CALL-1,zoe.k,2026-03-01T10:00:00,C-9,billing\n"
                        "nested/gone.wav,CALL-2,zoe.k,2026-03-01T11:00:00,C-8,billing\n")
    db_path = tmp_path / "qa.db"
    code, _, err = run("score", str(calls_dir), "--db", str(db_path),
                       "--manifest", str(manifest))
    assert code == 1
    assert "gone.wav: failed: listed in the manifest but not found" in err
    call = store.get_call(store.open_db(db_path), "CALL-1")
    assert call is not None
    assert (call["agent"], call["call_time"], call["customer"]) == (
        "zoe.k", "2026-03-01T10:00:00", "C-9")
    assert json.loads(call["extra"]) == {"queue": "billing"}


def test_filename_pattern_sets_agent(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sorted(DEVSET.glob("*.json"))[0], folder / "kim.lee_20260301_0001.json")
    db_path = tmp_path / "qa.db"
    code, _, _ = run("score", str(folder), "--db", str(db_path), "--filename-pattern",
                     r"(?P<agent>[a-z.]+)_(?P<call_time>\d{8})_(?P<call_id>\d+)")
    assert code == 0
    call = store.get_call(store.open_db(db_path), "0001")
    assert call is not None and call["agent"] == "kim.lee" and call["call_time"] == "20260301"


def test_broken_rubric_stops_with_the_key(calls_dir: Path, tmp_path: Path) -> None:
    rubric = tmp_path / "r.toml"
    text = (Path(__file__).parent.parent / "rubrics" / "default.toml").read_text()
    rubric.write_text(text.replace("min_overlap_ms = 300", "min_overlap_ms = \"x\""))
    code, _, err = run("score", str(calls_dir), "--db", str(tmp_path / "qa.db"),
                       "--rubric", str(rubric))
    assert code == 1
    assert "criteria.interruptions.min_overlap_ms: expected an integer" in err


def test_show_and_export(calls_dir: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    run("score", str(calls_dir), "--db", str(db_path))
    call_id = next(iter(store.iter_calls(store.open_db(db_path))))["id"]
    code, out, _ = run("show", call_id, "--db", str(db_path))
    assert code == 0
    assert "Scores" in out and "Findings" in out and "Transcript" in out and "try:" in out
    code, out, _ = run("export", "--db", str(db_path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 and "interruptions" in rows[0] and rows[0]["overall"]
    code, out, _ = run("export", "--db", str(db_path), "--format", "csv", "--what", "findings")
    columns = csv.DictReader(io.StringIO(out)).fieldnames or []
    assert {"quote", "suggestion", "criterion"} <= set(columns)
    code, out, _ = run("export", "--db", str(db_path), "--format", "json")
    data = json.loads(out)
    assert len(data["calls"]) == 4 and data["calls"][0]["findings"][0]["quote"]
    code, _, err = run("show", "nope", "--db", str(db_path))
    assert code == 1 and "no call 'nope'" in err


def test_eval_json_meets_the_bar() -> None:
    code, out, _ = run("eval", str(DEVSET), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["calls"] >= 12
    assert list(result["labels"]) == list(EVAL_LABELS)
    for label in EVAL_LABELS:
        stats = result["labels"][label]
        assert stats["support"] > 0 and stats["f1"] >= 0.8, (label, stats)


def test_commitments_are_rows_a_coach_can_list(calls_dir: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    run("score", str(calls_dir), "--db", str(db_path))
    db = store.open_db(db_path)
    rows = list(db.query("SELECT * FROM commitments"))
    expected = db.execute("SELECT count(*) FROM findings WHERE label LIKE 'expectation:%' "
                          "AND label != 'expectation:missing'").fetchone()[0]
    assert rows and len(rows) == expected
    assert all(r["status"] == "open" and r["kind"] in ("specific", "vague") for r in rows)
    code, out, _ = run("commitments", "--db", str(db_path))
    assert code == 0 and len(out.strip().splitlines()) == len(rows)
    # A follow-up status survives re-scoring the call.
    db.execute("UPDATE commitments SET status = 'done' WHERE id = ?", [rows[0]["id"]])
    db.conn.commit()
    run("score", str(calls_dir), "--db", str(db_path), "--rescore")
    statuses = [r["status"] for r in store.open_db(db_path).query(
        "SELECT status FROM commitments WHERE call_id = ? AND start = ?",
        [rows[0]["call_id"], rows[0]["start"]])]
    assert statuses == ["done"]
