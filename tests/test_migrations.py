"""The schema as numbered steps: a database made by release 0.1.0 is upgraded with its data
intact, each step is applied once, and the version is read back from the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import store
from qa.cli import main

SCHEMA_0_1_0 = Path(__file__).parent / "data" / "schema_0.1.0.sql"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_calls" / "call01_internet_outage.json"


def old_database(path: Path) -> None:
    """A database as release 0.1.0 left it: its schema, one scored call with a finding, a
    score, a coach's override and note, an account and a finished run."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_0_1_0.read_text(encoding="utf-8"))
    conn.executescript("""
        INSERT INTO calls (id, content_hash, source_path, origin, agent, call_time, duration,
            channels, speaker_timing, model, rubric_name, rubric_version, scorable, overall,
            summary, extra, scored_at, roles, roles_review)
        VALUES ('c1', 'h1', '/calls/c1.flac', 'audio', 'dana', '2026-01-05T10:00:00', 60.0, 2,
            1, 'tiny.en', 'default', 'v1+abc', 1, 80.0, '{}', '{}', '2026-01-05T11:00:00',
            NULL, 0);
        INSERT INTO utterances (call_id, idx, speaker, start, "end", text, words)
        VALUES ('c1', 0, 'agent', 0.0, 2.0, 'Thanks for calling, this is Dana.', '[]');
        INSERT INTO findings (call_id, criterion, label, utterance_idx, speaker, start, "end",
            quote, polarity, message, suggestion, detail)
        VALUES ('c1', 'greeting_closing', 'greeting', 0, 'agent', 0.0, 2.0, 'Thanks',
            'strength', 'Greeted', '', '{}');
        INSERT INTO scores (call_id, criterion, score, applicable, reason, weight)
        VALUES ('c1', 'greeting_closing', 90.0, 1, 'greeted and closed', 1.0);
        INSERT INTO overrides (call_id, criterion, score, machine_score, reason, author,
            created_at)
        VALUES ('c1', 'greeting_closing', 70.0, 90.0, 'closing was rushed', 'kim', '2026-01-06');
        INSERT INTO notes (call_id, author, body, created_at)
        VALUES ('c1', 'kim', 'Good opening', '2026-01-06');
        INSERT INTO users (name, role, password_hash, created_at)
        VALUES ('kim', 'coach', 'argon2-hash', '2026-01-01');
        INSERT INTO runs (started_at, finished_at, status, paths, rubric_version, files,
            scored, skipped, failed, unscorable, pid, host)
        VALUES ('2026-01-05', '2026-01-05', 'finished', '[]', 'v1+abc', 1, 1, 0, 0, 0, 1, 'h');
    """)
    conn.close()


def _dump(path: Path, *tables: str) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    rows = {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY 1").fetchall() for t in tables}
    conn.close()
    return rows


TABLES = ("utterances", "findings", "scores", "overrides", "notes", "users", "runs",
          "score_facts", "call_facts")


def test_a_release_0_1_0_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path)
    before = _dump(path, *TABLES)
    calls_before = _dump(path, "calls")["calls"]
    assert before["score_facts"] == [("c1", "greeting_closing", "2026-01-05T10:00:00",
                                      "2026-01-05", "dana", 70.0, 90.0)]

    db = store.open_db(path)
    # Steps are numbered in order; a number may be missing while the branches that add
    # steps are merged one at a time (0010_moments before 0008/0009).
    numbers = [int(name[:4]) for name in store.STEPS]
    assert numbers == sorted(set(numbers))
    assert store.schema_version(db) == numbers[-1]
    assert [m.name for m in store.MIGRATIONS.applied(db)] == store.STEPS
    assert "diarization" in db["calls"].columns_dict
    db.conn.close()
    after = _dump(path, *TABLES)
    # Accounts gain columns at the end: no SSO e-mail (step 0003), last sign-in unknown and
    # session epoch 0 (step 0006); what they had is kept.
    users_before, users_after = before.pop("users"), after.pop("users")
    assert [row[:-3] for row in users_after] == users_before
    assert [row[-3:] for row in users_after] == [(None, None, 0)]
    # Scores gain their kind, auto-fail pass mark, pending flag and question (step 0008):
    # a built-in criterion's score, none of them set.
    scores_before, scores_after = before.pop("scores"), after.pop("scores")
    assert [row[:-4] for row in scores_after] == scores_before
    assert [row[-4:] for row in scores_after] == [(None, None, 0, None)]
    assert after == before
    calls_after = _dump(path, "calls")["calls"]
    # New columns at the end (diarization, step 0002; timing, step 0005; queue, rubric file,
    # auto-fail reason and pending questions, step 0008), empty.
    assert [row[:-6] for row in calls_after] == calls_before
    assert calls_after[0][-6:] == (None, None, None, None, None, 0)

    # The upgraded database works as a new one does: a call is scored into it, the
    # full-text index and the fact triggers keep up, and the coach's override still holds.
    result = CliRunner().invoke(main, ["score", str(SAMPLE), "--db", str(path)])
    assert result.exit_code == 0, result.output
    db = store.open_db(path)
    assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == 2
    assert store.search_utterances(db, "Dana")
    assert db.execute("SELECT score FROM score_facts WHERE call_id = 'c1'").fetchone()[0] == 70
    assert db.execute("SELECT count(*) FROM call_facts").fetchone()[0] == 2


def test_each_step_is_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "qa.db"
    store.open_db(path).conn.close()
    db = store.open_db(path)
    assert not store.MIGRATIONS.pending(db)
    assert store.migrate(db) == int(store.STEPS[-1][:4])  # nothing left: applies nothing, no error
    count = db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert count == len(store.STEPS)


def test_a_database_from_a_newer_qa_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qa.db"
    db = store.open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": store.MIGRATIONS.name,
                                     "name": "9999_from_the_future", "applied_at": "x"})
    db.conn.close()
    with pytest.raises(store.SchemaError, match="newer version of qa"):
        store.open_db(path)
