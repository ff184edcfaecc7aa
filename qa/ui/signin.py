"""Sign-in page and the sidebar's sign-out: the only page anyone sees before signing in."""

from __future__ import annotations

import time
from collections import defaultdict, deque

import streamlit as st

from qa import auth
from qa.auth import Viewer
from qa.ui import common

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300


@st.cache_resource(show_spinner=False)
def _failures() -> dict[str, deque[float]]:
    """Recent failed attempts per account name, shared by every session of this server (a
    reload starts a new session, so a per-session counter would be no brake at all)."""
    return defaultdict(lambda: deque(maxlen=MAX_FAILURES))


def _locked(name: str) -> bool:
    recent = _failures()[name.strip().lower()]
    return len(recent) >= MAX_FAILURES and time.time() - recent[0] < LOCKOUT_SECONDS


def render() -> None:
    """The sign-in form (and single sign-on when configured)."""
    st.title("Call QA Coach")
    st.caption("Sign in to see calls, scores and coaching.")
    with st.form("signin", clear_on_submit=False):
        name = st.text_input("Name", key="signin_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if _locked(name):
            st.error("Too many failed attempts for this name. Try again in a few minutes.")
        else:
            conn = common.connect()
            try:
                who = auth.authenticate(conn, name, password)
            finally:
                conn.close()
            if who is None:
                _failures()[name.strip().lower()].append(time.time())
                st.error("Wrong name or password.")
            else:
                _failures().pop(name.strip().lower(), None)
                st.session_state.pop("signin_password", None)
                st.session_state[common.VIEWER_KEY] = who
                st.rerun()
    if _oidc_configured():
        st.divider()
        email = common._oidc_user()
        if email:
            st.error(f"There is no account for {common.md(email)}. Ask a lead to add one "
                     "with qa users add.")
            st.button("Sign out of single sign-on", on_click=st.logout)
        else:
            st.button("Sign in with single sign-on", on_click=st.login)


def _oidc_configured() -> bool:
    """True when secrets configure Streamlit's OIDC sign-in ([auth] with a provider)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sidebar(who: Viewer) -> None:
    """Who is signed in, and the sign-out button."""
    with st.sidebar:
        st.caption(f"Signed in as **{common.md(who.user)}** ({who.role}"
                   + (f", agent {common.md(who.agent)}" if who.agent else "") + ")")
        if st.button("Sign out", key="signout", icon=":material/logout:"):
            oidc = common._oidc_user() is not None
            st.session_state.clear()
            if oidc:
                st.logout()
            st.rerun()
