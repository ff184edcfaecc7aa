"""Good moments and coaching sessions (issue 16, items 3 and 4): who sees which moment, the
coaches' curation and its audit rows, search by situation, "how a colleague handled this",
sessions with goals and progress, and the pages through Streamlit's AppTest."""

from __future__ import annotations

import io
import shutil
import sqlite3
import wave
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import moments, queries
from qa.auth import Viewer, add_user
from qa.cli import main
from qa.moments import MomentKey

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
PASSWORD = "moments test password"
# Two car-rental complaints (m.brennan apologises in a scripted way; l.moreau both ways), and
# sincere apologies of three other agents about other problems.
CALLS = {"d3_04_car_rental": "m.brennan", "car_rental_039": "l.moreau",
         "card_block_016": "a.rivera", "bank_dup_004": "p.sharma",
         "car_repair_009": "j.okafor"}
ME, OTHER = "m.brennan", "l.moreau"
MINE, THEIRS = "d3_04_car_rental", "car_rental_039"
EVIL = '<script>alert("x")</script> <b>bold</b> **stars** [x](javascript:alert(1))'
COACH = Viewer("coach", "coach")
LEAD = Viewer("lead", "lead")
AGENT = Viewer("agent", "agent", ME)
PERIOD = queries.Period(date(2000, 1, 1), date(2100, 1, 1))


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five dev-set calls of five agents, scored once by `qa score`."""
    folder = tmp_path_factory.mktemp("moments") / "calls"
    folder.mkdir()
    for name in CALLS:
        shutil.copy(DEVSET / f"{name}.json", folder / f"{name}.json")
    db_path = folder.parent / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return db_path


@pytest.fixture
def db(scored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the scored calls with a lead, a coach, an agent (m.brennan, one shared call)
    and another agent (l.moreau, their call shared with them)."""
    path = tmp_path / "qa.db"
    source, target = sqlite3.connect(scored), sqlite3.connect(path)
    source.backup(target)  # WAL mode: a file copy could miss what the log still holds
    source.close()
    target.close()
    conn = queries.connect(path)
    assert dict(conn.execute("SELECT id, agent FROM calls")) == CALLS
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, ME)
    add_user(conn, "other", "agent", PASSWORD, OTHER)
    queries.set_shared(conn, COACH, MINE)
    queries.set_shared(conn, COACH, THEIRS)
    conn.close()
    monkeypatch.setenv("QA_DB", str(path))
    yield path


def connect(path: Path) -> sqlite3.Connection:
    return queries.connect(path)


def tuples(rows: list[sqlite3.Row]) -> list[tuple[object, ...]]:
    return [tuple(r) for r in rows]


def their_moment(conn: sqlite3.Connection, call: str = THEIRS,
                 criterion: str = "apology") -> MomentKey:
    return next(m["key"] for m in moments.library(conn, COACH, criterion, limit=100)
                if m["call_id"] == call)


def share_all(conn: sqlite3.Connection, criterion: str = "apology") -> None:
    for m in moments.library(conn, COACH, criterion, limit=100):
        moments.curate(conn, COACH, m["key"], "shareable", True)


# --- who sees which moment ------------------------------------------------------------------

def test_coaches_see_every_good_moment_with_quote_context_call_and_time(db: Path) -> None:
    conn = connect(db)
    found = moments.library(conn, COACH, limit=500)
    sincere = [m for m in found if m["label"] == "apology:sincere"]
    expected = conn.execute("SELECT count(DISTINCT call_id || '/' || utterance_idx) FROM findings"
                            " WHERE label = 'apology:sincere'").fetchone()[0]
    assert len(sincere) == expected > 0
    for m in sincere:
        assert m["quote"] and m["agent"] == CALLS[m["call_id"]] and m["start"] is not None
        assert m["context"]  # the customer's words before it
        assert m["kind"] == "Sincere apology"


def test_an_agent_sees_own_shared_moments_and_only_shareable_ones_of_others(db: Path) -> None:
    conn = connect(db)
    mine_or_shared = moments.library(conn, AGENT, limit=500)
    assert {m["call_id"] for m in mine_or_shared} <= {MINE}
    key = their_moment(conn)
    assert moments.get_moment(conn, AGENT, key) is None
    assert moments.moment_audio(conn, AGENT, key) is None

    moments.curate(conn, COACH, key, "shareable", True)
    seen = [m for m in moments.library(conn, AGENT, limit=500) if m["call_id"] != MINE]
    assert [m["key"] for m in seen] == [key]
    assert seen[0]["agent"] is None  # the colleague is not named by default
    assert moments.get_moment(conn, AGENT, key) is not None

    moments.curate(conn, COACH, key, "hidden", True)  # hidden beats shareable
    assert all(m["call_id"] == MINE for m in moments.library(conn, AGENT, limit=500))
    assert moments.get_moment(conn, AGENT, key) is None
    moments.curate(conn, COACH, key, "hidden", False)
    moments.curate(conn, COACH, key, "shareable", False)
    assert moments.get_moment(conn, AGENT, key) is None
    # A viewer claiming another agent id in its session gets only that account's own.
    assert all(m["call_id"] == THEIRS for m in moments.library(
        conn, Viewer("other", "agent", OTHER), limit=500))


def test_colleagues_names_follow_the_team_setting(db: Path) -> None:
    conn = connect(db)
    key = their_moment(conn)
    moments.curate(conn, COACH, key, "shareable", True)
    assert moments.get_moment(conn, AGENT, key)["agent"] is None
    with pytest.raises(queries.AccessDenied):
        moments.set_show_names(conn, COACH, True)
    moments.set_show_names(conn, LEAD, True)
    assert moments.get_moment(conn, AGENT, key)["agent"] == OTHER
    assert tuples(conn.execute("SELECT actor, action, target, before, after FROM audit_log WHERE "
                        "action = 'setting.change'").fetchall()) == [
        ("lead", "setting.change", moments.SHOW_NAMES, "false", "true")]


def test_curation_is_staff_only_and_every_change_is_audit_logged(db: Path) -> None:
    conn = connect(db)
    key = their_moment(conn)
    with pytest.raises(queries.AccessDenied):
        moments.curate(conn, AGENT, key, "shareable", True)
    with pytest.raises(LookupError):
        moments.curate(conn, COACH, MomentKey(THEIRS, 999, "apology:sincere"), "pinned", True)
    for flag in ("pinned", "shareable", "hidden"):
        moments.curate(conn, COACH, key, flag, True)
    moments.curate(conn, COACH, key, "hidden", True)  # no change: no row
    moments.curate(conn, LEAD, key, "hidden", False)
    rows = tuples(conn.execute("SELECT actor, action, call_id FROM audit_log WHERE action LIKE "
                        "'moment.%' ORDER BY id").fetchall())
    assert rows == [("coach", "moment.pin", THEIRS), ("coach", "moment.share", THEIRS),
                    ("coach", "moment.hide", THEIRS), ("lead", "moment.unhide", THEIRS)]
    assert tuples(conn.execute("SELECT pinned, hidden, shareable, updated_by FROM moment_curation"
                        ).fetchall()) == [(1, 0, 1, "lead")]
    # Pinned moments come first.
    assert moments.library(conn, COACH, "apology", limit=1)[0]["key"] == key


def test_search_by_situation_finds_the_calls_about_that_problem(db: Path) -> None:
    conn = connect(db)
    found = moments.library(conn, COACH, situation="card declined in Lisbon", limit=50)
    assert found and found[0]["call_id"] == "card_block_016"
    rental = moments.library(conn, COACH, "apology", situation="returned the rental car",
                             limit=50)
    assert rental and rental[0]["call_id"] == THEIRS  # d3_04 has no sincere apology
    assert moments.library(conn, COACH, situation="zebra xylophone quasar") == []
    with pytest.raises(ValueError):
        moments.library(conn, COACH, "greeting_closing")


# --- how a colleague handled this -------------------------------------------------------------

def coaching_finding(conn: sqlite3.Connection, call: str) -> int:
    return conn.execute("SELECT id FROM findings WHERE call_id = ? AND label = "
                        "'apology:scripted' ORDER BY start DESC LIMIT 1", [call]).fetchone()[0]


def test_a_coaching_point_links_the_most_similar_shareable_moment_of_another_agent(
        db: Path) -> None:
    conn = connect(db)
    point = coaching_finding(conn, MINE)
    assert moments.colleague_moment(conn, COACH, point) is None  # nothing shareable yet
    share_all(conn)
    found = moments.colleague_moment(conn, AGENT, point)
    # Of four agents' sincere apologies, the other car-rental complaint's.
    assert found is not None and found["call_id"] == THEIRS
    assert found["label"] == "apology:sincere" and found["agent"] is None
    # Never the agent's own moment, even when it is the most similar one.
    own = moments.colleague_moment(conn, COACH, coaching_finding(conn, THEIRS))
    assert own is not None and CALLS[own["call_id"]] != OTHER
    # Only shareable ones, and never hidden ones.
    moments.curate(conn, COACH, found["key"], "hidden", True)
    again = moments.colleague_moment(conn, AGENT, point)
    assert again is not None and again["key"] != found["key"]
    # An agent cannot ask about a point on another agent's call.
    assert moments.colleague_moment(conn, AGENT, coaching_finding(conn, THEIRS)) is None


# --- coaching sessions ------------------------------------------------------------------------

def test_a_session_keeps_points_moments_goals_and_shows_progress_next_time(db: Path) -> None:
    conn = connect(db)
    share_all(conn)
    own = moments.library(conn, COACH, agent=ME, limit=5)[0]["key"]
    theirs = their_moment(conn)
    first = moments.create_session(conn, COACH, ME, PERIOD, [own, theirs], "Bring headphones")
    goal = moments.add_goal(conn, COACH, first, "apology", "Name the problem when apologising")
    session = moments.get_session(conn, COACH, first)
    assert session is not None and session["agent"] == ME and session["points"]
    assert {m["key"] for m in session["moments"]} == {own, theirs}
    [g] = session["goals"]
    now, calls = moments.criterion_mean(conn, COACH, ME, None, None, "apology")
    assert (g["baseline"], g["baseline_calls"]) == (now, calls) and calls == 1
    assert session["progress"] == []  # a first session has nothing to look back on

    # Weeks later (the goal was agreed before the call), the next session shows progress.
    conn.execute("UPDATE session_goals SET created_at = '2001-01-01', baseline = 20 "
                 "WHERE id = ?", [goal])
    conn.commit()
    second = moments.create_session(conn, COACH, ME, PERIOD)
    [p] = moments.get_session(conn, COACH, second)["progress"]
    assert (p["goal"], p["baseline"], p["now"], p["now_calls"]) == (
        "Name the problem when apologising", 20, now, 1)
    assert p["change"] == round(now - 20, 1)
    # The agent reads the same figures (the agent's call here was shared; a goal is measured
    # over all of the agent's calls either way).
    assert moments.get_session(conn, AGENT, second)["progress"] == [p]
    actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE "
                                          "'session.%' ORDER BY id")]
    assert actions == ["session.create", "session.goal", "session.create"]
    with pytest.raises(queries.AccessDenied):
        moments.create_session(conn, AGENT, ME, PERIOD)
    with pytest.raises(queries.AccessDenied):
        moments.add_goal(conn, AGENT, first, "apology", "me")
    with pytest.raises(ValueError):
        moments.add_goal(conn, COACH, first, "apology", "   ")


def test_an_agent_sees_a_colleagues_moment_in_a_session_only_while_it_is_shareable(
        db: Path) -> None:
    conn = connect(db)
    theirs = their_moment(conn)
    with pytest.raises(ValueError):  # not shareable: cannot go into another agent's session
        moments.create_session(conn, COACH, ME, PERIOD, [theirs])
    moments.curate(conn, COACH, theirs, "shareable", True)
    session_id = moments.create_session(conn, COACH, ME, PERIOD, [theirs])
    assert [m["key"] for m in moments.get_session(conn, AGENT, session_id)["moments"]] == [
        theirs]
    moments.curate(conn, COACH, theirs, "shareable", False)
    assert moments.get_session(conn, AGENT, session_id)["moments"] == []
    assert [m["key"] for m in moments.get_session(conn, COACH, session_id)["moments"]] == [
        theirs]
    other = Viewer("other", "agent", OTHER)
    assert moments.get_session(conn, other, session_id) is None
    with pytest.raises(queries.AccessDenied):
        moments.sessions(conn, other, ME)


def test_the_session_page_download_escapes_every_text(db: Path) -> None:
    conn = connect(db)
    session_id = moments.create_session(conn, COACH, ME, PERIOD, notes=EVIL)
    moments.add_goal(conn, COACH, session_id, "empathy", EVIL)
    document = moments.session_html(moments.get_session(conn, COACH, session_id))
    assert "<script>" not in document and "<b>bold</b>" not in document
    assert document.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2
    assert document.startswith("<!doctype html>") and "@media print" in document


def test_practice_results_come_from_the_agents_practice_answers(db: Path) -> None:
    conn = connect(db)
    assert moments.practice_results(conn, ME) == []
    conn.execute("INSERT INTO practice_sets (id, agent, title, created_by, created_at) "
                 "VALUES (1, ?, 'set', 'coach', '2026-01-01')", [ME])
    conn.execute("INSERT INTO practice_items (id, set_id, position, agent, call_id, "
                 "finding_label, criterion, moment_idx, prompt, context) VALUES "
                 "(1, 1, 0, ?, ?, 'apology:scripted', 'apology', 3, 'p', 'c')", [ME, MINE])
    conn.executemany("INSERT INTO practice_attempts (item_id, agent, user, mode, answer, score, "
                     "result, created_at) VALUES (1, ?, 'agent', 'typed', 'a', ?, '{}', "
                     "'2026-01-02')", [(ME, 60), (ME, 80), (OTHER, 10)])
    conn.commit()
    assert moments.practice_results(conn, ME) == [
        {"criterion": "apology", "answers": 2, "mean": 70.0}]
    session = moments.get_session(conn, COACH, moments.create_session(conn, COACH, ME, PERIOD))
    assert session["practice"] == [{"criterion": "apology", "answers": 2, "mean": 70.0}]
    assert "<h2>Practice</h2>" in moments.session_html(session)


# --- the pages (AppTest) ----------------------------------------------------------------------

def run_page(page: str, who: Viewer, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / f"{page}.py"), default_timeout=60)
    at.session_state["viewer"] = who
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def shown(at: AppTest) -> str:
    """Everything the page shows as text, Markdown escapes removed."""
    parts = [e.value for e in [*at.markdown, *at.caption, *at.title, *at.subheader,
                                *at.error, *at.warning, *at.info]]
    parts += [h.proto.body for h in at.html]
    parts += [str(o) for s in at.selectbox for o in s.options]
    parts += [str(o) for s in at.multiselect for o in s.options]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def others_calls(text: str) -> set[str]:
    return {call for call, agent in CALLS.items() if agent != ME and call in text}


def test_library_page_never_shows_an_agent_another_agents_call_unless_shareable(
        db: Path) -> None:
    conn = connect(db)
    at = run_page("library", AGENT)
    assert not at.exception
    assert others_calls(shown(at)) == set()
    assert not [b for b in at.button if b.label in ("Pin", "Hide", "Mark shareable")]
    key = their_moment(conn)
    at = run_page("library", AGENT, {"moment": key.text()})
    assert "no such moment" in shown(at) and others_calls(shown(at)) == set()

    moments.curate(conn, COACH, key, "shareable", True)
    at = run_page("library", AGENT)
    assert others_calls(shown(at)) == {THEIRS}
    assert OTHER not in shown(at) and "A colleague" in shown(at)
    at = run_page("library", AGENT, {"moment": key.text()})
    assert others_calls(shown(at)) == {THEIRS} and not at.error


def test_coach_curates_on_the_library_page(db: Path) -> None:
    conn = connect(db)
    key = their_moment(conn)
    at = run_page("library", COACH)
    assert not at.exception
    at.selectbox(key="moments-criterion").select("apology").run()
    assert others_calls(shown(at)) >= {THEIRS, "card_block_016"}
    slug = "".join(ch if ch.isalnum() else "-" for ch in
                   f"{key.call_id}-{key.utterance_idx}-{key.label}")
    at.button(key=f"shareable-{slug}").click().run()
    assert not at.exception
    assert tuples(conn.execute("SELECT shareable, updated_by FROM moment_curation"
                               ).fetchall()) == [(1, "coach")]
    assert tuples(conn.execute("SELECT action FROM audit_log WHERE action LIKE 'moment.%'"
                        ).fetchall()) == [("moment.share",)]
    at.button(key=f"pinned-{slug}").click().run()
    assert tuple(conn.execute("SELECT pinned FROM moment_curation").fetchone()) == (1,)
    at.text_input(key="moments-situation").input("card declined abroad").run()
    cards = [m.value for m in at.markdown if " · call " in m.value]
    assert "card\\_block\\_016" in cards[0]


def test_coaching_points_show_how_a_colleague_handled_it(db: Path) -> None:
    conn = connect(db)
    for criterion in moments.CRITERIA:
        share_all(conn, criterion)
    at = run_page("review", COACH, {"call": MINE})
    assert not at.exception
    text = shown(at)
    assert "How a colleague handled this" in text and THEIRS in text
    assert OTHER not in text.split("How a colleague handled this")[1][:600]
    at = run_page("feedback", AGENT)
    assert not at.exception
    text = shown(at)
    assert "How a colleague handled this" in text
    assert others_calls(text) <= {THEIRS, "card_block_016", "bank_dup_004", "car_repair_009"}
    # Withdrawn: the link disappears for the agent.
    conn.execute("UPDATE moment_curation SET shareable = 0")
    conn.commit()
    at = run_page("feedback", AGENT)
    assert "How a colleague handled this" not in shown(at) and others_calls(shown(at)) == set()


def test_sessions_page_coach_prepares_agent_reads_only_what_is_theirs_or_shared(
        db: Path) -> None:
    conn = connect(db)
    theirs = their_moment(conn)
    moments.curate(conn, COACH, theirs, "shareable", True)
    at = run_page("sessions", COACH)
    assert not at.exception
    at.selectbox(key="sessions-agent").select(ME).run()
    at.multiselect(key="sessions-moments").select(theirs.text())
    at.text_area(key="sessions-notes").input("Listen to how this one names the problem")
    at.button(key="FormSubmitter:session-new-Prepare session").click().run()
    assert not at.exception
    [(session_id, agent)] = conn.execute("SELECT id, agent FROM coaching_sessions").fetchall()
    assert agent == ME
    at.text_input(key="goal-text").input("Say what went wrong in the apology")
    at.selectbox(key="goal-criterion").select("apology")
    at.button(key="FormSubmitter:session-goal-Record goal").click().run()
    assert tuples(conn.execute("SELECT session_id, criterion, goal FROM session_goals"
                               ).fetchall()) == [
        (session_id, "apology", "Say what went wrong in the apology")]
    assert at.get("download_button")

    at = run_page("sessions", AGENT)
    assert not at.exception
    text = shown(at)
    assert "Say what went wrong in the apology" in text and THEIRS in text
    assert others_calls(text) == {THEIRS} and OTHER not in text
    assert not at.get("form")
    moments.curate(conn, COACH, theirs, "shareable", False)
    at = run_page("sessions", AGENT)
    assert others_calls(shown(at)) == set()
    # The other agent has no sessions and sees none of m.brennan's.
    at = run_page("sessions", Viewer("other", "agent", OTHER))
    assert "No coaching sessions yet" in shown(at) and MINE not in shown(at)


def test_every_role_has_the_new_pages_in_its_navigation(db: Path) -> None:
    for name, landing in [("agent", "My feedback"), ("coach", "Calls"),
                          ("lead", "Team overview")]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.text_input(key="signin_name").input(name)
        at.text_input(key="signin_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Sign in").click()
        at.run()
        assert [t.value for t in at.title] == [landing]
        for page, title in (("library", "Good moments"), ("sessions", "Coaching sessions")):
            at.switch_page(f"qa/ui/{page}.py").run()
            assert not at.exception, (name, page, at.exception)
            assert [t.value for t in at.title] == [title]


# --- clips ------------------------------------------------------------------------------------

def write_wav(path: Path, seconds: float, tone: bool) -> None:
    """A mono 16 kHz WAV: a 440 Hz tone, or silence."""
    t = np.arange(int(seconds * 16000)) / 16000
    samples = 0.5 * np.sin(2 * np.pi * 440 * t) if tone else np.zeros_like(t)
    path.write_bytes(moments.wav_bytes([samples.astype(np.float32)], 16000))


def test_a_clip_is_cut_around_the_moment_and_a_redacted_call_plays_only_its_copy(
        db: Path, tmp_path: Path) -> None:
    conn = connect(db)
    key = their_moment(conn)
    m = moments.get_moment(conn, COACH, key)
    length = float(m["end"]) + 30
    original, copy = tmp_path / "original.wav", tmp_path / "redacted.wav"
    write_wav(original, length, tone=True)
    write_wav(copy, length, tone=False)
    conn.execute("UPDATE calls SET source_path = ? WHERE id = ?", [str(original), THEIRS])
    conn.commit()
    data, mime = moments.moment_audio(conn, COACH, key)
    assert mime == "audio/wav"
    with wave.open(io.BytesIO(data)) as clip:
        seconds = clip.getnframes() / clip.getframerate()
        loud = np.abs(np.frombuffer(clip.readframes(clip.getnframes()), "<i2")).max()
    # From the customer's words before it (at most 12 s) to a second after it, not the call.
    assert m["end"] - m["start"] + 1 <= seconds <= m["end"] - m["start"] + 13.5 < length
    assert loud > 10_000
    assert moments.moment_audio(conn, AGENT, key) is None  # not shareable: not for the agent

    # Redacted: the original is never used; the redacted copy when there is one.
    conn.execute("UPDATE calls SET redacted = '{}', redacted_audio = NULL WHERE id = ?",
                 [THEIRS])
    conn.commit()
    assert moments.moment_audio(conn, COACH, key) is None
    conn.execute("UPDATE calls SET redacted_audio = ? WHERE id = ?", [str(copy), THEIRS])
    conn.commit()
    data, _ = moments.moment_audio(conn, COACH, key)
    with wave.open(io.BytesIO(data)) as clip:
        assert not np.frombuffer(clip.readframes(clip.getnframes()), "<i2").any()


def test_the_store_reads_every_kind_of_good_moment_the_library_names() -> None:
    # The store layer builds its SQL from its own label list (it may not import qa.moments):
    # a kind added to the library but not to the store would never be found.
    from qa.store import moments as moment_store

    assert set(moments.KINDS) == {*moment_store.STRENGTH_LABELS, moment_store.RECOVERY}
