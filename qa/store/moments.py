"""Good moments and coaching sessions as stored: the findings that are good moments with their
curation (``moment_curation``), the team setting on colleagues' names, and the coaching
sessions with their moments and goals (tables of step ``0010_moments``).

Which findings count as good moments, who may see or change what and how moments are ranked
is decided by :mod:`qa.moments`, before it calls these functions; they only read and write
rows. Each write runs in its own transaction, with its audit-trail row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from qa.detectors import CONTRACTS
from qa.store import audit, now

# An interruption the agent handed back is a coaching finding with ``recovered`` set in its
# detail: in the library it is a good moment of its own, under this label.
RECOVERY = "interruption:recovered"
# The strength labels that are good moments (with RECOVERY, the kinds qa.moments names), as
# the detectors' contracts declare them.
STRENGTH_LABELS = tuple(spec.name for contract in CONTRACTS.values() for spec in contract.labels
                        if spec.moment)
SHOW_NAMES = "moments.show_names"
# The customer's first turns (where the problem is usually stated) and the turns just before
# a moment: with them, the situation a moment is searched and matched by.
OPENING_TURNS = 3
CONTEXT_TURNS = 2

LABEL_SQL = ("CASE WHEN fi.label = 'interruption' THEN '" + RECOVERY + "' ELSE fi.label END")
_MOMENT_FINDINGS = (
    "((fi.polarity = 'strength' AND fi.label IN ("
    + ", ".join(f"'{label}'" for label in STRENGTH_LABELS) + ")) OR "
    "(fi.label = 'interruption' AND json_extract(fi.detail, '$.recovered') IS NOT NULL))"
    " AND fi.speaker = 'agent'")
_OPENING_SQL = (
    "(SELECT group_concat(text, ' ') FROM (SELECT u.text FROM utterances u "
    "WHERE u.call_id = fi.call_id AND u.speaker = 'customer' AND u.idx < fi.utterance_idx "
    f"ORDER BY u.idx LIMIT {OPENING_TURNS}))")
_CONTEXT_SQL = (
    "(SELECT group_concat(text, ' ') FROM (SELECT text FROM (SELECT u.idx, u.text "
    "FROM utterances u WHERE u.call_id = fi.call_id AND u.speaker = 'customer' "
    f"AND u.idx < fi.utterance_idx ORDER BY u.idx DESC LIMIT {CONTEXT_TURNS}) ORDER BY idx))")
_CURATION_JOIN = ("LEFT JOIN moment_curation mc ON mc.call_id = fi.call_id "
                  f"AND mc.utterance_idx = fi.utterance_idx AND mc.label = {LABEL_SQL}")
# Where a list of moments is read from: every call, newest first (the call-time index gives
# the order, so a page stops after its rows), or only the moments coaches curated (few).
SCAN = "call_facts f CROSS JOIN findings fi ON fi.call_id = f.call_id " + _CURATION_JOIN
CURATED = ("moment_curation mc CROSS JOIN findings fi ON fi.call_id = mc.call_id AND "
           f"fi.utterance_idx = mc.utterance_idx AND {LABEL_SQL} = mc.label "
           "JOIN call_facts f ON f.call_id = fi.call_id")
SHARED_WITH_AGENT = ("f.agent = ? AND EXISTS (SELECT 1 FROM reviews vis WHERE "
                     "vis.call_id = f.call_id AND vis.shared_at IS NOT NULL)")
NOT_HIDDEN = "coalesce(mc.hidden, 0) = 0"


def label_in(labels: Sequence[str]) -> str:
    """SQL condition: the moment's label is one of ``labels`` (as many ``?`` parameters)."""
    return f"{LABEL_SQL} IN ({', '.join('?' * len(labels))})"


def calls_in(call_ids: Sequence[str]) -> str:
    """SQL condition: the moment is on one of these calls (as many ``?`` parameters)."""
    return f"f.call_id IN ({', '.join('?' * len(call_ids))})"


# SQL condition on ``f`` (call_facts) and ``mc`` (curation) for the moments an agent (one
# ``?`` parameter) may see: their own shared calls' and others' shareable, unhidden.
VISIBLE_TO_AGENT = ("(coalesce(mc.hidden, 0) = 0 AND ((f.agent = ? AND EXISTS (SELECT 1 FROM "
                    "reviews vis WHERE vis.call_id = f.call_id AND vis.shared_at IS NOT NULL)) "
                    "OR coalesce(mc.shareable, 0) = 1))")


def show_names(conn: sqlite3.Connection) -> bool:
    """Whether the team setting lets agents see which colleague a shared moment is from."""
    row = conn.execute("SELECT value FROM team_settings WHERE key = ?", [SHOW_NAMES]).fetchone()
    return bool(row) and row[0] == "1"


def set_show_names(conn: sqlite3.Connection, user: str, allowed: bool) -> None:
    """Store the team setting with its ``setting.change`` audit row, in one transaction."""
    with conn:
        before = show_names(conn)
        conn.execute(
            "INSERT INTO team_settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            [SHOW_NAMES, "1" if allowed else "0", user, now()])
        audit(conn, user, "setting.change", None, SHOW_NAMES, before=before,
              after=bool(allowed))


def moment_ids(conn: sqlite3.Connection, source: str, where: Sequence[str],
               args: Sequence[Any], limit: int) -> list[int]:
    """Finding ids of good moments from ``source`` (:data:`SCAN` or :data:`CURATED`)
    matching ``where``, newest calls first."""
    conditions = " AND ".join([_MOMENT_FINDINGS, *where])
    return [int(r[0]) for r in conn.execute(
        f"SELECT fi.id FROM {source} WHERE {conditions} ORDER BY f.ts DESC, fi.id LIMIT ?",
        [*args, int(limit)])]


def _select(where: str, order: str, limit: int) -> str:
    """The full rows of good moments (quote, context, curation) matching ``where``."""
    return (f"SELECT fi.call_id, fi.utterance_idx, {LABEL_SQL} AS label, fi.criterion, "
            "fi.start, fi.end, fi.quote, fi.message, "
            "json_extract(fi.detail, '$.recovered') AS recovered, f.agent, f.ts, "
            f"{_CONTEXT_SQL} AS context, {_OPENING_SQL} AS opening, "
            "coalesce(mc.pinned, 0) AS pinned, "
            "coalesce(mc.hidden, 0) AS hidden, coalesce(mc.shareable, 0) AS shareable "
            "FROM findings fi JOIN call_facts f ON f.call_id = fi.call_id "
            f"{_CURATION_JOIN} WHERE {_MOMENT_FINDINGS} AND {where} ORDER BY {order} "
            f"LIMIT {int(limit)}")


def moment_rows(conn: sqlite3.Connection, ids: Sequence[int]) -> list[sqlite3.Row]:
    """The full rows of the moments with these finding ids, pinned first, then newest."""
    rows: list[sqlite3.Row] = []
    unique = list(dict.fromkeys(ids))
    for at in range(0, len(unique), 500):  # within SQLite's parameter limit
        chunk = unique[at:at + 500]
        rows += conn.execute(_select(f"fi.id IN ({', '.join('?' * len(chunk))})", "fi.id",
                                     len(chunk)), chunk).fetchall()
    # Stable sorts, last key first: pinned, then the newest call, then time in the call.
    rows.sort(key=lambda r: r["start"] or 0)
    rows.sort(key=lambda r: r["ts"] or "", reverse=True)
    rows.sort(key=lambda r: r["pinned"], reverse=True)
    return rows


def moment_at(conn: sqlite3.Connection, cond: str, params: Sequence[Any], call_id: str,
              utterance_idx: int, label: str) -> list[sqlite3.Row]:
    """The rows of one moment (call, utterance, label) that also meet ``cond`` (with its
    ``params``: the viewer's visibility), in time order."""
    rows: list[sqlite3.Row] = conn.execute(_select(
        f"{cond} AND fi.call_id = ? AND fi.utterance_idx = ? AND {LABEL_SQL} = ?",
        "fi.start", 1), [*params, call_id, utterance_idx, label]).fetchall()
    return rows


def customer_turns_matching(conn: sqlite3.Connection, query: str, limit: int
                            ) -> list[tuple[str, str]]:
    """(call id, text) of the customer turns the full-text ``query`` matches, best (BM25)
    first, at most ``limit``."""
    return [(str(r[0]), str(r[1])) for r in conn.execute(
        "SELECT u.call_id, u.text FROM utterances_fts JOIN utterances u "
        "ON u.id = utterances_fts.rowid WHERE utterances_fts MATCH ? "
        "AND u.speaker = 'customer' ORDER BY rank LIMIT ?", [query, limit])]


def curation(conn: sqlite3.Connection, call_id: str, utterance_idx: int, label: str
             ) -> dict[str, Any] | None:
    """A moment's curation row (pinned, hidden, shareable, who and when), or None."""
    row = conn.execute("SELECT pinned, hidden, shareable, updated_by, updated_at "
                       "FROM moment_curation WHERE call_id = ? AND utterance_idx = ? "
                       "AND label = ?", [call_id, utterance_idx, label]).fetchone()
    return dict(row) if row else None


def set_curation(conn: sqlite3.Connection, user: str, call_id: str, utterance_idx: int,
                 label: str, flag: str, value: bool, action: str) -> None:
    """Set one curation ``flag`` (pinned, hidden or shareable) of a moment with its audit row
    (``action``), in one transaction; nothing is written when the flag already has ``value``."""
    with conn:
        before = curation(conn, call_id, utterance_idx, label)
        if before is not None and bool(before[flag]) == bool(value):
            return  # nothing changes, nothing to record
        conn.execute(
            "INSERT INTO moment_curation (call_id, utterance_idx, label, updated_by, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id, utterance_idx, label) "
            "DO UPDATE SET updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            [call_id, utterance_idx, label, user, now()])
        conn.execute(f"UPDATE moment_curation SET [{flag}] = ? WHERE call_id = ? AND "
                     "utterance_idx = ? AND label = ?",
                     [int(bool(value)), call_id, utterance_idx, label])
        after = curation(conn, call_id, utterance_idx, label)
        audit(conn, user, action, call_id, f"{label} at utterance {utterance_idx}",
              before=before, after=after)


def customer_turns(conn: sqlite3.Connection, call_id: str, utterance_idx: int, first: int,
                   last: int) -> list[sqlite3.Row]:
    """The customer's first ``first`` and last ``last`` turns up to an utterance (idx, text;
    a turn may be in both)."""
    opening = conn.execute("SELECT idx, text FROM utterances WHERE call_id = ? AND speaker = "
                           "'customer' AND idx <= ? ORDER BY idx LIMIT ?",
                           [call_id, utterance_idx, first]).fetchall()
    closing = conn.execute("SELECT idx, text FROM utterances WHERE call_id = ? AND speaker = "
                           "'customer' AND idx <= ? ORDER BY idx DESC LIMIT ?",
                           [call_id, utterance_idx, last]).fetchall()
    return [*opening, *closing]


def coaching_finding(conn: sqlite3.Connection, finding_id: int, agent: str | None
                     ) -> sqlite3.Row | None:
    """A coaching finding's call, criterion, utterance and agent; with ``agent``, only when
    it is on that agent's shared call."""
    vis: tuple[str, list[Any]] = ("1 = 1", []) if agent is None else (
        "c.agent = ? AND EXISTS (SELECT 1 FROM reviews vis WHERE vis.call_id = c.id "
        "AND vis.shared_at IS NOT NULL)", [agent])
    row: sqlite3.Row | None = conn.execute(
        f"SELECT fi.call_id, fi.criterion, fi.utterance_idx, c.agent FROM findings fi "
        f"JOIN calls c ON c.id = fi.call_id WHERE fi.id = ? AND fi.polarity = 'coaching' "
        f"AND {vis[0]}", [finding_id, *vis[1]]).fetchone()
    return row


def call_audio(conn: sqlite3.Connection, call_id: str) -> sqlite3.Row:
    """A call's source_path, redacted and redacted_audio."""
    row: sqlite3.Row = conn.execute(
        "SELECT source_path, redacted, redacted_audio FROM calls WHERE id = ?",
        [call_id]).fetchone()
    return row


def context_start(conn: sqlite3.Connection, call_id: str, utterance_idx: int, turns: int
                  ) -> float | None:
    """When the last ``turns`` customer turns before an utterance start (None: none)."""
    start: float | None = conn.execute(
        "SELECT min(start) FROM (SELECT start FROM utterances WHERE call_id = ? AND speaker = "
        "'customer' AND idx < ? ORDER BY idx DESC LIMIT ?)",
        [call_id, utterance_idx, turns]).fetchone()[0]
    return start


def agent_has_calls(conn: sqlite3.Connection, agent: str) -> bool:
    """Whether any call of ``agent`` is stored."""
    return conn.execute("SELECT 1 FROM call_facts WHERE agent = ? LIMIT 1",
                        [agent]).fetchone() is not None


def criterion_mean(conn: sqlite3.Connection, agent: str, criterion: str, since: str | None,
                   until: str | None, shared_only: bool) -> tuple[float | None, int]:
    """The agent's mean score on a criterion (overrides applied) over calls from ``since``
    to before ``until`` (None for open), only shared calls when ``shared_only``, and how many
    calls."""
    sql = ("SELECT avg(s.score), count(s.score) FROM score_facts s WHERE s.agent = ? "
           "AND s.criterion = ? AND s.score IS NOT NULL")
    args: list[Any] = [agent, criterion]
    if since:
        sql += " AND s.ts >= ?"
        args.append(since)
    if until:
        sql += " AND s.ts < ?"
        args.append(until)
    if shared_only:
        sql += (" AND EXISTS (SELECT 1 FROM reviews vis WHERE vis.call_id = s.call_id "
                "AND vis.shared_at IS NOT NULL)")
    mean, n = conn.execute(sql, args).fetchone()
    return mean, n


def add_session(conn: sqlite3.Connection, user: str, agent: str, start: str, end: str,
                notes: str | None, points: Sequence[dict[str, Any]],
                moments: Sequence[tuple[str, int, str]]) -> int:
    """Store a coaching session with its moments (call id, utterance, label) and the
    ``session.create`` audit row, in one transaction; returns its id."""
    with conn:
        cur = conn.execute(
            "INSERT INTO coaching_sessions (agent, coach, created_at, period_start, "
            "period_end, notes, points) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [agent, user, now(), start, end, notes, json.dumps(points)])
        session_id = int(cur.lastrowid or 0)
        conn.executemany("INSERT OR IGNORE INTO session_moments (session_id, call_id, "
                         "utterance_idx, label) VALUES (?, ?, ?, ?)",
                         [[session_id, *k] for k in moments])
        audit(conn, user, "session.create", None, f"session {session_id}",
              after={"agent": agent, "period": [start, end], "notes": notes,
                     "moments": [json.dumps(list(k)) for k in moments]})
    return session_id


def session_row(conn: sqlite3.Connection, session_id: int) -> sqlite3.Row | None:
    """A coaching session's row, or None."""
    row: sqlite3.Row | None = conn.execute("SELECT * FROM coaching_sessions WHERE id = ?",
                                           [session_id]).fetchone()
    return row


def add_goal(conn: sqlite3.Connection, user: str, session_id: int, criterion: str, goal: str,
             baseline: float | None, calls: int, created_at: str) -> int:
    """Store a goal of a session with its baseline and the ``session.goal`` audit row, in one
    transaction; returns its id."""
    with conn:
        cur = conn.execute(
            "INSERT INTO session_goals (session_id, criterion, goal, baseline, baseline_calls, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [session_id, criterion, goal, baseline, calls, user, created_at])
        goal_id = int(cur.lastrowid or 0)
        audit(conn, user, "session.goal", None, f"session {session_id}",
              after={"criterion": criterion, "goal": goal, "baseline": baseline})
    return goal_id


def agent_sessions(conn: sqlite3.Connection, agent: str) -> list[dict[str, Any]]:
    """An agent's sessions, newest first."""
    return [dict(r) for r in conn.execute(
        "SELECT id, agent, coach, created_at, period_start, period_end FROM coaching_sessions "
        "WHERE agent = ? ORDER BY created_at DESC, id DESC", [agent])]


def session_moments(conn: sqlite3.Connection, session_id: int) -> list[tuple[str, int, str]]:
    """A session's moments (call id, utterance, label) in the order they were chosen."""
    return [(r[0], int(r[1]), r[2]) for r in conn.execute(
        "SELECT call_id, utterance_idx, label FROM session_moments WHERE "
        "session_id = ? ORDER BY rowid", [session_id])]


def session_goals(conn: sqlite3.Connection, session_id: int) -> list[dict[str, Any]]:
    """A session's goals in the order they were agreed."""
    return [dict(g) for g in conn.execute(
        "SELECT id, criterion, goal, baseline, baseline_calls, created_by, created_at "
        "FROM session_goals WHERE session_id = ? ORDER BY id", [session_id])]


def earlier_goals(conn: sqlite3.Connection, agent: str, session_id: int | None,
                  before: str | None) -> list[sqlite3.Row]:
    """The goals of the agent's sessions other than ``session_id``, created at or before
    ``before`` (None: all), in the order they were agreed."""
    sql = ("SELECT g.id, g.session_id, g.criterion, g.goal, g.baseline, g.baseline_calls, "
           "g.created_at FROM session_goals g JOIN coaching_sessions s ON s.id = g.session_id "
           "WHERE s.agent = ?")
    args: list[Any] = [agent]
    if session_id is not None:
        sql += " AND g.session_id != ?"
        args.append(session_id)
    if before is not None:
        sql += " AND s.created_at <= ?"
        args.append(before)
    return list(conn.execute(sql + " ORDER BY g.id", args))


def practice_results(conn: sqlite3.Connection, agent: str) -> list[dict[str, Any]]:
    """Per criterion, the agent's practice answers and their mean score: from the practice
    sets' answers (``practice_attempts`` with their items' criteria) when those tables exist,
    else from a ``practice`` table with agent, criterion and score columns; else empty."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if {"practice_attempts", "practice_items"} <= tables:
        sql = ("SELECT i.criterion, count(*), avg(a.score) FROM practice_attempts a "
               "JOIN practice_items i ON i.id = a.item_id WHERE a.agent = ? "
               "GROUP BY i.criterion ORDER BY i.criterion")
    elif "practice" in tables and {"agent", "criterion", "score"} <= {
            r[1] for r in conn.execute("PRAGMA table_info(practice)")}:
        sql = ("SELECT criterion, count(*), avg(score) FROM practice WHERE agent = ? "
               "GROUP BY criterion ORDER BY criterion")
    else:
        return []
    return [{"criterion": r[0], "answers": r[1],
             "mean": None if r[2] is None else round(float(r[2]), 1)}
            for r in conn.execute(sql, [agent])]
