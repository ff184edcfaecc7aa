"""Pieces more than one page shows: the audio player, the transcript with findings highlighted
in place, quotes and notes as safe text, coaching points, and an agent against the team.

Transcript text, quotes, notes and comments come from recordings and people: they are only
ever shown escaped (``html.escape`` on every piece of the few HTML snippets built here, or
through ``common.md`` for Markdown), never interpreted.
"""

from __future__ import annotations

import html
import io
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from qa import moments, queries, store
from qa.auth import LEAD, Viewer
from qa.ui import charts, common

SEEK_KEY = "audio_seek"
MARK_COLORS = {"coaching": "#ffd8a8", "strength": "#c3f0c8", "info": "#e9ecef"}


def text(value: str, *, quote: bool = False, muted: bool = False) -> None:
    """Show text from a call or a person exactly as written."""
    body = html.escape(value or "")
    if quote:
        body = f"“{body}”"
    style = "color:#555;" if muted else ""
    style += "font-style:italic;" if quote else ""
    st.html(f'<div style="{style}white-space:pre-wrap;margin:0 0 4px 0">{body}</div>')


def _spans(utterance: str, findings: list[dict[str, Any]]) -> list[list[Any]]:
    """Character ranges of the utterance to highlight, merged where findings overlap."""
    lowered = utterance.lower()
    spans: list[list[Any]] = []
    for f in findings:
        quote = (f.get("quote") or "").strip()
        at = lowered.find(quote.lower()) if quote else -1
        start, end = (at, at + len(quote)) if at >= 0 else (0, len(utterance))
        spans.append([start, end, f["polarity"], [common.label_text(f["label"])]])
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[list[Any]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], span[1])
            last[3] = last[3] + span[3]
            if span[2] == "coaching" or last[2] == "info":
                last[2] = span[2]
        else:
            merged.append(span)
    return merged


def turn_html(utterance: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    """One speaker turn as HTML, findings marked in place; every piece of text escaped."""
    words = utterance.get("text") or ""
    out, pos = [], 0
    for start, end, polarity, titles in _spans(words, findings):
        out.append(html.escape(words[pos:start]))
        out.append(f'<mark style="background:{MARK_COLORS.get(polarity, "#e9ecef")};'
                   f'padding:0 2px;border-radius:3px" title="{html.escape("; ".join(titles))}">'
                   f"{html.escape(words[start:end])}</mark>")
        pos = end
    out.append(html.escape(words[pos:]))
    agent = utterance.get("speaker") == "agent"
    who = html.escape(str(utterance.get("speaker") or "").capitalize())
    border, background = ("#1f77b4", "#f3f8ff") if agent else ("#b0b0b0", "#fafafa")
    return (f'<div class="turn" style="border-left:4px solid {border};background:{background};'
            f'padding:5px 10px;border-radius:4px;line-height:1.5">'
            f'<span style="color:#666;font-size:0.8em">{common.clock(utterance.get("start"))}'
            f" · {who}</span><br>{''.join(out)}</div>")


def _seek(call_id: str, start: float) -> None:
    previous = st.session_state.get(SEEK_KEY) or {}
    st.session_state[SEEK_KEY] = {"call": call_id, "start": start,
                                  "n": previous.get("n", 0) + 1}


def audio_player(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any]) -> None:
    """The call's recording; after a finding is clicked, it plays from that moment."""
    audio = queries.call_audio(conn, who, call["id"])
    if audio is None:
        reason = ("this call was scored from a transcript" if call.get("origin") == "transcript"
                  else "the call was redacted and no redacted copy of its recording was made "
                  "(qa score --redacted-audio); the original is never played"
                  if call.get("redacted") is not None and not call.get("redacted_audio")
                  else "the recording is not where it was scored from")
        st.caption(f"No audio to play: {reason}.")
        return
    data, mime = audio
    # Keep the player in view while scrolling the transcript (fixed CSS, no data in it).
    st.html("<style>div[data-testid='stElementContainer']:has(audio[data-testid='stAudio'])"
            "{position:sticky;top:0.5rem;z-index:990;background:white;border-radius:2rem;"
            "box-shadow:0 2px 8px rgba(0,0,0,.18)}</style>")
    seek = st.session_state.get(SEEK_KEY) or {}
    start = int(seek["start"]) if seek.get("call") == call["id"] else 0
    # st.audio only moves the playhead when start_time changes, so clicking the same finding
    # twice alternates between its second and the one before it (a natural lead-in).
    if seek.get("call") == call["id"] and seek.get("n", 0) % 2 == 0 and start > 0:
        start -= 1
    st.audio(data, format=mime, start_time=start, autoplay=start > 0 or bool(seek))


def transcript(call: dict[str, Any], *, playable: bool) -> None:
    """Speaker turns with findings highlighted; a button per finding plays it."""
    by_turn: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in call["findings"]:
        if f.get("utterance_idx") is not None:
            by_turn[int(f["utterance_idx"])].append(f)
    if not call["utterances"]:
        st.caption("No transcript.")
        return
    for u in call["utterances"]:
        found = by_turn.get(int(u["idx"]), [])
        st.html(turn_html(u, found))
        if found:
            with st.container(horizontal=True, gap="small"):
                for f in found:
                    icon = {"coaching": ":material/flag:", "strength": ":material/star:"}.get(
                        f["polarity"], ":material/info:")
                    label = f"{common.clock(f['start'])} {common.md(common.label_text(f['label']))}"
                    st.button(label, key=f"play-{f['id']}", icon=icon, type="tertiary",
                              help=common.md(f.get("message") or ""), disabled=not playable,
                              on_click=_seek, args=(call["id"], float(f["start"] or 0)))


def scores_table(call: dict[str, Any]) -> None:
    """Per-criterion scores: the machine's, the coach's override beside it, and why."""
    rows = []
    for s in call["scores"]:
        override = s.get("override_score")
        rows.append({
            "Criterion": common.criterion_name(s["criterion"]),
            "Machine": s["machine_score"],
            "Coach": override,
            "Used": s["score"],
            "Weight": s["weight"],
            "Why (machine)": s["reason"],
            "Why (coach)": (f"{s['override_reason']} ({s['override_by']})"
                            if override is not None else None),
            "Form": _form_note(s),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 height=38 + 35 * len(rows), column_config={
        "Machine": st.column_config.NumberColumn(format="%.0f"),
        "Coach": st.column_config.NumberColumn(format="%.0f"),
        "Used": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
        "Weight": st.column_config.NumberColumn(format="%.2g"),
        "Why (machine)": st.column_config.TextColumn(width="large"),
    })


def _form_note(s: dict[str, Any]) -> str | None:
    """A score's form status: a question waiting for a coach, an auto-fail item (missed or
    not), or None."""
    if s.get("pending"):
        return "question: pending"
    below = s.get("auto_fail_below")
    if below is not None:
        missed = s["score"] is not None and s["score"] < below
        return "AUTO-FAIL: missed, overall 0" if missed else "auto-fail item: passed"
    return "question: answered" if s.get("question") else None


def overall_banner(call: dict[str, Any]) -> None:
    """Say why the overall is 0 (an auto-fail item missed), or that questions are pending,
    with the coach's overrides applied, as the overall shown beside it."""
    failed = call.get("effective_auto_fail")
    if failed:
        st.error(f"Overall 0, {common.md(failed)}", icon="⛔")
    pending = call.get("effective_pending")
    if pending:
        st.info(f"Score pending: {pending} question(s) for a coach to answer. The overall "
                "stands without them until then.", icon="⏳")


def summary(call: dict[str, Any],
            colleague_for: Callable[[int, str], None] | None = None) -> None:
    """The call's top coaching points and best moments, as the scorer summarised them;
    ``colleague_for(finding_id, key)`` adds "how a colleague handled this" under each point."""
    data = call.get("summary") or {}
    ids = {(f["label"], f["start"]): f["id"] for f in call.get("findings", [])
           if f["polarity"] == "coaching"}
    for n, item in enumerate(data.get("coaching", [])):
        with st.container(border=True):
            st.markdown(f"**{common.clock(item['start'])} · "
                        f"{common.md(common.label_text(item['label']))}**")
            text(item.get("message") or "", muted=True)
            text(item.get("quote") or "", quote=True)
            if item.get("suggestion"):
                st.markdown("**Try:**")
                text(item["suggestion"])
            finding_id = ids.get((item["label"], item["start"]))
            if colleague_for is not None and finding_id is not None:
                colleague_for(finding_id, f"summary-{n}")
    for item in data.get("strengths", []):
        st.markdown(f":green[**Strength · {common.clock(item['start'])}**] "
                    f"{common.md(common.label_text(item['label']))}")
        text(item.get("quote") or "", quote=True, muted=True)


def notes(call: dict[str, Any]) -> None:
    """Notes on the call, newest last, each tied to its finding when it has one."""
    for n in call.get("notes", []):
        target = "the call"
        if n.get("finding_ref"):
            import json

            ref = json.loads(n["finding_ref"])
            target = f"{common.clock(ref.get('start'))} {common.label_text(ref.get('label', ''))}"
        who = "" if n.get("for_agent", 1) else " · coaches only"
        st.caption(f"{common.md(n['author'])} on {common.md(target)}, "
                   f"{common.md(common.day(n['created_at']))}{who}")
        text(n["body"])


def coaching_points(result: dict[str, Any], *, agent_view: bool,
                    open_call: Callable[[str, float], None] | None, key: str,
                    limit: int = 8,
                    colleague_for: Callable[[int, str], None] | None = None) -> None:
    """Recurring coaching points, costliest first, each with example quotes from calls;
    ``colleague_for(finding_id, key)`` adds "how a colleague handled this" under each."""
    points = result["points"][:limit]
    if not points:
        st.info("No coaching points in this period." if result["calls"] else
                "No calls in this period.")
        return
    names = {p["label"]: common.label_text(p["label"]) for p in points}
    if not agent_view and len(points) > 1:
        st.altair_chart(charts.points_cost(points, names), width="stretch")
    for rank, p in enumerate(points, start=1):
        with st.container(border=True):
            st.markdown(f"**{rank}. {common.md(names[p['label']])}**")
            calls = "your calls" if agent_view else "calls"
            times = "once" if p["occurrences"] == 1 else f"{p['occurrences']} times"
            st.caption(f"In {p['share']:.0%} of {calls} ({p['calls']} of {result['calls']}), "
                       f"{times} · costs {p['per_call']:.1f} overall points per call on "
                       f"average · {common.md(common.criterion_name(p['criterion']))}")
            examples = p.get("examples", [])
            if examples and examples[0].get("suggestion"):
                st.markdown("**Try:**" if agent_view else "**Suggested phrasing:**")
                text(examples[0]["suggestion"])
            for ex in examples:
                cols = st.columns([6, 1], vertical_alignment="center")
                with cols[0]:
                    text(ex["quote"], quote=True, muted=True)
                    st.caption(f"{common.md(ex['call_id'])} · {common.day(ex['ts'])} · "
                               f"{common.clock(ex['start'])}")
                if open_call is not None:
                    cols[1].button("Open call", key=f"{key}-{p['label']}-{ex['id']}",
                                   on_click=open_call, args=(ex["call_id"], ex["start"]))
            if colleague_for is not None and examples:
                colleague_for(int(examples[0]["id"]), f"{key}-{p['label']}")


def strengths(result: dict[str, Any], *, key: str, limit: int = 5) -> None:
    """What the agent does well, most widespread first, with one example each."""
    items = result["strengths"][:limit]
    if not items:
        st.caption("No strengths recorded in this period.")
        return
    for s in items:
        share = s["calls"] / result["calls"] if result["calls"] else 0
        st.markdown(f":green[**{common.md(common.label_text(s['label']))}**] · "
                    f"in {share:.0%} of calls")
        if s.get("examples"):
            text(s["examples"][0]["quote"], quote=True, muted=True)


def versus_team(conn: sqlite3.Connection, who: Viewer, agent: str, period: queries.Period,
                *, label: str, key: str) -> None:
    """The agent's mean per criterion against the team median, and one criterion's trend."""
    mine = common.cached("agent_trend", conn, who, agent, period)
    team = common.cached("team_medians", conn, who, period)
    rows = []
    for criterion, stats in mine["period"].items():
        median = team["period"].get(criterion)
        rows.append({"criterion": criterion, "Criterion": common.criterion_name(criterion),
                     label: stats["average"], "Team median": median,
                     "Difference": None if median is None else stats["average"] - median,
                     "Calls": stats["calls"]})
    if not rows:
        st.info("No scored calls in this period.")
        return
    if not team["period"]:
        # Fewer colleagues than the minimum: a median would tell one of them their scores.
        st.info(f"Not enough colleagues to compare: the team median is shown once at least "
                f"{team['min_colleagues']} other agents have calls shared with them in this "
                "period.")
    order = common.cached("criteria", conn, who)
    rows.sort(key=lambda r: order.index(r["criterion"]) if r["criterion"] in order else 99)
    table = pd.DataFrame(rows)
    weakest = min(rows, key=lambda r: r["Difference"] if r["Difference"] is not None else 0)
    choices = [r["criterion"] for r in rows]
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(table.drop(columns=["criterion"]), hide_index=True, width="stretch",
                     column_config={
                         label: st.column_config.NumberColumn(format="%.0f"),
                         "Team median": st.column_config.NumberColumn(format="%.0f"),
                         "Difference": st.column_config.NumberColumn(format="%+.0f"),
                     })
    with right:
        chosen = st.selectbox("Criterion over time", choices, key=f"{key}-criterion",
                              index=choices.index(weakest["criterion"]),
                              format_func=common.criterion_name)
        st.altair_chart(charts.versus_team(mine["trend"], team["trend"], chosen, label,
                                           team["bucket"]), width="stretch")


def _change_text(value: Any) -> str:
    """A before/after value of the audit trail as one line of plain text."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    return str(value)


def history(conn: sqlite3.Connection, who: Viewer, call_id: str) -> None:
    """The call's audit trail (who did what when, before and after) as a table of plain text:
    a dataframe never interprets what a person typed as Markdown or HTML."""
    rows = queries.call_history(conn, who, call_id)
    if not rows:
        st.caption("Nobody has changed anything on this call yet.")
        return
    st.dataframe(pd.DataFrame([{
        "When": r["at"][:19].replace("T", " "), "Who": r["actor"], "What": r["action"],
        "About": r["target"] or "", "Before": _change_text(r["before"]),
        "After": _change_text(r["after"])} for r in rows]),
        hide_index=True, width="stretch", key=f"history-{call_id}")


def audit_downloads(conn: sqlite3.Connection, who: Viewer, key: str) -> None:
    """Leads: download the whole audit trail, as formula-safe CSV or JSON Lines."""
    if who.role != LEAD:
        return
    csv_out, jsonl_out = io.StringIO(), io.StringIO()
    store.write_audit(queries.audit_trail(conn, who), "csv", csv_out)
    store.write_audit(queries.audit_trail(conn, who), "jsonl", jsonl_out)
    cols = st.columns(2)
    cols[0].download_button("Download the audit trail (CSV)",
                            ("\ufeff" + csv_out.getvalue()).encode("utf-8"),
                            file_name="audit_trail.csv", mime="text/csv", key=f"{key}-csv")
    cols[1].download_button("Download the audit trail (JSON Lines)",
                            jsonl_out.getvalue().encode("utf-8"), file_name="audit_trail.jsonl",
                            mime="application/jsonl", key=f"{key}-jsonl")


def rubric_note(conn: sqlite3.Connection, who: Viewer, period: queries.Period,
                 chosen: tuple[str, ...], queue: str | None,
                 advice: str = "pick a queue to compare like with like") -> bool:
    """Say so when the figures below average calls scored with different rubrics (their
    criteria and forms differ); returns whether they do."""
    mix = common.cached("rubric_mix", conn, who, period, chosen, queue)
    if len(mix) < 2:
        return False
    parts = "; ".join(
        f"{common.md(r['rubric'])} {common.md(r['version'])}: {r['calls']:,} calls"
        + (f" (queue {common.md(queue_list(r['queues']))})" if r["queues"] else "")
        for r in mix)
    st.warning(f"These figures average calls scored with {len(mix)} different rubrics "
               f"({parts}). Their criteria and forms differ: {advice}.", icon="⚠️")
    return True


def queue_list(joined: str) -> str:
    """"billing, general, (none)" from the query's comma-joined queues ("" for none)."""
    found = sorted(set(joined.split(",")), key=lambda q: (q == "", q))
    return ", ".join(q or "(none)" for q in found)


def moment_slug(key: moments.MomentKey) -> str:
    """A moment's key as a widget key (letters, digits and dashes)."""
    raw = f"{key.call_id}-{key.utterance_idx}-{key.label}"
    return "".join(ch if ch.isalnum() else "-" for ch in raw)


def open_moment(key: moments.MomentKey) -> None:
    """Go to the good moments page showing one moment."""
    st.switch_page(common.PAGE_DIR / "library.py", query_params={"moment": key.text()})


def colleague(conn: sqlite3.Connection, who: Viewer, finding_id: int, key: str) -> None:
    """Under a coaching point: the most similar shareable good moment of another agent, the
    colleague named only when the team allows it; nothing when there is none."""
    found = moments.colleague_moment(conn, who, finding_id)
    if found is None:
        return
    with st.container(border=True, key=f"colleague-{key}"):
        st.markdown(f":blue[**How a colleague handled this**] · {common.md(found['kind'])}")
        if found["context"]:
            text(f"Customer: {found['context']}", muted=True)
        text(found["quote"] or "", quote=True)
        who_said = found["agent"] or "A colleague"
        st.caption(f"{common.md(who_said)} · call {common.md(found['call_id'])} · "
                   f"{common.clock(found['start'])}")
        if st.button("See it in Good moments", key=f"colleague-open-{key}",
                     icon=":material/star:", type="tertiary"):
            open_moment(found["key"])
