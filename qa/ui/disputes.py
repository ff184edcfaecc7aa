"""Coach and lead: the disputes queue. Each open dispute (an agent contesting a criterion's
score or one finding on a shared review, with a reason), oldest first, to resolve: upheld (the
score stands) or score changed (an override, set as on the review page), always with a reply
the agent reads on My feedback. Below, the disputes resolved lately."""

from __future__ import annotations

import sqlite3
from typing import Any

import streamlit as st

from qa import queries
from qa.auth import COACH, LEAD, Viewer
from qa.ui import common, components

OUTCOMES = {queries.UPHELD: "Uphold the score", queries.CHANGED: "Change the score"}


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH)
    waiting = queries.dispute_queue(conn, who)
    st.title(f"Disputes ({len(waiting)} open)")
    st.caption(f"Agents may dispute a shared review for {queries.dispute_window()} days after "
               "it is shared ([shared] dispute_window_days in the rubric). Oldest first.")
    if not waiting:
        st.info("No open disputes.")
    for d in waiting:
        _one(conn, who, d)
    done = queries.dispute_queue(conn, who, status="resolved", limit=50)
    if done:
        st.subheader("Resolved lately")
        for d in done:
            about = _about(d)
            outcome = (f"score changed to {d['new_score']:.0f}" if d["status"] == queries.CHANGED
                       else "upheld")
            st.caption(f"{common.day(d['resolved_at'])} · call {common.md(d['call_id'])} · "
                       f"{common.md(d['agent'])} · {common.md(about)}: {outcome} by "
                       f"{common.md(d['resolved_by'])}")
    if who.role == LEAD:
        st.subheader("Audit trail")
        components.audit_downloads(conn, who, "disputes-audit")


def _about(d: dict[str, Any]) -> str:
    about = common.criterion_name(d["criterion"])
    if d["finding"]:
        about += f" · {common.label_text(d['finding']['label'])} at " \
                 f"{common.clock(d['finding']['start'])}"
    return about


def _one(conn: sqlite3.Connection, who: Viewer, d: dict[str, Any]) -> None:
    """One open dispute: what is contested and why, and the form that answers it."""
    title = (f"{common.day(d['created_at'])} · {common.md(d['agent'])} · call "
             f"{common.md(d['call_id'])} · {common.md(_about(d))}")
    with st.container(border=True):
        st.markdown(f"**{title}**")
        score = "-" if d["current_score"] is None else f"{d['current_score']:.0f}"
        machine = "-" if d["machine_score"] is None else f"{d['machine_score']:.0f}"
        st.caption(f"Score now {score} (machine {machine}) · raised by "
                   f"{common.md(d['raised_by'])}")
        if d["finding"]:
            components.text(d["finding"].get("quote") or "", quote=True, muted=True)
        st.caption("The agent's reason:")
        components.text(d["reason"])
        if st.button("Open the call", key=f"open-dispute-{d['id']}",
                     icon=":material/rate_review:"):
            st.session_state["review-call"] = d["call_id"]
            st.switch_page("qa/ui/review.py")
        with st.form(f"resolve-{d['id']}"):
            outcome = st.radio("Outcome", list(OUTCOMES), format_func=OUTCOMES.get,
                               key=f"outcome-{d['id']}", horizontal=True)
            new_score = st.number_input("New score (when changing it)", 0.0, 100.0,
                                        float(d["current_score"] or 0.0), 5.0,
                                        key=f"new-score-{d['id']}")
            reply = st.text_area("Reply to the agent (required)", key=f"reply-{d['id']}",
                                 max_chars=queries.MAX_NOTE_LENGTH)
            send = st.form_submit_button("Resolve", type="primary")
        if send:
            common.attempt(lambda: queries.resolve_dispute(
                conn, who, d["id"], outcome, reply,
                float(new_score) if outcome == queries.CHANGED else None),
                "Resolved: the agent sees your answer on My feedback.")


if __name__ == "__main__":
    render()
