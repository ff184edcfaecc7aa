"""Complaint themes: planted root causes are recovered, a theme keeps its id and name as calls
are added, only leads and coaches read themes (the page is a lead's), and a redacted call's
words stay redacted in themes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score
from streamlit.testing.v1 import AppTest

from qa import queries, store, themes
from qa.auth import Viewer, add_user
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from themes_bench import save  # noqa: E402
from themes_data import generate  # noqa: E402

CAUSES = ["double_charge", "delivery_missing", "login_locked", "flight_cancelled",
          "damaged_item"]
END = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
LEAD = Viewer("lead", "lead")
COACH = Viewer("coach", "coach")
AGENT = Viewer("agent", "agent", "maria.lopez")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """300 scored calls about five planted causes, themes not yet computed."""
    path = tmp_path_factory.mktemp("themes") / "base.db"
    calls = generate(300, 3, END - timedelta(weeks=1), causes=CAUSES)
    save(path, calls)
    return path, calls


@pytest.fixture
def db_path(planted: tuple[Path, list], tmp_path: Path) -> Path:
    path = tmp_path / "qa.db"
    shutil.copy(planted[0], path)
    return path


def _ari(db_path: Path, calls: list) -> float:
    db = store.open_db(db_path)
    got = themes.assignments(db)
    db.close()
    pairs = [(c.cause, got[c.transcript.call_id]) for c in calls
             if got.get(c.transcript.call_id) is not None]
    assert len(pairs) >= 0.8 * len(calls)
    return adjusted_rand_score([p for p, _ in pairs], [f for _, f in pairs])


def test_planted_causes_are_recovered(db_path: Path, planted: tuple[Path, list]) -> None:
    db = store.open_db(db_path)
    result = themes.update(db)
    names = themes.theme_names(db)
    db.close()
    assert result.new_themes
    assert result.pending <= 0.15 * result.with_statements  # small leftovers wait
    assert _ari(db_path, planted[1]) >= 0.8
    # Each theme is named by words its calls use.
    joined = " ".join(names.values())
    for word in ("charge", "flight", "locked", "cancelled"):
        assert word in joined


def test_adding_calls_keeps_every_theme_id_and_name(db_path: Path,
                                                    planted: tuple[Path, list]) -> None:
    db = store.open_db(db_path)
    themes.update(db)
    before = themes.theme_names(db)
    db.close()
    same = generate(60, 11, END, weeks=1, prefix="same", causes=CAUSES)
    fresh = generate(30, 12, END, weeks=1, prefix="fresh", causes=["app_crash"])
    save(db_path, same + fresh)
    db = store.open_db(db_path)
    result = themes.update(db)
    after = themes.theme_names(db)
    got = themes.assignments(db)
    db.close()
    assert {k: after[k] for k in before} == before
    # Only the new calls were looked at; the known causes joined their themes, the new
    # cause became a theme of its own.
    assert result.calls == 90
    old = [got.get(c.transcript.call_id) in before for c in same]
    assert sum(old) >= 0.7 * len(same)
    assert result.new_themes
    crash = {got[c.transcript.call_id] for c in fresh if got.get(c.transcript.call_id)}
    assert crash and crash <= set(result.new_themes)
    assert _ari(db_path, planted[1] + same + fresh) >= 0.8
    # Nothing new: nothing changes.
    db = store.open_db(db_path)
    again = themes.update(db)
    db.close()
    assert again.calls == 0 and not again.new_themes


def test_report_has_sizes_trend_repeats_scores_examples_and_links(db_path: Path) -> None:
    db = store.open_db(db_path)
    themes.update(db)
    db.close()
    conn = queries.connect(db_path)
    period = queries.Period(*queries.date_range(conn, LEAD))
    report = queries.themes(conn, LEAD, period)
    assert report.calls == sum(t["size"] for t in report.themes)
    assert report.repeat_known and report.queues  # the generator sets customer and queue
    top = report.themes[0]
    assert sum(top["weeks"].values()) == top["size"]
    assert 0 <= top["mean_score"] <= 100 and 0 <= top["repeat_share"] <= 1
    assert len(top["examples"]) == 2
    links = queries.theme_calls(conn, LEAD, top["id"], period)
    assert len(links) == top["size"]
    assert {e["call_id"] for e in top["examples"]} <= {r["call_id"] for r in links}
    orders = queries.themes(conn, LEAD, period, "orders")
    assert 0 < orders.calls < report.calls


def test_agents_cannot_read_themes(db_path: Path) -> None:
    db = store.open_db(db_path)
    themes.update(db)
    db.close()
    conn = queries.connect(db_path)
    period = queries.Period(*queries.date_range(conn, LEAD))
    for call in (lambda v: queries.themes(conn, v, period),
                 lambda v: queries.theme_calls(conn, v, 1, period),
                 lambda v: queries.theme_queues(conn, v),
                 lambda v: queries.update_themes(conn, v)):
        with pytest.raises(queries.AccessDenied):
            call(AGENT)
    with pytest.raises(queries.AccessDenied):
        queries.update_themes(conn, COACH)
    assert queries.themes(conn, COACH, period).themes


def _page(db_path: Path, who: Viewer, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QA_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "themes.py"), default_timeout=60)
    at.session_state["viewer"] = who
    return at.run()


def test_page_shows_themes_to_a_lead_and_refuses_others(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = store.open_db(db_path)
    themes.update(db)
    names = themes.theme_names(db)
    db.close()
    conn = sqlite3.connect(db_path)
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, "maria.lopez")
    conn.close()
    at = _page(db_path, LEAD, monkeypatch)
    assert not at.exception
    shown = set(at.dataframe[0].value["Name"])
    assert shown == set(names.values())
    for who in (AGENT, COACH):
        at = _page(db_path, who, monkeypatch)
        assert not at.exception
        assert [e.value for e in at.error] == ["This page is not available to your role."]
        assert not at.dataframe and not at.expander


def _card_call(n: int) -> dict:
    card = "4111 1111 1111 1111"
    return {"call_id": f"red-{n:03d}", "agent": "sam.chen", "utterances": [
        {"speaker": "agent", "start": 0.0, "end": 3.0,
         "text": "Thank you for calling, this is Sam, how can I help?"},
        {"speaker": "customer", "start": 3.5, "end": 12.0,
         "text": f"I have a problem, my card {card} was charged twice for the same order, "
                 f"write to me at jo{n}@example.com"},
        {"speaker": "agent", "start": 12.5, "end": 16.0,
         "text": "I'm sorry about that, I'll refund the second payment by Friday."},
        {"speaker": "customer", "start": 16.5, "end": 18.0, "text": "Okay thanks."},
        {"speaker": "agent", "start": 18.5, "end": 36.0,
         "text": "You're welcome, you'll see it on your statement within three days."},
    ]}


def test_redacted_calls_stay_redacted_in_themes(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for n in range(12):
        (folder / f"red-{n:03d}.json").write_text(json.dumps(_card_call(n)))
    db_path = tmp_path / "qa.db"
    runner = CliRunner()
    result = runner.invoke(main, ["score", str(folder), "--db", str(db_path), "--redact"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["themes", "--db", str(db_path), "--period", "3650"])
    assert result.exit_code == 0, result.output
    assert "[CARD]" in result.output
    conn = queries.connect(db_path)
    report = queries.themes(conn, LEAD, queries.Period(*queries.date_range(conn, LEAD)))
    stored = [tuple(r) for table in ("themes", "theme_calls", "theme_terms")
              for r in conn.execute(f"SELECT * FROM {table}")]
    everything = result.output + repr(report) + repr(stored)
    assert report.themes and report.themes[0]["examples"]
    assert "4111" not in everything and "example.com" not in everything
    assert "1111" not in everything


def test_queue_filter_says_when_there_is_no_queue(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for n in range(10):
        (folder / f"red-{n:03d}.json").write_text(json.dumps(_card_call(n)))
    db_path = tmp_path / "qa.db"
    runner = CliRunner()
    assert runner.invoke(main, ["score", str(folder), "--db", str(db_path)]).exit_code == 0
    result = runner.invoke(main, ["themes", "--db", str(db_path), "--queue", "billing"])
    assert result.exit_code == 0, result.output
    assert "no 'queue' column" in result.output
    assert "repeat contacts: not known" in result.output


def test_themes_are_in_the_leads_navigation_only(db_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = store.open_db(db_path)
    themes.update(db)
    db.close()
    conn = sqlite3.connect(db_path)
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, "maria.lopez")
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))

    def sign_in(name: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.text_input(key="signin_name").input(name)
        at.text_input(key="signin_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Sign in").click()
        return at.run()

    lead = sign_in("lead")
    lead.switch_page("qa/ui/themes.py").run()
    assert not lead.exception
    assert [t.value for t in lead.title] == ["Complaint themes"] and lead.dataframe
    agent = sign_in("agent")
    with pytest.raises(ValueError):  # not in an agent's navigation
        agent.switch_page("qa/ui/themes.py")


def test_lead_updates_themes_from_the_page(db_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(db_path)
    add_user(conn, "lead", "lead", PASSWORD)
    conn.close()
    at = _page(db_path, LEAD, monkeypatch)
    assert not at.dataframe and "No themes" in at.info[0].value
    next(b for b in at.button if b.label == "Update themes").click()
    at.run()
    assert not at.exception and at.dataframe
    db = store.open_db(db_path)
    assert set(at.dataframe[0].value["Name"]) == set(themes.theme_names(db).values())
    db.close()
