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
from streamlit.testing.v1 import AppTest

from qa import queries, store
from qa.auth import Viewer, add_user
from qa.cli import main
from qa.ui.common import md

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
    assert conn.execute("SELECT actor FROM audit_log WHERE action LIKE 'override.%'"
                        ).fetchone()[0] == "coach"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), conn:
        conn.execute("UPDATE audit_log SET call_id = 'elsewhere'")  # no rekey named
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_rekey', "
                     "json_array(?, 'elsewhere'))", [qa_db["mine"]])
        conn.execute("UPDATE audit_log SET call_id = 'elsewhere', actor = 'x' "
                     "WHERE call_id = ?", [qa_db["mine"]])  # more than the id
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


# --- disputes: the query layer -----------------------------------------------------------------

def test_agent_disputes_coach_changes_the_score_and_the_trail_keeps_it(
        qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    call, crit = qa_db["mine"], qa_db["criterion"]
    did = queries.open_dispute(conn, AGENT, call, "I did apologise at 1:10", criterion=crit)
    assert queries.open_dispute_count(conn, COACH) == 1
    [queued] = queries.dispute_queue(conn, COACH)
    assert (queued["id"], queued["criterion"], queued["agent"]) == (did, crit, "a.one")
    with pytest.raises(ValueError, match="already disputed"):
        queries.open_dispute(conn, AGENT, call, "again", criterion=crit)
    queries.resolve_dispute(conn, COACH, did, queries.CHANGED, "You did, fair.", 90)
    assert queries.open_dispute_count(conn, COACH) == 0
    call_now = queries.get_call(conn, AGENT, call)
    assert call_now is not None
    score = next(s for s in call_now["scores"] if s["criterion"] == crit)
    assert (score["override_score"], score["override_reason"]) == (90, "You did, fair.")
    [mine] = next(c for c in queries.shared_calls(conn, AGENT)
                  if c["call_id"] == call)["disputes"]
    assert (mine["status"], mine["new_score"], mine["reply"]) == ("changed", 90,
                                                                  "You did, fair.")
    actions = [r["action"] for r in queries.call_history(conn, LEAD, call)]
    assert actions[-3:] == ["dispute.open", "override.set", "dispute.resolve"]
    with pytest.raises(ValueError, match="already resolved"):
        queries.resolve_dispute(conn, LEAD, did, queries.UPHELD, "no")


def test_a_finding_can_be_disputed_and_upheld(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    options = queries.dispute_options(conn, AGENT, qa_db["mine"])
    if not options["findings"]:
        pytest.skip("this dev-set call has no coaching finding")
    finding = options["findings"][0]
    did = queries.open_dispute(conn, AGENT, qa_db["mine"], "that was not me",
                               finding_id=finding["id"])
    queries.resolve_dispute(conn, COACH, did, queries.UPHELD, "It was, listen at 0:40.")
    [d] = queries.call_disputes(conn, AGENT, qa_db["mine"])
    assert d["status"] == "upheld" and d["finding"]["label"] == finding["label"]
    assert d["criterion"] == finding["criterion"]
    assert not conn.execute("SELECT 1 FROM overrides").fetchone()


def test_agents_cannot_dispute_others_or_unshared_calls_nor_see_the_queue(
        qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    crit = qa_db["criterion"]
    for call in (qa_db["theirs"], qa_db["unshared"], "no-such-call"):
        with pytest.raises(LookupError, match="no such call among the reviews shared with you"):
            queries.open_dispute(conn, AGENT, call, "unfair", criterion=crit)
    assert queries.dispute_options(conn, AGENT, qa_db["theirs"]) == {"criteria": [],
                                                                     "findings": []}
    for staff in (COACH, LEAD):  # disputes are the agent's to raise
        with pytest.raises(queries.AccessDenied):
            queries.open_dispute(conn, staff, qa_db["mine"], "x", criterion=crit)
    did = queries.open_dispute(conn, OTHER, qa_db["theirs"], "unfair", criterion=crit)
    for fn in (queries.dispute_queue, queries.open_dispute_count):
        with pytest.raises(queries.AccessDenied):
            fn(conn, AGENT)
    with pytest.raises(queries.AccessDenied):
        queries.resolve_dispute(conn, AGENT, did, queries.CHANGED, "mine now", 100)
    assert queries.call_disputes(conn, AGENT, qa_db["theirs"]) == []
    assert conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 1


def test_the_dispute_window_closes(qa_db: dict[str, str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(qa_db)
    with conn:  # shared 15 days ago: past the default 14
        conn.execute("UPDATE reviews SET shared_at = datetime('now', '-15 days') "
                     "WHERE call_id = ?", [qa_db["mine"]])
    with pytest.raises(ValueError, match="14 days"):
        queries.open_dispute(conn, AGENT, qa_db["mine"], "late", criterion=qa_db["criterion"])
    [row] = [c for c in queries.shared_calls(conn, AGENT) if c["call_id"] == qa_db["mine"]]
    assert not row["can_dispute"]
    recent = conn.execute("SELECT datetime('now', '-13 days')").fetchone()[0]
    assert queries.can_dispute({"shared_at": recent})  # SQLite's format, no zone: UTC
    rubric = (ROOT / "rubrics" / "default.toml").read_text().replace(
        "dispute_window_days = 14", "dispute_window_days = 30")
    (tmp_path / "r.toml").write_text(rubric)
    monkeypatch.setenv("QA_RUBRIC", str(tmp_path / "r.toml"))
    assert queries.dispute_window() == 30
    assert queries.open_dispute(conn, AGENT, qa_db["mine"], "in time",
                                criterion=qa_db["criterion"])


def test_the_window_setting_does_not_change_the_rubric_label(tmp_path: Path) -> None:
    from qa.rubric import load_rubric

    text = (ROOT / "rubrics" / "default.toml").read_text()
    assert "dispute_window_days = 14" in text
    (tmp_path / "three.toml").write_text(text.replace("dispute_window_days = 14",
                                                      "dispute_window_days = 3"))
    (tmp_path / "unset.toml").write_text(text.replace("dispute_window_days = 14", ""))
    three, unset = load_rubric(tmp_path / "three.toml"), load_rubric(tmp_path / "unset.toml")
    assert three.shared["dispute_window_days"] == 3
    assert unset.shared["dispute_window_days"] == 14
    assert three.label == unset.label == load_rubric(ROOT / "rubrics" / "default.toml").label


# --- disputes: the dashboard ----------------------------------------------------------------

def sign_in(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in [*at.markdown, *at.caption, *at.title, *at.subheader,
                                *at.error, *at.warning, *at.info]]
    parts += [h.proto.body for h in at.html]
    return "\n".join(str(p) for p in parts)


def test_dispute_resolve_outcome_in_the_dashboard(qa_db: dict[str, str]) -> None:
    call, crit = qa_db["mine"], qa_db["criterion"]
    at = sign_in("agent")
    assert not at.exception
    at.selectbox(key=f"dispute-item-{call}").set_value((crit, None))
    at.text_area(key=f"dispute-reason-{call}").input("I <b>did</b> apologise")
    next(b for b in at.button if b.label == "Send dispute").click()
    at.run()
    assert not at.exception
    assert "waiting for your coach" in texts(at)

    at = sign_in("coach")
    at.switch_page("qa/ui/disputes.py").run()
    assert not at.exception
    assert "Disputes (1 open)" in texts(at)
    assert "I &lt;b&gt;did&lt;/b&gt; apologise" in texts(at)  # shown as typed, escaped
    [did] = [r[0] for r in sqlite3.connect(qa_db["db"]).execute("SELECT id FROM disputes")]
    next(b for b in at.button if b.label == "Open the call").click()
    at.run()  # the disputed call opens on the review page, its open dispute shown there
    assert not at.exception
    assert [t.value for t in at.title] == [f"Call {md(call)}"]
    assert "Answer it on the" in texts(at)
    at.switch_page("qa/ui/disputes.py").run()
    at.radio(key=f"outcome-{did}").set_value("changed")
    at.number_input(key=f"new-score-{did}").set_value(85.0)
    at.text_area(key=f"reply-{did}").input("Agreed, well done.")
    next(b for b in at.button if b.label == "Resolve").click()
    at.run()
    assert not at.exception
    assert "Disputes (0 open)" in texts(at) and "No open disputes" in texts(at)

    at = sign_in("agent")
    shown = texts(at)
    assert "score changed from" in shown and "to 85 by coach" in shown
    assert "Agreed, well done." in shown

    at = sign_in("lead")  # the call's history on the review page
    at.switch_page("qa/ui/review.py")
    at.query_params["call"] = call
    at.run()
    assert not at.exception
    history = next(d for d in at.dataframe if "What" in d.value.columns).value
    assert list(history["What"])[-3:] == ["dispute.open", "override.set", "dispute.resolve"]
    assert any(b.label.startswith("Download the audit trail") for b in at.get("download_button"))


def test_agent_sees_no_disputes_page_and_it_refuses_them(qa_db: dict[str, str]) -> None:
    at = sign_in("agent")
    assert "Disputes" not in texts(at)
    page = AppTest.from_file(str(ROOT / "qa" / "ui" / "disputes.py"), default_timeout=60)
    page.session_state["viewer"] = AGENT
    page.run()
    assert "not available to your role" in texts(page)
    assert not page.get("form")
    signed_out = AppTest.from_file(str(ROOT / "qa" / "ui" / "disputes.py"),
                                   default_timeout=60).run()
    assert "Please sign in first" in texts(signed_out) and not signed_out.get("form")


def test_open_count_on_the_sidebar(qa_db: dict[str, str]) -> None:
    conn = connect(qa_db)
    queries.open_dispute(conn, AGENT, qa_db["mine"], "unfair", criterion=qa_db["criterion"])
    at = sign_in("coach")
    # The pages st.navigation registered, as the sidebar lists them.
    titles = [info.get("page_name") for info in at._registered_pages.values()]
    assert "Disputes (1)" in titles, titles
