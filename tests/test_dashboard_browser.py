"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright against
`streamlit run app.py` on a free localhost port, over the scored sample calls.

A coach signs in, opens a call, clicks a finding (the audio's playhead must move to it) and
saves a note; then the overview (lead), the call review (coach) and the agent's page are
screenshotted into the test's temporary folder (and into $QA_SCREENSHOT_DIR when set, which
is how docs/screenshots/ is refreshed).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import dashboard_server, settle

from qa import queries
from qa.auth import Viewer, add_user
from qa.ui.common import clock, label_text

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 "--mute-audio"]
PASSWORD = "browser test password"
CALL = "call02_card_double_charge"
SHARED = "call01_internet_outage"

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_db(scored_samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scored sample calls with an account per role and one shared review."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/test.sh installs it with apt)")
    path = tmp_path_factory.mktemp("browser") / "qa.db"
    source = sqlite3.connect(scored_samples)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    conn = queries.connect(path)
    agent = conn.execute("SELECT agent FROM calls WHERE id = ?", [SHARED]).fetchone()[0]
    add_user(conn, "lead", "lead", PASSWORD)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "agent", "agent", PASSWORD, agent)
    coach = Viewer("coach", "coach")
    queries.add_note(conn, coach, SHARED, "Lovely empathy at the start. Next time, give the "
                     "customer a time for the engineer's call.")
    queries.set_shared(conn, coach, SHARED)
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
        tab = browser.new_page(viewport={"width": 1440, "height": 1600})
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


def keep(tab: object, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    tab.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    target = os.environ.get("QA_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / name)
    return shot


def test_coach_reviews_a_call_in_the_browser(page: object, browser_db: Path,
                                              tmp_path: Path) -> None:
    tab = page
    conn = sqlite3.connect(browser_db)
    start, label = conn.execute(
        "SELECT start, label FROM findings WHERE call_id = ? AND polarity = 'coaching' "
        "AND start > 5 ORDER BY start LIMIT 1", [CALL]).fetchone()
    conn.close()
    sign_in(tab, "coach", "Calls")
    tab.get_by_role("link", name="Call review").click()
    tab.get_by_role("textbox", name="Call id").fill(CALL)
    tab.get_by_role("button", name="Open").click()
    tab.locator("audio").wait_for(state="attached")
    settle(tab)
    assert tab.evaluate("document.querySelector('audio').currentTime") == 0
    tab.locator("button", has_text=f"{clock(start)} {label_text(label)}").first.click()
    tab.wait_for_function(f"() => document.querySelector('audio').currentTime >= {start - 2}")
    position = tab.evaluate("document.querySelector('audio').currentTime")
    assert start - 2 <= position <= start + 5, (start, position)

    note = "Talk through this moment on Friday: let her finish first."
    tab.get_by_role("textbox", name="Note", exact=True).fill(note)
    tab.get_by_role("button", name="Save note").click()
    tab.get_by_text(note).wait_for()
    conn = sqlite3.connect(browser_db)
    assert conn.execute("SELECT body, author FROM notes WHERE call_id = ?",
                        [CALL]).fetchall() == [(note, "coach")]
    conn.close()
    tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    settle(tab, 800)
    keep(tab, tmp_path, "call-review.png")


def test_overview_and_agent_page_screenshots(page: object, server: str,
                                             tmp_path: Path) -> None:
    tab = page
    sign_in(tab, "lead", "Team overview")
    tab.locator("[data-testid=stVegaLiteChart]").first.wait_for()
    settle(tab, 2500)
    assert tab.get_by_text("Calls", exact=True).count() >= 1
    keep(tab, tmp_path, "overview.png")

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "agent", "My feedback")
    settle(tab, 2500)
    assert tab.get_by_text("Lovely empathy at the start", exact=False).count() >= 1
    assert tab.get_by_text(CALL).count() == 0  # another agent's call is nowhere
    keep(tab, tmp_path, "agent-feedback.png")


def test_coach_marks_a_finding_and_the_lead_sees_calibration(page: object, browser_db: Path,
                                                             tmp_path: Path) -> None:
    tab = page
    conn = sqlite3.connect(browser_db)
    utterance, label = conn.execute(
        "SELECT utterance_idx, label FROM findings WHERE call_id = ? AND speaker = 'agent' "
        "AND label IN ('blame', 'interruption', 'empathy') ORDER BY start LIMIT 1",
        [CALL]).fetchone()
    conn.close()
    sign_in(tab, "coach", "Calls")
    tab.get_by_role("link", name="Call review").click()
    tab.get_by_role("textbox", name="Call id").fill(CALL)
    tab.get_by_role("button", name="Open").click()
    tab.get_by_role("heading", name="Check the machine's findings").wait_for()
    settle(tab)
    tab.locator(f".st-key-mark-{utterance}-{label}").get_by_text(
        "wrong", exact=True).click()
    tab.get_by_role("button", name="Save my marks").click()
    settle(tab)
    conn = sqlite3.connect(browser_db)
    assert conn.execute("SELECT utterance_idx, label, verdict, coach FROM finding_marks "
                        "WHERE call_id = ?", [CALL]).fetchall() == [
        (utterance, label, "wrong", "coach")]
    conn.close()

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "lead", "Team overview")
    tab.get_by_role("link", name="Calibration").click()
    tab.get_by_role("heading", name="Machine against coaches").wait_for()
    settle(tab)
    assert tab.get_by_text("1 calls checked by coaches", exact=False).count() == 1
    assert tab.get_by_text("machine: yes", exact=False).count() >= 1
    keep(tab, tmp_path, "calibration.png")


def test_agent_disputes_coach_resolves_agent_sees_outcome(page: object, browser_db: Path,
                                                          tmp_path: Path) -> None:
    """The dispute loop in the browser: the agent disputes a score of their shared review,
    the coach changes it on the Disputes page (its count on the sidebar), the agent reads the
    outcome and the reply."""
    tab = page
    sign_in(tab, "agent", "My feedback")
    settle(tab)
    assert tab.get_by_role("link", name="Disputes").count() == 0  # not an agent's page
    reason = "I did give the customer a time: tomorrow before noon."
    tab.get_by_role("textbox", name="Why (required)").fill(reason)
    tab.get_by_role("button", name="Send dispute").click()
    tab.get_by_text("waiting for your coach's answer", exact=False).wait_for()
    conn = sqlite3.connect(browser_db)
    [(dispute_id, criterion, status)] = conn.execute(
        "SELECT id, criterion, status FROM disputes WHERE call_id = ?", [SHARED]).fetchall()
    conn.close()
    assert status == "open"

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "coach", "Calls")
    tab.get_by_role("link", name="Disputes (1)").click()
    tab.get_by_role("heading", name="Disputes (1 open)").wait_for()
    tab.get_by_text(reason).wait_for()
    settle(tab)
    assert tab.get_by_text(reason).count() == 1
    keep(tab, tmp_path, "disputes.png")
    tab.get_by_text("Change the score", exact=True).click()
    tab.get_by_role("spinbutton", name="New score (when changing it)").fill("95")
    tab.get_by_role("textbox", name="Reply to the agent (required)").fill(
        "You did: I have changed the score.")
    tab.get_by_role("button", name="Resolve").click()
    tab.get_by_text("No open disputes").wait_for()
    conn = sqlite3.connect(browser_db)
    assert conn.execute("SELECT status, new_score, resolved_by FROM disputes WHERE id = ?",
                        [dispute_id]).fetchone() == ("changed", 95.0, "coach")
    assert conn.execute("SELECT score, author FROM overrides WHERE call_id = ? AND "
                        "criterion = ?", [SHARED, criterion]).fetchone() == (95.0, "coach")
    assert [r[0] for r in conn.execute(
        "SELECT action FROM audit_log WHERE call_id = ? ORDER BY id", [SHARED])][-3:] == [
        "dispute.open", "override.set", "dispute.resolve"]
    conn.close()

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, "agent", "My feedback")
    tab.get_by_text("to 95 by coach", exact=False).first.wait_for()
    tab.get_by_text("You did: I have changed the score.").first.wait_for()
