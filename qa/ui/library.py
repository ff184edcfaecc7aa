"""Everyone: good moments. Strength findings across the team (sincere apologies, restating
the problem, specific commitments, empathy, recovering after an interruption), searchable by
criterion and by the customer's words, each with its quote, the customer's words before it,
a clip of the recording (the redacted copy for a redacted call), the call and the time.

Coaches and leads curate: pin, hide, mark shareable (each change audit-logged). An agent sees
their own shared calls' moments and colleagues' moments a coach marked shareable, the
colleague's name only when a lead allows it. ``?moment=KEY`` opens one moment.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import streamlit as st

from qa import moments
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.ui import common, components

LISTEN_KEY = "moments-listen"
MORE_KEY = "moments-shown"
PAGE = 20  # moments a page shows at first, and how many more each "Show more" adds


def render() -> None:
    """The page."""
    who, conn = common.require(LEAD, COACH, AGENT)
    st.title("Good moments")
    wanted = st.query_params.get("moment")
    if wanted:
        _one(conn, who, str(wanted))
        return
    staff = who.role != AGENT
    st.caption("Moments from real calls where an agent handled the customer well. "
               + ("Pin the best, hide what should not be copied, and mark shareable what "
                  "other agents may see." if staff else
                  "Your own shared calls, and colleagues' moments your coaches chose to "
                  "share."))
    if who.role == LEAD:
        _names_setting(conn, who)
    cols = st.columns([2, 3, 2] if staff else [2, 3], vertical_alignment="bottom")
    criterion = cols[0].selectbox("Criterion", [None, *moments.CRITERIA], key="moments-criterion",
                                  format_func=lambda c: "All" if c is None
                                  else common.criterion_name(c))
    situation = cols[1].text_input("Situation (the customer's words)", key="moments-situation",
                                   placeholder="charged twice, parcel never arrived, ...")
    include_hidden = shareable_only = False
    if staff:
        include_hidden = cols[2].checkbox("Show hidden", key="moments-hidden")
        shareable_only = cols[2].checkbox("Shareable only", key="moments-shareable")
    shown = st.session_state.get(MORE_KEY, PAGE)
    found = moments.library(conn, who, criterion, situation, include_hidden=include_hidden,
                            shareable_only=shareable_only, limit=shown + 1)
    if not found:
        st.info("No good moments match." if situation or criterion else
                "No good moments yet: they come from strength findings on scored calls"
                + ("." if staff else " shared with you or shared by your coaches."))
        return
    more = "+" if len(found) > shown else ""
    order = ", most similar first" if situation.strip() else ", pinned first, then newest"
    st.caption(f"{min(len(found), shown)}{more} moment(s){order}")
    for m in found[:shown]:
        _card(conn, who, m)
    if len(found) > shown and st.button(f"Show {PAGE} more", key="moments-more"):
        st.session_state[MORE_KEY] = shown + PAGE
        st.rerun()


def _names_setting(conn: sqlite3.Connection, who: Viewer) -> None:
    """The lead's team setting: agents see which colleague a shared moment is from."""
    current = moments.show_names(conn)
    wanted = st.toggle("Agents see colleagues' names on shared moments", value=current,
                       key="moments-show-names")
    if wanted != current:
        moments.set_show_names(conn, who, wanted)
        st.rerun()


def _one(conn: sqlite3.Connection, who: Viewer, value: str) -> None:
    """One moment (from a "how a colleague handled this" link), or a refusal with no data."""
    if st.button("All good moments", icon=":material/arrow_back:", key="moments-back"):
        st.query_params.pop("moment", None)
        st.rerun()
    try:
        key = moments.MomentKey.parse(value)
    except ValueError:
        key = None
    found = moments.get_moment(conn, who, key) if key else None
    if found is None or (who.role == AGENT and found["hidden"]):
        st.error("There is no such moment among those you may see.")
        return
    _card(conn, who, found)


def _card(conn: sqlite3.Connection, who: Viewer, m: dict[str, Any]) -> None:
    """One moment: what, whose, the customer's words, the agent's, a clip, and (staff) the
    curation buttons."""
    slug = components.moment_slug(m["key"])
    with st.container(border=True, key=f"moment-{slug}"):
        whose = "You" if m["own"] else (m["agent"] or "A colleague")
        flags = [name for name, on in (("pinned", m["pinned"]), ("shareable", m["shareable"]),
                                       ("hidden", m["hidden"])) if on]
        st.markdown(f"**{common.md(m['kind'])}** · {common.md(whose)} · call "
                    f"{common.md(m['call_id'])} · {common.clock(m['start'])} · "
                    f"{common.day(m['ts'])}" + (f" · :orange[{', '.join(flags)}]" if flags
                                                else ""))
        if m["context"]:
            components.text(f"Customer: {m['context']}", muted=True)
        components.text(m["quote"] or "", quote=True)
        if m.get("recovered"):
            components.text(f"Handed back with: {m['recovered']}", muted=True)
        row = st.columns([1, 1, 1, 1, 2], vertical_alignment="center")
        listening = st.session_state.get(LISTEN_KEY) == slug
        if row[0].button("Hide clip" if listening else "Listen", key=f"listen-{slug}",
                         icon=":material/headphones:", type="tertiary"):
            st.session_state[LISTEN_KEY] = None if listening else slug
            st.rerun()
        if who.role != AGENT:
            _curate(conn, who, m, row[1:4], slug)
            if row[4].button("Open call", key=f"open-{slug}", type="tertiary"):
                common.open_review(m["call_id"])
        if listening:
            clip = moments.moment_audio(conn, who, m["key"])
            if clip is None:
                st.caption("No recording to play: the call was imported as a transcript, or "
                           "it was redacted and has no redacted copy of its audio.")
            else:
                st.audio(clip[0], format=clip[1])


def _curate(conn: sqlite3.Connection, who: Viewer, m: dict[str, Any], cells: list[Any],
            slug: str) -> None:
    """Pin, hide, share (or take back), each one audit row."""
    for cell, (flag, on, off) in zip(cells, (("pinned", "Pin", "Unpin"),
                                             ("hidden", "Hide", "Unhide"),
                                             ("shareable", "Mark shareable", "Stop sharing")),
                                     strict=True):
        if cell.button(off if m[flag] else on, key=f"{flag}-{slug}"):
            moments.curate(conn, who, m["key"], flag, not m[flag])
            st.rerun()


if __name__ == "__main__":
    render()
