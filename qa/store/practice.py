"""Practice sets as stored: the sets made for an agent, their items and the agent's scored
answers (tables of step ``0009_practice``, whose schema is ``PRACTICE_SCHEMA`` in
:mod:`qa.store`).

What an item is, how an answer is scored and who may read or write what is decided by
:mod:`qa.practice`, before it calls these functions; they only read and write rows. Each write
runs in its own transaction, with its audit-trail row where the change is a coach's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from qa.store import audit, now


def get_set(conn: sqlite3.Connection, set_id: int) -> sqlite3.Row | None:
    """The practice set's row, or None when there is no such set."""
    row: sqlite3.Row | None = conn.execute("SELECT * FROM practice_sets WHERE id = ?",
                                           [set_id]).fetchone()
    return row


def get_item(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row | None:
    """The practice item's row (audio included) with its set's agent as ``set_agent``, or
    None when there is no such item."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT i.*, s.agent AS set_agent FROM practice_items i "
        "JOIN practice_sets s ON s.id = i.set_id WHERE i.id = ?", [item_id]).fetchone()
    return row


def coaching_points(conn: sqlite3.Connection, agent: str, labels: Sequence[str], cond: str,
                    params: Sequence[Any], limit: int) -> list[dict[str, Any]]:
    """The coaching findings with these ``labels`` on ``agent``'s scorable calls that also
    meet ``cond`` (an SQL condition on the calls as ``c``, with its ``params``: the viewer's
    visibility), newest calls first, at most ``limit``."""
    return [dict(r) for r in conn.execute(
        f"SELECT fi.call_id, fi.label, fi.criterion, fi.utterance_idx, fi.speaker, "
        f"fi.message, fi.suggestion, c.origin, c.source_path, c.redacted, c.redacted_audio "
        f"FROM findings fi JOIN calls c ON c.id = fi.call_id "
        f"WHERE c.agent = ? AND c.scorable = 1 AND fi.polarity = 'coaching' "
        f"AND fi.label IN ({', '.join('?' * len(labels))}) AND {cond} "
        f"ORDER BY coalesce(c.call_time, c.scored_at) DESC, fi.start LIMIT ?",
        [agent, *labels, *params, limit])]


def call_utterances(conn: sqlite3.Connection, call_id: str) -> list[dict[str, Any]]:
    """A call's utterances in order: idx, speaker, start, end, text."""
    return [dict(r) for r in conn.execute(
        "SELECT idx, speaker, start, end, text FROM utterances WHERE call_id = ? "
        "ORDER BY idx", [call_id])]


def add_set(conn: sqlite3.Connection, user: str, agent: str, title: str, assigned: bool,
            items: Sequence[dict[str, Any]]) -> int:
    """Store a set for ``agent`` made by ``user`` with its ``items`` (column -> value, in
    order) and the ``practice.assign`` audit row, in one transaction; returns the set's id."""
    with conn:
        cur = conn.execute("INSERT INTO practice_sets (agent, title, created_by, created_at, "
                           "assigned) VALUES (?, ?, ?, ?, ?)",
                           [agent, title, user, now(), int(assigned)])
        set_id = int(cur.lastrowid or 0)
        for position, item in enumerate(items):
            columns = ["set_id", "position", *item]
            conn.execute(f"INSERT INTO practice_items ({', '.join(columns)}) "
                         f"VALUES ({', '.join('?' * len(columns))})",
                         [set_id, position, *item.values()])
        audit(conn, user, "practice.assign", None, target=f"practice_set:{set_id}",
              after={"agent": agent, "title": title, "items": len(items)})
    return set_id


def list_sets(conn: sqlite3.Connection, agent: str | None) -> list[dict[str, Any]]:
    """Practice sets, newest first, of ``agent`` (None: everyone's), each with its count of
    items, of items answered and the time of the last answer."""
    where, params = ("WHERE s.agent = ?", [agent]) if agent else ("", [])
    return [dict(r) for r in conn.execute(
        f"SELECT s.id, s.agent, s.title, s.created_by, s.created_at, s.assigned, "
        f"(SELECT count(*) FROM practice_items i WHERE i.set_id = s.id) AS items, "
        f"(SELECT count(DISTINCT a.item_id) FROM practice_attempts a JOIN practice_items i "
        f" ON i.id = a.item_id WHERE i.set_id = s.id) AS answered, "
        f"(SELECT max(a.created_at) FROM practice_attempts a JOIN practice_items i "
        f" ON i.id = a.item_id WHERE i.set_id = s.id) AS last_answer "
        f"FROM practice_sets s {where} ORDER BY s.id DESC", params)]


def set_items(conn: sqlite3.Connection, set_id: int, agent: str) -> list[dict[str, Any]]:
    """A set's items of ``agent`` in order, without their audio (``has_audio`` says whether
    there is some); ``context`` and ``original_result`` as stored (JSON)."""
    return [dict(r) for r in conn.execute(
        "SELECT id, set_id, position, agent, call_id, finding_label, criterion, moment_idx, "
        "prompt, context, original, original_result, message, suggestion, audio_source, "
        "audio IS NOT NULL AS has_audio FROM practice_items WHERE set_id = ? AND agent = ? "
        "ORDER BY position", [set_id, agent])]


def set_attempts(conn: sqlite3.Connection, set_id: int) -> list[dict[str, Any]]:
    """Every answer to a set's items, oldest first; ``result`` as stored (JSON)."""
    return [dict(a) for a in conn.execute(
        "SELECT a.* FROM practice_attempts a JOIN practice_items i "
        "ON i.id = a.item_id WHERE i.set_id = ? ORDER BY a.id", [set_id])]


def add_attempt(conn: sqlite3.Connection, item_id: int, agent: str, user: str, mode: str,
                answer: str, score: float | None, result: str) -> None:
    """Store one answer to an item with its score and ``result`` (JSON), in one transaction."""
    with conn:
        conn.execute("INSERT INTO practice_attempts (item_id, agent, user, mode, answer, score, "
                     "result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [item_id, agent, user, mode, answer, score, result, now()])


def item_results(conn: sqlite3.Connection, agent: str) -> list[sqlite3.Row]:
    """Each of ``agent``'s items (in sets made for them): id, criterion, the stored result of
    what was said on the call (``original_result``) and of the first and the latest answer
    (``first``, ``latest``; None when not answered)."""
    return list(conn.execute(
        "SELECT i.id, i.criterion, i.original_result, "
        "(SELECT a.result FROM practice_attempts a WHERE a.item_id = i.id "
        " ORDER BY a.id LIMIT 1) AS first, "
        "(SELECT a.result FROM practice_attempts a WHERE a.item_id = i.id "
        " ORDER BY a.id DESC LIMIT 1) AS latest "
        "FROM practice_items i JOIN practice_sets s ON s.id = i.set_id "
        "WHERE s.agent = ? AND i.agent = ?", [agent, agent]))
