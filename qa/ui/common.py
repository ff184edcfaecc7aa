"""What every dashboard page shares: settings, the database, who is signed in, cached queries,
and plain-language names for criteria and finding labels."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import streamlit as st

from qa import auth, queries, store
from qa.auth import Viewer
from qa.detectors import CONTRACTS, LABELS
from qa.text import clock as call_clock

VIEWER_KEY = "viewer"
# The page scripts, by absolute path: the app runs the same from a checkout and from an
# installed package, whatever the working folder.
PAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    """Where the database is and which folder the batch page may score from."""

    db: Path
    root: Path


def settings() -> Settings:
    """``streamlit run app.py -- --db PATH --root DIR``, else $QA_DB / $QA_SCORE_ROOT, else
    ``qa.db`` and ``./sample_calls``."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--db")
    parser.add_argument("--root")
    # Only our two options: anything else on the command line (pytest's own) is not ours.
    args, _ = parser.parse_known_args(sys.argv[1:])
    db = args.db or os.environ.get("QA_DB") or store.DEFAULT_DB
    root = args.root or os.environ.get("QA_SCORE_ROOT") or "sample_calls"
    return Settings(Path(db).resolve(), Path(root).resolve())


@st.cache_resource(show_spinner=False)
def _prepare(db_path: str) -> bool:
    """Create or upgrade the schema once per database per server process."""
    store.open_db(db_path).conn.close()
    return True


def open_review(call_id: str) -> None:
    """Go to the call review page showing ``call_id``."""
    st.switch_page(PAGE_DIR / "review.py", query_params={"call": call_id})


def connect() -> sqlite3.Connection:
    """A connection to the configured database for this render."""
    path = str(settings().db)
    _prepare(path)
    return queries.connect(path)


def viewer(conn: sqlite3.Connection) -> Viewer | None:
    """Who is signed in, re-read from the accounts table on every render, so a changed role
    or a disabled account takes effect at once. None when nobody is signed in.

    A new browser session (a reload) finds its sign-in in the session cookie
    (``auth.viewer_for_token``), which is checked the same way; a cookie that no longer holds
    (tampered, expired, password changed, account disabled) is cleared from the browser.
    """
    current = st.session_state.get(VIEWER_KEY)
    if current is None:
        claims = _oidc_claims()
        if claims is not None:
            current = auth.viewer_for_sso(conn, claims)
    if current is None and not st.session_state.get(NO_COOKIE_KEY):
        token = session_cookie()
        if token:
            current = auth.viewer_for_token(conn, token)
            if current is None:
                forget_session_cookie()
            else:
                st.session_state[TOKEN_KEY] = token
    if not isinstance(current, Viewer):
        return None
    # A session that holds a token is checked against it on every render, so a password
    # reset or the session's end also closes a page that stays open, not only a reload.
    token = st.session_state.get(TOKEN_KEY)
    fresh = (auth.viewer_for_token(conn, token) if token else auth.current(conn, current))
    if fresh is None or fresh.user != current.user:
        st.session_state.pop(VIEWER_KEY, None)
        st.session_state.pop(TOKEN_KEY, None)
        forget_session_cookie()
        return None
    st.session_state[VIEWER_KEY] = fresh
    return fresh


# --- the session cookie ------------------------------------------------------------------------
# Streamlit reads cookies only from the request that opened the session and cannot set one, so
# the browser sets and clears it with a few lines of JavaScript (st.html); the value is a signed
# token (qa.auth.issue_token) made of base64url and dots only, so it is safe inside the script.
COOKIE = "qa_session"
TOKEN_KEY = "_session_token"  # the token this session was signed in with
NO_COOKIE_KEY = "_session_cookie_off"  # this session signed out: ignore the cookie it opened with
_COOKIE_SCRIPT_KEY = "_session_cookie_script"


def session_cookie() -> str | None:
    """The session token the browser sent when this session opened, if any."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (tests, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def remember_session(conn: sqlite3.Connection, who: Viewer) -> None:
    """After a sign-in: have the browser keep a session token for ``auth.session_seconds()``
    (set by ``write_session_cookie`` on the next render)."""
    token = auth.issue_token(conn, who)
    st.session_state.pop(NO_COOKIE_KEY, None)
    st.session_state[TOKEN_KEY] = token
    st.session_state[_COOKIE_SCRIPT_KEY] = (
        f"{COOKIE}={token}; Max-Age={auth.session_seconds()}; Path=/; SameSite=Strict")


def forget_session_cookie() -> None:
    """Sign-out: ignore the cookie this session opened with and clear it from the browser."""
    st.session_state[NO_COOKIE_KEY] = True
    st.session_state[_COOKIE_SCRIPT_KEY] = f"{COOKIE}=; Max-Age=0; Path=/; SameSite=Strict"


def write_session_cookie() -> None:
    """Send a pending cookie change to the browser (once; called by app.py on every render)."""
    cookie = st.session_state.pop(_COOKIE_SCRIPT_KEY, None)
    if not cookie:
        return
    # Secure on https, so the token never travels in clear text; plain http is localhost use.
    st.html(f"<script>document.cookie = {json.dumps(cookie)} + (location.protocol === "
            "'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


def _oidc_claims() -> dict[str, Any] | None:
    """The claims of a person signed in through Streamlit's OIDC (st.login), if any; whether
    they may use an account is ``auth.viewer_for_sso``'s decision."""
    try:
        user = st.user
        if user.get("is_logged_in"):
            return dict(user.to_dict())
    except Exception:  # no [auth] secrets: OIDC is simply not in use
        return None
    return None


def require(*roles: str) -> tuple[Viewer, sqlite3.Connection]:
    """The signed-in viewer and a connection, or a refusal that stops the page.

    app.py only offers each role its own pages; this is the second line, for a page reached
    any other way. The queries check the role a third time where the data is read.
    """
    conn = connect()
    who = viewer(conn)
    if who is None:
        st.warning("Please sign in first.")
        st.stop()
    if who.role not in roles:
        st.error("This page is not available to your role.")
        st.stop()
    return who, conn


def cached(name: str, conn: sqlite3.Connection, who: Viewer, *args: Any) -> Any:
    """``queries.<name>(conn, who, *args)``, cached until the data changes.

    The key holds the data version, the viewer and the arguments, so a cached answer is
    only ever returned to the same role and person, and never outlives a change.
    """
    return _cached(name, str(settings().db), queries.data_version(conn), who, args)


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def _cached(name: str, db_path: str, version: int, who: Viewer, args: tuple[Any, ...]) -> Any:
    if name not in _CACHEABLE:
        raise ValueError(f"{name} is not a cacheable query")
    conn = queries.connect(db_path)
    try:
        return getattr(queries, name)(conn, who, *args)
    finally:
        conn.close()


_CACHEABLE = frozenset({
    "criteria", "agents", "date_range", "overview_totals", "criterion_averages",
    "overall_trend", "score_distribution", "agent_criterion_matrix", "open_commitments",
    "follow_through",
    "list_calls", "agent_points", "team_medians", "agent_trend",
})


def period_input(conn: sqlite3.Connection, who: Viewer, key: str, default_days: int = 90,
                 container: Any = None) -> queries.Period:
    """A date-range picker defaulting to the last ``default_days`` days with data."""
    where = container or st
    bounds = cached("date_range", conn, who)
    last = bounds[1] if bounds else date.today()
    first_data = bounds[0] if bounds else last
    default_start = max(first_data, last - timedelta(days=default_days - 1))
    value = where.date_input("Period", value=(default_start, last), key=key,
                             min_value=min(first_data, default_start), max_value=max(
                                 last, date.today()), format="YYYY-MM-DD")
    if isinstance(value, tuple | list) and len(value) == 2:
        return queries.Period(value[0], value[1])
    start = value[0] if isinstance(value, tuple | list) and value else default_start
    return queries.Period(start, start)


def clock(seconds: float | None) -> str:
    """``m:ss`` for a time in the call ("-" when there is none or it is not a finite time)."""
    return call_clock(seconds if seconds is not None else 0)


def day(ts: str | None) -> str:
    """The date part of a stored timestamp."""
    return (ts or "")[:10] or "-"


def criterion_name(criterion: str) -> str:
    """A criterion as people say it."""
    return CRITERIA.get(criterion, criterion.replace("_", " ").capitalize())


def label_text(label: str) -> str:
    """A finding label in plain language."""
    return PLAIN.get(label) or label.replace("_", " ").replace(":", ": ").capitalize()


# Criteria and finding labels as people say them, as each detector declares them.
CRITERIA = {name: contract.title for name, contract in CONTRACTS.items()}
PLAIN = {label: spec.plain for label, (_, spec) in LABELS.items()}


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$&")


def md(text: object) -> str:
    """Data made safe to place inside Markdown (titles, captions): every character that
    Markdown or Streamlit would interpret is escaped, so it always shows as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
