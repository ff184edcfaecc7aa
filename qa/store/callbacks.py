"""Repeat contacts as stored: which call a customer called back after (``callbacks``) and
the "possibly broken" flag that puts on the earlier call's open commitments. When a promise
falls due and who counts as a known customer are decided by :mod:`qa.followup`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise

import sqlite_utils

from qa.followup import DEFAULT_REPEAT_DAYS, due_time, parse_time, possibly_broken, usable_customer


def link_repeat_contacts(db: sqlite_utils.Database, customers: Iterable[str | None],
                         days: float = DEFAULT_REPEAT_DAYS) -> None:
    """Recompute the repeat contacts of these customers from their stored calls: each call
    followed by the same customer's next call within ``days`` is linked to it
    (``callbacks``), and its open commitments flagged :func:`possibly_broken`. The whole
    customer is recomputed, in call-time order, so the result does not depend on the order
    calls were stored and a re-run adds nothing. Run inside the caller's transaction."""
    window = timedelta(days=days)
    for customer in sorted({c for c in customers if c is not None and usable_customer(c)}):
        calls = sorted(
            (moment, call_id) for call_id, ts in db.execute(
                "SELECT id, call_time FROM calls WHERE customer = ?", [customer])
            if (moment := parse_time(ts)) is not None)
        ids = [call_id for _, call_id in calls]
        old = [r[0] for r in db.execute("SELECT earlier_id FROM callbacks WHERE customer = ?",
                                        [customer])]
        db.execute("DELETE FROM callbacks WHERE customer = ?", [customer])
        # Flags this recomputation owns: those of its calls, and of calls it linked before
        # (one whose customer has since changed).
        for chunk in range(0, len(ids + old), 500):
            part = (ids + old)[chunk:chunk + 500]
            db.execute("UPDATE commitments SET flag = NULL, flag_call_id = NULL "
                       f"WHERE call_id IN ({', '.join('?' * len(part))})", part)
        for (t1, first), (t2, second) in pairwise(calls):
            if t2 - t1 > window:
                continue
            later = t2.isoformat()
            db.execute("INSERT OR REPLACE INTO callbacks (earlier_id, later_id, customer, "
                       "earlier_ts, later_ts) VALUES (?, ?, ?, ?, ?)",
                       [first, second, customer, t1.isoformat(), later])
            db.execute("UPDATE commitments SET flag = ?, flag_call_id = ? "
                       "WHERE call_id = ? AND status = 'open'",
                       [possibly_broken(later), second, first])


def backfill(db: sqlite_utils.Database, days: float = DEFAULT_REPEAT_DAYS) -> None:
    """Fill the follow-up columns and ``callbacks`` for calls stored before they existed:
    every commitment's ``due_at`` and every customer's repeat contacts, in bulk (one pass
    over the calls, not one query per customer). Run inside the caller's transaction."""
    db.conn.executemany(
        "UPDATE commitments SET due_at = ? WHERE id = ?",
        [(due, cid) for cid, when, ts in db.execute(
            "SELECT m.id, m.when_text, c.call_time FROM commitments m "
            "JOIN calls c ON c.id = m.call_id WHERE m.when_text IS NOT NULL")
         if (due := due_time(when, ts)) is not None])
    by_customer: dict[str, list[tuple[datetime, str]]] = {}
    for call_id, customer, ts in db.execute(
            "SELECT id, customer, call_time FROM calls WHERE customer IS NOT NULL "
            "AND call_time IS NOT NULL"):
        if usable_customer(customer) and (moment := parse_time(ts)) is not None:
            by_customer.setdefault(customer, []).append((moment, call_id))
    window = timedelta(days=days)
    links = [(first, second, customer, t1.isoformat(), t2.isoformat())
             for customer, calls in by_customer.items()
             for (t1, first), (t2, second) in pairwise(sorted(calls)) if t2 - t1 <= window]
    db.conn.executemany("INSERT OR REPLACE INTO callbacks (earlier_id, later_id, customer, "
                        "earlier_ts, later_ts) VALUES (?, ?, ?, ?, ?)", links)
    db.conn.executemany("UPDATE commitments SET flag = ?, flag_call_id = ? "
                        "WHERE call_id = ? AND status = 'open'",
                        [(possibly_broken(later), second, first)
                         for first, second, _, _, later in links])


def customers_of(db: sqlite_utils.Database, call_id: str, content_hash: str) -> list[str]:
    """The customers stored on this call id or on another version of the same content
    (whose links a new version replaces)."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT customer FROM calls WHERE (id = ? OR content_hash = ?) "
        "AND customer IS NOT NULL", [call_id, content_hash])]


def called_back(db: sqlite_utils.Database, call_id: str) -> list[tuple[str, str]]:
    """(later call id, its time) for each call the customer made after this one."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT later_id, later_ts FROM callbacks WHERE earlier_id = ?", [call_id]).fetchall()]


def callback_of(db: sqlite_utils.Database, call_id: str) -> list[tuple[str, str]]:
    """(earlier call id, its time) for each call this one was a repeat contact of."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT earlier_id, earlier_ts FROM callbacks WHERE later_id = ?",
        [call_id]).fetchall()]
