"""Privacy of comparisons: what an agent learns about colleagues from the team median and
their own trend. The query layer on a really scored database, and the My feedback page
through Streamlit's AppTest, as in test_dashboard.py."""

from __future__ import annotations

import json
import sqlite3
import statistics
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import queries
from qa.auth import Viewer, add_user
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
PERIOD = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
ME = "m.agent"
COLLEAGUES = [f"colleague.{i}" for i in range(1, 7)]
COACH = Viewer("coach", "coach")
AGENT = Viewer("me", "agent", ME)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine different dev-set calls scored by `qa score`: two of mine, one per colleague,
    and a spare, nothing shared yet; accounts for a coach and me."""
    folder = tmp_path_factory.mktemp("team") / "calls"
    folder.mkdir()
    sources = sorted(DEVSET.glob("*.json"))[:9]
    owners = [ME, ME, *COLLEAGUES, "spare.agent"]
    for i, (src, agent) in enumerate(zip(sources, owners, strict=True)):
        call = json.loads(src.read_text())
        call["call_id"], call["agent"] = f"call{i}", agent
        call["call_time"] = "2026-03-02T10:00:00"
        (folder / f"call{i}.json").write_text(json.dumps(call))
    db = folder.parent / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(db)
    add_user(conn, "coach", "coach", "correct horse battery")
    add_user(conn, "me", "agent", "correct horse battery", ME)
    conn.close()
    return db


@pytest.fixture
def db(scored: Path, tmp_path: Path) -> Path:
    """A private copy of the scored database for one test."""
    copy = tmp_path / "qa.db"
    # The backup API, not a file copy: the scoring run's last writes may still be in its WAL.
    source, target = sqlite3.connect(scored), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return copy


def share(db: Path, *agents: str) -> sqlite3.Connection:
    """Share every call of ``agents`` (as a coach would); returns a connection."""
    conn = queries.connect(db)
    for (call_id,) in conn.execute(
            f"SELECT id FROM calls WHERE agent IN ({', '.join('?' * len(agents))})", agents
    ).fetchall():
        queries.set_shared(conn, COACH, call_id)
    return conn


def means(conn: sqlite3.Connection, agent: str) -> dict[str, float]:
    """An agent's mean per criterion over their shared calls (what a colleague must not
    learn)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT criterion, avg(score) FROM score_facts sf WHERE agent = ? AND score IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM reviews r WHERE r.call_id = sf.call_id "
        "AND r.shared_at IS NOT NULL) GROUP BY criterion", [agent])}


def test_small_team_median_is_not_shown_to_an_agent(db: Path) -> None:
    # A team of three: with the old median an agent got a colleague's exact mean on most
    # criteria (solving with their own for the rest).
    conn = share(db, ME, *COLLEAGUES[:2])
    team = queries.team_medians(conn, AGENT, PERIOD)
    assert team["period"] == {} and team["trend"] == []
    assert team["colleagues"] == 2 and team["min_colleagues"] == queries.MIN_COLLEAGUES
    # Four colleagues are still too few; the coach sees the median at any size.
    conn = share(db, *COLLEAGUES[2:4])
    assert queries.team_medians(conn, AGENT, PERIOD)["period"] == {}
    assert queries.team_medians(conn, COACH, PERIOD)["period"]


def test_feedback_page_says_there_are_not_enough_colleagues(db: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    share(db, ME, *COLLEAGUES[:2]).close()
    monkeypatch.setenv("QA_DB", str(db))
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "feedback.py"), default_timeout=60)
    at.session_state["viewer"] = AGENT
    at.run()
    assert not at.exception
    assert any("Not enough colleagues to compare" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert table["Team median"].isna().all()


def test_median_comes_from_five_colleagues_shared_calls_only(db: Path) -> None:
    conn = share(db, ME, *COLLEAGUES[:5])
    # The sixth colleague's call is not shared; a coach's override on it must not move the
    # median, and neither must my own figures.
    unshared = conn.execute("SELECT id FROM calls WHERE agent = ?", [COLLEAGUES[5]]).fetchone()
    for criterion in ("empathy", "apology", "greeting_closing"):
        queries.set_override(conn, COACH, unshared[0], criterion, 0, "planted")
    team = queries.team_medians(conn, AGENT, PERIOD)
    assert team["colleagues"] == 5 and team["period"]
    per_agent = [means(conn, a) for a in COLLEAGUES[:5]]
    for criterion, median in team["period"].items():
        values = [m[criterion] for m in per_agent if criterion in m]
        assert len(values) >= queries.MIN_COLLEAGUES
        assert median == pytest.approx(statistics.median(values))
    assert all(len([m for m in per_agent if r["criterion"] in m]) >= queries.MIN_COLLEAGUES
               for r in team["trend"])


def test_agent_trend_counts_only_my_shared_calls(db: Path) -> None:
    conn = queries.connect(db)
    mine = [r[0] for r in conn.execute("SELECT id FROM calls WHERE agent = ? ORDER BY id", [ME])]
    queries.set_shared(conn, COACH, mine[0])
    # The coach marks down the unshared call before talking to me about it.
    queries.set_override(conn, COACH, mine[1], "empathy", 0, "not discussed yet")
    trend = queries.agent_trend(conn, AGENT, ME, PERIOD)
    shared_scores = {r[0]: r[1] for r in conn.execute(
        "SELECT criterion, score FROM score_facts WHERE call_id = ? AND score IS NOT NULL",
        [mine[0]])}
    assert {c: v["calls"] for c, v in trend["period"].items()} == {c: 1 for c in shared_scores}
    for criterion, stats in trend["period"].items():
        assert stats["average"] == pytest.approx(shared_scores[criterion])
    # Staff still see the agent over all their calls, override included.
    staff = queries.agent_trend(conn, COACH, ME, PERIOD)
    assert staff["period"]["empathy"]["calls"] == 2
