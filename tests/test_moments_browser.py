"""Good moments and coaching sessions in a real browser: Debian's headless Chromium driven by
Playwright against `streamlit run app.py` over the scored sample calls.

A coach marks a colleague's moment shareable and plays its clip; the agent then finds only
that one of the colleague's moments in the library, "how a colleague handled this" under
their coaching points, and a session the coach prepared, and nothing of the calls nobody
shared. The pages are screenshotted into the test's temporary folder (and into
$QA_SCREENSHOT_DIR when set, which is how docs/screenshots/ is refreshed).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from servers import dashboard_server

from qa import moments, queries
from qa.auth import Viewer, add_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 "--mute-audio"]
PASSWORD = "moments browser password"
AGENT = "dan.okafor"
SHARED = "call02_card_double_charge"  # dan.okafor's, shared with him
COLLEAGUE = "maria.lopez"
# The colleague's call whose sincere apology the coach shares in the browser.
SHAREABLE = "call01_internet_outage"

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_db(scored_samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scored sample calls: a coach, a lead, the agent dan.okafor with one
    shared review."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/test.sh installs it with apt)")
    path = tmp_path_factory.mktemp("moments-browser") / "qa.db"
    source, target = sqlite3.connect(scored_samples), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    conn = queries.connect(path)
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, AGENT)
    queries.set_shared(conn, Viewer("coach", "coach"), SHARED)
    conn.close()
    return path


@pytest.fixture(scope="module")
def server(browser_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served on a free localhost port; stopped after the module."""
    with dashboard_server(browser_db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[object]:
    """A fresh browser page (a new session, so signed out)."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1600},
                               accept_downloads=True)
        tab.set_default_timeout(30_000)
        tab.goto(server)
        try:
            yield tab
        finally:
            browser.close()


def sign_in(tab: object, name: str, landing: str) -> None:
    tab.get_by_role("textbox", name="Name").fill(name)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("heading", name=landing).wait_for()


def settle(tab: object, ms: int = 1500) -> None:
    """Let Streamlit finish the run."""
    tab.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    tab.wait_for_timeout(ms)


def keep(tab: object, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    tab.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    target = os.environ.get("QA_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / name)
    return shot


def unshared_calls(conn: sqlite3.Connection) -> list[str]:
    """Calls of other agents with no moment marked shareable."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM calls WHERE agent != ? AND id NOT IN (SELECT call_id FROM "
        "moment_curation WHERE shareable = 1)", [AGENT])]


def the_moment(db: Path) -> moments.MomentKey:
    conn = queries.connect(db)
    try:
        return next(m["key"] for m in moments.library(
            conn, Viewer("coach", "coach"), "apology", limit=100) if m["call_id"] == SHAREABLE)
    finally:
        conn.close()


def test_coach_shares_a_moment_and_the_agent_sees_only_that_one(
        page: object, browser_db: Path, tmp_path: Path) -> None:
    tab = page
    key = the_moment(browser_db)
    slug = "".join(ch if ch.isalnum() else "-" for ch in
                   f"{key.call_id}-{key.utterance_idx}-{key.label}")
    sign_in(tab, "coach", "Calls")
    tab.get_by_role("link", name="Good moments").click()
    tab.get_by_role("heading", name="Good moments").wait_for()
    tab.get_by_role("textbox", name="Situation (the customer's words)").fill(
        "internet down working from home")
    tab.keyboard.press("Enter")
    settle(tab)
    card = tab.locator(f".st-key-moment-{slug}")
    card.get_by_role("button", name="Mark shareable").click()
    card.get_by_role("button", name="Stop sharing").wait_for()
    card.get_by_role("button", name="Listen").click()
    card.locator("audio").wait_for(state="attached")
    assert tab.evaluate("document.querySelectorAll('audio').length") == 1
    conn = sqlite3.connect(browser_db)
    assert conn.execute("SELECT call_id, utterance_idx, label, shareable, updated_by FROM "
                        "moment_curation").fetchall() == [
        (key.call_id, key.utterance_idx, key.label, 1, "coach")]
    assert conn.execute("SELECT actor, action, call_id FROM audit_log WHERE action LIKE "
                        "'moment.%'").fetchall() == [("coach", "moment.share", SHAREABLE)]
    hidden = unshared_calls(conn)
    conn.close()
    settle(tab)
    tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    keep(tab, tmp_path, "good-moments.png")

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "agent", "My feedback")
    tab.get_by_role("link", name="Good moments").click()
    tab.get_by_role("heading", name="Good moments").wait_for()
    settle(tab)
    body = tab.locator("[data-testid=stMain]").inner_text()
    assert SHAREABLE in body and "A colleague" in body
    assert COLLEAGUE not in body  # the team setting is off: no names
    for call in hidden:
        assert call not in body, call
    # The one shared moment, and only those of the agent's own shared call besides.
    cards = tab.locator("[class*='st-key-moment-']")
    assert cards.count() >= 1
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        assert SHARED in text or SHAREABLE in text, text

    # A straight link to a moment nobody shared shows nothing of it.
    conn = queries.connect(browser_db)
    other = next(m["key"] for m in moments.library(conn, Viewer("coach", "coach"), limit=200)
                 if m["call_id"] in hidden)
    conn.close()
    tab.goto(tab.url.split("?")[0] + "?moment=" + other.text())
    tab.get_by_text("There is no such moment among those you may see").wait_for()
    body = tab.locator("[data-testid=stMain]").inner_text()
    assert other.call_id not in body


def test_agent_sees_how_a_colleague_handled_it_under_a_coaching_point(
        page: object, browser_db: Path, tmp_path: Path) -> None:
    conn = queries.connect(browser_db)
    coach = Viewer("coach", "coach")
    for m in moments.library(conn, coach, limit=200):
        if m["call_id"] == SHAREABLE:
            moments.curate(conn, coach, m["key"], "shareable", True)
    hidden = unshared_calls(conn)
    conn.close()
    tab = page
    sign_in(tab, "agent", "My feedback")
    tab.get_by_text("How a colleague handled this").first.wait_for()
    settle(tab)
    body = tab.locator("[data-testid=stMain]").inner_text()
    assert SHAREABLE in body and COLLEAGUE not in body
    for call in hidden:
        assert call not in body, call
    block = tab.locator("[class*='st-key-colleague-']").first
    block.scroll_into_view_if_needed()
    keep(tab, tmp_path, "colleague-moment.png")
    block.get_by_role("button", name="See it in Good moments").click()
    tab.get_by_role("heading", name="Good moments").wait_for()
    tab.get_by_role("button", name="All good moments").wait_for()
    tab.locator("[class*='st-key-moment-']").first.wait_for()
    settle(tab)
    assert SHAREABLE in tab.locator("[data-testid=stMain]").inner_text()


def test_coach_prepares_a_session_and_the_agent_reads_it(page: object, browser_db: Path,
                                                         tmp_path: Path) -> None:
    key = the_moment(browser_db)
    # The session is prepared through the same call the form makes (the form itself is
    # driven in tests/test_moments.py: Streamlit's option list redraws under a browser click).
    notes = "Listen to how <b>she</b> names the problem before the fix."
    conn = queries.connect(browser_db)
    moments.curate(conn, Viewer("coach", "coach"), key, "shareable", True)
    moments.create_session(conn, Viewer("coach", "coach"), AGENT,
                           queries.Period(date(2025, 3, 1), date(2025, 3, 31)), [key], notes)
    conn.close()
    tab = page
    sign_in(tab, "coach", "Calls")
    tab.get_by_role("link", name="Coaching sessions").click()
    tab.get_by_role("heading", name="Coaching sessions").wait_for()
    settle(tab)
    tab.get_by_test_id("stSelectbox").filter(has_text="Agent").locator("input").fill(AGENT)
    tab.keyboard.press("Enter")
    tab.get_by_role("heading", name="Good moments to learn from").wait_for()
    goal = "Name what went wrong in every apology"
    tab.get_by_role("textbox", name="Goal agreed").fill(goal)
    tab.get_by_role("button", name="Record goal").click()
    tab.get_by_text(goal).wait_for()
    settle(tab)
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download the session (HTML, print-ready)").click()
    document = Path(download.value.path()).read_text()
    assert goal in document and "&lt;b&gt;she&lt;/b&gt;" in document
    assert "<b>she</b>" not in document and SHAREABLE in document
    conn = sqlite3.connect(browser_db)
    assert [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE "
                                       "'session.%' ORDER BY id")] == [
        "session.create", "session.goal"]
    conn.close()
    tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    settle(tab, 800)
    keep(tab, tmp_path, "coaching-session.png")

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "agent", "My feedback")
    tab.get_by_role("link", name="Coaching sessions").click()
    tab.get_by_text(goal).wait_for()
    settle(tab)
    body = tab.locator("[data-testid=stMain]").inner_text()
    assert SHAREABLE in body and COLLEAGUE not in body
    conn = sqlite3.connect(browser_db)
    for call in unshared_calls(conn):
        assert call not in body, call
    conn.close()
    assert tab.get_by_role("button", name="Record goal").count() == 0
