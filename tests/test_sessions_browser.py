"""A sign-in that survives a reload, in a real browser: Debian's headless Chromium driven by
Playwright against `streamlit run app.py` on a free localhost port. The session token lives
in a cookie; a reload keeps the session, a tampered token, a sign-out or a disabled account
ends it."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import dashboard_server

from qa import auth, queries, store
from qa.auth import OPERATOR, add_user

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--mute-audio"]
PASSWORD = "browser session password"
COOKIE = "qa_session"

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def session_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with a lead and a coach."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/test.sh installs it with apt)")
    path = tmp_path_factory.mktemp("sessions") / "qa.db"
    db = store.open_db(path)
    add_user(db.conn, "lead", "lead", PASSWORD)
    add_user(db.conn, "coach", "coach", PASSWORD)
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def server(session_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on a free localhost port; stopped after the module."""
    with dashboard_server(session_db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture
def browser(server: str) -> Iterator[object]:
    """A fresh browser context (no cookies) with one tab on the dashboard."""
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        tab.goto(server)
        try:
            yield context, tab
        finally:
            chromium.close()


def sign_in(tab: object, name: str) -> None:
    tab.get_by_role("textbox", name="Name").fill(name)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def session_cookie(context: object) -> dict[str, object] | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def wait_for_cookie(context: object, tab: object, present: bool) -> dict[str, object] | None:
    """The session cookie once it is there (or gone), polled: the browser sets it a moment
    after the page renders."""
    for _ in range(100):
        cookie = session_cookie(context)
        if (cookie is not None) == present:
            return cookie
        tab.wait_for_timeout(100)
    raise AssertionError(f"session cookie {'never set' if present else 'never cleared'}")


def signed_in_as_coach(tab: object) -> None:
    tab.get_by_role("heading", name="Calls").wait_for()
    tab.get_by_text("Signed in as").wait_for()


def signed_out(tab: object) -> None:
    tab.get_by_role("button", name="Sign in").wait_for()
    assert tab.get_by_text("Signed in as").count() == 0


def test_reload_keeps_a_valid_session_and_a_tampered_token_signs_out(
        browser: tuple[object, object], server: str, session_db: Path) -> None:
    context, tab = browser
    sign_in(tab, "coach")
    signed_in_as_coach(tab)
    cookie = wait_for_cookie(context, tab, True)
    token = str(cookie["value"])
    conn = queries.connect(session_db)
    assert auth.viewer_for_token(conn, token) == auth.Viewer("coach", "coach")
    # The cookie lasts the configured session, not longer.
    assert abs(cookie["expires"] - (time.time() + auth.session_seconds())) < 120
    assert cookie["sameSite"] == "Strict"
    tab.reload()
    signed_in_as_coach(tab)
    tab.goto(server + "/calls")  # a new session opened on another URL, same cookie
    signed_in_as_coach(tab)
    # A token edited to name another account (the lead), signature kept: refused, cleared.
    head, payload, mac = token.split(".")
    forged = auth._unb64(payload).replace(b'"coach"', b'"lead"')
    context.add_cookies([{**cookie, "value": ".".join([head, auth._b64(forged), mac])}])
    tab.reload()
    signed_out(tab)
    wait_for_cookie(context, tab, False)
    # A well-formed token with a flipped signature character: refused too.
    context.add_cookies([{**cookie, "value": token[:-2] + ("A" if token[-2] != "A" else "B")
                          + token[-1]}])
    tab.reload()
    signed_out(tab)
    # The real token still works (nothing about it was changed server-side).
    context.add_cookies([{**cookie, "value": token}])
    tab.reload()
    signed_in_as_coach(tab)
    conn.close()


def test_sign_out_clears_the_cookie_and_disabling_ends_the_session(
        browser: tuple[object, object], session_db: Path) -> None:
    context, tab = browser
    sign_in(tab, "coach")
    signed_in_as_coach(tab)
    wait_for_cookie(context, tab, True)
    tab.get_by_role("button", name="Sign out").click()
    signed_out(tab)
    wait_for_cookie(context, tab, False)
    tab.reload()
    signed_out(tab)
    # Signed in again, then disabled by a lead: the next reload lands on the sign-in page
    # and the token stays dead after the account is enabled again.
    sign_in(tab, "coach")
    signed_in_as_coach(tab)
    token = str(wait_for_cookie(context, tab, True)["value"])
    conn = queries.connect(session_db)
    auth.set_disabled(conn, OPERATOR, "coach", True)
    tab.reload()
    signed_out(tab)
    auth.set_disabled(conn, OPERATOR, "coach", False)
    assert auth.viewer_for_token(conn, token) is None
    conn.close()
    raw = sqlite3.connect(session_db)
    assert raw.execute("SELECT count(*) FROM account_changes WHERE target = 'coach' AND "
                       "action IN ('disable', 'enable')").fetchone()[0] == 2
    raw.close()
