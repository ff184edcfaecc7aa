"""Lead: how far the machine agrees with the coaches' checks of its findings, and coaches with
each other, per criterion label; every disagreement links to its call."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa import queries
from qa.auth import LEAD
from qa.calibration import Agreement
from qa.ui import common


def _kappa(agreement: Agreement) -> float | None:
    value = agreement.kappa
    return None if value is None else round(value, 3)


def _open(call_id: str) -> None:
    st.session_state["review-call"] = call_id
    st.session_state["calibration-open"] = call_id


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD)
    if st.session_state.pop("calibration-open", None):
        common.open_review(st.session_state["review-call"])
    st.title("Calibration")
    report = queries.calibration_report(conn, who)
    st.caption(f"{report.marked_calls} calls checked by coaches, {report.double_marked_calls} "
               "by two or more. On a checked call, findings a coach left unmarked count as "
               "accepted.")
    if not report.marked_calls:
        st.info("No coach has checked a call yet: on a call's review page, mark the "
                "machine's findings right or wrong and add what it missed.")
        return
    st.subheader("Machine against coaches")
    st.dataframe(pd.DataFrame([
        {"Label": common.label_text(label), "Precision": round(s.precision, 3),
         "Recall": round(s.recall, 3), "F1": round(s.f1, 3),
         "Kappa": _kappa(report.machine_agreement[label]),
         "Coaches said yes": s.support, "Machine said yes": s.tp + s.fp,
         "Agreed": s.tp}
        for label, s in report.machine.items()]), hide_index=True, key="calibration-machine")
    if report.double_marked_calls:
        st.subheader("Coach against coach")
        st.dataframe(pd.DataFrame([
            {"Label": common.label_text(label), "Kappa": _kappa(a),
             "Agreement": round(a.observed, 3), "Utterances": a.units}
            for label, a in report.coaches.items()]), hide_index=True, key="calibration-coaches")
    st.subheader("Disagreements")
    rows = report.disagreements + report.coach_disagreements
    if not rows:
        st.caption("None: everyone agrees.")
    for n, d in enumerate(rows[:200]):
        line = st.columns([2, 2, 2, 4, 1], vertical_alignment="center")
        line[0].caption(f"{common.md(d.call_id)} #{d.utterance}")
        line[1].caption(common.md(common.label_text(d.label)))
        line[2].caption(f"{common.md(d.first)} · {common.md(d.second)}")
        line[3].text(d.text)
        line[4].button("Open", key=f"calibration-open-{n}", on_click=_open, args=(d.call_id,))
    if len(rows) > 200:
        st.caption(f"and {len(rows) - 200} more (qa calibrate --mistakes lists them all)")


if __name__ == "__main__":
    render()
