"""Follow-through on promises, shared by the lead's overview and the call review page: mark a
commitment done or broken, and the repeat contacts of a call."""

from __future__ import annotations

import sqlite3
from typing import Any

import streamlit as st

from qa import queries
from qa.auth import Viewer
from qa.ui import common


def _describe(row: dict[str, Any]) -> str:
    """One commitment in a picker: id, call, moment, what was said (cut)."""
    quote = (row.get("quote") or "").replace("\n", " ")
    quote = quote if len(quote) <= 70 else quote[:69] + "…"
    due = f" · due {row['due_at'][:16].replace('T', ' ')}" if row.get("due_at") else ""
    return f"#{row['id']} · {row['call_id']} @{common.clock(row.get('start'))}{due} · “{quote}”"


def mark_form(conn: sqlite3.Connection, who: Viewer, rows: list[dict[str, Any]],
              key: str) -> None:
    """A form to mark one of ``rows`` (commitments with ``id``) done or broken, with an
    optional note; the query layer records who and when, and refuses agents."""
    if not rows:
        return
    by_id = {r["id"]: r for r in rows}
    with st.form(f"{key}-mark", clear_on_submit=True):
        chosen = st.selectbox("Commitment", list(by_id), key=f"{key}-which",
                              format_func=lambda i: _describe(by_id[i]))
        note = st.text_input("Note (optional)", key=f"{key}-note",
                             placeholder="e.g. refund seen in the ledger on the 4th")
        col = st.columns(3)
        done = col[0].form_submit_button("Mark done", icon=":material/done:")
        broken = col[1].form_submit_button("Mark broken", icon=":material/close:")
        reopen = col[2].form_submit_button("Open again")
    status = "done" if done else "broken" if broken else "open" if reopen else None
    if status and chosen is not None:
        try:
            queries.set_commitment_status(conn, who, int(chosen), status, note)
        except (LookupError, ValueError, queries.AccessDenied) as exc:
            st.error(str(exc))
            return
        st.session_state[f"{key}-saved"] = f"Commitment #{chosen} marked {status}."
        st.rerun()
    if saved := st.session_state.pop(f"{key}-saved", None):
        st.success(saved)


def call_section(conn: sqlite3.Connection, who: Viewer, call: dict[str, Any],
                 open_call: Any) -> None:
    """The call's repeat contacts (links to the customer's next and previous calls) and its
    commitments with their status, flag and who marked them, and the form to mark them."""
    for link in call.get("called_back") or []:
        st.warning(f"Customer called back on {common.day(link['ts'])}: this call may not "
                   "have resolved their issue.")
        st.button(f"Open the call back: {common.md(link['call_id'])}",
                  key=f"callback-next-{link['call_id']}", on_click=open_call,
                  args=(link["call_id"],))
    for link in call.get("callback_of") or []:
        st.info(f"Repeat contact: the same customer called on {common.day(link['ts'])}.")
        st.button(f"Open the earlier call: {common.md(link['call_id'])}",
                  key=f"callback-prev-{link['call_id']}", on_click=open_call,
                  args=(link["call_id"],))
    promises = call.get("commitments") or []
    if not promises:
        return
    st.subheader(f"Commitments ({len(promises)})")
    for p in promises:
        state = p["status"]
        if state != "open" and p.get("updated_at"):
            state += f" by {p.get('updated_by') or '?'} on {common.day(p['updated_at'])}"
        due = f" · due {p['due_at'][:16].replace('T', ' ')}" if p.get("due_at") else ""
        st.markdown(f"**#{p['id']}** @{common.clock(p['start'])} · "
                    f"{common.md(p['when_text'] or 'no time given')}{due} · **{state}**")
        if p["status"] == "open" and p.get("flag"):
            st.caption(f":warning: {common.md(p['flag'])}")
        if p.get("status_note"):
            st.caption(f"Note: {common.md(p['status_note'])}")
    mark_form(conn, who, [{**p, "call_id": call["id"]} for p in promises], "call-promises")
