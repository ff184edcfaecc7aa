"""Coach and lead: one agent's coaching points over a period, the page to open before a
one-to-one. Recurring points ranked by what they cost, with quotes linked to their calls;
strengths; each criterion against the team median."""

from __future__ import annotations

import streamlit as st

from qa.auth import COACH, LEAD
from qa.ui import common, components


def _open_call(call_id: str, start: float) -> None:
    st.session_state["review-call"] = call_id
    st.session_state[components.SEEK_KEY] = {"call": call_id, "start": start, "n": 1}
    st.session_state["coaching-open"] = call_id


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH)
    if st.session_state.pop("coaching-open", None):
        common.open_review(st.session_state["review-call"])
    st.title("Coaching points")
    agents = common.cached("agents", conn, who)
    if not agents:
        st.info("No calls with an agent yet.")
        return
    wanted = st.query_params.get("agent")
    cols = st.columns([2, 2, 3])
    agent = cols[0].selectbox("Agent", agents, key="coaching-agent",
                              index=agents.index(wanted) if wanted in agents else 0)
    period = common.period_input(conn, who, "coaching-period", 90, cols[1])
    result = common.cached("agent_points", conn, who, agent, period)
    cols[2].markdown(f"**{result['calls']:,}** scored calls by {common.md(agent)} in this "
                     "period")
    components.rubric_note(conn, who, period, (agent,), None,
                           "the points each costs are weighed by each call's own rubric")

    st.subheader("Recurring coaching points")
    st.caption("Ranked by the overall-score points they cost; each with recent examples.")
    components.coaching_points(result, agent_view=False, open_call=_open_call,
                               key="coaching")
    st.subheader("Strengths")
    components.strengths(result, key="coaching-strengths")
    st.subheader("Against the team median")
    components.versus_team(conn, who, agent, period, label=agent, key="coaching-team")


if __name__ == "__main__":
    render()
