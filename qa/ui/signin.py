"""Sign-in page and the sidebar's sign-out: the only page anyone sees before signing in."""

from __future__ import annotations

import math
import os

import streamlit as st

from qa import auth
from qa.auth import Viewer
from qa.ui import common


def client_address() -> str | None:
    """The address the attempt comes from, for the sign-in throttle.

    Behind a reverse proxy every request comes from the proxy, so a deployment there sets
    QA_CLIENT_HEADER to the header the proxy writes the real address into (X-Real-IP, or
    X-Forwarded-For, whose last entry is the one the proxy added). Without it the connection's
    own address is used.
    """
    header = os.environ.get("QA_CLIENT_HEADER")
    value = st.context.headers.get(header) if header else st.context.ip_address
    # Only a real string counts (Streamlit's test harness answers with a stand-in object).
    if isinstance(value, str) and value.strip():
        return value.split(",")[-1].strip()[:200]
    return None


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
        conn = common.connect()
        try:
            result = auth.sign_in(conn, name, password, client_address())
        finally:
            conn.close()
        if result.status == auth.SIGNED_IN and result.viewer is not None:
            st.session_state.pop("signin_password", None)
            st.session_state[common.VIEWER_KEY] = result.viewer
            conn = common.connect()
            try:  # so a reload keeps the sign-in for the session's length
                common.remember_session(conn, result.viewer)
            finally:
                conn.close()
            st.rerun()
        elif result.status == auth.THROTTLED:
            st.error("Too many failed attempts for this name from here. Try again in "
                     f"{_duration(result.retry_after)}.")
        elif result.status == auth.BUSY:
            st.warning("Many people are signing in right now. Try again in a moment.")
        else:
            st.error("Wrong name or password.")
    if _oidc_configured():
        st.divider()
        claims = common._oidc_claims()
        if claims is not None:
            email, problem = auth.sso_identity(claims)
            if problem:
                st.error(f"Single sign-on cannot be used: {common.md(problem)}.")
            else:
                st.error(f"No account signs in as {common.md(email)}. Ask a lead to map it "
                         "with qa users add --sso-email or qa users sso.")
            st.button("Sign out of single sign-on", on_click=st.logout)
        else:
            st.button("Sign in with single sign-on", on_click=st.login)


def _duration(seconds: float) -> str:
    """A wait in words: "40 seconds", "3 minutes"."""
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


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
            oidc = common._oidc_claims() is not None
            st.session_state.clear()
            common.forget_session_cookie()
            if oidc:
                st.logout()
            st.rerun()
