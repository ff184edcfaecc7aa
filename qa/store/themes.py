"""Recurring call themes as stored: the themes, each call's theme (``theme_calls``), the
term statistics the clustering keeps between updates, and the log of updates.

What a theme is and how calls are grouped is :mod:`qa.themes`'s; these functions only read
and write rows. The writes run inside the caller's transaction (``db.atomic()``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from qa.store import CALL_TIME_SQL, now


def call_rows(db: sqlite_utils.Database, call_ids: Sequence[str]
              ) -> dict[str, tuple[Any, ...]]:
    """call id -> (scored_at, call time, customer, extra) for these calls."""
    marks = ", ".join("?" * len(call_ids))
    return {r[0]: r[1:] for r in db.execute(
        f"SELECT id, scored_at, {CALL_TIME_SQL.format(p='')}, customer, extra "
        f"FROM calls WHERE id IN ({marks})", list(call_ids)).fetchall()}


def utterance_rows(db: sqlite_utils.Database, call_ids: Sequence[str]
                   ) -> Iterable[tuple[Any, ...]]:
    """(call id, idx, speaker, start, end, text) of these calls' utterances, in order."""
    marks = ", ".join("?" * len(call_ids))
    return db.execute(
        "SELECT call_id, idx, speaker, start, end, text FROM utterances "
        f"WHERE call_id IN ({marks}) ORDER BY call_id, idx", list(call_ids))


def new_calls(db: sqlite_utils.Database) -> list[str]:
    """Scorable calls the themes have not seen, or have seen in an older version."""
    return [r[0] for r in db.execute(
        "SELECT c.id FROM calls c LEFT JOIN theme_calls t ON t.call_id = c.id "
        "WHERE c.scorable = 1 AND (t.call_id IS NULL OR t.scored_at IS NOT c.scored_at) "
        "ORDER BY c.id")]


def customer_call_times(db: sqlite_utils.Database, customers: Sequence[str]
                        ) -> Iterable[tuple[str, str | None]]:
    """(customer, call time) of every call of these customers."""
    return db.execute(
        f"SELECT customer, {CALL_TIME_SQL.format(p='')} FROM calls "
        f"WHERE customer IN ({', '.join('?' * len(customers))})", list(customers))


def last_update(db: sqlite_utils.Database) -> int:
    """The id of the latest themes update (0 before the first)."""
    return db.execute("SELECT coalesce(max(id), 0) FROM theme_updates").fetchone()[0]


def term_counts(db: sqlite_utils.Database) -> tuple[dict[str, int], int]:
    """How many calls' problem statements hold each term, and how many calls were counted."""
    df = dict(db.execute("SELECT term, df FROM theme_terms").fetchall())
    row = db.execute("SELECT value FROM meta WHERE key = 'theme_docs'").fetchone()
    return df, int(row[0]) if row else 0


def pending_calls(db: sqlite_utils.Database, limit: int) -> list[str]:
    """The newest calls waiting for a theme, at most ``limit``."""
    return [r[0] for r in db.execute(
        "SELECT call_id FROM theme_calls WHERE status = 'pending' ORDER BY ts DESC, call_id "
        "LIMIT ?", [limit])]


def stored_themes(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every theme: id, name, centroid (term weights) and how many calls made it."""
    return [{"id": r[0], "name": r[1], "centroid": json.loads(r[2]), "n": r[3]}
            for r in db.execute("SELECT id, name, centroid, n FROM themes ORDER BY id")]


def start_update(db: sqlite_utils.Database) -> int:
    """Log a new update; returns its id."""
    return int(db.table("theme_updates").insert({"started_at": now()}).last_pk or 0)


def save_counts(db: sqlite_utils.Database, df: Iterable[tuple[str, int]], n_docs: int) -> None:
    """Store term counts (term, calls holding it) and the number of calls counted, and drop
    the deleted calls from ``theme_calls`` (their themes keep id and name)."""
    db.execute("DELETE FROM theme_calls WHERE call_id NOT IN (SELECT id FROM calls)")
    db.conn.executemany("INSERT INTO theme_terms (term, df) VALUES (?, ?) "
                        "ON CONFLICT (term) DO UPDATE SET df = excluded.df", list(df))
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('theme_docs', ?)",
               [str(n_docs)])


def move_centroids(db: sqlite_utils.Database, moved: Iterable[tuple[str, int, int]]) -> None:
    """Store moved centroids: (centroid JSON, call count, theme id) each."""
    db.conn.executemany("UPDATE themes SET centroid = ?, n = ? WHERE id = ?", list(moved))


def insert_theme(db: sqlite_utils.Database, name: str, words: list[str],
                 centroid: dict[str, float], n: int, update_id: int) -> int:
    """Store a new theme; returns its id."""
    return int(db.table("themes").insert({
        "name": name, "words": json.dumps(words),
        "centroid": json.dumps(centroid), "n": n,
        "created_at": now(), "update_id": update_id}).last_pk or 0)


def write_members(db: sqlite_utils.Database, rows: Iterable[tuple[Any, ...]],
                  reassigned: Iterable[tuple[int, float, int, str]], update_id: int) -> None:
    """Store each newly read call's theme row, the new theme of calls that were waiting
    ((theme, similarity, update, call) each), and the calls' time, week and overall score."""
    db.conn.executemany(
        "INSERT OR REPLACE INTO theme_calls (call_id, theme_id, status, similarity, "
        "utterances, scored_at, repeat, queue, update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        list(rows))
    db.conn.executemany(
        "UPDATE theme_calls SET theme_id = ?, status = 'themed', similarity = ?, "
        "update_id = ? WHERE call_id = ?", list(reassigned))
    db.execute("UPDATE theme_calls SET (ts, week, overall) = (SELECT f.ts, f.week, f.overall "
               "FROM call_facts f WHERE f.call_id = theme_calls.call_id) WHERE update_id = ?",
               [update_id])


def pending_count(db: sqlite_utils.Database) -> int:
    """How many calls wait for a theme."""
    return db.execute("SELECT count(*) FROM theme_calls WHERE status = 'pending'"
                      ).fetchone()[0]


def finish_update(db: sqlite_utils.Database, update_id: int, fields: dict[str, Any]) -> None:
    """Complete an update's log row (seconds, calls, assigned, new themes, pending)."""
    db.table("theme_updates").update(update_id, fields)


def theme_names(db: sqlite_utils.Database) -> dict[int, str]:
    """Every theme's id and name."""
    return dict(db.execute("SELECT id, name FROM themes ORDER BY id").fetchall())


def assignments(db: sqlite_utils.Database) -> dict[str, int | None]:
    """Each call's theme id (None: no theme)."""
    return dict(db.execute("SELECT call_id, theme_id FROM theme_calls").fetchall())
