"""Coaching sessions. A coach prepares a one-page session for an agent (their top coaching
points, chosen good moments, practice results where there are any, notes), downloads it as
print-ready HTML, and records the goals agreed; the agent's next session shows each earlier
goal's criterion score then against now. An agent reads their own sessions; a colleague's
moment in one shows only while a coach keeps it marked shareable."""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd
import streamlit as st

from qa import moments
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.ui import common, components

OPEN_KEY = "sessions-open"


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH, AGENT)
    st.title("Coaching sessions")
    if who.role == AGENT:
        agent = who.agent or ""
    else:
        agents = common.cached("agents", conn, who)
        if not agents:
            st.info("No agents with calls yet.")
            return
        agent = st.selectbox("Agent", agents, key="sessions-agent")
    past = moments.sessions(conn, who, agent)
    if who.role != AGENT:
        _prepare(conn, who, agent)
    if not past:
        st.info("No sessions yet." if who.role != AGENT else
                "No coaching sessions yet: your coach prepares them here.")
        return
    ids = [s["id"] for s in past]
    opened = st.session_state.get(OPEN_KEY)
    chosen = st.selectbox("Session", ids, key="sessions-pick",
                          index=ids.index(opened) if opened in ids else 0,
                          format_func=lambda i: next(
                              f"{common.day(s['created_at'])} · prepared by {s['coach']}"
                              for s in past if s["id"] == i))
    session = moments.get_session(conn, who, int(chosen))
    if session is None:
        st.error("There is no such session.")
        return
    _show(conn, who, session)


def _prepare(conn: sqlite3.Connection, who: Viewer, agent: str) -> None:
    """The form for a new session: period, good moments to talk through, notes."""
    with st.expander("Prepare a new session", expanded=False):
        period = common.period_input(conn, who, "sessions-period", 30)
        own = moments.library(conn, who, agent=agent, limit=30)
        shared = [m for m in moments.library(conn, who, shareable_only=True, limit=60)
                  if m["agent"] != agent]
        options = {m["key"].text(): m for m in own + shared}
        with st.form("session-new", clear_on_submit=True):
            picked = st.multiselect(
                "Good moments to talk through (theirs, or colleagues' shareable ones)",
                list(options), key="sessions-moments",
                format_func=lambda k: _moment_label(options[k], agent))
            notes = st.text_area("Notes for the session", key="sessions-notes", max_chars=4000)
            made = st.form_submit_button("Prepare session", type="primary")
        if made:
            try:
                new = moments.create_session(conn, who, agent, period,
                                             [options[k]["key"] for k in picked], notes)
            except (LookupError, ValueError) as exc:
                st.error(common.md(exc))
            else:
                st.session_state[OPEN_KEY] = new
                st.toast("Session prepared.")
                st.rerun()


def _moment_label(m: dict[str, Any], agent: str) -> str:
    whose = "this agent's" if m["agent"] == agent else f"{m['agent']} (shareable)"
    return f"{m['kind']} · {whose} · {(m['quote'] or '')[:70]}"


def _show(conn: sqlite3.Connection, who: Viewer, session: dict[str, Any]) -> None:
    """One session as it will be printed, the download, and (staff) the goals form."""
    names = {c: common.criterion_name(c) for c in common.CRITERIA}
    names.update({p["label"]: common.label_text(p["label"]) for p in session["points"]})
    document = moments.session_html(session, names)
    st.download_button("Download the session (HTML, print-ready)", document.encode("utf-8"),
                       file_name=f"coaching-session-{session['id']}.html", mime="text/html",
                       key="sessions-download", icon=":material/print:")
    st.caption(f"Prepared by {common.md(session['coach'])} on "
               f"{common.day(session['created_at'])}, from the calls of "
               f"{common.day(session['period_start'])} to "
               f"{common.day(session['period_end'])}.")
    if session["progress"]:
        st.subheader("Since last time")
        st.dataframe(pd.DataFrame([{
            "Goal": g["goal"], "Criterion": common.criterion_name(g["criterion"]),
            "Then": g["baseline"], "Now": g["now"], "Change": g["change"],
            "Calls since": g["now_calls"]} for g in session["progress"]]),
            hide_index=True, width="stretch", key="sessions-progress", column_config={
                "Then": st.column_config.NumberColumn(format="%.0f"),
                "Now": st.column_config.NumberColumn(format="%.0f"),
                "Change": st.column_config.NumberColumn(format="%+.0f")})
    st.subheader("What to work on")
    if not session["points"]:
        st.caption("No coaching points in this period.")
    for p in session["points"]:
        with st.container(border=True):
            st.markdown(f"**{common.md(common.label_text(p['label']))}** · "
                        f"{common.md(common.criterion_name(p['criterion']))} · in "
                        f"{p['calls']} call(s), {p['per_call']:.1f} points a call")
            if p.get("quote"):
                components.text(p["quote"], quote=True, muted=True)
            if p.get("suggestion"):
                st.markdown("**Try:**")
                components.text(p["suggestion"])
    if session["moments"]:
        st.subheader("Good moments to learn from")
    for m in session["moments"]:
        with st.container(border=True):
            whose = "You" if m["own"] else (m["agent"] or "A colleague")
            st.markdown(f"**{common.md(m['kind'])}** · {common.md(whose)} · call "
                        f"{common.md(m['call_id'])} · {common.clock(m['start'])}")
            if m["context"]:
                components.text(f"Customer: {m['context']}", muted=True)
            components.text(m["quote"] or "", quote=True)
    if session["practice"]:
        st.subheader("Practice")
        st.dataframe(pd.DataFrame([{
            "Criterion": common.criterion_name(r["criterion"]), "Answers": r["answers"],
            "Mean score": r["mean"]} for r in session["practice"]]), hide_index=True,
            key="sessions-practice")
    if session["notes"]:
        st.subheader("Notes")
        components.text(session["notes"])
    st.subheader("Goals agreed")
    for g in session["goals"]:
        then = "-" if g["baseline"] is None else f"{g['baseline']:.0f}"
        st.markdown(f"- {common.md(g['goal'])} ({common.md(common.criterion_name(g['criterion']))}"
                    f", score when agreed: {then})")
    if not session["goals"]:
        st.caption("No goals recorded yet.")
    if who.role != AGENT:
        _goal_form(conn, who, session)


def _goal_form(conn: sqlite3.Connection, who: Viewer, session: dict[str, Any]) -> None:
    criteria = common.cached("criteria", conn, who)
    with st.form("session-goal", clear_on_submit=True):
        cols = st.columns([1, 3], vertical_alignment="bottom")
        criterion = cols[0].selectbox("Criterion", criteria, key="goal-criterion",
                                      format_func=common.criterion_name)
        goal = cols[1].text_input("Goal agreed", key="goal-text",
                                  max_chars=moments.MAX_GOAL_LENGTH)
        added = st.form_submit_button("Record goal")
    if added:
        try:
            moments.add_goal(conn, who, session["id"], criterion, goal)
        except (LookupError, ValueError) as exc:
            st.error(common.md(exc))
        else:
            st.toast("Goal recorded.")
            st.rerun()


if __name__ == "__main__":
    render()
