"""Agent: my feedback. Only the agent's own calls that a coach shared: coaching points first
in plain language, their scores against the team median, and each shared review with the
coach's notes, to acknowledge with a comment. ``?call=ID`` opens one shared call in full."""

from __future__ import annotations

import sqlite3
from typing import Any

import streamlit as st

from qa import queries
from qa.auth import AGENT, Viewer
from qa.ui import common, components


def render() -> None:
    """The page."""
    who, conn = common.require(AGENT)
    wanted = st.query_params.get("call")
    if wanted:
        _one_call(conn, who, str(wanted))
        return
    st.title("My feedback")
    bounds = common.cached("date_range", conn, who)
    shared = queries.shared_calls(conn, who)
    if not shared or bounds is None:
        st.info("Nothing has been shared with you yet. When a coach shares a reviewed call, "
                "it appears here.")
        return
    period = common.period_input(conn, who, "feedback-period", 180)
    result = common.cached("agent_points", conn, who, who.agent, period)
    st.subheader("What to work on")
    st.caption(f"From the {result['calls']} call(s) your coach shared with you in this period, "
               "the habits that cost you the most points first.")
    components.coaching_points(result, agent_view=True, open_call=_open_call,
                               key="feedback", limit=5)
    st.subheader("What you do well")
    components.strengths(result, key="feedback-strengths")
    st.subheader("You and the team")
    st.caption("Your mean score per criterion over the calls shared with you in this period, "
               "against the median of your colleagues' shared calls (the middle agent).")
    components.versus_team(conn, who, who.agent or "", period, label="You",
                           key="feedback-team")
    st.subheader("Reviews shared with you")
    for call in shared:
        _shared_call(conn, who, call)


def _open_call(call_id: str, start: float) -> None:
    st.query_params["call"] = call_id
    st.session_state[components.SEEK_KEY] = {"call": call_id, "start": start, "n": 1}


def _back() -> None:
    st.query_params.pop("call", None)


def _shared_call(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """One shared review: the coaching summary, the coach's notes, acknowledging it."""
    when = common.day(call["call_time"] or call["scored_at"])
    acked = call["acknowledgements"]
    title = f"{when} · call {common.md(call['call_id'])} · " + (
        "acknowledged" if acked else "new")
    with st.expander(title, expanded=not acked):
        summary = call["summary"] or {}
        for item in summary.get("coaching", []):
            st.markdown(f"**{common.md(common.label_text(item['label']))}** "
                        f"({common.clock(item['start'])})")
            components.text(item.get("quote") or "", quote=True, muted=True)
            if item.get("suggestion"):
                st.markdown("**Try:**")
                components.text(item["suggestion"])
        for o in call["overrides"]:
            st.caption(f"Your coach changed {common.md(common.criterion_name(o['criterion']))} "
                       f"from {o['machine_score']:.0f} to {o['score']:.0f}:")
            components.text(o["reason"], muted=True)
        for n in call["notes"]:
            st.caption(f"Note from {common.md(n['author'])}:")
            components.text(n["body"])
        st.button("Open the call", key=f"open-{call['call_id']}", on_click=_open_call,
                  args=(call["call_id"], 0.0))
        _acknowledge(conn, who, call["call_id"], acked)


def _acknowledge(conn: sqlite3.Connection, who: Viewer, call_id: str,
                 acked: list[dict[str, Any]]) -> None:
    for a in acked:
        st.caption(f"You acknowledged this on {a['created_at'][:16].replace('T', ' ')}")
        if a.get("comment"):
            components.text(a["comment"], muted=True)
    if acked:
        return
    with st.form(f"ack-{call_id}"):
        comment = st.text_area("Comment for your coach (optional)", key=f"ack-text-{call_id}",
                               max_chars=queries.MAX_NOTE_LENGTH)
        done = st.form_submit_button("Acknowledge", type="primary")
    if done:
        try:
            queries.acknowledge(conn, who, call_id, comment)
        except (LookupError, ValueError) as exc:
            st.error(str(exc))
        else:
            st.toast("Thanks, your coach will see it.")
            st.rerun()


def _one_call(conn: sqlite3.Connection, who: Viewer, call_id: str) -> None:
    """A shared call in full (audio, transcript, scores), or a refusal with no data."""
    st.button("Back to my feedback", on_click=_back, icon=":material/arrow_back:")
    call = queries.get_call(conn, who, call_id)
    if call is None:
        st.error("This call is not one of the reviews shared with you.")
        return
    st.title(f"Call {common.md(call['id'])}")
    st.caption(common.md((call["call_time"] or call["scored_at"] or "")[:16].replace("T", " ")))
    components.audio_player(conn, who, call)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Transcript")
        components.transcript(call, playable=call.get("origin") != "transcript")
    with right:
        st.subheader("What to work on")
        components.summary(call)
        st.subheader("Scores")
        components.scores_table(call)
        if call["notes"]:
            st.subheader("Your coach's notes")
            components.notes(call)
        _acknowledge(conn, who, call["id"], call["acknowledgements"])


if __name__ == "__main__":
    render()
