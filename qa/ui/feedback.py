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
                               key="feedback", limit=5,
                               colleague_for=lambda finding, key: components.colleague(
                                   conn, who, finding, key))
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
        _disputes(conn, who, call["call_id"], call["disputes"], call["can_dispute"],
                  call["dispute_until"])


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
    components.overall_banner(call)
    components.audio_player(conn, who, call)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Transcript")
        components.transcript(call, playable=call.get("origin") != "transcript")
    with right:
        st.subheader("What to work on")
        components.summary(call, colleague_for=lambda finding, key: components.colleague(
            conn, who, finding, key))
        st.subheader("Scores")
        components.scores_table(call)
        if call["notes"]:
            st.subheader("Your coach's notes")
            components.notes(call)
        _acknowledge(conn, who, call["id"], call["acknowledgements"])
        shared = {"shared_at": (call.get("review") or {}).get("shared_at")}
        _disputes(conn, who, call["id"], queries.call_disputes(conn, who, call["id"]),
                  queries.can_dispute(shared), None)


def _outcome(d: dict[str, Any]) -> str:
    """A dispute's outcome as the agent reads it."""
    if d["status"] == queries.OPEN:
        return "waiting for your coach's answer"
    if d["status"] == queries.CHANGED:
        return (f"score changed from {d['disputed_score']:.0f} to {d['new_score']:.0f} by "
                f"{d['resolved_by']}")
    return f"score upheld by {d['resolved_by']}"


def _disputes(conn: sqlite3.Connection, who: Viewer, call_id: str,
              disputes: list[dict[str, Any]], open_window: bool, until: str | None) -> None:
    """The agent's disputes on a shared review with their outcomes, and the form to dispute
    a score or a finding while the window is open."""
    for d in disputes:
        about = common.criterion_name(d["criterion"])
        if d["finding"]:
            about += " · " + common.label_text(d["finding"]["label"])
        st.caption(f"You disputed {common.md(about)}: {common.md(_outcome(d))}")
        components.text(d["reason"], muted=True)
        if d["reply"]:
            st.caption(f"Reply from {common.md(d['resolved_by'])}:")
            components.text(d["reply"])
    if not open_window:
        if not disputes:
            st.caption("The time to dispute this review has passed.")
        return
    options = queries.dispute_options(conn, who, call_id)
    items: list[tuple[str, int | None]] = [(c["criterion"], None) for c in options["criteria"]]
    items += [(f["criterion"], f["id"]) for f in options["findings"]]
    names = {(c["criterion"], None): f"Score: {common.criterion_name(c['criterion'])} "
             f"({c['score']:.0f})" for c in options["criteria"]}
    names.update({(f["criterion"], f["id"]): f"Finding: {common.clock(f['start'])} "
                  f"{common.label_text(f['label'])}" for f in options["findings"]})
    if not items:
        return
    # A form, not an expander: this sits inside the review's expander, and Streamlit does
    # not nest expanders.
    with st.form(f"dispute-{call_id}", clear_on_submit=True):
        st.markdown("**Disagree with a score or a finding?**")
        if until:
            st.caption(f"You can dispute this review until {common.day(until)}.")
        item = st.selectbox("What you dispute", items, key=f"dispute-item-{call_id}",
                            format_func=lambda i: names.get(i, str(i)))
        reason = st.text_area("Why (required)", key=f"dispute-reason-{call_id}",
                              max_chars=queries.MAX_NOTE_LENGTH)
        sent = st.form_submit_button("Send dispute")
    if sent:
        criterion, finding_id = item
        common.attempt(lambda: queries.open_dispute(
            conn, who, call_id, reason, criterion=None if finding_id else criterion,
            finding_id=finding_id), "Sent: your coach will answer here.")


if __name__ == "__main__":
    render()
