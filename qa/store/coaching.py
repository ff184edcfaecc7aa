"""What coaches, leads and agents add to a scored call: notes, score overrides, reviews and
sharing, acknowledgements, commitment statuses, marks on findings and disputes.

Each function writes one change and its audit-trail row in one transaction. Who may make the
change, and whether its values are valid, is decided before, by :mod:`qa.queries` (the
role-checked layer the dashboard and the CLI call).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from qa import forms
from qa.scoring import final_overall
from qa.store import audit, now, stored_answers

OPEN, UPHELD, CHANGED = "open", "upheld", "changed"


def set_commitment_status(conn: sqlite3.Connection, user: str, commitment_id: int,
                          status: str, note: str | None) -> dict[str, Any]:
    """Set a promise's status, recording who and when on its row; returns the row."""
    with conn:
        cur = conn.execute("UPDATE commitments SET status = ?, status_note = ?, updated_at = ?, "
                           "updated_by = ? WHERE id = ?",
                           [status, note, now(), user, int(commitment_id)])
        if cur.rowcount == 0:
            raise LookupError(f"no commitment {commitment_id}")
    return dict(conn.execute("SELECT * FROM commitments WHERE id = ?",
                             [int(commitment_id)]).fetchone())


def add_note(conn: sqlite3.Connection, user: str, call_id: str, body: str,
             finding_id: int | None, ref: str | None, for_agent: bool) -> int:
    """Store a note (on the call, or on the finding ``ref`` describes); returns its id."""
    with conn:
        cur = conn.execute(
            "INSERT INTO notes (call_id, finding_id, finding_ref, author, body, for_agent, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [call_id, finding_id, ref, user, body, int(for_agent), now()])
        note_id = int(cur.lastrowid or 0)
        audit(conn, user, "note.add", call_id, f"note {note_id}",
              after={"body": body, "for_agent": bool(for_agent),
                     "finding": json.loads(ref) if ref else None})
    return note_id


def override_state(conn: sqlite3.Connection, call_id: str, criterion: str
                   ) -> dict[str, Any] | None:
    """The current override of a criterion on a call, as the audit trail records it."""
    row = conn.execute("SELECT score, machine_score, reason, author, created_at FROM overrides "
                       "WHERE call_id = ? AND criterion = ?", [call_id, criterion]).fetchone()
    return dict(row) if row else None


def write_override(conn: sqlite3.Connection, user: str, call_id: str, criterion: str,
                   score: float, machine_score: float | None, reason: str,
                   dispute: int | None = None) -> None:
    """Set the override and its audit row, in the caller's transaction. The overrides table
    holds only the current one: its history is the trail."""
    before = override_state(conn, call_id, criterion)
    conn.execute(
        "INSERT INTO overrides (call_id, criterion, score, machine_score, reason, author, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, criterion) DO UPDATE "
        "SET score = excluded.score, machine_score = excluded.machine_score, "
        "reason = excluded.reason, author = excluded.author, "
        "created_at = excluded.created_at",
        [call_id, criterion, score, machine_score, reason, user, now()])
    after = override_state(conn, call_id, criterion)
    if after is not None and dispute is not None:
        after["dispute"] = dispute
    audit(conn, user, "override.change" if before else "override.set", call_id,
          criterion, before=before, after=after)


def set_override(conn: sqlite3.Connection, user: str, call_id: str, criterion: str,
                 score: float, machine_score: float | None, reason: str) -> None:
    """Replace a criterion's score on a call by a person's, in a transaction of its own."""
    with conn:
        write_override(conn, user, call_id, criterion, score, machine_score, reason)


def remove_override(conn: sqlite3.Connection, user: str, call_id: str, criterion: str) -> None:
    """Go back to the machine's score for a criterion (nothing to do without an override)."""
    with conn:
        before = override_state(conn, call_id, criterion)
        if before is None:
            return
        conn.execute("DELETE FROM overrides WHERE call_id = ? AND criterion = ?",
                     [call_id, criterion])
        audit(conn, user, "override.remove", call_id, criterion, before=before)


def review_state(conn: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
    """Who reviewed and shared a call and when, as the audit trail records it."""
    row = conn.execute("SELECT reviewed_by, reviewed_at, shared_by, shared_at FROM reviews "
                       "WHERE call_id = ?", [call_id]).fetchone()
    return dict(row) if row else None


def set_reviewed(conn: sqlite3.Connection, user: str, call_id: str, reviewed: bool) -> None:
    """Mark a call reviewed (or not: the review row goes, and with it the sharing)."""
    with conn:
        before = review_state(conn, call_id)
        if reviewed:
            conn.execute(
                "INSERT INTO reviews (call_id, reviewed_by, reviewed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (call_id) DO UPDATE SET reviewed_by = excluded.reviewed_by, "
                "reviewed_at = excluded.reviewed_at", [call_id, user, now()])
        else:
            conn.execute("DELETE FROM reviews WHERE call_id = ?", [call_id])
        audit(conn, user, "review.mark" if reviewed else "review.unmark",
              call_id, before=before, after=review_state(conn, call_id))


def set_shared(conn: sqlite3.Connection, user: str, call_id: str, shared: bool) -> None:
    """Share a call with its agent (which also marks it reviewed), or stop sharing it."""
    stamp = now()
    with conn:
        before = review_state(conn, call_id)
        if shared:
            conn.execute(
                "INSERT INTO reviews (call_id, reviewed_by, reviewed_at, shared_by, shared_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET "
                "reviewed_by = coalesce(reviewed_by, excluded.reviewed_by), "
                "reviewed_at = coalesce(reviewed_at, excluded.reviewed_at), "
                "shared_by = excluded.shared_by, shared_at = excluded.shared_at",
                [call_id, user, stamp, user, stamp])
        else:
            conn.execute("UPDATE reviews SET shared_by = NULL, shared_at = NULL "
                         "WHERE call_id = ?", [call_id])
        audit(conn, user, "review.share" if shared else "review.unshare",
              call_id, before=before, after=review_state(conn, call_id))


def acknowledge(conn: sqlite3.Connection, user: str, call_id: str, comment: str) -> None:
    """Store an agent's acknowledgement of a shared review, with an optional comment."""
    with conn:
        conn.execute("INSERT INTO acknowledgements (call_id, user, comment, created_at) "
                     "VALUES (?, ?, ?, ?)", [call_id, user, comment or None, now()])
        audit(conn, user, "review.acknowledge", call_id, after={"comment": comment or None})


def mark_state(conn: sqlite3.Connection, coach: str, call_id: str, utterance_idx: int,
               label: str) -> dict[str, Any] | None:
    """One coach's verdict on a label of an utterance, as the audit trail records it."""
    row = conn.execute("SELECT verdict FROM finding_marks WHERE call_id = ? AND "
                       "utterance_idx = ? AND label = ? AND coach = ?",
                       [call_id, utterance_idx, label, coach]).fetchone()
    return {"verdict": row[0]} if row else None


def mark_finding(conn: sqlite3.Connection, coach: str, call_id: str, utterance_idx: int,
                 label: str, verdict: str) -> None:
    """Store a coach's verdict on a label of an utterance, replacing their earlier one."""
    with conn:
        before = mark_state(conn, coach, call_id, utterance_idx, label)
        conn.execute(
            "INSERT INTO finding_marks (call_id, utterance_idx, label, verdict, coach, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, utterance_idx, label, "
            "coach) DO UPDATE SET verdict = excluded.verdict, created_at = excluded.created_at",
            [call_id, utterance_idx, label, verdict, coach, now()])
        audit(conn, coach, "finding.mark", call_id, f"utterance {utterance_idx} {label}",
              before=before, after={"verdict": verdict})


def remove_mark(conn: sqlite3.Connection, coach: str, call_id: str, utterance_idx: int,
                label: str) -> None:
    """Take back a coach's own mark on an utterance and label (nothing to do without one)."""
    with conn:
        before = mark_state(conn, coach, call_id, utterance_idx, label)
        if before is None:
            return
        conn.execute("DELETE FROM finding_marks WHERE call_id = ? AND utterance_idx = ? "
                     "AND label = ? AND coach = ?", [call_id, utterance_idx, label, coach])
        audit(conn, coach, "finding.unmark", call_id, f"utterance {utterance_idx} {label}",
              before=before)


def open_dispute(conn: sqlite3.Connection, user: str, call_id: str, agent: str,
                 criterion: str, finding_id: int | None, ref: str | None, reason: str,
                 score: Sequence[Any]) -> int:
    """Store an agent's dispute of a criterion's score (``score``: the machine's and the
    override, if any) or of one finding; returns its id. ValueError when the same item
    already has an open dispute."""
    with conn:
        if conn.execute("SELECT 1 FROM disputes WHERE call_id = ? AND criterion = ? AND "
                        "finding_id IS ? AND status = 'open'",
                        [call_id, criterion, finding_id]).fetchone():
            raise ValueError("you already disputed this; your coach has not answered yet")
        current = score[1] if score[1] is not None else score[0]
        cur = conn.execute(
            "INSERT INTO disputes (call_id, agent, raised_by, criterion, finding_id, "
            "finding_ref, reason, created_at, machine_score, disputed_score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [call_id, agent, user, criterion, finding_id, ref, reason,
             now(), score[0], current])
        dispute_id = int(cur.lastrowid or 0)
        audit(conn, user, "dispute.open", call_id, f"dispute {dispute_id}",
              after={"criterion": criterion, "finding": json.loads(ref) if ref else None,
                     "reason": reason, "score": current})
    return dispute_id


def resolve_dispute(conn: sqlite3.Connection, user: str, dispute_id: int, outcome: str,
                    reply: str, new_score: float | None) -> None:
    """Store the answer to an open dispute: ``upheld``, or ``changed`` with ``new_score``
    set as the criterion's override (the reply its reason). LookupError for an unknown
    dispute, ValueError for one already resolved."""
    with conn:
        d = conn.execute("SELECT * FROM disputes WHERE id = ?", [dispute_id]).fetchone()
        if d is None:
            raise LookupError(f"no dispute {dispute_id}")
        if d["status"] != OPEN:
            raise ValueError("this dispute was already resolved")
        if outcome == CHANGED:
            machine = conn.execute("SELECT score FROM scores WHERE call_id = ? AND "
                                   "criterion = ?", [d["call_id"], d["criterion"]]).fetchone()
            if machine is None:
                raise LookupError("the disputed criterion is no longer on this call")
            write_override(conn, user, d["call_id"], d["criterion"], float(new_score or 0),
                           machine["score"], reply, dispute=dispute_id)
        stamp = now()
        conn.execute("UPDATE disputes SET status = ?, new_score = ?, reply = ?, "
                     "resolved_by = ?, resolved_at = ? WHERE id = ?",
                     [outcome, new_score, reply, user, stamp, dispute_id])
        audit(conn, user, "dispute.resolve", d["call_id"], f"dispute {dispute_id}",
              before={"status": OPEN, "score": d["disputed_score"]},
              after={"status": outcome, "score": new_score, "reply": reply})


def record_launch(conn: sqlite3.Connection, user: str, path: str, manifest: str | None,
                  total: int, after_run_id: int, pid: int | None, log_path: str | None) -> int:
    """Remember a batch a lead started from the browser; returns the launch's id."""
    with conn:
        cur = conn.execute(
            "INSERT INTO launches (path, manifest, total, after_run_id, pid, log_path, "
            "started_by, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [path, manifest, total, after_run_id, pid, log_path, user, now()])
    return int(cur.lastrowid or 0)


def question_of(conn: sqlite3.Connection, call_id: str, criterion: str) -> str | None:
    """The text of a form question scored on a call, or None when there is no such question."""
    row = conn.execute("SELECT question FROM scores WHERE call_id = ? AND criterion = ?",
                       [call_id, criterion]).fetchone()
    return None if row is None else row[0]


def answer_question(conn: sqlite3.Connection, user: str, call_id: str, criterion: str,
                    answer: str, comment: str | None, reason: str) -> float | None:
    """Store a coach's answer to a form question (it outlives re-scoring), set the question's
    score and the call's overall again (an auto-fail question answered no makes it 0), and
    write the audit row, in one transaction. Returns the new overall."""
    with conn:
        before = stored_answers(conn, call_id).get(criterion)
        conn.execute(
            "INSERT INTO form_answers (call_id, criterion, answer, comment, author, "
            "answered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, criterion) DO UPDATE "
            "SET answer = excluded.answer, comment = excluded.comment, "
            "author = excluded.author, answered_at = excluded.answered_at",
            [call_id, criterion, answer, comment, user, now()])
        value = forms.ANSWERS[answer]
        conn.execute("UPDATE scores SET score = ?, applicable = ?, pending = 0, reason = ? "
                     "WHERE call_id = ? AND criterion = ?",
                     [value, int(value is not None), reason, call_id, criterion])
        scores = [dict(zip(("criterion", "score", "weight", "reason", "auto_fail_below",
                            "pending"), row, strict=True))
                  for row in conn.execute("SELECT criterion, score, weight, reason, "
                                          "auto_fail_below, pending FROM scores "
                                          "WHERE call_id = ?", [call_id])]
        overall, failed, pending = final_overall(scores)
        conn.execute("UPDATE calls SET overall = ?, auto_fail = ?, pending = ? WHERE id = ?",
                     [overall, failed, pending, call_id])
        audit(conn, user, "question.change" if before else "question.answer", call_id,
              criterion, before=before, after=stored_answers(conn, call_id).get(criterion))
    return overall
