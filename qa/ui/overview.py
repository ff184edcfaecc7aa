"""Lead: team overview. Volume and mean scores, trends, spread, who needs help with what,
open promises to customers and the latest batch runs, for a period, agents and criterion."""

from __future__ import annotations

import sqlite3

import pandas as pd
import streamlit as st

from qa import queries
from qa.auth import LEAD, Viewer
from qa.ui import charts, common, components, promises


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    st.title("Team overview")
    criteria = common.cached("criteria", conn, who)
    cols = st.columns([2, 3, 2])
    period = common.period_input(conn, who, "overview-period", 90, cols[0])
    chosen = tuple(cols[1].multiselect("Agents", common.cached("agents", conn, who),
                                       key="overview-agents", placeholder="Whole team"))
    criterion = cols[2].selectbox("Criterion", [None, *criteria], key="overview-criterion",
                                  format_func=lambda c: "Overall score" if c is None
                                  else common.criterion_name(c))
    what = "overall" if criterion is None else common.criterion_name(criterion).lower()
    queue = _queue_filter(conn, who)
    mixed = components.rubric_note(conn, who, period, chosen, queue)

    totals = common.cached("overview_totals", conn, who, period, chosen, queue)
    m = st.columns(6)
    m[0].metric("Calls", f"{totals['calls'] or 0:,}")
    m[1].metric("Scored", f"{totals['scored'] or 0:,}")
    m[2].metric("Not scorable", f"{totals['unscorable'] or 0:,}")
    m[3].metric("Mean overall" + (" (mixed rubrics)" if mixed else ""),
                "-" if totals["overall"] is None else f"{totals['overall']:.1f}")
    m[4].metric("Reviewed", f"{totals['reviewed'] or 0:,}")
    m[5].metric("Shared with agents", f"{totals['shared'] or 0:,}")
    if not totals["calls"]:
        st.info("No calls in this period. Score some with `qa score` or on the Batch page.")
        _runs(conn, who)
        return

    left, right = st.columns(2)
    with left:
        st.subheader("Mean score per criterion")
        averages = common.cached("criterion_averages", conn, who, period, chosen, queue)
        if averages:
            st.altair_chart(charts.criterion_bars(averages, criterion), width="stretch")
    with right:
        st.subheader(f"Distribution of {what} scores")
        bands = common.cached("score_distribution", conn, who, period, chosen, criterion,
                              5, queue)
        if bands:
            st.altair_chart(charts.distribution(bands, 5, what.capitalize()), width="stretch")

    bucket = queries.trend_bucket(period)
    st.subheader(f"{'Daily' if bucket == 'day' else 'Weekly'} trend of the {what} score")
    st.caption("The team (all agents) in bold; pick agents above to add their lines.")
    trend = common.cached("overall_trend", conn, who, period, chosen, criterion, queue)
    if trend:
        st.altair_chart(charts.trend(trend, what, bucket), width="stretch")

    st.subheader("Agents × criteria")
    st.caption("Mean score of each agent on each criterion; weakest agents and criteria first.")
    matrix = common.cached("agent_criterion_matrix", conn, who, period, chosen, queue)
    if matrix:
        st.altair_chart(charts.heatmap(matrix), width="stretch")

    _follow_through(conn, who, period, chosen)
    open_promises = common.cached("open_commitments", conn, who, period, chosen)
    if open_promises["available"]:
        st.subheader(f"Open commitments ({open_promises['total']:,})")
        st.caption("Promises agents made to customers that nobody has marked done or broken "
                   "(`qa commitments`). Mark them below or on the call's review page.")
        if open_promises["rows"]:
            df = pd.DataFrame(open_promises["rows"])
            df["ts"] = df["ts"].map(common.day)
            df["start"] = df["start"].map(common.clock)
            df["due_at"] = df["due_at"].map(  # NULL comes back as NaN
                lambda t: t[:16].replace("T", " ") if isinstance(t, str) else "")
            st.dataframe(df[["id", "ts", "agent", "call_id", "start", "kind", "what",
                             "when_text", "due_at", "flag", "channel", "quote"]],
                         hide_index=True, width="stretch", height=260,
                         column_config={"id": "#", "ts": "Date", "agent": "Agent",
                                        "call_id": "Call", "start": "At", "kind": "Kind",
                                        "what": "What", "when_text": "When",
                                        "due_at": "Due", "flag": "Flag",
                                        "channel": "Channel",
                                        "quote": st.column_config.TextColumn("Said",
                                                                             width="large")})
            promises.mark_form(conn, who, open_promises["rows"], "overview-promises")
    _runs(conn, who)


def _queue_filter(conn: sqlite3.Connection, who: Viewer) -> str | None:
    """The queue to show (None: all), offered when calls came with a queue."""
    found = common.cached("queues", conn, who)
    if not found:
        return None
    chosen: str | None = st.selectbox(
        "Queue", [None, *found], key="overview-queue",
        format_func=lambda q: "All queues" if q is None else (q or "(no queue)"))
    return chosen


def _follow_through(conn: sqlite3.Connection, who: Viewer, period: queries.Period,
                    chosen: tuple[str, ...]) -> None:
    """First-contact resolution and promises kept / broken / overdue, per agent."""
    follow = common.cached("follow_through", conn, who, period, chosen)
    st.subheader("Follow-through")
    m = st.columns(4)
    fcr = follow["fcr"]
    m[0].metric("First-contact resolution", "-" if fcr is None else f"{fcr:.0%}",
                help="Of the calls whose customer is known (manifest `customer` column), "
                     "the share the same customer did not call back within the rubric's "
                     "`repeat_contact_days` (7 unless set).")
    m[1].metric("Repeat contacts", f"{follow['repeats']:,}")
    rows = follow["agents"]
    m[2].metric("Promises kept", f"{sum(r['kept'] for r in rows):,}")
    m[3].metric("Promises broken / overdue",
                f"{sum(r['broken'] for r in rows):,} / {sum(r['overdue'] for r in rows):,}",
                help="Overdue: still open after the time promised. Only promises whose time "
                     "resolves to a moment (today, tomorrow, a weekday, next week, N hours / "
                     "days) can be overdue.")
    if not follow["calls"]:
        st.caption("First-contact resolution needs the customer of each call: give a "
                   "`customer` column in the batch manifest.")
    if rows:
        table = pd.DataFrame([{
            "Agent": r["agent"], "Calls (known customer)": r["calls"],
            "Called back": r["repeats"],
            "First-contact resolution": None if r["fcr"] is None else round(100 * r["fcr"]),
            "Promises": r["promises"], "Kept": r["kept"], "Broken": r["broken"],
            "Overdue": r["overdue"], "Open": r["open"],
            "Possibly broken (called back)": r["flagged"]} for r in rows])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"First-contact resolution": st.column_config.NumberColumn(
                         format="%d%%")})


def _runs(conn: sqlite3.Connection, who: Viewer) -> None:
    """Recent batch runs, and every failed or unscorable file with its reason."""
    st.subheader("Recent batch runs")
    runs = queries.recent_runs(conn, who)
    if not runs:
        st.caption("No batch runs yet.")
        return
    table = pd.DataFrame([{
        "Run": r["id"], "Started": (r["started_at"] or "")[:16].replace("T", " "),
        "Status": r["status"], "Files": r["files"], "Scored": r["scored"],
        "Skipped": r["skipped"], "Not scorable": r["unscorable"], "Failed": r["failed"],
        "Folder": r["paths"]} for r in runs])
    st.dataframe(table, hide_index=True, width="stretch")
    failures = [{"Run": r["id"], "File": f["path"], "Status": f["status"], "Reason": f["error"]}
                for r in runs for f in r["failures"]]
    if failures:
        with st.expander(f"Failures and unscorable files ({len(failures)})", expanded=True):
            st.dataframe(pd.DataFrame(failures), hide_index=True, width="stretch",
                         column_config={"Reason": st.column_config.TextColumn(width="large")})


if __name__ == "__main__":
    render()
