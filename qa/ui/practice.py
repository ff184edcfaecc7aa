"""Practice on real moments. An agent answers the customer's real words from their own calls
again, by typing or by recording from the microphone (transcribed on this machine), and sees
the answer scored at once: what was good, what to change. Coaches and leads assign sets made
from an agent's coaching points and follow completion and improvement per criterion.

Every read goes through ``qa.practice``, which checks the viewer where the data is read: an
agent only ever gets the sets made for them, built from their own calls."""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd
import streamlit as st

from qa import practice
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.ui import common, components

CONTEXT_TURNS = 6  # turns of the call shown before the moment


def render() -> None:
    """The page: the agent's practice, or the staff's assignments and progress."""
    who, conn = common.require(LEAD, COACH, AGENT)
    st.title("Practice")
    if who.role == AGENT:
        _agent_view(conn, who)
    else:
        _staff_view(conn, who)


# --- staff -------------------------------------------------------------------------------------

def _staff_view(conn: sqlite3.Connection, who: Viewer) -> None:
    agents = common.cached("agents", conn, who)
    if not agents:
        st.info("No calls with an agent yet.")
        return
    _team(conn, who)
    agent = st.selectbox("Agent", agents, key="practice-agent")
    with st.form("practice-assign", border=True):
        st.markdown("**Assign a practice set** from this agent's coaching points")
        cols = st.columns([3, 3, 1])
        title = cols[0].text_input("Title", key="practice-title",
                                   placeholder=f"Practice for {agent}")
        labels = cols[1].multiselect("Coaching points (all when none chosen)",
                                     list(practice.PRACTICE_LABELS), key="practice-labels",
                                     format_func=common.label_text)
        size = cols[2].number_input("Moments", 1, practice.MAX_SIZE, practice.DEFAULT_SIZE,
                                    key="practice-size")
        if st.form_submit_button("Assign set"):
            try:
                with st.spinner("Cutting the customers' words from the calls"):
                    set_id = practice.create_set(conn, who, agent, title, labels or None,
                                                 int(size))
                st.toast(f"Practice set {set_id} assigned to {common.md(agent)}")
            except practice.PracticeError as exc:
                st.warning(common.md(exc))
    sets = practice.list_sets(conn, who, agent)
    st.subheader("Sets and completion")
    if not sets:
        st.caption("No practice set for this agent yet.")
    else:
        st.dataframe(pd.DataFrame([{
            "Set": s["id"], "Title": s["title"], "Assigned by": s["created_by"],
            "Made": common.day(s["created_at"]), "Moments": s["items"],
            "Answered": s["answered"],
            "Completion": s["answered"] / s["items"] if s["items"] else 0.0,
            "Last answer": common.day(s["last_answer"])} for s in sets]),
            hide_index=True, key="practice-sets",
            column_config={"Completion": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent")})
    st.subheader("Improvement per criterion")
    _progress(conn, who, agent, "practice-progress")
    if sets:
        chosen = st.selectbox("Answers in set", [s["id"] for s in sets], key="practice-view",
                              format_func=lambda i: next(f"{i} · {s['title']}" for s in sets
                                                         if s["id"] == i))
        for item in practice.set_items(conn, who, int(chosen)):
            with st.expander(common.md(f"{item['position'] + 1}. "
                                       f"{common.label_text(item['finding_label'])} · "
                                       f"{len(item['attempts'])} answer(s)")):
                components.text(item["prompt"], quote=True)
                for attempt in item["attempts"]:
                    components.text(attempt["answer"], muted=True)
                    st.caption(f"{common.day(attempt['created_at'])} · {attempt['mode']} · "
                               f"score {_fmt(attempt['score'])}")


def _team(conn: sqlite3.Connection, who: Viewer) -> None:
    """Completion per agent over all their sets."""
    every = practice.list_sets(conn, who)
    if not every:
        return
    per: dict[str, list[int]] = {}
    for s in every:
        row = per.setdefault(s["agent"], [0, 0, 0])
        row[0] += 1
        row[1] += s["items"]
        row[2] += s["answered"]
    with st.expander(f"All agents: {len(per)} with practice sets"):
        st.dataframe(pd.DataFrame([{
            "Agent": a, "Sets": n, "Moments": items, "Answered": done,
            "Completion": done / items if items else 0.0}
            for a, (n, items, done) in sorted(per.items())]), hide_index=True,
            column_config={"Completion": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent")})


def _progress(conn: sqlite3.Connection, who: Viewer, agent: str, key: str) -> None:
    rows = practice.progress(conn, who, agent)
    if not rows:
        st.caption("Nothing practised yet.")
        return
    st.dataframe(pd.DataFrame([{
        "Criterion": common.criterion_name(r["criterion"]), "Moments": r["items"],
        "Answered": r["answered"], "On the call": r["on_the_call"],
        "First answer": r["first_answer"], "Latest answer": r["latest_answer"],
        "Improvement": r["improvement"]} for r in rows]), hide_index=True, key=key)
    st.caption("Scores of the moment's own criterion, 0-100: what was said on the call, the "
               "first and the latest practice answers; improvement is latest minus on the "
               "call, over the moments answered.")


def _fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}"


# --- agent -------------------------------------------------------------------------------------

def _agent_view(conn: sqlite3.Connection, who: Viewer) -> None:
    sets = practice.list_sets(conn, who)
    top = st.columns([4, 2], vertical_alignment="bottom")
    if top[1].button("New set from my shared calls", key="practice-self",
                     help="Moments from the calls your coach shared with you"):
        try:
            with st.spinner("Finding your moments"):
                practice.create_set(conn, who, who.agent or "", "My own practice")
            st.rerun()
        except practice.PracticeError as exc:
            st.info(common.md(exc))
    if not sets:
        top[0].info("No practice set yet. Your coach assigns sets from your calls, or make "
                    "one from the calls shared with you.")
        return
    by_id = {s["id"]: s for s in sets}
    # Option labels stay the same as answers come in: a changed label would make a new
    # widget and lose the choice.
    set_id = top[0].selectbox("Practice set", list(by_id), key="practice-set",
                              format_func=lambda i: f"{by_id[i]['title']} (set {i})")
    chosen = by_id[set_id]
    st.caption(f"{chosen['answered']} of {chosen['items']} moments answered · assigned by "
               f"{common.md(chosen['created_by'])} on {common.day(chosen['created_at'])}")
    items = practice.set_items(conn, who, int(set_id))
    if not items:
        return
    labels = {i["id"]: f"{i['position'] + 1}. {common.label_text(i['finding_label'])}"
              for i in items}
    item_id = st.radio("Moment", list(labels), key=f"practice-item-{set_id}",
                       format_func=labels.__getitem__, horizontal=True)
    item = next(i for i in items if i["id"] == item_id)
    if item["attempts"]:
        st.caption(f"Answered {len(item['attempts'])} time(s); answer again as often as you "
                   "like.")
    _item(conn, who, item)
    st.subheader("Your progress")
    _progress(conn, who, who.agent or "", "practice-my-progress")


def _item(conn: sqlite3.Connection, who: Viewer, item: dict[str, Any]) -> None:
    with st.container(border=True):
        st.caption(f"From your call {common.md(item['call_id'])} · what your coach's review "
                   f"found here: {common.md(item['message'] or '')}")
        earlier = item["context"][:-1][-CONTEXT_TURNS:]
        if earlier:
            with st.expander("The call up to this moment"):
                for turn in earlier:
                    st.caption(common.md(turn["speaker"].capitalize()))
                    components.text(turn["text"], muted=True)
        st.markdown("**The customer says**")
        components.text(item["prompt"], quote=True)
        if item["has_audio"]:
            audio = practice.item_audio(conn, who, item["id"])
            if audio:
                st.audio(audio, format="audio/wav")
                st.caption({"recording": "From the call's recording (customer channel).",
                            "redacted recording": "From the redacted copy of the recording.",
                            "piper": "Read by the built-in voice (the call was a transcript).",
                            "espeak-ng": "Read by espeak-ng (the call was a transcript)."
                            }.get(item["audio_source"] or "", ""))
        if item["original"]:
            original = item["original_result"] or {}
            st.markdown(f"**What you said on the call** · score "
                        f"{_fmt(original.get('score'))}")
            components.text(item["original"], quote=True, muted=True)
    key = f"practice-{item['id']}"
    typed, spoken = st.tabs(["Type your answer", "Record your answer"])
    with typed:
        text = st.text_area("Your answer", key=f"{key}-text", max_chars=practice.MAX_ANSWER_CHARS)
        if st.button("Score my answer", key=f"{key}-score", type="primary"):
            _answer(conn, who, item, text, "typed")
    with spoken:
        recording = st.audio_input("Record your answer", key=f"{key}-audio")
        if recording is not None and st.button("Transcribe and score", key=f"{key}-transcribe",
                                               type="primary"):
            with st.spinner("Transcribing on this machine"):
                try:
                    words = practice.transcribe_answer(recording.getvalue())
                except practice.PracticeError as exc:
                    st.warning(common.md(exc))
                    words = ""
            if words:
                _answer(conn, who, item, words, "spoken")
            else:
                st.warning("No words were heard in the recording.")
    if item["attempts"]:
        _result(item["attempts"][-1]["result"], item["attempts"][-1]["answer"],
                item, len(item["attempts"]))


def _answer(conn: sqlite3.Connection, who: Viewer, item: dict[str, Any], text: str,
            mode: str) -> None:
    try:
        practice.answer(conn, who, item["id"], text, mode)
    except practice.PracticeError as exc:
        st.warning(common.md(exc))
        return
    # Again from the top, so the set's completion and the progress include this answer; the
    # result shown is the latest answer as stored.
    st.rerun()


def _result(result: dict[str, Any], said: str, item: dict[str, Any], number: int) -> None:
    with st.container(border=True, key=f"practice-result-{item['id']}"):
        original = (item["original_result"] or {}).get("score")
        delta = (None if result["score"] is None or original is None
                 else round(result["score"] - original, 1))
        cols = st.columns([1, 4])
        cols[0].metric("Answer score", _fmt(result["score"]), delta=delta,
                       help="Against what was said on the call")
        with cols[1]:
            st.caption(f"Answer {number}")
            components.text(said, quote=True)
        st.markdown("**What was good**")
        if not result["good"]:
            st.caption("Nothing the detectors count as a strength yet.")
        for f in result["good"]:
            st.markdown(f":green[**{common.md(common.label_text(f['label']))}**] · "
                        f"{common.md(f['message'])}")
        st.markdown("**What to change**")
        if not result["change"]:
            st.caption("Nothing: well done.")
        for f in result["change"]:
            label = f["label"]
            name = ("Not what this moment called for" if label.endswith(":not_in_answer")
                    else common.label_text(label))
            st.markdown(f":orange[**{common.md(name)}**] · {common.md(f['message'])}")
            if f.get("suggestion"):
                components.text(f["suggestion"], muted=True)
        if item.get("suggestion") and result["change"]:
            st.markdown("**One way to say it**")
            components.text(item["suggestion"], muted=True)


if __name__ == "__main__":
    render()
