"""Lead: complaint themes. What customers call about, grouped into root causes across calls:
each theme's size, weekly trend, repeat contacts, mean score, two example quotes and its
calls; new and fast-growing themes marked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa import queries
from qa.auth import LEAD
from qa.ui import common, components

MAX_SHOWN = 40


def _open(call_id: str) -> None:
    st.session_state["review-call"] = call_id
    st.session_state["themes-open"] = call_id


def _flag(theme: dict[str, object]) -> str:
    return "new" if theme["new"] else ("growing fast" if theme["growing"] else "")


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    if st.session_state.pop("themes-open", None):
        common.open_review(st.session_state["review-call"])
    st.title("Complaint themes")
    cols = st.columns([2, 2, 2], vertical_alignment="bottom")
    period = common.period_input(conn, who, "themes-period", 90, cols[0])
    queues = queries.theme_queues(conn, who)
    queue = None
    if queues:
        queue = cols[1].selectbox("Queue", [None, *queues], key="themes-queue",
                                  format_func=lambda q: "All queues" if q is None else q)
    else:
        cols[1].caption("No queue: the manifests had no `queue` column.")
    if cols[2].button("Update themes", key="themes-update",
                      help="Add the calls scored since the last update (qa themes does too)"):
        with st.spinner("Grouping new calls"):
            done = queries.update_themes(conn, who)
        st.toast(f"{done.calls} calls added, {len(done.new_themes)} new themes")
    report = queries.themes(conn, who, period, queue)
    updated = report.updated_at or "never"
    st.caption(f"{report.calls:,} calls in {len(report.themes)} themes; {report.waiting:,} with "
               f"a problem statement not in a theme yet; {report.no_statement:,} with none "
               f"found. Last update: {common.md(updated)}.")
    if not report.themes:
        st.info("No themes for this period. Themes are made from scored calls by "
                "`qa themes` or the Update themes button.")
        return
    if not report.repeat_known:
        st.caption("Repeat contacts: not known, no call has a customer id (manifest "
                   "`customer` column).")
    table = pd.DataFrame([{
        "Theme": t["id"], "Name": t["name"], "Calls": t["size"],
        "Mean score": None if t["mean_score"] is None else round(t["mean_score"], 1),
        "Repeat contacts": t["repeat_share"], "Trend by week": list(t["weeks"].values()),
        "": _flag(t)} for t in report.themes])
    if not report.repeat_known:
        table = table.drop(columns=["Repeat contacts"])
    st.dataframe(table, hide_index=True, key="themes-table", column_config={
        "Repeat contacts": st.column_config.NumberColumn(format="percent"),
        "Trend by week": st.column_config.LineChartColumn(y_min=0)})
    st.subheader("Examples")
    for t in report.themes[:MAX_SHOWN]:
        flag = _flag(t)
        title = f"{t['id']} · {t['name']} ({t['size']:,} calls)" + (f" · {flag}" if flag else "")
        with st.expander(common.md(title)):
            for example in t["examples"]:
                components.text(example["quote"], quote=True)
                st.caption(common.md(example["call_id"]))
    if len(report.themes) > MAX_SHOWN:
        st.caption(f"and {len(report.themes) - MAX_SHOWN} smaller themes (qa themes lists "
                   "them all)")
    st.subheader("Calls of a theme")
    by_id = {t["id"]: t for t in report.themes}
    line = st.columns([3, 4, 1], vertical_alignment="bottom")
    theme_id = line[0].selectbox("Theme", list(by_id), key="themes-theme",
                                 format_func=lambda i: f"{i} · {by_id[i]['name']}")
    rows = queries.theme_calls(conn, who, theme_id, period, queue, limit=500)
    labels = {r["call_id"]: f"{r['call_id']} · {common.day(r['ts'])} · {r['agent'] or '-'} · "
              + ("-" if r["overall"] is None else f"{r['overall']:.0f}") for r in rows}
    chosen = line[1].selectbox("Call (latest first)", list(labels), key="themes-call",
                               format_func=labels.__getitem__)
    if chosen:
        line[2].button("Open", key="themes-open-call", on_click=_open, args=(chosen,))
    if len(rows) == 500:
        st.caption("The latest 500 calls; `qa themes --theme ID` lists them all.")


if __name__ == "__main__":
    render()
