"""Coach and lead: the call list. Filters (agent, dates, score range, a criterion under a
threshold, reviewed or not), full-text search across transcripts, sorting and pages; pick a
row to open the call's review."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qa import queries, store
from qa.auth import COACH, LEAD
from qa.csvsafe import frame_csv
from qa.ui import common

PAGE_SIZE = 50
SORTS = {"time": "Call time", "overall": "Overall score", "agent": "Agent",
         "criterion": "Chosen criterion's score"}


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH)
    st.title("Calls")
    criteria = common.cached("criteria", conn, who)
    top = st.columns([2, 3, 3])
    period = common.period_input(conn, who, "calls-period", 30, top[0])
    chosen = tuple(top[1].multiselect("Agents", common.cached("agents", conn, who),
                                      key="calls-agents", placeholder="All agents"))
    text = top[2].text_input("Search transcripts", key="calls-text",
                             placeholder="words said on the call, e.g. refund")
    if store.has_control_characters(text):
        # Pasted text can carry invisible characters (a NUL); say so rather than fail.
        st.warning("The search text holds invisible control characters; they were left "
                   "out of the search.")
    mid = st.columns([2, 2, 2, 2])
    low, high = mid[0].slider("Overall score", 0, 100, (0, 100), key="calls-range")
    criterion = mid[1].selectbox("Criterion", [None, *criteria], key="calls-criterion",
                                 format_func=lambda c: "Any criterion" if c is None
                                 else common.criterion_name(c))
    below = mid[2].slider("…scored below", 0, 100, 60, key="calls-below",
                          disabled=criterion is None,
                          help="With a criterion chosen: only calls where it scored under this")
    reviewed = mid[3].segmented_control("Reviewed", ["any", "yes", "no"], default="any",
                                        key="calls-reviewed",
                                        format_func=lambda v: {"any": "All", "yes": "Reviewed",
                                                               "no": "Not yet"}[v])
    found_queues = common.cached("queues", conn, who)
    sort_cols = st.columns([2, 2, 2, 2] if found_queues else [2, 2, 4])
    queue = sort_cols[3].selectbox(
        "Queue", [None, *found_queues], key="calls-queue",
        format_func=lambda q: "All queues" if q is None else (q or "(no queue)"),
    ) if found_queues else None
    sort = sort_cols[0].selectbox("Sort by", list(SORTS), format_func=lambda key: SORTS[key],
                                  key="calls-sort")
    descending = sort_cols[1].toggle("Highest / newest first", value=True, key="calls-desc")
    page_number = st.session_state.get("calls-page", 1)
    query = queries.CallQuery(period, chosen, float(low), float(high), criterion,
                              float(below) if criterion else None, reviewed or "any",
                              text.strip(), sort or "time", descending, page_number, PAGE_SIZE,
                              queue)
    page = common.cached("list_calls", conn, who, query)
    sort_cols[2].markdown(f"**{page.total:,}** calls match")
    if not page.rows:
        st.info("No calls match these filters.")
        return
    df = pd.DataFrame(page.rows)
    df["date"] = df["ts"].map(lambda t: (t or "")[:16].replace("T", " "))
    df["reviewed"] = df["reviewed_at"].notna()
    df["shared"] = df["shared_at"].notna()
    df["minutes"] = df["duration"].map(lambda d: None if d is None else d / 60)
    # An auto-fail says why its overall is 0; an unanswered question that the score waits.
    df["form"] = [("auto-fail" if r.get("auto_fail") else
                   "pending" if r.get("pending") else "") for r in page.rows]
    columns = ["call_id", "date", "agent", "customer", "minutes", "overall", "form"]
    if found_queues:
        columns += ["queue", "rubric_name"]
    config: dict[str, Any] = {
        "call_id": "Call", "date": "Time", "agent": "Agent", "customer": "Customer",
        "minutes": st.column_config.NumberColumn("Min", format="%.1f"),
        "overall": st.column_config.ProgressColumn("Overall", min_value=0, max_value=100,
                                                   format="%.0f"),
        "reviewed": st.column_config.CheckboxColumn("Reviewed"),
        "shared": st.column_config.CheckboxColumn("Shared"),
        "match": st.column_config.TextColumn("Said", width="large"),
        "form": "Form", "queue": "Queue", "rubric_name": "Rubric",
    }
    if criterion:
        columns.append("criterion_score")
        config["criterion_score"] = st.column_config.NumberColumn(
            common.criterion_name(criterion), format="%.0f")
    columns += ["reviewed", "shared"]
    if query.text:
        columns.append("match")
    st.caption("Select a row to open its review.")
    event = st.dataframe(df[columns], hide_index=True, width="stretch", column_config=config,
                         on_select="rerun", selection_mode="single-row", key="calls-table",
                         height=min(38 + 35 * len(df), 900))
    # The table's own CSV export is off (.streamlit/config.toml: it writes cells as they are,
    # formulas included); this one neutralises them (qa.csvsafe).
    st.download_button("Download this page (CSV)", frame_csv(df[columns]), "calls.csv",
                       "text/csv", key="calls-download", icon=":material/download:")
    selected = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if selected:
        call_id = df.iloc[selected[0]]["call_id"]
        st.session_state["review-call"] = call_id
        common.open_review(call_id)
    if page.pages > 1:
        st.pagination(page.pages, default=page.page, key="calls-page")


if __name__ == "__main__":
    render()
