"""Follow-through on promises: repeat contacts from the manifest's customer, commitments
marked done or broken (command line, dashboard, query layer), first-contact resolution and
overdue promises on the lead's overview."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import queries, store
from qa.auth import Viewer, add_user
from qa.cli import main
from qa.followup import due_time

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
LEAD = Viewer("lead", "lead")
PERIOD = queries.Period(*(__import__("datetime").date(2026, m, d) for m, d in ((2, 1), (4, 30))))
HEADER = "file,call_id,agent,call_time,customer\n"
# Customer C-1 calls on the 1st, again on the 4th (a repeat within 7 days) and on the 30th
# (26 days later: not a repeat); C-2 calls once.
FIRST = ("air_bag_020.json", "first", "a.one", "2026-03-01T10:00:00", "C-1")
SECOND = ("air_rebook_003.json", "second", "a.two", "2026-03-04T09:00:00", "C-1")
THIRD = ("bank_dup_004.json", "third", "a.one", "2026-03-30T09:00:00", "C-1")
OTHER = ("card_fee_038.json", "other", "a.two", "2026-03-02T09:00:00", "C-2")


def folder(root: Path, name: str, rows: list[tuple[str, ...]]) -> Path:
    """A folder of dev-set transcripts with a manifest giving their ids, agents, times and
    customers."""
    path = root / name
    path.mkdir()
    for row in rows:
        shutil.copy(DEVSET / row[0], path / row[0])
    (path / "manifest.csv").write_text(HEADER + "".join(",".join(r) + "\n" for r in rows))
    return path


def score(path: Path, db: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["score", str(path), "--db", str(db), "--manifest",
                                       str(path / "manifest.csv"), *extra])
    assert result.exit_code == 0, result.output


def accounts(db: Path) -> None:
    """A lead's and a coach's account (the dashboard re-reads the viewer's account)."""
    conn = sqlite3.connect(db)
    add_user(conn, "lead", "lead", "correct horse battery")
    add_user(conn, "coach", "coach", "correct horse battery")
    conn.close()


def rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """The four calls stored latest first: the call back is scored before the first call."""
    db = tmp_path / "qa.db"
    score(folder(tmp_path, "later", [SECOND, OTHER]), db)
    score(folder(tmp_path, "earlier", [FIRST, THIRD]), db)
    return db


def test_call_back_within_the_window_marks_flags_and_links_both_calls(batch: Path,
                                                                      tmp_path: Path) -> None:
    assert rows(batch, "SELECT earlier_id, later_id, customer FROM callbacks") == [
        ("first", "second", "C-1")]
    flags = rows(batch, "SELECT status, flag, flag_call_id FROM commitments "
                 "WHERE call_id = 'first'")
    assert flags and all(f == ("open", "possibly broken: the customer called again on "
                               "2026-03-04", "second") for f in flags)
    assert rows(batch, "SELECT count(*) FROM commitments WHERE call_id != 'first' "
                "AND flag IS NOT NULL") == [(0,)]
    conn = queries.connect(batch)
    first = queries.get_call(conn, LEAD, "first")
    second = queries.get_call(conn, LEAD, "second")
    third = queries.get_call(conn, LEAD, "third")
    assert [c["call_id"] for c in first["called_back"]] == ["second"]
    assert [c["call_id"] for c in second["callback_of"]] == ["first"]
    assert not first["callback_of"] and not third["callback_of"] and not third["called_back"]
    conn.close()
    shown = CliRunner().invoke(main, ["show", "first", "--db", str(batch)]).output
    assert "customer called back on 2026-03-04: second" in shown
    shown = CliRunner().invoke(main, ["show", "second", "--db", str(batch)]).output
    assert "repeat contact: the customer called on 2026-03-01: first" in shown
    # Re-runs add nothing and keep the links.
    before = rows(batch, "SELECT count(*) FROM commitments")
    score(tmp_path / "earlier", batch, "--rescore")
    score(tmp_path / "later", batch, "--rescore")
    assert rows(batch, "SELECT earlier_id, later_id FROM callbacks") == [("first", "second")]
    assert rows(batch, "SELECT count(*) FROM commitments") == before
    assert rows(batch, "SELECT count(*) FROM commitments WHERE flag IS NOT NULL") == \
        rows(batch, "SELECT count(*) FROM commitments WHERE call_id = 'first'")


def test_the_window_is_a_rubric_setting(tmp_path: Path) -> None:
    rubric = tmp_path / "month.toml"
    text = (ROOT / "rubrics" / "default.toml").read_text()
    rubric.write_text(text.replace("# repeat_contact_days = 7", "repeat_contact_days = 30"))
    db = tmp_path / "qa.db"
    score(folder(tmp_path, "calls", [FIRST, SECOND, THIRD]), db, "--rubric", str(rubric))
    assert rows(db, "SELECT earlier_id, later_id FROM callbacks ORDER BY earlier_ts") == [
        ("first", "second"), ("second", "third")]


def test_customers_masked_by_redaction_are_never_matched(tmp_path: Path) -> None:
    # Two different e-mail addresses as customer ids: redaction masks both to the same tag,
    # which must not make them one customer.
    calls = [(*FIRST[:4], "ann@example.com"), (*SECOND[:4], "bob@example.org")]
    db = tmp_path / "qa.db"
    score(folder(tmp_path, "calls", calls), db, "--redact")
    assert rows(db, "SELECT DISTINCT customer FROM calls") == [("[EMAIL]",)]
    assert rows(db, "SELECT count(*) FROM callbacks") == [(0,)]


def test_qa_commitments_done_records_who_and_when(batch: Path) -> None:
    accounts(batch)
    conn = sqlite3.connect(batch)
    add_user(conn, "agent", "agent", "correct horse battery", "a.one")
    conn.close()
    (cid,) = rows(batch, "SELECT min(id) FROM commitments WHERE call_id = 'other'")[0]
    runner = CliRunner()
    out = runner.invoke(main, ["commitments", "done", str(cid), "--by", "coach", "--db",
                               str(batch), "--note", "credit seen on the account"])
    assert out.exit_code == 0, out.output
    status, by, at, note = rows(batch, "SELECT status, updated_by, updated_at, status_note "
                                "FROM commitments WHERE id = ?", [cid])[0]
    assert (status, by, note) == ("done", "coach", "credit seen on the account")
    assert at and at.startswith("20")
    listed = runner.invoke(main, ["commitments", "--db", str(batch), "--status", "done"])
    assert listed.exit_code == 0 and f"#{cid} [done by coach at {at}]" in listed.output
    listed = runner.invoke(main, ["commitments", "--db", str(batch)])
    assert ", tomorrow, due 2026-03-02 23:59 OVERDUE)" in listed.output
    assert "possibly broken: the customer called again on 2026-03-04: second" in listed.output
    # --db before the subcommand works too; without --by, the person at the terminal.
    out = runner.invoke(main, ["commitments", "--db", str(batch), "broken", str(cid)])
    assert out.exit_code == 0, out.output
    assert rows(batch, "SELECT status, updated_by LIKE '%(command line)' FROM commitments "
                "WHERE id = ?", [cid]) == [("broken", 1)]
    # An agent's account may not change them; bad input is refused with a clear error.
    out = runner.invoke(main, ["commitments", "done", str(cid), "--by", "agent", "--db",
                               str(batch)])
    assert out.exit_code != 0 and "coaches and leads only" in out.output
    assert rows(batch, "SELECT status FROM commitments WHERE id = ?", [cid]) == [("broken",)]
    out = runner.invoke(main, ["commitments", "done", "999999", "--db", str(batch)])
    assert out.exit_code != 0 and "no commitment 999999" in out.output
    out = runner.invoke(main, ["commitments", "--db", str(batch), "--status", "bogus"])
    assert out.exit_code != 0 and "bogus" in out.output and "open" in out.output
    # A re-run keeps the person's decision.
    runner.invoke(main, ["commitments", "done", str(cid), "--by", "coach", "--db", str(batch)])
    quote = rows(batch, "SELECT quote FROM commitments WHERE id = ?", [cid])[0][0]
    score(batch.parent / "later", batch, "--rescore")
    assert rows(batch, "SELECT status, updated_by FROM commitments WHERE quote = ?",
                [quote]) == [("done", "coach")]


def test_agents_cannot_change_commitments_in_the_query_layer(batch: Path) -> None:
    conn = queries.connect(batch)
    (cid,) = conn.execute("SELECT min(id) FROM commitments").fetchone()
    with pytest.raises(queries.AccessDenied):
        queries.set_commitment_status(conn, Viewer("agent", "agent", "a.one"), cid, "done")
    with pytest.raises(ValueError, match="unknown status"):
        queries.set_commitment_status(conn, LEAD, cid, "kept")
    assert conn.execute("SELECT status FROM commitments WHERE id = ?", [cid]).fetchone()[0] \
        == "open"
    conn.close()


def test_promised_times_resolve_for_the_simple_cases() -> None:
    call = "2026-03-04T09:00:00"  # a Wednesday
    assert due_time("today", call) == "2026-03-04T23:59:59+00:00"
    assert due_time("right now", call) == "2026-03-04T10:00:00+00:00"
    assert due_time("tomorrow", call) == "2026-03-05T23:59:59+00:00"
    assert due_time("friday", call) == "2026-03-06T23:59:59+00:00"
    assert due_time("wednesday", call) == "2026-03-11T23:59:59+00:00"
    assert due_time("next week", call) == "2026-03-15T23:59:59+00:00"
    assert due_time("within 24 hours", call) == "2026-03-05T09:00:00+00:00"
    assert due_time("two business days", call) == "2026-03-06T23:59:59+00:00"
    assert due_time("3 to 5 business days", "2026-03-06T09:00:00") == \
        "2026-03-13T23:59:59+00:00"
    assert due_time("by 9 a", call) is None  # a clock time: not resolved
    assert due_time("tomorrow", None) is None  # no call time: nothing to count from


def test_overview_shows_first_contact_resolution_and_promises_per_agent(batch: Path) -> None:
    conn = queries.connect(batch)
    follow = queries.follow_through(conn, LEAD, PERIOD)
    assert (follow["calls"], follow["repeats"], follow["fcr"]) == (4, 1, 0.75)
    one = next(r for r in follow["agents"] if r["agent"] == "a.one")
    # "tomorrow" on 1 March is long past: overdue while open.
    assert one["overdue"] >= 1 and one["kept"] == 0 and one["flagged"] == 3
    with pytest.raises(queries.AccessDenied):
        queries.follow_through(conn, Viewer("agent", "agent", "a.one"), PERIOD)
    conn.close()


def test_lead_sees_first_contact_resolution_and_marks_a_commitment_done(
        batch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DB", str(batch))
    accounts(batch)
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "overview.py"), default_timeout=60)
    at.session_state["viewer"] = LEAD
    at.run()
    at.date_input(key="overview-period").set_value((PERIOD.start, PERIOD.end)).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["First-contact resolution"] == "75%"
    assert metrics["Repeat contacts"] == "1"
    (cid,) = rows(batch, "SELECT min(id) FROM commitments WHERE call_id = 'first'")[0]
    at.selectbox(key="overview-promises-which").select(cid)
    next(b for b in at.button if b.label == "Mark done").click()
    at.run()
    assert not at.exception
    assert rows(batch, "SELECT status, updated_by FROM commitments WHERE id = ?", [cid]) == [
        ("done", "lead")]
    assert {m.label: m.value for m in at.metric}["Promises kept"] == "1"


def test_review_page_links_the_call_back_and_marks_a_promise_broken(
        batch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DB", str(batch))
    accounts(batch)
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "review.py"), default_timeout=60)
    at.session_state["viewer"] = Viewer("coach", "coach")
    at.query_params["call"] = "first"
    at.run()
    assert not at.exception
    assert any("Customer called back on 2026-03-04" in w.value for w in at.warning)
    assert any("possibly broken: the customer called again on 2026-03-04"
               in c.value.replace("\\", "") for c in at.caption)
    (cid,) = rows(batch, "SELECT max(id) FROM commitments WHERE call_id = 'first'")[0]
    at.selectbox(key="call-promises-which").select(cid)
    next(b for b in at.button if b.label == "Mark broken").click()
    at.run()
    assert rows(batch, "SELECT status, updated_by FROM commitments WHERE id = ?", [cid]) == [
        ("broken", "coach")]
    next(b for b in at.button if b.label.startswith("Open the call back")).click()
    at.run()
    assert not at.exception
    assert any("Repeat contact: the same customer called on 2026-03-01" in i.value
               for i in at.info)


def test_a_database_made_before_repeat_contacts_gets_them_when_opened(batch: Path) -> None:
    expected = rows(batch, "SELECT id, due_at, flag, flag_call_id FROM commitments ORDER BY id")
    conn = sqlite3.connect(batch)
    conn.execute("DROP TABLE callbacks")
    conn.execute("UPDATE commitments SET due_at = NULL, flag = NULL, flag_call_id = NULL")
    # As a database from before the follow-through schema step: that step not yet applied.
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0004_follow_through'")
    conn.commit()
    conn.close()
    store.open_db(batch).close()
    assert rows(batch, "SELECT earlier_id, later_id FROM callbacks") == [("first", "second")]
    assert rows(batch, "SELECT id, due_at, flag, flag_call_id FROM commitments "
                "ORDER BY id") == expected
