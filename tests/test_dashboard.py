"""The dashboard, page by page and role by role, through Streamlit's AppTest, and the query
layer that enforces roles underneath it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from qa import queries
from qa.auth import Viewer, add_user, authenticate
from qa.cli import main
from qa.ui.components import turn_html

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DEVSET = ROOT / "tests" / "devset"
PASSWORD = "correct horse battery"
PAGES = ["overview", "calls", "review", "coaching", "batch", "feedback"]
EVIL = ('<script>alert("x")</script> <b>bold</b> <img src=x onerror=alert(1)> '
        '**stars** [link](javascript:alert(1)) :red[colour] $x$')


@pytest.fixture
def dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A scored database: four dev-set calls, one with hostile transcript text; accounts for
    each role; one call of each agent shared."""
    folder = tmp_path / "calls"
    folder.mkdir()
    names = sorted(DEVSET.glob("*.json"))[:4]
    for src in names:
        shutil.copy(src, folder / src.name)
    evil = json.loads(names[0].read_text())
    evil["call_id"], evil["agent"] = "evil_call", "x.evil"
    evil["utterances"][1]["text"] = EVIL
    (folder / "evil_call.json").write_text(json.dumps(evil))
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(db_path)
    calls = {r["id"]: r["agent"] for r in conn.execute("SELECT id, agent FROM calls ORDER BY id")}
    mine, theirs = [c for c in calls if c != "evil_call"][:2]
    own_unshared = "evil_call"
    conn.execute("UPDATE calls SET agent = ? WHERE id = ?", [calls[mine], own_unshared])
    conn.commit()
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, calls[mine])
    add_user(conn, "other", "agent", PASSWORD, calls[theirs])
    coach = Viewer("coach", "coach")
    queries.set_shared(conn, coach, mine)
    queries.set_shared(conn, coach, theirs)
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))
    monkeypatch.setenv("QA_SCORE_ROOT", str(folder))
    return {"db": str(db_path), "mine": mine, "theirs": theirs, "unshared": own_unshared,
            "agent": calls[mine], "other_agent": calls[theirs], "root": str(folder)}


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def sign_in(name: str, password: str = PASSWORD) -> AppTest:
    at = app().run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    button(at, "Sign in").click()
    return at.run()


def button(at: AppTest, label: str) -> Button:
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    """Everything a page shows as text (Markdown, captions, HTML blocks, alerts)."""
    parts = [e.value for e in [*at.markdown, *at.caption, *at.title, *at.subheader,
                                *at.error, *at.warning, *at.info]]
    parts += [h.proto.body for h in at.html]
    return "\n".join(str(p) for p in parts)


def no_data(at: AppTest) -> bool:
    # The one script that sets or clears the session cookie shows nothing and holds no data.
    shown = [h for h in at.html if "document.cookie" not in h.proto.body]
    return not (at.dataframe or shown or at.get("vega_lite_chart") or at.metric
                or at.get("audio"))


def run_page(page: str, who: Viewer | None, query: dict[str, str] | None = None) -> AppTest:
    """Run one page file on its own (as a URL straight to it would), signed in as ``who``."""
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / f"{page}.py"), default_timeout=60)
    if who is not None:
        at.session_state["viewer"] = who
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def db_rows(dash: dict[str, str], sql: str, params: list[object] | None = None) -> list[tuple]:
    conn = sqlite3.connect(dash["db"])
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


# --- sign-in -----------------------------------------------------------------------------------

def test_nothing_shows_before_sign_in(dash: dict[str, str]) -> None:
    at = app().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Call QA Coach"]
    assert no_data(at)
    for page in PAGES:  # a URL straight to a page file: the page itself refuses too
        at = run_page(page, None, {"call": dash["mine"]})
        assert not at.exception, page
        assert "Please sign in first" in texts(at), page
        assert no_data(at), page


def test_wrong_password_and_unknown_name_are_refused(dash: dict[str, str]) -> None:
    for name, password in [("coach", "wrong password"), ("nobody", PASSWORD), ("coach", "")]:
        at = sign_in(name, password)
        assert "Wrong name or password" in texts(at)
        assert "viewer" not in at.session_state
        assert [t.value for t in at.title] == ["Call QA Coach"] and no_data(at)


def test_repeated_failures_lock_the_name_for_a_while(dash: dict[str, str]) -> None:
    for _ in range(5):
        sign_in("lead", "nope nope nope")
    at = sign_in("lead")  # even the right password is refused while locked
    assert "Too many failed attempts" in texts(at)
    assert "viewer" not in at.session_state


def test_passwords_are_hashed_and_checked(dash: dict[str, str]) -> None:
    stored = db_rows(dash, "SELECT password_hash FROM users WHERE name = 'coach'")[0][0]
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    conn = queries.connect(dash["db"])
    assert authenticate(conn, "COACH", PASSWORD) == Viewer("coach", "coach")
    assert authenticate(conn, "coach", PASSWORD + "x") is None


def test_sign_out_forgets_the_session(dash: dict[str, str]) -> None:
    at = sign_in("coach")
    assert [t.value for t in at.title] == ["Calls"]
    button(at, "Sign out").click()
    at.run()
    assert "viewer" not in at.session_state
    assert [t.value for t in at.title] == ["Call QA Coach"] and no_data(at)


def test_a_disabled_account_is_signed_out_on_the_next_render(dash: dict[str, str]) -> None:
    at = sign_in("coach")
    conn = sqlite3.connect(dash["db"])
    conn.execute("UPDATE users SET disabled = 1 WHERE name = 'coach'")
    conn.commit()
    at.run()
    assert [t.value for t in at.title] == ["Call QA Coach"] and no_data(at)


# --- pages per role ----------------------------------------------------------------------------

def test_lead_pages_render(dash: dict[str, str]) -> None:
    at = sign_in("lead")
    assert not at.exception and [t.value for t in at.title] == ["Team overview"]
    assert at.metric and at.get("vega_lite_chart")
    for page, title in [("calls", "Calls"), ("coaching", "Coaching points"),
                        ("batch", "Batch scoring"), ("review", "Call review")]:
        at.switch_page(f"qa/ui/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert [t.value for t in at.title] == [title]


def test_coach_pages_render_and_lead_pages_are_refused(dash: dict[str, str]) -> None:
    at = sign_in("coach")
    assert not at.exception and [t.value for t in at.title] == ["Calls"]
    assert at.dataframe
    at.switch_page("qa/ui/coaching.py").run()
    assert not at.exception and "Recurring coaching points" in texts(at)
    with pytest.raises(ValueError):  # not even in the coach's navigation
        at.switch_page("qa/ui/overview.py")
    for page in ("overview", "batch", "feedback"):
        at = run_page(page, Viewer("coach", "coach"))
        assert "not available to your role" in texts(at) and no_data(at), page
    with pytest.raises(queries.AccessDenied):
        queries.overview_totals(queries.connect(dash["db"]), Viewer("coach", "coach"),
                                queries.Period(date.today(), date.today()))


def test_agent_sees_only_their_shared_calls(dash: dict[str, str]) -> None:
    at = sign_in("agent")
    assert not at.exception and [t.value for t in at.title] == ["My feedback"]
    # Ids are shown Markdown-escaped ("air\\_bag"), so compare without the backslashes.
    shown = (texts(at) + " ".join(e.label for e in at.expander)).replace("\\", "")
    assert dash["mine"] in shown
    assert dash["theirs"] not in shown and dash["unshared"] not in shown
    for page in ("overview", "calls", "review", "coaching", "batch"):
        with pytest.raises(ValueError):
            at.switch_page(f"qa/ui/{page}.py")


def test_agent_opening_another_agents_call_by_any_route_is_refused(
        dash: dict[str, str]) -> None:
    me = Viewer("agent", "agent", dash["agent"])
    for call in (dash["theirs"], dash["unshared"], "no-such-call"):
        at = run_page("feedback", me, {"call": call})
        assert not at.exception
        assert "not one of the reviews shared with you" in texts(at)
        assert no_data(at), call
        assert call == "no-such-call" or not any(
            call in h.proto.body for h in at.html)
    for page in ("review", "calls", "coaching", "overview", "batch"):
        at = run_page(page, me, {"call": dash["theirs"], "agent": dash["other_agent"]})
        assert "not available to your role" in texts(at) and no_data(at), page
    # A viewer that claims another agent id in the session still gets only its own account.
    at = run_page("feedback", Viewer("agent", "agent", dash["other_agent"]),
                  {"call": dash["theirs"]})
    assert "not one of the reviews shared with you" in texts(at) and no_data(at)
    # The query layer refuses on its own, whatever a page asks.
    conn = queries.connect(dash["db"])
    period = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
    assert queries.get_call(conn, me, dash["theirs"]) is None
    assert queries.get_call(conn, me, dash["unshared"]) is None
    assert queries.call_audio(conn, me, dash["theirs"]) is None
    assert [c["call_id"] for c in queries.shared_calls(conn, me, dash["other_agent"])] == [
        dash["mine"]]
    for name, args in [("list_calls", (queries.CallQuery(period),)),
                       ("agent_points", (dash["other_agent"], period)),
                       ("agent_trend", (dash["other_agent"], period)),
                       ("criterion_averages", (period,)), ("recent_runs", ()),
                       ("agent_criterion_matrix", (period,))]:
        with pytest.raises(queries.AccessDenied):
            getattr(queries, name)(conn, me, *args)
    with pytest.raises(queries.AccessDenied):
        queries.add_note(conn, me, dash["mine"], "hi")
    with pytest.raises(queries.AccessDenied):
        queries.set_override(conn, me, dash["mine"], "empathy", 100, "because")
    with pytest.raises(LookupError):
        queries.acknowledge(conn, me, dash["theirs"], "mine now")
    assert queries.agent_points(conn, me, dash["agent"], period)["calls"] == 1  # shared only
    assert db_rows(dash, "SELECT count(*) FROM acknowledgements")[0][0] == 0


def test_agent_opens_own_shared_call(dash: dict[str, str]) -> None:
    at = run_page("feedback", Viewer("agent", "agent", dash["agent"]), {"call": dash["mine"]})
    assert not at.exception
    assert any(dash["mine"].replace("_", "\\_") in t.value for t in at.title)
    assert at.html and at.dataframe


# --- coach's work is stored --------------------------------------------------------------------

def open_review(call_id: str, who: str = "coach") -> AppTest:
    at = sign_in(who)
    at.query_params["call"] = call_id
    return at.switch_page("qa/ui/review.py").run()


def test_coach_override_is_stored_beside_the_machine_score(dash: dict[str, str]) -> None:
    call = dash["theirs"]
    machine = db_rows(dash, "SELECT score FROM scores WHERE call_id = ? AND criterion = "
                      "'empathy'", [call])[0][0]
    at = open_review(call)
    assert not at.exception
    at.selectbox(key="override-criterion").select("empathy")
    at.number_input(key="override-score").set_value(95.0)
    button(at, "Save override").click()
    at.run()
    assert db_rows(dash, "SELECT count(*) FROM overrides")[0][0] == 0  # no reason: refused
    assert "needs a reason" in texts(at)
    at.selectbox(key="override-criterion").select("empathy")
    at.number_input(key="override-score").set_value(95.0)
    at.text_input(key="override-reason").input("She did acknowledge it, in other words.")
    button(at, "Save override").click()
    at.run()
    assert not at.exception
    row = db_rows(dash, "SELECT score, machine_score, reason, author FROM overrides "
                  "WHERE call_id = ? AND criterion = 'empathy'", [call])
    assert row == [(95.0, machine, "She did acknowledge it, in other words.", "coach")]
    assert db_rows(dash, "SELECT score FROM scores WHERE call_id = ? AND criterion = "
                   "'empathy'", [call])[0][0] == machine
    table = at.dataframe[0].value
    empathy = table[table["Criterion"] == "Empathy"].iloc[0]
    assert empathy["Machine"] == machine and empathy["Coach"] == 95.0 and empathy["Used"] == 95
    # Aggregates use the coach's score.
    assert db_rows(dash, "SELECT score, machine_score FROM score_facts WHERE call_id = ? "
                   "AND criterion = 'empathy'", [call]) == [(95.0, machine)]


def test_review_shows_redaction_and_flags_roles_told_apart_with_low_confidence(
        dash: dict[str, str]) -> None:
    roles = {"method": "text", "agent_voice": 1, "confidence": 0.4, "needs_review": True,
             "cues": [[], ["thank you for calling"]]}
    conn = sqlite3.connect(dash["db"])
    conn.execute("UPDATE calls SET redacted = ?, roles = ?, roles_review = 1 WHERE id = ?",
                 [json.dumps({"CARD": 2, "PHONE": 1}), json.dumps(roles), dash["theirs"]])
    conn.commit()
    conn.close()
    at = open_review(dash["theirs"])
    assert not at.exception
    shown = texts(at)
    assert "Personal data redacted before scoring: 2 CARD, 1 PHONE" in shown
    # As typed, once Markdown's escapes are taken off (the cues are the call's own words).
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "low confidence" in warning and "confirm or swap them below" in warning
    assert "confidence 0.40" in warning and "thank you for calling" in warning
    # A call stored unredacted, from a stereo channel mapping: neither line.
    plain = texts(open_review(dash["mine"]))
    assert "redacted" not in plain and "low confidence" not in plain

    # The coach swaps them: the call is re-scored with the speakers exchanged, the flag is
    # cleared, and the decision is remembered for re-runs.
    before = db_rows(dash, "SELECT idx, speaker FROM utterances WHERE call_id = ? ORDER BY idx",
                     [dash["theirs"]])
    button(at, "Swap agent and customer").click()
    at.run()
    assert not at.exception
    after = db_rows(dash, "SELECT idx, speaker FROM utterances WHERE call_id = ? ORDER BY idx",
                    [dash["theirs"]])
    swap = {"agent": "customer", "customer": "agent"}
    assert after == [(i, swap.get(s, s)) for i, s in before]
    assert db_rows(dash, "SELECT swapped, decided_by FROM role_decisions WHERE call_id = ?",
                   [dash["theirs"]]) == [(1, "coach")]
    assert db_rows(dash, "SELECT roles_review FROM calls WHERE id = ?",
                   [dash["theirs"]]) == [(0,)]
    assert "swapped by coach" in texts(at) and not at.warning
    # Only staff decide: the server refuses an agent whatever the page shows.
    agent = Viewer("other", "agent", dash["other_agent"])
    with pytest.raises(queries.AccessDenied):
        queries.decide_roles(queries.connect(dash["db"]), agent, dash["theirs"], swap=True)


def test_coach_note_on_a_finding_and_on_the_call_are_stored(dash: dict[str, str]) -> None:
    at = open_review(dash["theirs"])
    finding = db_rows(dash, "SELECT id, label FROM findings WHERE call_id = ? AND "
                      "polarity = 'coaching' ORDER BY start LIMIT 1", [dash["theirs"]])[0]
    at.selectbox(key="note-target").select(finding[0])
    at.text_area(key="note-body").input("Listen to this bit together on Friday.")
    button(at, "Save note").click()
    at.run()
    at.text_area(key="note-body").input("Good call overall.")
    at.checkbox(key="note-for-agent").uncheck()
    button(at, "Save note").click()
    at.run()
    assert not at.exception
    rows = db_rows(dash, "SELECT finding_id, body, author, for_agent FROM notes ORDER BY id")
    assert rows == [(finding[0], "Listen to this bit together on Friday.", "coach", 1),
                    (None, "Good call overall.", "coach", 0)]
    assert "Listen to this bit together on Friday." in texts(at)
    # The agent reads the note meant for them, not the coaches-only one.
    other = Viewer("other", "agent", dash["other_agent"])
    at = run_page("feedback", other, {"call": dash["theirs"]})
    assert "Listen to this bit" in texts(at) and "Good call overall" not in texts(at)


def test_mark_reviewed_and_share_with_the_agent(dash: dict[str, str]) -> None:
    call = dash["unshared"]
    at = open_review(call)
    button(at, "Mark reviewed").click()
    at.run()
    assert db_rows(dash, "SELECT reviewed_by, shared_at FROM reviews WHERE call_id = ?",
                   [call]) == [("coach", None)]
    assert queries.get_call(queries.connect(dash["db"]),
                            Viewer("agent", "agent", dash["agent"]), call) is None
    button(at, "Share with agent").click()
    at.run()
    assert db_rows(dash, "SELECT shared_by FROM reviews WHERE call_id = ?", [call]) == [
        ("coach",)]
    assert queries.get_call(queries.connect(dash["db"]),
                            Viewer("agent", "agent", dash["agent"]), call) is not None


def test_agent_acknowledgement_is_stored_with_time(dash: dict[str, str]) -> None:
    at = sign_in("agent")
    at.text_area(key=f"ack-text-{dash['mine']}").input("Got it, I'll slow down.")
    button(at, "Acknowledge").click()
    at.run()
    assert not at.exception
    rows = db_rows(dash, "SELECT call_id, user, comment, created_at FROM acknowledgements")
    assert len(rows) == 1 and rows[0][:3] == (dash["mine"], "agent", "Got it, I'll slow down.")
    assert rows[0][3].startswith(time.strftime("%Y", time.gmtime()))
    assert "You acknowledged this" in texts(at)


# --- safety of transcript text ----------------------------------------------------------------

def test_transcript_html_and_markdown_are_shown_as_text(dash: dict[str, str]) -> None:
    at = open_review("evil_call")
    assert not at.exception
    bodies = [h.proto.body for h in at.html]
    turn = next(b for b in bodies if "alert" in b)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in turn
    assert "<script" not in "".join(bodies) and "<img" not in "".join(bodies)
    assert "&lt;b&gt;bold&lt;/b&gt;" in turn
    assert "**stars** [link](javascript:alert(1))" in turn  # HTML, so no Markdown either


def test_turn_html_escapes_every_piece() -> None:
    utterance = {"speaker": "agent<x>", "start": 1.0, "text": 'a <i>b</i> & "c"'}
    finding = {"quote": "<i>b</i>", "polarity": "coaching", "label": "<label>"}
    out = turn_html(utterance, [finding])
    assert "<i>" not in out and "&lt;i&gt;b&lt;/i&gt;</mark>" in out
    assert "Agent&lt;x&gt;" in out and "&amp; &quot;c&quot;" in out
    assert 'title="&lt;label&gt;"' in out


# --- call list and queries ---------------------------------------------------------------------

def test_call_list_filters_search_sort_and_pages(dash: dict[str, str]) -> None:
    conn = queries.connect(dash["db"])
    coach = Viewer("coach", "coach")
    period = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
    everything = queries.list_calls(conn, coach, queries.CallQuery(period))
    assert everything.total == 5
    word = "refund"
    hits = queries.list_calls(conn, coach, queries.CallQuery(period, text=word))
    assert 0 < hits.total < 5 and all(word in (r["match"] or "").lower() for r in hits.rows)
    assert queries.list_calls(conn, coach, queries.CallQuery(
        period, text='" OR 1=1 --')).total == 0  # searched for, not parsed
    low = queries.list_calls(conn, coach, queries.CallQuery(period, criterion="empathy",
                                                            below=50))
    assert all(r["criterion_score"] < 50 for r in low.rows)
    by_score = queries.list_calls(conn, coach, queries.CallQuery(period, sort="overall",
                                                                 descending=False))
    scores = [r["overall"] for r in by_score.rows if r["overall"] is not None]
    assert scores == sorted(scores)
    paged = queries.list_calls(conn, coach, queries.CallQuery(period, page=2, page_size=2))
    assert paged.pages == 3 and len(paged.rows) == 2
    assert {r["call_id"] for r in paged.rows}.isdisjoint(
        {r["call_id"] for r in queries.list_calls(conn, coach, queries.CallQuery(
            period, page=1, page_size=2)).rows})
    queries.set_reviewed(conn, coach, dash["theirs"])
    assert queries.list_calls(conn, coach, queries.CallQuery(period, reviewed="no")).total == 3
    at = sign_in("coach")
    at.text_input(key="calls-text").input(word).run()
    assert not at.exception and len(at.dataframe[0].value) == hits.total


def test_coaching_points_rank_by_cost_with_examples(dash: dict[str, str]) -> None:
    conn = queries.connect(dash["db"])
    period = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
    result = queries.agent_points(conn, Viewer("coach", "coach"), dash["agent"], period)
    assert result["calls"] == 2 and result["points"]
    costs = [p["points"] for p in result["points"]]
    assert costs == sorted(costs, reverse=True)
    assert all(1 <= len(p["examples"]) <= 3 for p in result["points"])
    assert all(ex["call_id"] in (dash["mine"], dash["unshared"])
               for p in result["points"] for ex in p["examples"])


def test_fact_tables_follow_rescoring_and_overrides(dash: dict[str, str]) -> None:
    def consistent() -> None:
        assert db_rows(dash, "SELECT count(*) FROM call_facts") == db_rows(
            dash, "SELECT count(*) FROM calls")
        assert db_rows(dash, "SELECT count(*), count(score) FROM score_facts") == db_rows(
            dash, "SELECT count(*), count(score) FROM scores")
        assert db_rows(dash, "SELECT sum(n) FROM agent_week") == db_rows(
            dash, "SELECT count(score) FROM score_facts")
        assert db_rows(dash, "SELECT sum(n) FROM agent_month") == db_rows(
            dash, "SELECT count(score) FROM score_facts")
        total = db_rows(dash, "SELECT round(sum(score), 3) FROM score_facts")
        assert db_rows(dash, "SELECT round(sum(total), 3) FROM agent_week") == total
        assert db_rows(dash, "SELECT round(sum(total), 3) FROM agent_month") == total

    consistent()
    version = db_rows(dash, "SELECT value FROM meta WHERE key = 'data_version'")[0][0]
    conn = queries.connect(dash["db"])
    queries.set_override(conn, Viewer("coach", "coach"), dash["mine"], "blame", 12, "why")
    consistent()
    result = CliRunner().invoke(main, ["score", dash["root"], "--db", dash["db"],
                                       "--rescore"])
    assert result.exit_code == 0, result.output
    consistent()
    assert db_rows(dash, "SELECT score FROM score_facts WHERE call_id = ? AND criterion = "
                   "'blame'", [dash["mine"]]) == [(12.0,)]  # override survives a re-score
    assert db_rows(dash, "SELECT value FROM meta WHERE key = 'data_version'")[0][0] != version


# --- batch page --------------------------------------------------------------------------------

def test_batch_folder_must_be_inside_the_root(dash: dict[str, str], tmp_path: Path) -> None:
    from qa.ui.batch import safe_name, within_root

    root = Path(dash["root"])
    (root / "sub").mkdir()
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    assert within_root(root, "sub") == (root / "sub").resolve()
    assert within_root(root, ".") == root.resolve()
    for bad in ("..", "../outside", str(tmp_path / "outside"), "link", "/etc", "missing"):
        with pytest.raises(ValueError):
            within_root(root, bad)
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\x.flac") == "x.flac" and safe_name(".hidden.wav") == "hidden.wav"
    at = sign_in("lead")
    at.switch_page("qa/ui/batch.py").run()
    at.text_input(key="batch-typed").input("../").run()
    assert "outside the scoring root" in texts(at)
    assert not [b for b in at.button if b.label == "Score this folder"]


def test_batch_runs_in_the_background_and_shows_progress(dash: dict[str, str],
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    root = tmp_path / "drop"
    (root / "today").mkdir(parents=True)
    for src in sorted(DEVSET.glob("*.json"))[4:6]:
        shutil.copy(src, root / "today" / src.name)
    (root / "today" / "broken.json").write_text("{not json")
    monkeypatch.setenv("QA_SCORE_ROOT", str(root))
    at = sign_in("lead")
    at.switch_page("qa/ui/batch.py").run()
    at.selectbox(key="batch-folder").select("today").run()
    before = db_rows(dash, "SELECT max(id) FROM runs")[0][0]
    button(at, "Score this folder").click()
    at.run()
    assert not at.exception
    assert at.get("progress")  # shown at once, before the subprocess has done anything
    deadline = time.time() + 120
    while time.time() < deadline:
        status = db_rows(dash, "SELECT status FROM runs WHERE id > ?", [before])
        if status and status[0][0] == "finished":
            break
        time.sleep(0.5)
    files = db_rows(dash, "SELECT status FROM run_files WHERE run_id = "
                    "(SELECT max(id) FROM runs) ORDER BY path")
    assert sorted(s for (s,) in files) == ["failed", "scored", "scored"]
    # A fresh session (a reload) shows the finished batch from the database.
    at = sign_in("lead")
    at.switch_page("qa/ui/batch.py").run()
    assert not at.exception
    assert any("Finished: 3 of 3" in (p.proto.progress_bar_text if hasattr(
        p.proto, "progress_bar_text") else str(p.proto)) for p in at.get("progress"))
    assert "failed" in at.dataframe[0].value["status"].tolist()


# --- qa users add ------------------------------------------------------------------------------

def test_users_add_reads_the_password_from_stdin_and_hashes_it(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    run = CliRunner().invoke
    result = run(main, ["users", "add", "maria", "--role", "agent", "--agent", "maria.lopez",
                        "--db", db], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    conn = queries.connect(db)
    assert authenticate(conn, "maria", "a long enough password") == Viewer(
        "maria", "agent", "maria.lopez")
    assert "a long enough password" not in str(conn.execute("SELECT * FROM users").fetchall())
    for args, stdin, message in [
            (["sam", "--role", "coach"], "\n", "at least 10"),  # no default password
            (["sam", "--role", "agent"], "long password\n", "needs --agent"),
            (["sam", "--role", "boss"], "long password\n", "Invalid value"),
            (["maria", "--role", "coach"], "long password\n", "already an account")]:
        result = run(main, ["users", "add", *args, "--db", db], input=stdin)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_users_list_shows_accounts_without_their_hashes(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    run = CliRunner().invoke
    queries.connect(db).close()  # an existing database (users list never creates one)
    assert "no accounts" in run(main, ["users", "list", "--db", db]).output
    run(main, ["users", "add", "ana", "--role", "lead", "--db", db], input="a long password\n")
    listed = run(main, ["users", "list", "--db", db]).output
    assert listed.split("\t")[:2] == ["ana", "lead"]
    assert "argon2" not in listed
