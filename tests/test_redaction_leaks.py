"""With redaction on, nothing personal reaches a column, a log, an error, an export or the
audio served (issue 12, defect 5): personal data is planted in the text, file names, call
ids, manifest columns and a malformed file, then every table (full-text shadow tables
included), the database file, its write-ahead log, the batch log, the exports and the
audio the dashboard would play are searched for it."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import queries, store
from qa.auth import COACH, Viewer
from qa.batch import Settings, run_batch
from qa.cli import main
from qa.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
SAMPLES = ROOT / "sample_calls"

CARD = "4111 1111 1111 1111"
CARD_IN_ID = "5555 5555 5555 4444"
CARD_IN_NAME = "5105105105105100"
CARD_IN_BAD_FILE = "4000 0566 5566 5556"
PHONE = "415 555 0172"
PHONE_IN_NAME = "+1-415-555-0143"
PHONE_IN_MANIFEST = "+44 20 7946 0958"
EMAIL = "zelda.quarrington@example.com"
EMAIL_IN_MANIFEST = "j.smith.home@example.org"
SSN = "123-45-6789"
PLANTED = [CARD, CARD_IN_ID, CARD_IN_NAME, CARD_IN_BAD_FILE, PHONE, PHONE_IN_NAME,
           PHONE_IN_MANIFEST, EMAIL, EMAIL_IN_MANIFEST, SSN]
# The same numbers with their separators gone, for text that joins them up.
DIGITS = [re.sub(r"\D", "", p) for p in PLANTED if sum(c.isdigit() for c in p) >= 9]


def _found(text: str) -> list[str]:
    """The planted values in ``text``, as written or as bare digits."""
    hits = [p for p in PLANTED if p.lower() in text.lower()]
    squeezed = re.sub(r"\D", "", text)
    return hits + [d for d in DIGITS if d in squeezed and len(text) < 10_000]


def _found_bytes(data: bytes) -> list[str]:
    """The planted values in a file's bytes (SQLite stores text as UTF-8)."""
    return [p for p in PLANTED if p.encode() in data]


def _plant(folder: Path) -> Path:
    """Three calls and a broken file with personal data everywhere; returns the manifest."""
    folder.mkdir()
    call = json.loads((DEVSET / "air_bag_020.json").read_text())
    call["call_id"] = f"order {CARD_IN_ID}"
    call["utterances"][1]["text"] += (f" My card number is {CARD}. You can call me back on "
                                      f"{PHONE}, or email {EMAIL}. My social is {SSN}.")
    (folder / f"card_{CARD_IN_NAME}.json").write_text(json.dumps(call))
    other = json.loads((DEVSET / "air_rebook_003.json").read_text())
    (folder / "plain.json").write_text(json.dumps(other))
    (folder / f"bad_{CARD_IN_BAD_FILE}.vtt").write_text(
        f"WEBVTT\n\n{CARD_IN_BAD_FILE} is my card\nno timing line here\n")
    shutil.copy(SAMPLES / "call02_card_double_charge.mp3", folder / f"rec_{PHONE_IN_NAME}.mp3")
    manifest = folder / "manifest.csv"
    manifest.write_text("file,agent,customer,callback\n"
                        f"card_{CARD_IN_NAME}.json,a.agent,{EMAIL_IN_MANIFEST},"
                        f"{PHONE_IN_MANIFEST}\n"
                        f"rec_{PHONE_IN_NAME}.mp3,a.agent,{EMAIL_IN_MANIFEST},"
                        f"{PHONE_IN_MANIFEST}\n")
    return manifest


def _every_table(db_path: Path) -> dict[str, list[str]]:
    """Every text and blob cell of every table (the FTS index's shadow tables included),
    as text, per table."""
    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    cells: dict[str, list[str]] = {}
    for table in tables:
        out = cells.setdefault(table, [])
        for row in conn.execute(f"SELECT * FROM [{table}]"):
            for value in row:
                if isinstance(value, bytes):
                    out.append(value.decode("utf-8", "replace"))
                elif isinstance(value, str):
                    out.append(value)
    conn.close()
    return cells


def test_nothing_planted_survives_redaction(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    manifest = _plant(folder)
    db_path = tmp_path / "qa.db"
    copies = tmp_path / "redacted-audio"
    log = tmp_path / ".qa-batch-test.log"
    # As the dashboard's batch page runs it: its own process, output into a log file.
    with log.open("wb") as out:
        code = subprocess.run(
            [sys.executable, "-m", "qa.cli", "score", str(folder), "--db", str(db_path),
             "--manifest", str(manifest), "--redact", "--redacted-audio", str(copies)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out,
            stderr=subprocess.STDOUT, timeout=900).returncode
    log_text = log.read_text()
    assert code == 1, log_text  # the malformed file failed...
    assert "failed" in log_text and "WebVTT: block 1" in log_text  # ...with a clear line
    db = store.open_db(db_path)
    assert db["calls"].count == 3, log_text
    assert _found(log_text) == [], log_text

    cells = _every_table(db_path)
    assert any(t.startswith("utterances_fts") for t in cells)  # shadow tables searched too
    leaks = {table: hits for table, values in cells.items()
             if (hits := [h for v in values for h in _found(v)])}
    assert leaks == {}
    # The index's own list of words (its pages are prefix-compressed, so a byte search of
    # the shadow tables could miss a word): no planted piece is a word of it.
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, utterances_fts, row)")
    words = {r[0] for r in conn.execute("SELECT term FROM temp.vocab")}
    conn.close()
    assert "card" in words  # the check sees the index
    assert words & {"4111", "0172", "6789", "zelda", "quarrington", "5555", "4444"} == set()
    # The tags did their work where the values were.
    assert "[CARD]" in " ".join(cells["utterances"])
    customers = [r[0] for r in db.execute("SELECT customer FROM calls WHERE customer IS NOT NULL")]
    assert customers and all("[EMAIL]" in c for c in customers)

    runner = CliRunner()
    outputs = [runner.invoke(main, [*args, "--db", str(db_path)]).output for args in (
        ["export"], ["export", "--what", "findings"], ["export", "--format", "json"],
        ["runs"])]
    for call_id in [r[0] for r in db.execute("SELECT id FROM calls")]:
        outputs.append(runner.invoke(main, ["show", call_id, "--db", str(db_path)]).output)
    assert [h for text in outputs for h in _found(text)] == []

    db.conn.close()
    for path in (db_path, tmp_path / "qa.db-wal"):
        if path.exists():
            assert _found_bytes(path.read_bytes()) == [], path

    # The recording: the dashboard plays the silenced copy, never the original; the copy's
    # name holds nothing personal.
    conn = queries.connect(db_path)
    coach = Viewer("coach", COACH)
    [audio_id] = [r[0] for r in conn.execute("SELECT id FROM calls WHERE origin = 'audio'")]
    served = queries.call_audio(conn, coach, audio_id)
    assert served is not None
    original = (folder / f"rec_{PHONE_IN_NAME}.mp3").read_bytes()
    [copy] = list(copies.iterdir())
    assert served[0] == copy.read_bytes() != original
    assert _found(copy.name) == []


def test_a_redacted_call_without_a_copy_plays_no_audio(tmp_path: Path) -> None:
    """Scored with redaction but no --redacted-audio: the original is not served."""
    recording = tmp_path / "rec.mp3"
    shutil.copy(SAMPLES / "call02_card_double_charge.mp3", recording)
    transcript = json.loads((SAMPLES / "call02_card_double_charge.json").read_text())
    from qa.redact import redact_transcript
    from qa.scoring import score_call
    from qa.transcript import Transcript

    call, _ = redact_transcript(Transcript.from_dict(transcript))
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    info = store.CallInfo("rec", str(recording), "hash", origin="audio", redacted={})
    store.save_scored_call(db, info, score_call(call, load_rubric()), "default")
    coach = Viewer("coach", COACH)
    assert queries.call_audio(queries.connect(db_path), coach, "rec") is None
    db["calls"].update("rec", {"redacted": None})  # the same call stored unredacted plays
    assert queries.call_audio(queries.connect(db_path), coach, "rec") is not None


def test_purge_waits_for_readers_and_stays_pending_until_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    call = json.loads((DEVSET / "air_bag_020.json").read_text())
    call["utterances"][1]["text"] += f" My card number is {CARD}."
    (folder / "c.json").write_text(json.dumps(call))
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    run_batch([str(folder)], Settings(load_rubric(), redact=False), db)
    assert _found_bytes((tmp_path / "qa.db-wal").read_bytes())  # the plain text is there
    # A dashboard page in the middle of a read holds the old pages of the log.
    reader = sqlite3.connect(db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM utterances").fetchone()
    monkeypatch.setattr(store, "PURGE_WAIT", 0.5, raising=False)
    run_batch([str(folder)], Settings(load_rubric(), redact=True), db)
    pending = db.execute("SELECT 1 FROM meta WHERE key = 'purge_pending'").fetchone()
    assert pending is not None  # not marked done while the old text is still in the log
    reader.rollback()
    reader.close()
    assert store.purge_replaced_text(db) is True
    assert db.execute("SELECT 1 FROM meta WHERE key = 'purge_pending'").fetchone() is None
    db.conn.close()
    for path in (db_path, tmp_path / "qa.db-wal"):
        if path.exists():
            assert _found_bytes(path.read_bytes()) == [], path


def test_parse_errors_and_names_are_masked_in_the_run_record(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / f"bad {PHONE}.vtt").write_text(f"WEBVTT\n\n{CARD} is my card\nno timing\n")
    db = store.open_db(tmp_path / "qa.db")
    _run_id, [outcome] = run_batch([str(folder)], Settings(load_rubric(), redact=True), db)
    assert outcome.status == "failed"
    [(path, error)] = db.execute("SELECT path, error FROM run_files").fetchall()
    assert _found(path) == [] and _found(error) == [], (path, error)
    assert "has no 'start --> end' line" in error  # still says what is wrong


def test_redacting_later_replaces_the_call_stored_under_its_unmasked_id(tmp_path: Path) -> None:
    """Scored first without redaction, then with: the id holding a card number is masked,
    and the old version under the old id is gone (with its text, after the purge); the
    coach's review follows the call to its new id."""
    folder = tmp_path / "drop"
    folder.mkdir()
    call = json.loads((DEVSET / "air_bag_020.json").read_text())
    call["call_id"] = f"order {CARD_IN_ID}"
    call["utterances"][1]["text"] += f" My card number is {CARD}."
    (folder / f"card_{CARD_IN_NAME}.json").write_text(json.dumps(call))
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    run_batch([str(folder)], Settings(load_rubric(), redact=False), db)
    queries.set_reviewed(queries.connect(db_path), Viewer("coach", COACH), f"order {CARD_IN_ID}")
    run_batch([str(folder)], Settings(load_rubric(), redact=True), db)
    [new_id] = [r[0] for r in db.execute("SELECT id FROM calls")]
    assert _found(new_id) == [] and new_id.startswith("order [CARD]-")
    assert [r[0] for r in db.execute("SELECT call_id FROM reviews")] == [new_id]
    leaks = {table: hits for table, values in _every_table(db_path).items()
             if (hits := [h for v in values for h in _found(v)])}
    assert leaks == {}
    db.conn.close()
    for path in (db_path, tmp_path / "qa.db-wal"):
        if path.exists():
            assert _found_bytes(path.read_bytes()) == [], path
