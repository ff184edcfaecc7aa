"""Lead: accounts. Every dashboard account with its role, agent id, status and last sign-in;
disable or enable one, change its role, reset its password. Each change goes through
``qa.auth`` (which checks the viewer is a lead, keeps one enabled lead and records the change
in the audit trail); the page only collects the input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from qa import auth
from qa.auth import AGENT, LEAD, ROLES, Viewer
from qa.ui import common


def _apply(change: Callable[[], None], done: str) -> None:
    """Run one account change and say how it went (the library's refusal, word for word)."""
    try:
        change()
    except (auth.AuthError, LookupError, auth.AccessDenied) as exc:
        st.error(common.md(exc.args[0] if exc.args else exc))
        return
    st.session_state["accounts-done"] = done
    st.rerun()


def _reset(conn: sqlite3.Connection, who: Viewer, name: str, password: str) -> None:
    """Reset a password; a lead resetting their own keeps this session (with a new token),
    while every other session of the account ends."""
    auth.reset_password(conn, who, name, password)
    if name.casefold() == who.user.casefold():
        common.remember_session(conn, who)


def _changes(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def fields(value: str | None) -> str:
        data = json.loads(value) if value else {}
        return ", ".join(f"{k}: {v}" for k, v in data.items())

    return pd.DataFrame([{"When": r["at"], "By": r["actor"], "Change": r["action"],
                          "Account": r["target"], "Before": fields(r["before"]),
                          "After": fields(r["after"])} for r in rows])


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    st.title("Accounts")
    if done := st.session_state.pop("accounts-done", None):
        st.success(common.md(done))
    try:
        accounts = auth.list_accounts(conn, who)
    except auth.AccessDenied:
        st.error("This page is not available to your role.")
        st.stop()
    st.dataframe(pd.DataFrame([{
        "Name": a["name"], "Role": a["role"], "Agent id": a["agent"] or "",
        "Status": "disabled" if a["disabled"] else "enabled",
        "Last sign-in": a["last_signin_at"] or "not known", "Single sign-on": a["sso_email"] or "",
    } for a in accounts]), hide_index=True, width="stretch")
    names = [a["name"] for a in accounts]
    if not names:
        st.info("No accounts yet: add one with `qa users add NAME --role lead`.")
        return
    name = st.selectbox("Account", names, key="accounts-name")
    account = next(a for a in accounts if a["name"] == name)

    cols = st.columns(3, gap="large")
    with cols[0]:
        st.subheader("Status")
        if account["disabled"]:
            st.caption("Disabled: cannot sign in.")
            if st.button("Enable", key="accounts-enable"):
                _apply(lambda: auth.set_disabled(conn, who, name, False), f"{name} enabled")
        else:
            st.caption("Disabling signs the account out everywhere on its next action.")
            if st.button("Disable", key="accounts-disable"):
                _apply(lambda: auth.set_disabled(conn, who, name, True), f"{name} disabled")
    with cols[1]:
        st.subheader("Role")
        with st.form("accounts-role"):
            role = st.selectbox("Role", ROLES, index=ROLES.index(account["role"]),
                                key="accounts-new-role")
            agent = st.text_input("Agent id (agents only: the agent id on their calls)",
                                  value=account["agent"] or "", key="accounts-agent")
            if st.form_submit_button("Change role"):
                _apply(lambda: auth.set_role(conn, who, name, role,
                                             agent if role == AGENT else None),
                       f"{name} is now {role}" + (f" (agent {agent.strip()})"
                                                  if role == AGENT else ""))
    with cols[2]:
        st.subheader("Password")
        with st.form("accounts-password", clear_on_submit=True):
            first = st.text_input("New password", type="password", key="accounts-pw1",
                                  autocomplete="new-password")
            second = st.text_input("New password again", type="password", key="accounts-pw2",
                                   autocomplete="new-password")
            if st.form_submit_button("Reset password"):
                if first != second:
                    st.error("The two passwords differ.")
                else:
                    _apply(lambda: _reset(conn, who, name, first),
                           f"new password set for {name}; its sessions are signed out")
    with st.expander("Account changes"):
        rows = auth.account_changes(conn, who)
        if rows:
            st.dataframe(_changes(rows), hide_index=True, width="stretch")
        else:
            st.caption("No account changes recorded yet.")


if __name__ == "__main__":
    render()
