"""Coach and lead: one call's review. Audio, the transcript with findings in place (a click
plays from that moment), scores with reasons, the coaching summary, notes, score overrides,
marking reviewed and sharing with the agent, and the coach's check of the machine's findings
(right, wrong, missed) that the Calibration page adds up."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import streamlit as st

from qa import calibration, forms, queries, redact, roles
from qa.auth import COACH, LEAD, Viewer
from qa.detectors import EVAL_LABELS
from qa.transcript import NO_TIMING
from qa.ui import common, components, promises


def _provenance(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """What the scores rest on beyond the words: redaction, and who was taken for the agent,
    with the buttons to confirm or swap that (a call guessed with low confidence asks)."""
    if call.get("redacted") is not None:
        counts = redact.describe_counts(json.loads(call["redacted"]))
        st.caption(f"Personal data redacted before scoring: {common.md(counts)}")
    line = roles.describe(json.loads(call["roles"])) if call.get("roles") else None
    unsure = bool(call.get("roles_review"))
    if unsure:
        st.warning("Agent and customer were told apart with low confidence: listen, then "
                   f"confirm or swap them below. {common.md(line or '')}", icon="⚠️")
    elif line:
        st.caption(common.md(line))
    speakers = {u["speaker"] for u in call["utterances"]}
    if not call["scorable"] or not {"agent", "customer"} <= speakers:
        return
    with st.expander("Who is the agent" if unsure else "Agent and customer mixed up?",
                     expanded=unsure):
        st.caption("Swapping re-scores the call with agent and customer exchanged; the "
                   "decision is kept when the recording is scored again.")
        buttons = st.columns(2)
        decision = None
        if unsure and buttons[0].button("Roles are right", key="roles-confirm"):
            decision = False
        if buttons[1].button("Swap agent and customer", key="roles-swap"):
            decision = True
        if decision is not None:
            common.attempt(lambda: queries.decide_roles(conn, who, call["id"], swap=decision))


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH)
    call_id = st.query_params.get("call") or st.session_state.get("review-call")
    if not call_id:
        _pick(conn, who)
        return
    call = queries.get_call(conn, who, str(call_id))
    if call is None:
        st.error("There is no call with that id.")
        _pick(conn, who)
        return
    st.session_state["review-call"] = call["id"]
    if st.query_params.get("call") != call["id"]:
        st.query_params["call"] = call["id"]  # a link to this page opens this call again

    st.title(f"Call {common.md(call['id'])}")
    facts = [f"Agent **{common.md(call['agent'] or '-')}**",
             common.md((call["call_time"] or call["scored_at"] or "")[:16].replace("T", " ")),
             f"customer {common.md(call['customer'])}" if call.get("customer") else "",
             "no times (judged by words)" if call.get("timing") == NO_TIMING
             else f"{(call['duration'] or 0) / 60:.1f} min",
             f"rubric {common.md(call.get('rubric_name') or '')} "
             f"{common.md(call['rubric_version'])}",
             f"queue **{common.md(call['queue'])}**" if call.get("queue") else ""]
    st.markdown(" · ".join(f for f in facts if f))
    _provenance(conn, who, call)
    _status(conn, who, call)
    if not call["scorable"]:
        st.warning(f"Not scorable: {common.md(call['unscorable_reason'])}")

    m = st.columns(4)
    m[0].metric("Overall (machine)", _score(call["overall"]))
    m[1].metric("Overall with coach overrides", _score(call["effective_overall"])
                + (" (auto-fail)" if call.get("effective_auto_fail") else
                   " (pending)" if call.get("effective_pending") else ""),
                delta=None if call["overall"] is None or call["effective_overall"] is None
                else round(call["effective_overall"] - call["overall"], 1) or None)
    m[2].metric("Points to coach", sum(f["polarity"] == "coaching" for f in call["findings"]))
    m[3].metric("Strengths", sum(f["polarity"] == "strength" for f in call["findings"]))

    components.overall_banner(call)
    components.audio_player(conn, who, call)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Transcript")
        st.caption("Highlighted: orange to coach, green done well. Click a finding to hear it.")
        components.transcript(call, playable=call.get("origin") != "transcript")
    with right:
        st.subheader("Coaching summary")
        components.summary(call, colleague_for=lambda finding, key: components.colleague(
            conn, who, finding, key))
        st.subheader("Scores")
        components.scores_table(call)
        _questions(conn, who, call)
        _override(conn, who, call)
        st.subheader("Notes")
        components.notes(call)
        _note_form(conn, who, call)
        promises.call_section(conn, who, call, _open)
    _disputes(conn, who, call)
    _check_findings(conn, who, call)
    st.subheader("History")
    st.caption("Every change people made to this call's review, oldest first. Nothing here "
               "can be edited or deleted.")
    components.history(conn, who, call["id"])
    components.audit_downloads(conn, who, "review-audit")


def _disputes(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """The agent's disputes on this call and their outcomes (answered on the Disputes
    page)."""
    disputes = queries.call_disputes(conn, who, call["id"])
    if not disputes:
        return
    st.subheader("Disputes")
    for d in disputes:
        about = common.criterion_name(d["criterion"])
        if d["finding"]:
            about += " · " + common.label_text(d["finding"]["label"])
        st.caption(f"{common.md(d['raised_by'])} disputed {common.md(about)} on "
                   f"{common.day(d['created_at'])}: {common.md(_outcome(d))}")
        components.text(d["reason"], muted=True)
        if d["reply"]:
            components.text(d["reply"])
    if any(d["status"] == queries.OPEN for d in disputes):
        st.caption("Answer it on the Disputes page.")


def _outcome(d: dict[str, Any]) -> str:
    """A dispute's state in words."""
    if d["status"] == queries.OPEN:
        return "open"
    if d["status"] == queries.CHANGED:
        return f"score changed to {d['new_score']:.0f} by {d['resolved_by']}"
    return f"upheld by {d['resolved_by']}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pick(conn: sqlite3.Connection, who: Viewer) -> None:
    """No call chosen: open one by id, or one of the newest not yet reviewed."""
    st.title("Call review")
    with st.form("open-call"):
        typed = st.text_input("Call id", key="review-open-id")
        if st.form_submit_button("Open") and typed.strip():
            st.session_state["review-call"] = typed.strip()
            st.query_params["call"] = typed.strip()
            st.rerun()
    bounds = common.cached("date_range", conn, who)
    if not bounds:
        st.info("No calls yet.")
        return
    recent = common.cached("list_calls", conn, who, queries.CallQuery(
        queries.Period(bounds[0], bounds[1]), reviewed="no", page_size=10))
    if recent.rows:
        st.caption("Newest calls not yet reviewed")
        for r in recent.rows:
            st.button(f"{common.md(r['call_id'])} · {common.md(r['agent'] or '-')} · "
                      f"{common.day(r['ts'])} · {_score(r['overall'])}",
                      key=f"pick-{r['call_id']}",
                      on_click=_open, args=(r["call_id"],))


def _open(call_id: str) -> None:
    st.session_state["review-call"] = call_id
    st.query_params["call"] = call_id


def _status(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """Reviewed / shared state and the buttons that change it."""
    review = call.get("review") or {}
    row = st.columns([3, 1, 1, 1], vertical_alignment="center")
    state = []
    if review.get("reviewed_at"):
        state.append(f"Reviewed by {common.md(review['reviewed_by'])} on "
                     f"{common.day(review['reviewed_at'])}")
    if review.get("shared_at"):
        state.append(f"shared with the agent on {common.day(review['shared_at'])}")
    acks = call.get("acknowledgements") or []
    if acks:
        state.append(f"acknowledged on {common.day(acks[-1]['created_at'])}")
    row[0].caption(" · ".join(state) or "Not reviewed yet")
    if not review.get("reviewed_at") and row[1].button(
            "Mark reviewed", key="mark-reviewed", icon=":material/done:"):
        queries.set_reviewed(conn, who, call["id"], True)
        st.rerun()
    if not review.get("shared_at"):
        if row[2].button("Share with agent", key="share", icon=":material/share:",
                         type="primary", disabled=not call.get("agent")):
            queries.set_shared(conn, who, call["id"], True)
            st.rerun()
    elif row[2].button("Stop sharing", key="unshare"):
        queries.set_shared(conn, who, call["id"], False)
        st.rerun()
    for a in acks:
        with row[0]:
            st.caption(f"Agent's comment ({common.day(a['created_at'])}):")
            components.text(a["comment"] or "(no comment)", muted=True)


def _override(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """Replace a criterion's score, with a reason; the machine score stays beside it."""
    names = [s["criterion"] for s in call["scores"]]
    if not names:
        return
    with st.expander("Override a score"), st.form("override", clear_on_submit=True):
        criterion = st.selectbox("Criterion", names, key="override-criterion",
                                 format_func=common.criterion_name)
        score = st.number_input("Coach's score", 0.0, 100.0, 50.0, 5.0,
                                key="override-score")
        reason = st.text_input("Reason (required)", key="override-reason")
        col = st.columns(2)
        save = col[0].form_submit_button("Save override", type="primary")
        undo = col[1].form_submit_button("Back to the machine score")
    if save:
        try:
            queries.set_override(conn, who, call["id"], criterion, float(score), reason)
        except (ValueError, LookupError) as exc:
            st.error(str(exc))
        else:
            st.toast("Override saved.")
            st.rerun()
    if undo:
        queries.remove_override(conn, who, call["id"], criterion)
        st.rerun()


ANSWER_OPTIONS = ["yes", "no", "na"]


def _questions(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """The form's questions a person answers (yes, no, n.a.), each with an optional comment;
    the call's score shows them as pending until then. Every answer is in the History."""
    questions = [s for s in call["scores"] if s.get("question")]
    if not questions:
        return
    st.subheader("Questions")
    answers = call.get("answers") or {}
    with st.form("questions"):
        chosen: dict[str, tuple[str | None, str]] = {}
        for s in questions:
            given = answers.get(s["criterion"]) or {}
            st.markdown(f"**{common.md(s['question'])}**")
            if given:
                st.caption(f"Answered {forms.ANSWER_LABELS[given['answer']]} by "
                           f"{common.md(given['author'])} on {common.day(given['answered_at'])}")
            else:
                st.caption("Pending: not answered yet")
            current = given.get("answer")
            answer = st.radio(
                "Answer", ANSWER_OPTIONS, key=f"question-{s['criterion']}", horizontal=True,
                index=ANSWER_OPTIONS.index(current) if current in ANSWER_OPTIONS else None,
                format_func=lambda a: forms.ANSWER_LABELS[a], label_visibility="collapsed")
            comment = st.text_input("Comment (optional)", value=given.get("comment") or "",
                                    key=f"question-comment-{s['criterion']}")
            chosen[s["criterion"]] = (answer, comment)
        saved = st.form_submit_button("Save answers", type="primary")
    if saved:
        changed = 0
        for criterion, (answer, comment) in chosen.items():
            given = answers.get(criterion) or {}
            if answer is None or (answer == given.get("answer")
                                  and comment.strip() == (given.get("comment") or "")):
                continue
            try:
                queries.answer_question(conn, who, call["id"], criterion, answer, comment)
            except (ValueError, LookupError) as exc:
                st.error(common.md(exc))
                return
            changed += 1
        st.toast(f"{changed} answer(s) saved." if changed else "Nothing changed.")
        st.rerun()


def _note_form(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """A note on the whole call or on one finding."""
    targets: list[int | None] = [None, *[f["id"] for f in call["findings"]
                                         if f["polarity"] != "info"]]
    labels = {f["id"]: f"{common.clock(f['start'])} {common.label_text(f['label'])}"
              for f in call["findings"]}
    with st.form("note", clear_on_submit=True):
        target = st.selectbox("About", targets, key="note-target",
                              format_func=lambda t: "The whole call" if t is None
                              else labels.get(t, str(t)))
        body = st.text_area("Note", key="note-body", max_chars=queries.MAX_NOTE_LENGTH)
        for_agent = st.checkbox("The agent may read it once the call is shared", value=True,
                                key="note-for-agent")
        saved = st.form_submit_button("Save note")
    if saved:
        try:
            queries.add_note(conn, who, call["id"], body, target, for_agent)
        except (ValueError, LookupError) as exc:
            st.error(str(exc))
        else:
            st.toast("Note saved.")
            st.rerun()


UNCHECKED = "not checked"


def _check_findings(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """The coach marks each of the machine's checkable findings right or wrong, and adds the
    ones it missed; the marks are this coach's own and feed the Calibration page."""
    found = [f for f in call["findings"]
             if f["label"] in EVAL_LABELS and f["speaker"] == "agent"]
    agent_turns = [u for u in call["utterances"] if u["speaker"] == "agent"]
    if not call["scorable"] or not agent_turns:
        return
    mine = {(m["utterance_idx"], m["label"]): m["verdict"]
            for m in queries.call_marks(conn, who, call["id"]) if m["coach"] == who.user}
    st.subheader("Check the machine's findings")
    st.caption("Mark what the machine got right or wrong and add what it missed: your marks "
               "teach the team how far to trust each criterion (Calibration). Agents never "
               "see them.")
    with st.form("marks"):
        choices: dict[tuple[int, str], str] = {}
        for f in found:
            unit = (f["utterance_idx"], f["label"])
            if unit in choices:
                continue
            row = st.columns([1, 3, 2], vertical_alignment="center")
            row[0].caption(f"{common.clock(f['start'])} · {common.label_text(f['label'])}")
            with row[1]:
                components.text(f["quote"] or "", quote=True)
            options = [UNCHECKED, calibration.RIGHT, calibration.WRONG]
            current = mine.get(unit, UNCHECKED)
            choices[unit] = row[2].radio(
                "Verdict", options, index=options.index(current) if current in options else 0,
                key=f"mark-{unit[0]}-{unit[1]}", horizontal=True, label_visibility="collapsed")
        if not found:
            st.caption("The machine found nothing checkable on this call.")
        saved = st.form_submit_button("Save my marks", type="primary", disabled=not found)
    if saved:
        for (utterance, label), verdict in choices.items():
            if verdict == UNCHECKED:
                if (utterance, label) in mine:
                    queries.remove_mark(conn, who, call["id"], utterance, label)
            elif mine.get((utterance, label)) != verdict:
                queries.mark_finding(conn, who, call["id"], utterance, label, verdict)
        st.toast("Marks saved.")
        st.rerun()
    added = [(i, lab) for (i, lab), v in mine.items() if v == calibration.ADDED]
    texts = {u["idx"]: u for u in agent_turns}
    for utterance, label in sorted(added):
        row = st.columns([1, 3, 2], vertical_alignment="center")
        row[0].caption(f"{common.clock(texts[utterance]['start'])} · missed: "
                       f"{common.label_text(label)}")
        with row[1]:
            components.text(texts[utterance]["text"], quote=True)
        if row[2].button("Take back", key=f"unadd-{utterance}-{label}"):
            queries.remove_mark(conn, who, call["id"], utterance, label)
            st.rerun()
    with st.form("add-missed", clear_on_submit=True):
        st.caption("A finding the machine missed")
        utterance = st.selectbox(
            "Agent's words", [u["idx"] for u in agent_turns], key="missed-utterance",
            format_func=lambda i: f"{common.clock(texts[i]['start'])} {texts[i]['text'][:90]}")
        label = st.selectbox("What it is", list(EVAL_LABELS), key="missed-label",
                             format_func=common.label_text)
        add = st.form_submit_button("Add missed finding")
    if add:
        common.attempt(lambda: queries.mark_finding(conn, who, call["id"], int(utterance), label,
                                                    calibration.ADDED), "Added.")


if __name__ == "__main__":
    render()
