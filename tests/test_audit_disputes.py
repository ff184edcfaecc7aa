"""The audit trail (append-only, overrides' history, export) and disputes (an agent contests a
shared review, a coach resolves it, the agent reads the outcome), through the query layer, the
CLI and the dashboard (Streamlit's AppTest), on a real SQLite file of scored dev-set calls."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import queries, store
from qa.auth import Viewer, add_user
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DEVSET = ROOT / "tests" / "devset"
PASSWORD = "correct horse battery"
COACH = Viewer("coach", "coach")
LEAD = Viewer("lead", "lead")


@pytest.fixture
def qa_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three scored dev-set calls: ``mine`` (the agent's, shared), ``theirs`` (another
    agent's, shared) and ``unshared`` (the agent's, not shared); an account per role."""
    folder = tmp_path / "calls"
    folder.mkdir()
    for src in sorted(DEVSET.glob("*.json"))[:3]:
        shutil.copy(src, folder / src.name)
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(db_path)
    ids = [r[0] for r in conn.execute("SELECT id FROM calls ORDER BY id")]
    mine, theirs, unshared = ids
    conn.execute("UPDATE calls SET agent = 'a.one' WHERE id IN (?, ?)", [mine, unshared])
    conn.execute("UPDATE calls SET agent = 'a.two' WHERE id = ?", [theirs])
    conn.commit()
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, "a.one")
    add_user(conn, "other", "agent", PASSWORD, "a.two")
    queries.set_shared(conn, COACH, mine)
    queries.set_shared(conn, COACH, theirs)
    criterion = conn.execute("SELECT criterion FROM scores WHERE call_id = ? AND score IS NOT "
                             "NULL ORDER BY rowid LIMIT 1", [mine]).fetchone()[0]
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))
    return {"db": str(db_path), "mine": mine, "theirs": theirs, "unshared": unshared,
            "criterion": criterion}


def connect(qa_db: dict[str, str]) -> sqlite3.Connection:
    return queries.connect(qa_db["db"])


AGENT = Viewer("agent", "agent", "a.one")
OTHER = Viewer("other", "agent", "a.two")


# --- audit trail ---------------------------------------------------------------------------

def test_changing_an_override_twice_leaves_three_rows_with_before_and_after(
        qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    call, crit = qa_db["mine"], qa_db["criterion"]
    queries.set_override(conn, COACH, call, crit, 40, "missed the apology")
    queries.set_override(conn, LEAD, call, crit, 55, "partly there")
    queries.set_override(conn, COACH, call, crit, 70, "on second listen, fine")
    rows = [r for r in queries.call_history(conn, LEAD, call) if r["target"] == crit]
    assert [r["action"] for r in rows] == ["override.set", "override.change", "override.change"]
    assert [r["actor"] for r in rows] == ["coach", "lead", "coach"]
    assert rows[0]["before"] is None and rows[0]["after"]["score"] == 40
    assert rows[1]["before"]["score"] == 40 and rows[1]["after"]["score"] == 55
    assert rows[1]["before"]["reason"] == "missed the apology"
    assert rows[2]["before"]["score"] == 55 and rows[2]["after"]["score"] == 70
    queries.remove_override(conn, COACH, call, crit)
    last = queries.call_history(conn, LEAD, call)[-1]
    assert last["action"] == "override.remove" and last["before"]["score"] == 70
    assert last["after"] is None


def test_every_change_a_person_makes_is_in_the_trail(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    call = qa_db["mine"]
    queries.add_note(conn, COACH, call, "good close")
    queries.set_shared(conn, COACH, call, False)
    queries.set_reviewed(conn, COACH, call, False)
    queries.set_reviewed(conn, COACH, call, True)
    actions = [r["action"] for r in queries.call_history(conn, COACH, call)]
    # the fixture shared it first
    assert actions == ["review.share", "note.add", "review.unshare", "review.unmark",
                       "review.mark"]


def test_the_store_refuses_to_update_or_delete_a_trail_row(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    queries.set_override(conn, COACH, qa_db["mine"], qa_db["criterion"], 10, "no")
    n = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                "UPDATE audit_log SET after = NULL WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), conn:
            conn.execute(sql)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == n
    assert conn.execute("SELECT actor FROM audit_log WHERE id = 1").fetchone()[0] == "coach"
    # Opening the database again (schema upgrade) keeps the protection.
    store.open_db(qa_db["db"]).conn.close()
    with pytest.raises(sqlite3.IntegrityError), conn:
        conn.execute("DELETE FROM audit_log")


def test_audit_function_appends_in_the_callers_transaction(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(RuntimeError), conn:
        store.audit(conn, "lead", "user.disable", target="agent", before={"disabled": 0},
                    after={"disabled": 1})
        raise RuntimeError("the change failed")
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    with conn:
        row_id = store.audit(conn, "lead", "user.disable", target="agent",
                             before={"disabled": 0}, after={"disabled": 1})
    row = conn.execute("SELECT actor, action, call_id, target, before, after FROM audit_log "
                       "WHERE id = ?", [row_id]).fetchone()
    assert tuple(row) == ("lead", "user.disable", None, "agent", '{"disabled": 0}',
                          '{"disabled": 1}')


def test_only_staff_read_a_calls_history_and_only_leads_the_trail(
        qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    with pytest.raises(queries.AccessDenied):
        queries.call_history(conn, AGENT, qa_db["mine"])
    with pytest.raises(queries.AccessDenied):
        list(queries.audit_trail(conn, COACH))
    assert list(queries.audit_trail(conn, LEAD))


def test_audit_export_csv_is_formula_safe_and_jsonl_parses(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    queries.set_override(conn, COACH, qa_db["mine"], qa_db["criterion"], 20,
                         '=HYPERLINK("http://evil", "x")')
    conn.close()
    out = CliRunner().invoke(main, ["audit", "export", "--db", qa_db["db"]])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert rows[0].keys() >= {"at", "actor", "action", "call_id", "before", "after"}
    change = next(r for r in rows if r["action"] == "override.set")
    assert change["after"].startswith("{")  # JSON text, not starting with =
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)
    out = CliRunner().invoke(main, ["audit", "export", "--db", qa_db["db"], "--format",
                                    "jsonl", "--call", qa_db["mine"]])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert {r["call_id"] for r in lines} == {qa_db["mine"]}
    assert lines[-1]["after"]["reason"] == '=HYPERLINK("http://evil", "x")'


def test_role_decisions_are_audited(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    queries.decide_roles(conn, COACH, qa_db["mine"], swap=True)
    last = queries.call_history(conn, COACH, qa_db["mine"])[-1]
    assert (last["action"], last["actor"], last["after"]) == ("roles.swap", "coach",
                                                              {"swapped": True})
