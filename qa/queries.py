"""Every read and write the dashboard makes, each checked against who is asking.

Each public function takes a ``Viewer`` (see ``qa.auth``). The role check happens here, where
the data is read, not in the pages: a function a role may not use raises ``AccessDenied``,
and an agent's visibility (their own calls, and only those a coach has shared) is part of the
SQL of every call-level query, so no page, URL or parameter can get around it. A call the
viewer may not see is reported exactly like a call that does not exist.

Aggregates read the fact tables (``call_facts``, ``score_facts``, ``agent_week``,
``agent_month``) that ``store.ensure_schema`` keeps up to date with triggers; all values go
in as parameters.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from qa import calibration, followup, store
from qa.audio import AUDIO_MIME_TYPES
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.detectors import EVAL_LABELS
from qa.scoring import weighted_mean

STAFF = (LEAD, COACH)
MAX_NOTE_LENGTH = 4000
# An agent sees a team median only when at least this many other agents contribute to it, so
# no colleague's own mean can be worked out from it (with two or three agents it could).
MIN_COLLEAGUES = 5


class AccessDenied(PermissionError):
    """The viewer's role may not do this."""


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    start: date
    end: date

    def bounds(self) -> tuple[str, str]:
        """``[start, end + 1 day)`` as ISO strings, comparable with stored call times."""
        return self.start.isoformat(), (self.end + timedelta(days=1)).isoformat()

    def weeks(self) -> tuple[str, str]:
        """The Mondays of the first and last weeks the period touches."""
        first = self.start - timedelta(days=self.start.weekday())
        last = self.end - timedelta(days=self.end.weekday())
        return first.isoformat(), last.isoformat()

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class CallQuery:
    """The call list's filters, sort and page."""

    period: Period
    agents: tuple[str, ...] = ()
    min_score: float = 0.0
    max_score: float = 100.0
    criterion: str | None = None
    below: float | None = None  # only calls whose `criterion` scored under this
    reviewed: str = "any"  # any, yes, no
    text: str = ""
    sort: str = "time"  # time, overall, agent, criterion
    descending: bool = True
    page: int = 1
    page_size: int = 50


@dataclass
class CallPage:
    """One page of the call list and how many calls match in all."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    criterion: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection for one page render (rows as dicts-like ``sqlite3.Row``)."""
    conn = sqlite3.connect(str(path), timeout=store.BUSY_TIMEOUT_MS / 1000,
                           check_same_thread=False)
    # Writes take the write lock as their transaction begins, so they wait for a batch's
    # writer instead of failing on a stale snapshot (see store.transaction).
    conn.isolation_level = "IMMEDIATE"
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={store.BUSY_TIMEOUT_MS}")
    return conn


def _live_status(conn: sqlite3.Connection, run: dict[str, Any]) -> dict[str, Any]:
    """A run as it really stands: one still marked ``running`` whose process died is shown
    ``interrupted``, with the counts it got to (the table is corrected by the next batch)."""
    if run.get("status") == "running":
        counts = {status: 0 for status in ("scored", "skipped", "failed", "unscorable")}
        for status, n in conn.execute("SELECT status, count(*) FROM run_files "
                                      "WHERE run_id = ? GROUP BY status", [run["id"]]):
            counts[status] = n
        run.update(counts, files=sum(counts.values()))
        if store.run_died(run.get("pid"), run.get("host")):
            run["status"] = "interrupted"
    return run


def _require(viewer: Viewer, *roles: str) -> None:
    if not isinstance(viewer, Viewer) or viewer.role not in roles:
        raise AccessDenied("your role cannot see this page")


def _visible(viewer: Viewer, alias: str = "f", id_column: str = "call_id",
             agent_column: str = "agent") -> tuple[str, list[Any]]:
    """SQL condition (and its parameters) for the calls the viewer may read.

    Leads and coaches read every call; an agent reads their own calls that a coach shared.
    """
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role in STAFF:
        return "1 = 1", []
    return (f"({alias}.{agent_column} = ? AND EXISTS (SELECT 1 FROM reviews vis "
            f"WHERE vis.call_id = {alias}.{id_column} AND vis.shared_at IS NOT NULL))",
            [viewer.agent])


def _rows(cur: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    return [dict(r) for r in cur]


def _in(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever calls, scores or a coach's work change (cache key)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


# --- reference lists --------------------------------------------------------------------------

def criteria(conn: sqlite3.Connection, viewer: Viewer) -> list[str]:
    """The criteria that have scores, in rubric order where the rubric is known."""
    _require(viewer, LEAD, COACH, AGENT)
    # A loose index scan: one seek per distinct value instead of reading every score.
    names = [r[0] for r in conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT min(criterion) FROM score_facts UNION ALL "
        "SELECT (SELECT min(criterion) FROM score_facts WHERE criterion > x) FROM c "
        "WHERE x IS NOT NULL) SELECT x FROM c WHERE x IS NOT NULL")]
    try:
        from qa.rubric import load_rubric

        order = {name: i for i, name in enumerate(load_rubric().criteria)}
    except Exception:  # a broken rubric file must not take the dashboard down
        order = {}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def agents(conn: sqlite3.Connection, viewer: Viewer) -> list[str]:
    """Agent ids the viewer may filter on: all for staff, only their own for an agent."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT:
        return [viewer.agent] if viewer.agent else []
    return [r[0] for r in conn.execute(
        "WITH RECURSIVE a(x) AS (SELECT min(agent) FROM call_facts UNION ALL "
        "SELECT (SELECT min(agent) FROM call_facts WHERE agent > x) FROM a "
        "WHERE x IS NOT NULL) SELECT x FROM a WHERE x IS NOT NULL")]


def date_range(conn: sqlite3.Connection, viewer: Viewer) -> tuple[date, date] | None:
    """First and last day with calls the viewer may see (None when there are none)."""
    cond, params = _visible(viewer)
    row = conn.execute(f"SELECT min(f.ts), max(f.ts) FROM call_facts f WHERE {cond}",
                       params).fetchone()
    if not row or row[0] is None:
        return None
    return date.fromisoformat(row[0][:10]), date.fromisoformat(row[1][:10])


# --- lead: team overview ----------------------------------------------------------------------

def _call_filter(period: Period, agent_ids: Sequence[str], alias: str = "f"
                 ) -> tuple[str, list[Any]]:
    start, end = period.bounds()
    sql, params = f"{alias}.ts >= ? AND {alias}.ts < ?", [start, end]
    if agent_ids:
        sql += f" AND {alias}.agent IN ({_in(agent_ids)})"
        params += list(agent_ids)
    return sql, params


def overview_totals(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                    agent_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """Calls in the period: how many, how many scored, mean overall, reviewed and shared."""
    _require(viewer, LEAD)
    cond, params = _call_filter(period, agent_ids)
    row = conn.execute(
        f"SELECT count(*) AS calls, sum(scorable = 1) AS scored, sum(scorable = 0) AS "
        f"unscorable, avg(overall) AS overall, count(DISTINCT agent) AS agents "
        f"FROM call_facts f WHERE {cond}", params).fetchone()
    reviewed = conn.execute(
        f"SELECT count(r.reviewed_at), count(r.shared_at) FROM reviews r "
        f"JOIN call_facts f ON f.call_id = r.call_id WHERE {cond}", params).fetchone()
    return {**dict(row), "reviewed": reviewed[0], "shared": reviewed[1]}


def criterion_averages(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                       agent_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Mean score per criterion (coach overrides applied) and how many calls it applied to."""
    _require(viewer, LEAD, COACH)
    cond, params = _call_filter(period, agent_ids, "s")
    return _rows(conn.execute(
        f"SELECT s.criterion, avg(s.score) AS average, count(s.score) AS calls "
        f"FROM score_facts s WHERE {cond} GROUP BY s.criterion", params))


def trend_bucket(period: Period) -> str:
    """Days for short periods (a point per day is still readable), weeks otherwise."""
    return "day" if period.days <= 45 else "week"


def overall_trend(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                  agent_ids: tuple[str, ...] = (), criterion: str | None = None
                  ) -> list[dict[str, Any]]:
    """Mean score (overall, or one criterion's) per day or week (see ``trend_bucket``), for
    the whole team and per chosen agent.

    Rows: ``week`` (the day, or the week's Monday), ``series`` ("Team" or an agent id),
    ``average``, ``calls``.
    """
    _require(viewer, LEAD, COACH)
    daily = trend_bucket(period) == "day"
    out: list[dict[str, Any]] = []
    if criterion and not daily:
        first, last = period.weeks()
        team = conn.execute(
            "SELECT week, sum(total) / sum(n) AS average, sum(n) AS calls FROM agent_week "
            "WHERE criterion = ? AND week >= ? AND week <= ? AND n > 0 GROUP BY week "
            "ORDER BY week", [criterion, first, last])
        out += [{"series": "Team", **dict(r)} for r in team]
        if agent_ids:
            rows = conn.execute(
                f"SELECT week, agent AS series, sum(total) / sum(n) AS average, sum(n) AS calls "
                f"FROM agent_week WHERE criterion = ? AND week >= ? AND week <= ? AND n > 0 "
                f"AND agent IN ({_in(agent_ids)}) GROUP BY week, agent ORDER BY week",
                [criterion, first, last, *agent_ids])
            out += _rows(rows)
        return out
    bucket = "substr(f.ts, 1, 10)" if daily else "f.week"
    table, value = ("score_facts", "f.score") if criterion else ("call_facts", "f.overall")
    extra, extra_params = ("AND f.criterion = ?", [criterion]) if criterion else ("", [])
    cond, params = _call_filter(period, ())
    out += [{"series": "Team", **dict(r)} for r in conn.execute(
        f"SELECT {bucket} AS week, avg({value}) AS average, count({value}) AS calls "
        f"FROM {table} f WHERE {cond} {extra} GROUP BY 1 ORDER BY 1",
        [*params, *extra_params])]
    if agent_ids:
        cond, params = _call_filter(period, agent_ids)
        out += _rows(conn.execute(
            f"SELECT {bucket} AS week, f.agent AS series, avg({value}) AS average, "
            f"count({value}) AS calls FROM {table} f WHERE {cond} {extra} "
            f"GROUP BY f.agent, 1 ORDER BY 1", [*params, *extra_params]))
    return out


def score_distribution(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                       agent_ids: tuple[str, ...] = (), criterion: str | None = None,
                       width: int = 5) -> list[dict[str, Any]]:
    """How many calls fall in each ``width``-point band of the overall (or one criterion's) score.
    """
    _require(viewer, LEAD, COACH)
    if criterion:
        cond, params = _call_filter(period, agent_ids, "s")
        sql = (f"SELECT min(CAST(s.score / ? AS INTEGER) * ?, {100 - width}) AS band, "
               f"count(*) AS calls FROM score_facts s WHERE s.criterion = ? AND "
               f"s.score IS NOT NULL AND {cond} GROUP BY band ORDER BY band")
        return _rows(conn.execute(sql, [width, width, criterion, *params]))
    cond, params = _call_filter(period, agent_ids)
    sql = (f"SELECT min(CAST(f.overall / ? AS INTEGER) * ?, {100 - width}) AS band, "
           f"count(*) AS calls FROM call_facts f WHERE f.overall IS NOT NULL AND {cond} "
           f"GROUP BY band ORDER BY band")
    return _rows(conn.execute(sql, [width, width, *params]))


def agent_criterion_matrix(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                           agent_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Mean score of every agent on every criterion (the heatmap), with call counts."""
    _require(viewer, LEAD, COACH)
    cond, params = _call_filter(period, agent_ids, "s")
    return _rows(conn.execute(
        f"SELECT s.agent, s.criterion, avg(s.score) AS average, count(s.score) AS calls "
        f"FROM score_facts s INDEXED BY idx_score_facts_agent WHERE {cond} "
        f"AND s.agent IS NOT NULL GROUP BY s.agent, s.criterion", params))


def open_commitments(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                     agent_ids: tuple[str, ...] = (), limit: int = 200) -> dict[str, Any]:
    """Promises to customers still open (when the pipeline records them): count and newest."""
    _require(viewer, LEAD, COACH)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                          "AND name = 'commitments'").fetchone()
    if not exists:
        return {"available": False, "total": 0, "rows": []}
    cond, params = _call_filter(period, agent_ids)
    # CROSS JOIN keeps this order: from the open promises (few) to their calls, not from every
    # call in the period to its promises (10x slower over two years of 50,000 calls).
    total = conn.execute(f"SELECT count(*) FROM commitments m CROSS JOIN call_facts f "
                         f"ON f.call_id = m.call_id WHERE m.status = 'open' AND {cond}",
                         params).fetchone()[0]
    rows = _rows(conn.execute(
        f"SELECT m.id, f.ts, f.agent, m.call_id, m.start, m.kind, m.who, m.what, m.when_text, "
        f"m.due_at, m.flag, m.flag_call_id, m.channel, m.quote FROM commitments m "
        f"JOIN call_facts f ON f.call_id = m.call_id "
        f"WHERE m.status = 'open' AND {cond} ORDER BY f.ts DESC LIMIT ?", [*params, limit]))
    return {"available": True, "total": total, "rows": rows}


def set_commitment_status(conn: sqlite3.Connection, viewer: Viewer, commitment_id: int,
                          status: str, note: str | None = None) -> dict[str, Any]:
    """Mark a promise done or broken (or open again), recording who and when on its row;
    coaches and leads only. Returns the updated commitment."""
    _require(viewer, LEAD, COACH)
    if status not in followup.STATUSES:
        raise ValueError(f"unknown status {status!r}: use one of {', '.join(followup.STATUSES)}")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"notes are at most {MAX_NOTE_LENGTH} characters")
    with conn:
        cur = conn.execute("UPDATE commitments SET status = ?, status_note = ?, updated_at = ?, "
                           "updated_by = ? WHERE id = ?",
                           [status, note, store.now(), viewer.user, int(commitment_id)])
        if cur.rowcount == 0:
            raise LookupError(f"no commitment {commitment_id}")
    return dict(conn.execute("SELECT * FROM commitments WHERE id = ?",
                             [int(commitment_id)]).fetchone())


# A customer value masked by redaction ("[PHONE]") identifies nobody (see qa.followup).
_KNOWN_CUSTOMER = ("c.customer IS NOT NULL AND trim(c.customer) != '' "
                   "AND NOT c.customer GLOB '*[[][A-Z_]*[]]*'")


def follow_through(conn: sqlite3.Connection, viewer: Viewer, period: Period,
                   agent_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """First-contact resolution and promises kept, broken and overdue, per agent.

    First-contact resolution: of the calls in the period whose customer is known (manifest
    ``customer``) and whose time is known, the share the same customer did not call back
    within the rubric's window (``callbacks``). A promise is overdue when it is still open
    and the time it resolved to (``due_at``, see :func:`qa.followup.due_time`) has passed;
    promises without a resolvable time are never overdue."""
    _require(viewer, LEAD, COACH)
    cond, params = _call_filter(period, agent_ids)
    # From the calls with a customer (a covering index) to their facts: calls rows are wide,
    # and most databases have no customers at all.
    fcr_rows = conn.execute(
        f"SELECT f.agent, count(*) AS calls, "
        f"sum(EXISTS (SELECT 1 FROM callbacks b WHERE b.earlier_id = f.call_id)) AS repeats "
        f"FROM calls c INDEXED BY idx_calls_customer CROSS JOIN call_facts f "
        f"ON f.call_id = c.id WHERE c.customer IS NOT NULL AND c.call_time IS NOT NULL "
        f"AND {_KNOWN_CUSTOMER} AND {cond} GROUP BY f.agent", params).fetchall()
    now = store.now()
    promise_rows = conn.execute(
        f"SELECT f.agent, count(*) AS promises, "
        f"sum(m.status = 'done') AS kept, sum(m.status = 'broken') AS broken, "
        f"sum(m.status = 'open') AS open, "
        f"sum(m.status = 'open' AND m.due_at IS NOT NULL AND m.due_at < ?) AS overdue, "
        f"sum(m.status = 'open' AND m.flag IS NOT NULL) AS flagged "
        f"FROM commitments m INDEXED BY idx_commitments_follow CROSS JOIN call_facts f "
        f"ON f.call_id = m.call_id WHERE {cond} GROUP BY f.agent", [now, *params]).fetchall()
    agents: dict[str, dict[str, Any]] = {}
    for r in fcr_rows:
        agents.setdefault(r["agent"] or "-", {})
        agents[r["agent"] or "-"].update(
            calls=r["calls"], repeats=r["repeats"] or 0,
            fcr=(r["calls"] - (r["repeats"] or 0)) / r["calls"] if r["calls"] else None)
    for r in promise_rows:
        agents.setdefault(r["agent"] or "-", {}).update(
            {k: r[k] or 0 for k in ("promises", "kept", "broken", "open", "overdue",
                                    "flagged")})
    calls = sum(r["calls"] for r in fcr_rows)
    repeats = sum(r["repeats"] or 0 for r in fcr_rows)
    rows = [{"agent": name, "calls": 0, "repeats": 0, "fcr": None, "promises": 0, "kept": 0,
             "broken": 0, "open": 0, "overdue": 0, "flagged": 0, **values}
            for name, values in sorted(agents.items())]
    return {"calls": calls, "repeats": repeats,
            "fcr": (calls - repeats) / calls if calls else None, "agents": rows}


def recent_runs(conn: sqlite3.Connection, viewer: Viewer, limit: int = 15
                ) -> list[dict[str, Any]]:
    """The newest batch runs with their counts and each failed or unscorable file's reason."""
    _require(viewer, LEAD)
    runs = [_live_status(conn, r) for r in
            _rows(conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))]
    if not runs:
        return []
    ids = [r["id"] for r in runs]
    failures: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in conn.execute(f"SELECT run_id, path, status, error FROM run_files WHERE run_id IN "
                          f"({_in(ids)}) AND status IN ('failed', 'unscorable') ORDER BY id",
                          ids):
        failures[f["run_id"]].append(dict(f))
    for r in runs:
        r["failures"] = failures.get(r["id"], [])
        r["paths"] = ", ".join(json.loads(r["paths"] or "[]"))
    return runs


# --- coach: call list -------------------------------------------------------------------------

_SORTS = {"time": "f.ts", "overall": "f.overall", "agent": "f.agent", "criterion": "sc.score"}


def list_calls(conn: sqlite3.Connection, viewer: Viewer, q: CallQuery) -> CallPage:
    """One page of calls matching the filters, with the total count, sorted as asked."""
    _require(viewer, LEAD, COACH)
    cond, params = _call_filter(q.period, q.agents)
    joins, join_params = "", []
    if q.criterion:
        joins = "JOIN score_facts sc ON sc.call_id = f.call_id AND sc.criterion = ?"
        join_params = [q.criterion]
        if q.below is not None:
            cond += " AND sc.score < ?"
            params.append(q.below)
    if q.min_score > 0 or q.max_score < 100:
        cond += " AND f.overall BETWEEN ? AND ?"
        params += [q.min_score, q.max_score]
    if q.reviewed in ("yes", "no"):
        cond += (" AND " + ("" if q.reviewed == "yes" else "NOT ") +
                 "EXISTS (SELECT 1 FROM reviews r WHERE r.call_id = f.call_id "
                 "AND r.reviewed_at IS NOT NULL)")
    fts = store._fts_query(q.text) if q.text.strip() else None
    if fts:
        cond += (" AND f.call_id IN (SELECT u.call_id FROM utterances_fts "
                 "JOIN utterances u ON u.id = utterances_fts.rowid "
                 "WHERE utterances_fts MATCH ?)")
        params.append(fts)
    where_params = [*join_params, *params]
    total = conn.execute(f"SELECT count(*) FROM call_facts f {joins} WHERE {cond}",
                         where_params).fetchone()[0]
    pages = max(1, -(-total // q.page_size))
    page = min(max(1, q.page), pages)
    sort = _SORTS.get(q.sort, "f.ts") if (q.sort != "criterion" or q.criterion) else "f.ts"
    direction = "DESC" if q.descending else "ASC"
    select_score = ", sc.score AS criterion_score" if q.criterion else ""
    rows = _rows(conn.execute(
        f"SELECT f.call_id, f.ts, f.agent, f.overall, f.scorable{select_score} "
        f"FROM call_facts f {joins} WHERE {cond} "
        f"ORDER BY {sort} IS NULL, {sort} {direction}, f.call_id {direction} "
        f"LIMIT ? OFFSET ?", [*where_params, q.page_size, (page - 1) * q.page_size]))
    ids = [r["call_id"] for r in rows]
    if ids:
        details = {r["id"]: dict(r) for r in conn.execute(
            f"SELECT c.id, c.customer, c.duration, c.origin, c.unscorable_reason, "
            f"r.reviewed_at, r.shared_at FROM calls c LEFT JOIN reviews r ON r.call_id = c.id "
            f"WHERE c.id IN ({_in(ids)})", ids)}
        matches: dict[str, str] = {}
        if fts:
            for m in conn.execute(
                    f"SELECT u.call_id, u.text FROM utterances_fts JOIN utterances u "
                    f"ON u.id = utterances_fts.rowid WHERE utterances_fts MATCH ? "
                    f"AND u.call_id IN ({_in(ids)}) ORDER BY u.call_id, u.idx", [fts, *ids]):
                matches.setdefault(m["call_id"], m["text"])
        for r in rows:
            r.update({k: v for k, v in details.get(r["call_id"], {}).items() if k != "id"})
            r["match"] = matches.get(r["call_id"])
    return CallPage(rows, total, page, pages, q.criterion)


# --- one call ---------------------------------------------------------------------------------

# Each criterion's machine score and its final score (a coach's override where there is one)
# side by side: the one definition of "with coach overrides" that the review page, the
# exports and (through the same coalesce in its triggers) ``score_facts`` use.
FINAL_SCORES_SQL = (
    "SELECT s.call_id, s.criterion, s.score AS machine_score, s.applicable, s.reason, "
    "s.weight, o.score AS override_score, o.reason AS override_reason, "
    "o.author AS override_by, o.created_at AS override_at, "
    "coalesce(o.score, s.score) AS score "
    "FROM scores s LEFT JOIN overrides o ON o.call_id = s.call_id "
    "AND o.criterion = s.criterion")


def final_overall(scores: Iterable[Any]) -> float | None:
    """A call's overall with coach overrides: the weighted mean (``scoring.weighted_mean``,
    the formula used at scoring time) of its rows of ``FINAL_SCORES_SQL`` (each with
    ``score`` and ``weight``). The review page and every export use this one function."""
    return weighted_mean((s["score"], s["weight"]) for s in scores)


def get_call(conn: sqlite3.Connection, viewer: Viewer, call_id: str) -> dict[str, Any] | None:
    """Everything about one call the viewer may read, or None (missing or not theirs alike).

    Scores carry the machine score and any override side by side; an agent sees only the
    notes a coach marked for them.
    """
    cond, params = _visible(viewer, "c", "id")
    rows = _rows(conn.execute(f"SELECT c.* FROM calls c WHERE c.id = ? AND {cond}",
                              [call_id, *params]))
    if not rows:
        return None
    call = rows[0]
    call["summary"] = json.loads(call["summary"]) if call.get("summary") else None
    call["extra"] = json.loads(call["extra"]) if call.get("extra") else {}
    call["scores"] = _rows(conn.execute(
        f"{FINAL_SCORES_SQL} WHERE s.call_id = ? ORDER BY s.rowid", [call_id]))
    call["effective_overall"] = final_overall(call["scores"])
    call["findings"] = _rows(conn.execute(
        "SELECT id, criterion, label, utterance_idx, speaker, start, end, quote, polarity, "
        "message, suggestion FROM findings WHERE call_id = ? ORDER BY start, id", [call_id]))
    call["utterances"] = _rows(conn.execute(
        "SELECT idx, speaker, start, end, text FROM utterances WHERE call_id = ? "
        "ORDER BY idx", [call_id]))
    review = conn.execute("SELECT * FROM reviews WHERE call_id = ?", [call_id]).fetchone()
    call["review"] = dict(review) if review else {}
    agent_only = " AND for_agent = 1" if viewer.role == AGENT else ""
    call["notes"] = _rows(conn.execute(
        f"SELECT id, finding_id, finding_ref, author, body, for_agent, created_at FROM notes "
        f"WHERE call_id = ?{agent_only} ORDER BY id", [call_id]))
    call["acknowledgements"] = _rows(conn.execute(
        "SELECT user, comment, created_at FROM acknowledgements WHERE call_id = ? ORDER BY id",
        [call_id]))
    call["commitments"] = _rows(conn.execute(
        "SELECT id, start, kind, who, what, when_text, due_at, channel, quote, status, "
        "status_note, updated_at, updated_by, flag, flag_call_id FROM commitments "
        "WHERE call_id = ? ORDER BY start, id", [call_id]))
    # Repeat contacts link to the customer's other calls: staff only (an agent could be
    # shown a colleague's call this way).
    staff = viewer.role in STAFF
    call["called_back"] = _rows(conn.execute(
        "SELECT later_id AS call_id, later_ts AS ts FROM callbacks WHERE earlier_id = ?",
        [call_id])) if staff else []
    call["callback_of"] = _rows(conn.execute(
        "SELECT earlier_id AS call_id, earlier_ts AS ts FROM callbacks WHERE later_id = ?",
        [call_id])) if staff else []
    return call


def call_audio(conn: sqlite3.Connection, viewer: Viewer, call_id: str
               ) -> tuple[bytes, str] | None:
    """The recording's bytes and MIME type, for a call the viewer may read, if it has audio.

    A redacted call plays its silenced copy (``qa score --redacted-audio``), never the
    original: without a copy it has no audio to play.
    """
    cond, params = _visible(viewer, "c", "id")
    row = conn.execute(f"SELECT c.source_path, c.origin, c.redacted, c.redacted_audio "
                       f"FROM calls c WHERE c.id = ? AND {cond}", [call_id, *params]).fetchone()
    if row is None:
        return None
    path_text = row["redacted_audio"] if row["redacted"] is not None else row["source_path"]
    if not path_text:
        return None
    path = Path(path_text)
    # Only recordings: a transcript-only call has a JSON source that is not for playing.
    mime = AUDIO_MIME_TYPES.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return path.read_bytes(), mime


def _staff_call(conn: sqlite3.Connection, viewer: Viewer, call_id: str) -> None:
    _require(viewer, LEAD, COACH)
    if conn.execute("SELECT 1 FROM calls WHERE id = ?", [call_id]).fetchone() is None:
        raise LookupError(f"no call {call_id!r}")


def add_note(conn: sqlite3.Connection, viewer: Viewer, call_id: str, body: str,
             finding_id: int | None = None, for_agent: bool = True) -> int:
    """A coach's note on the call or on one of its findings; returns the note's id."""
    _staff_call(conn, viewer, call_id)
    body = body.strip()
    if not body:
        raise ValueError("the note is empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise ValueError(f"notes are at most {MAX_NOTE_LENGTH} characters")
    ref = None
    if finding_id is not None:
        f = conn.execute("SELECT label, start, quote FROM findings WHERE id = ? AND call_id = ?",
                         [finding_id, call_id]).fetchone()
        if f is None:
            raise LookupError("that finding is not on this call")
        ref = json.dumps({"label": f["label"], "start": f["start"], "quote": f["quote"]})
    with conn:
        cur = conn.execute(
            "INSERT INTO notes (call_id, finding_id, finding_ref, author, body, for_agent, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [call_id, finding_id, ref, viewer.user, body, int(for_agent), store.now()])
        note_id = int(cur.lastrowid or 0)
        store.audit(conn, viewer.user, "note.add", call_id, f"note {note_id}",
                    after={"body": body, "for_agent": bool(for_agent),
                           "finding": json.loads(ref) if ref else None})
    return note_id


def set_override(conn: sqlite3.Connection, viewer: Viewer, call_id: str, criterion: str,
                 score: float, reason: str) -> None:
    """Replace a criterion's score on a call with the coach's, with a reason (the machine
    score stays in ``scores`` and is shown beside it)."""
    _staff_call(conn, viewer, call_id)
    reason = reason.strip()
    if not reason:
        raise ValueError("an override needs a reason")
    if not 0 <= score <= 100:
        raise ValueError("a score is between 0 and 100")
    machine = conn.execute("SELECT score FROM scores WHERE call_id = ? AND criterion = ?",
                           [call_id, criterion]).fetchone()
    if machine is None:
        raise LookupError(f"no criterion {criterion!r} on this call")
    with conn:
        _write_override(conn, viewer, call_id, criterion, float(score), machine["score"],
                        reason)


def _override_state(conn: sqlite3.Connection, call_id: str, criterion: str
                    ) -> dict[str, Any] | None:
    row = conn.execute("SELECT score, machine_score, reason, author, created_at FROM overrides "
                       "WHERE call_id = ? AND criterion = ?", [call_id, criterion]).fetchone()
    return dict(row) if row else None


def _write_override(conn: sqlite3.Connection, viewer: Viewer, call_id: str, criterion: str,
                    score: float, machine_score: float | None, reason: str,
                    dispute: int | None = None) -> None:
    """Set the override and its audit row, in the caller's transaction. The overrides table
    holds only the current one: its history is the trail."""
    before = _override_state(conn, call_id, criterion)
    conn.execute(
        "INSERT INTO overrides (call_id, criterion, score, machine_score, reason, author, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, criterion) DO UPDATE "
        "SET score = excluded.score, machine_score = excluded.machine_score, "
        "reason = excluded.reason, author = excluded.author, "
        "created_at = excluded.created_at",
        [call_id, criterion, score, machine_score, reason, viewer.user, store.now()])
    after = _override_state(conn, call_id, criterion)
    if after is not None and dispute is not None:
        after["dispute"] = dispute
    store.audit(conn, viewer.user, "override.change" if before else "override.set", call_id,
                criterion, before=before, after=after)


def remove_override(conn: sqlite3.Connection, viewer: Viewer, call_id: str,
                    criterion: str) -> None:
    """Go back to the machine's score for a criterion."""
    _staff_call(conn, viewer, call_id)
    with conn:
        before = _override_state(conn, call_id, criterion)
        if before is None:
            return
        conn.execute("DELETE FROM overrides WHERE call_id = ? AND criterion = ?",
                     [call_id, criterion])
        store.audit(conn, viewer.user, "override.remove", call_id, criterion, before=before)


def set_reviewed(conn: sqlite3.Connection, viewer: Viewer, call_id: str,
                 reviewed: bool = True) -> None:
    """Mark a call reviewed (or not; un-reviewing also stops sharing it)."""
    _staff_call(conn, viewer, call_id)
    with conn:
        before = _review_state(conn, call_id)
        if reviewed:
            conn.execute(
                "INSERT INTO reviews (call_id, reviewed_by, reviewed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (call_id) DO UPDATE SET reviewed_by = excluded.reviewed_by, "
                "reviewed_at = excluded.reviewed_at", [call_id, viewer.user, store.now()])
        else:
            conn.execute("DELETE FROM reviews WHERE call_id = ?", [call_id])
        store.audit(conn, viewer.user, "review.mark" if reviewed else "review.unmark",
                    call_id, before=before, after=_review_state(conn, call_id))


def _review_state(conn: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT reviewed_by, reviewed_at, shared_by, shared_at FROM reviews "
                       "WHERE call_id = ?", [call_id]).fetchone()
    return dict(row) if row else None


def decide_roles(conn: sqlite3.Connection, viewer: Viewer, call_id: str,
                 swap: bool) -> float | None:
    """A coach or lead confirms who is the agent on a call (``swap`` False) or swaps agent and
    customer (True), as ``qa roles confirm|swap`` does: the call is re-scored with the default
    rubric, stored with the decision in one transaction, and the decision is applied again
    when the recording is re-run. Returns the new overall score. Notes, overrides and the
    review stay. ValueError if the call was scored with another rubric or cannot be re-scored.
    """
    import sqlite_utils

    from qa.roles import decide_call
    from qa.rubric import load_rubric

    _staff_call(conn, viewer, call_id)
    rubric = load_rubric()
    version = conn.execute("SELECT rubric_version FROM calls WHERE id = ?",
                           [call_id]).fetchone()[0]
    if version != rubric.label:
        # Re-scoring with another rubric would change every score, not just the roles.
        raise ValueError(f"this call was scored with rubric {version}, not the dashboard's "
                         f"{rubric.label}: decide its roles with qa roles and --rubric")
    return decide_call(sqlite_utils.Database(conn), call_id, rubric, swap, viewer.user).overall


def set_shared(conn: sqlite3.Connection, viewer: Viewer, call_id: str,
               shared: bool = True) -> None:
    """Share a call with its agent (which also marks it reviewed), or stop sharing it."""
    _staff_call(conn, viewer, call_id)
    now = store.now()
    with conn:
        before = _review_state(conn, call_id)
        if shared:
            conn.execute(
                "INSERT INTO reviews (call_id, reviewed_by, reviewed_at, shared_by, shared_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET "
                "reviewed_by = coalesce(reviewed_by, excluded.reviewed_by), "
                "reviewed_at = coalesce(reviewed_at, excluded.reviewed_at), "
                "shared_by = excluded.shared_by, shared_at = excluded.shared_at",
                [call_id, viewer.user, now, viewer.user, now])
        else:
            conn.execute("UPDATE reviews SET shared_by = NULL, shared_at = NULL "
                         "WHERE call_id = ?", [call_id])
        store.audit(conn, viewer.user, "review.share" if shared else "review.unshare",
                    call_id, before=before, after=_review_state(conn, call_id))


def acknowledge(conn: sqlite3.Connection, viewer: Viewer, call_id: str, comment: str) -> None:
    """The agent confirms they read a shared review, with an optional comment (timestamped)."""
    _require(viewer, AGENT)
    cond, params = _visible(viewer, "c", "id")
    if conn.execute(f"SELECT 1 FROM calls c WHERE c.id = ? AND {cond}",
                    [call_id, *params]).fetchone() is None:
        raise LookupError("no such call among the reviews shared with you")
    comment = comment.strip()
    if len(comment) > MAX_NOTE_LENGTH:
        raise ValueError(f"comments are at most {MAX_NOTE_LENGTH} characters")
    with conn:
        conn.execute("INSERT INTO acknowledgements (call_id, user, comment, created_at) "
                     "VALUES (?, ?, ?, ?)", [call_id, viewer.user, comment or None, store.now()])
        store.audit(conn, viewer.user, "review.acknowledge", call_id,
                    after={"comment": comment or None})


# --- per-agent coaching points ----------------------------------------------------------------

def _agent_for(viewer: Viewer, agent: str) -> str:
    """Staff may look at any agent; an agent only at themselves."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise AccessDenied("you can only see your own feedback")
    return agent


def _agent_calls_cte(viewer: Viewer, agent: str, period: Period) -> tuple[str, list[Any]]:
    cond, params = _visible(viewer)
    start, end = period.bounds()
    return ("WITH calls_in AS (SELECT f.call_id, f.ts FROM call_facts f WHERE f.agent = ? "
            f"AND f.ts >= ? AND f.ts < ? AND f.scorable = 1 AND {cond})",
            [agent, start, end, *params])


def agent_points(conn: sqlite3.Connection, viewer: Viewer, agent: str, period: Period,
                 examples: int = 3) -> dict[str, Any]:
    """An agent's recurring coaching points and strengths over a period, with example quotes.

    A coaching point's cost is the overall-score points it took away: its criterion's lost
    points (after overrides) times the criterion's weight over the call's total applicable
    weight, shared among that criterion's coaching findings on the call. Points are ranked by
    total cost, then by how often they occur. For an agent viewer, only shared calls count.
    """
    agent = _agent_for(viewer, agent)
    cte, params = _agent_calls_cte(viewer, agent, period)
    calls = conn.execute(f"{cte} SELECT count(*) FROM calls_in", params).fetchone()[0]
    points = _rows(conn.execute(
        f"""{cte},
        hits AS (SELECT fi.call_id, fi.criterion, fi.label,
                        count(*) OVER (PARTITION BY fi.call_id, fi.criterion) AS k,
                        (SELECT sum(s.weight) FROM scores s WHERE s.call_id = fi.call_id
                         AND s.score IS NOT NULL) AS w
                 FROM findings fi JOIN calls_in USING (call_id) WHERE fi.polarity = 'coaching')
        SELECT h.criterion, h.label, count(*) AS occurrences,
               count(DISTINCT h.call_id) AS calls,
               coalesce(sum((100 - sf.score) * s.weight / h.w / h.k), 0) AS points
        FROM hits h
        LEFT JOIN score_facts sf ON sf.call_id = h.call_id AND sf.criterion = h.criterion
        LEFT JOIN scores s ON s.call_id = h.call_id AND s.criterion = h.criterion
        GROUP BY h.criterion, h.label ORDER BY points DESC, occurrences DESC""", params))
    strengths = _rows(conn.execute(
        f"""{cte} SELECT fi.criterion, fi.label, count(*) AS occurrences,
               count(DISTINCT fi.call_id) AS calls
        FROM findings fi JOIN calls_in USING (call_id) WHERE fi.polarity = 'strength'
        GROUP BY fi.criterion, fi.label ORDER BY calls DESC, occurrences DESC""", params))
    for group, polarity in ((points, "coaching"), (strengths, "strength")):
        found = _examples(conn, cte, params, polarity, [p["label"] for p in group], examples)
        for p in group:
            p["examples"] = found.get(p["label"], [])
            p["per_call"] = (p.get("points", 0) or 0) / calls if calls else 0.0
            p["share"] = p["calls"] / calls if calls else 0.0
    return {"agent": agent, "calls": calls, "points": points, "strengths": strengths}


def _examples(conn: sqlite3.Connection, cte: str, params: list[Any], polarity: str,
              labels: list[str], per_label: int) -> dict[str, list[dict[str, Any]]]:
    """Up to ``per_label`` example findings per label, newest calls first, one per call."""
    if not labels:
        return {}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(
            f"""{cte} SELECT * FROM (
                SELECT fi.id, fi.call_id, fi.label, fi.start, fi.quote, fi.message,
                       fi.suggestion, c.ts,
                       row_number() OVER (PARTITION BY fi.label ORDER BY c.ts DESC) AS rn
                FROM (SELECT *, row_number() OVER (PARTITION BY call_id, label ORDER BY start)
                      AS first FROM findings WHERE call_id IN (SELECT call_id FROM calls_in)
                      AND polarity = ? AND label IN ({_in(labels)})) fi
                JOIN calls_in c ON c.call_id = fi.call_id WHERE fi.first = 1)
            WHERE rn <= ? ORDER BY label, rn""", [*params, polarity, *labels, per_label]):
        out[r["label"]].append(dict(r))
    return out


def _bucketed(period: Period) -> tuple[str, str, str, str]:
    """Which rollup a trend over ``period`` reads: (bucket, table, first, last bucket);
    weeks for up to six months, months beyond."""
    if period.days <= 183:
        first, last = period.weeks()
        return "week", "agent_week", first, last
    return "month", "agent_month", period.start.isoformat()[:7], period.end.isoformat()[:7]


def _week_rows(conn: sqlite3.Connection, period: Period) -> list[sqlite3.Row]:
    bucket, table, first, last = _bucketed(period)
    return conn.execute(
        f"SELECT {bucket} AS bucket, agent, criterion, n, total FROM {table} "
        f"WHERE {bucket} >= ? AND {bucket} <= ? AND n > 0 AND agent != ''",
        [first, last]).fetchall()


def _shared_rows(conn: sqlite3.Connection, period: Period, agent: str,
                 others: bool) -> list[sqlite3.Row]:
    """Like ``_week_rows`` (bucket, agent, criterion, n, total), but from shared calls only:
    ``agent``'s own (``others`` False) or every other agent's (``others`` True)."""
    bucket, _, first, last = _bucketed(period)
    expr = "sf.week" if bucket == "week" else "substr(sf.ts, 1, 7)"
    return conn.execute(
        f"SELECT {expr} AS bucket, sf.agent, sf.criterion, count(*) AS n, "
        f"sum(sf.score) AS total FROM score_facts sf "
        f"WHERE sf.score IS NOT NULL AND coalesce(sf.agent, '') != '' "
        f"AND sf.agent {'!=' if others else '='} ? AND {expr} >= ? AND {expr} <= ? "
        f"AND EXISTS (SELECT 1 FROM reviews r WHERE r.call_id = sf.call_id "
        f"AND r.shared_at IS NOT NULL) GROUP BY 1, 2, 3 ORDER BY 1",
        [agent, first, last]).fetchall()


def team_medians(conn: sqlite3.Connection, viewer: Viewer, period: Period) -> dict[str, Any]:
    """The team median per criterion, over the period and per week (or month, for periods
    over six months): the median across agents of each agent's mean score. Only medians
    leave this function, never another agent's figures.

    For an agent viewer the team is their colleagues (never themselves, whose own mean would
    let them solve for a colleague's), counted on shared calls only, and a median is given
    only where at least MIN_COLLEAGUES of them contribute; ``colleagues`` says how many did
    at most, so the page can say why a median is missing.
    """
    _require(viewer, LEAD, COACH, AGENT)
    agent_view = viewer.role == AGENT
    rows = (_shared_rows(conn, period, viewer.agent or "", others=True) if agent_view
            else _week_rows(conn, period))
    per_bucket: dict[tuple[str, str], list[float]] = defaultdict(list)
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        per_bucket[(r["bucket"], r["criterion"])].append(r["total"] / r["n"])
        acc = sums[(r["agent"], r["criterion"])]
        acc[0] += r["total"]
        acc[1] += r["n"]
    overall: dict[str, list[float]] = defaultdict(list)
    for (_, criterion), (total, n) in sums.items():
        overall[criterion].append(total / n)
    least = MIN_COLLEAGUES if agent_view else 1
    return {
        "bucket": _bucketed(period)[0],
        "period": {c: statistics.median(v) for c, v in overall.items() if len(v) >= least},
        "trend": [{"bucket": b, "criterion": c, "median": statistics.median(v)}
                  for (b, c), v in sorted(per_bucket.items()) if len(v) >= least],
        "colleagues": max((len(v) for v in overall.values()), default=0),
        "min_colleagues": least,
    }


def agent_trend(conn: sqlite3.Connection, viewer: Viewer, agent: str, period: Period
                ) -> dict[str, Any]:
    """One agent's mean score per criterion over the period and per week (or month).

    For staff, computed over all the agent's scored calls, so the trend is not skewed
    towards the calls a coach picked to share. An agent viewer can ask only for their own,
    and gets it from the calls shared with them only: an unshared call (and a coach's
    override on it) is not theirs to see yet.
    """
    agent = _agent_for(viewer, agent)
    if viewer.role == AGENT:
        rows = _shared_rows(conn, period, agent, others=False)
    else:
        bucket, table, first, last = _bucketed(period)
        rows = conn.execute(
            f"SELECT {bucket} AS bucket, criterion, n, total FROM {table} "
            f"WHERE agent = ? AND {bucket} >= ? AND {bucket} <= ? AND n > 0 "
            f"ORDER BY bucket", [agent, first, last]).fetchall()
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        sums[r["criterion"]][0] += r["total"]
        sums[r["criterion"]][1] += r["n"]
    return {
        "period": {c: {"average": t / n, "calls": int(n)} for c, (t, n) in sums.items()},
        "trend": [{"bucket": r["bucket"], "criterion": r["criterion"],
                   "average": r["total"] / r["n"], "calls": r["n"]} for r in rows],
    }


# --- agent: my feedback -----------------------------------------------------------------------

def shared_calls(conn: sqlite3.Connection, viewer: Viewer, agent: str | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    """Calls shared with an agent, newest first, with the coaching summary, notes for the
    agent and acknowledgements. An agent gets only their own; staff name the agent."""
    _require(viewer, LEAD, COACH, AGENT)
    agent = viewer.agent if viewer.role == AGENT else agent
    if not agent:
        return []
    cond, params = _visible(viewer, "c", "id")
    rows = _rows(conn.execute(
        f"SELECT c.id AS call_id, c.call_time, c.scored_at, c.customer, c.duration, c.overall, "
        f"c.summary, r.shared_at, r.shared_by FROM calls c JOIN reviews r ON r.call_id = c.id "
        f"WHERE c.agent = ? AND r.shared_at IS NOT NULL AND {cond} "
        f"ORDER BY r.shared_at DESC LIMIT ?", [agent, *params, limit]))
    if not rows:
        return rows
    ids = [r["call_id"] for r in rows]
    notes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in conn.execute(f"SELECT call_id, finding_ref, author, body, created_at FROM notes "
                          f"WHERE call_id IN ({_in(ids)}) AND for_agent = 1 ORDER BY id", ids):
        notes[n["call_id"]].append(dict(n))
    acks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in conn.execute(f"SELECT call_id, user, comment, created_at FROM acknowledgements "
                          f"WHERE call_id IN ({_in(ids)}) ORDER BY id", ids):
        acks[a["call_id"]].append(dict(a))
    overrides: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in conn.execute(f"SELECT call_id, criterion, score, machine_score, reason FROM "
                          f"overrides WHERE call_id IN ({_in(ids)})", ids):
        overrides[o["call_id"]].append(dict(o))
    disputes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in _dispute_rows(conn.execute(f"SELECT {_DISPUTE_COLUMNS} FROM disputes d "
                                        f"WHERE d.call_id IN ({_in(ids)}) ORDER BY d.id", ids)):
        disputes[d["call_id"]].append(d)
    days = dispute_window()
    for r in rows:
        r["summary"] = json.loads(r["summary"]) if r["summary"] else {}
        r["disputes"] = disputes.get(r["call_id"], [])
        r["dispute_until"] = _dispute_deadline(r["shared_at"], days)
        r["can_dispute"] = can_dispute(r, days)
        r["notes"] = notes.get(r["call_id"], [])
        r["acknowledgements"] = acks.get(r["call_id"], [])
        r["overrides"] = overrides.get(r["call_id"], [])
    return rows


# --- lead: batch scoring ----------------------------------------------------------------------

def last_run_id(conn: sqlite3.Connection, viewer: Viewer) -> int:
    """The newest run's id (0 when none)."""
    _require(viewer, LEAD)
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0])


def record_launch(conn: sqlite3.Connection, viewer: Viewer, path: str, manifest: str | None,
                  total: int, after_run_id: int, pid: int | None, log_path: str | None) -> int:
    """Remember a batch started from the browser, so its progress survives a page reload."""
    _require(viewer, LEAD)
    with conn:
        cur = conn.execute(
            "INSERT INTO launches (path, manifest, total, after_run_id, pid, log_path, "
            "started_by, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [path, manifest, total, after_run_id, pid, log_path, viewer.user, store.now()])
    return int(cur.lastrowid or 0)


def latest_launch(conn: sqlite3.Connection, viewer: Viewer) -> dict[str, Any] | None:
    """The newest browser-started batch with its run's progress and per-file outcomes."""
    _require(viewer, LEAD)
    row = conn.execute("SELECT * FROM launches ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    launch = dict(row)
    # The run the subprocess opened: the first one after the launch on the same folder.
    # (Matched by its process too: with redaction on, the folder's name is stored masked.)
    run = conn.execute("SELECT * FROM runs WHERE id > ? AND (paths = ? OR pid = ?) "
                       "ORDER BY id LIMIT 1", [launch["after_run_id"],
                                               json.dumps([launch["path"]]),
                                               launch["pid"] or -1]).fetchone()
    launch["run"] = _live_status(conn, dict(run)) if run else None
    launch["files"] = _rows(conn.execute(
        "SELECT path, status, call_id, error, seconds, finished_at FROM run_files "
        "WHERE run_id = ? ORDER BY id", [run["id"]])) if run else []
    return launch


# --- calibration: coaches' marks on findings ---------------------------------------------------

def mark_finding(conn: sqlite3.Connection, viewer: Viewer, call_id: str, utterance_idx: int,
                 label: str, verdict: str) -> None:
    """A coach's verdict on the machine's label of an agent utterance (``right`` / ``wrong``),
    or a label the machine missed there (``added``). Marking again replaces the coach's
    earlier verdict; each coach's marks are kept apart."""
    _staff_call(conn, viewer, call_id)
    if label not in EVAL_LABELS:
        raise ValueError(f"{label!r} is not a label coaches can check")
    if verdict not in calibration.VERDICTS:
        raise ValueError(f"a verdict is one of {', '.join(calibration.VERDICTS)}")
    utt = conn.execute("SELECT speaker FROM utterances WHERE call_id = ? AND idx = ?",
                       [call_id, utterance_idx]).fetchone()
    if utt is None or utt["speaker"] != "agent":
        raise LookupError("that is not one of the agent's utterances on this call")
    found = conn.execute("SELECT 1 FROM findings WHERE call_id = ? AND utterance_idx = ? "
                         "AND label = ? AND speaker = 'agent'",
                         [call_id, utterance_idx, label]).fetchone() is not None
    if verdict == calibration.ADDED and found:
        raise ValueError("the machine already found that; mark it right instead")
    if verdict != calibration.ADDED and not found:
        raise LookupError("the machine has no such finding on that utterance")
    with conn:
        before = _mark_state(conn, viewer, call_id, utterance_idx, label)
        conn.execute(
            "INSERT INTO finding_marks (call_id, utterance_idx, label, verdict, coach, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, utterance_idx, label, "
            "coach) DO UPDATE SET verdict = excluded.verdict, created_at = excluded.created_at",
            [call_id, utterance_idx, label, verdict, viewer.user, store.now()])
        store.audit(conn, viewer.user, "finding.mark", call_id,
                    f"utterance {utterance_idx} {label}", before=before,
                    after={"verdict": verdict})


def _mark_state(conn: sqlite3.Connection, viewer: Viewer, call_id: str, utterance_idx: int,
                label: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT verdict FROM finding_marks WHERE call_id = ? AND "
                       "utterance_idx = ? AND label = ? AND coach = ?",
                       [call_id, utterance_idx, label, viewer.user]).fetchone()
    return {"verdict": row[0]} if row else None


def remove_mark(conn: sqlite3.Connection, viewer: Viewer, call_id: str, utterance_idx: int,
                label: str) -> None:
    """Take back the viewer's own mark on an utterance and label."""
    _staff_call(conn, viewer, call_id)
    with conn:
        before = _mark_state(conn, viewer, call_id, utterance_idx, label)
        if before is None:
            return
        conn.execute("DELETE FROM finding_marks WHERE call_id = ? AND utterance_idx = ? "
                     "AND label = ? AND coach = ?", [call_id, utterance_idx, label, viewer.user])
        store.audit(conn, viewer.user, "finding.unmark", call_id,
                    f"utterance {utterance_idx} {label}", before=before)


def call_marks(conn: sqlite3.Connection, viewer: Viewer, call_id: str) -> list[dict[str, Any]]:
    """Every coach's marks on one call (staff only: agents never see them)."""
    _require(viewer, LEAD, COACH)
    return _rows(conn.execute(
        "SELECT utterance_idx, label, verdict, coach, created_at FROM finding_marks "
        "WHERE call_id = ? ORDER BY utterance_idx, label, coach", [call_id]))


def _marked_call_facts(conn: sqlite3.Connection, call_ids: Sequence[str]
                       ) -> list[calibration.CallFacts]:
    """Agent utterances and machine labels of the given calls, for calibration."""
    facts: dict[str, calibration.CallFacts] = {
        c: calibration.CallFacts(c, 0, set()) for c in call_ids}
    for chunk in range(0, len(call_ids), 500):
        ids = list(call_ids[chunk:chunk + 500])
        for r in conn.execute(f"SELECT call_id, idx, text FROM utterances WHERE speaker = "
                              f"'agent' AND call_id IN ({_in(ids)})", ids):
            f = facts[r["call_id"]]
            f.agent_utterances += 1
            f.texts[r["idx"]] = r["text"]
        labels = list(EVAL_LABELS)
        for r in conn.execute(f"SELECT call_id, utterance_idx, label FROM findings "
                              f"WHERE speaker = 'agent' AND call_id IN ({_in(ids)}) "
                              f"AND label IN ({_in(labels)})", [*ids, *labels]):
            facts[r["call_id"]].machine.add((r["utterance_idx"], r["label"]))
    return [facts[c] for c in call_ids]


def _all_marks(conn: sqlite3.Connection) -> list[calibration.Mark]:
    return [calibration.Mark(r["call_id"], r["utterance_idx"], r["label"], r["verdict"],
                             r["coach"])
            for r in conn.execute("SELECT call_id, utterance_idx, label, verdict, coach "
                                  "FROM finding_marks WHERE call_id IN (SELECT id FROM calls) "
                                  "ORDER BY call_id")]


def calibration_report(conn: sqlite3.Connection, viewer: Viewer) -> calibration.Report:
    """Agreement between the machine and the coaches, and between coaches (leads only)."""
    _require(viewer, LEAD)
    marks = _all_marks(conn)
    call_ids = sorted({m.call_id for m in marks})
    return calibration.calibrate(_marked_call_facts(conn, call_ids), marks)


def labeled_calls(conn: sqlite3.Connection, viewer: Viewer) -> list[dict[str, Any]]:
    """Every call a coach marked, as a labeled transcript (docs/labels.md) whose labels are
    the coach's answers (the most recent marking coach's, where two marked it), so ``qa
    eval`` runs on a team's own calls."""
    _require(viewer, LEAD, COACH)
    marks = _all_marks(conn)
    latest: dict[str, tuple[str, str]] = {}
    for r in conn.execute("SELECT call_id, coach, max(created_at) AS at FROM finding_marks "
                          "GROUP BY call_id, coach"):
        if r["call_id"] not in latest or r["at"] > latest[r["call_id"]][1]:
            latest[r["call_id"]] = (r["coach"], r["at"])
    out = []
    for facts in _marked_call_facts(conn, sorted(latest)):
        coach = latest[facts.call_id][0]
        answer = calibration.coach_answer(
            facts, [m for m in marks if m.call_id == facts.call_id and m.coach == coach])
        row = conn.execute("SELECT agent FROM calls WHERE id = ?", [facts.call_id]).fetchone()
        utterances = []
        for u in conn.execute("SELECT idx, speaker, start, end, text FROM utterances "
                              "WHERE call_id = ? ORDER BY idx", [facts.call_id]):
            item: dict[str, Any] = {"speaker": u["speaker"], "start": u["start"],
                                    "end": u["end"], "text": u["text"]}
            if u["speaker"] == "agent":
                item["labels"] = sorted(lab for i, lab in answer if i == u["idx"])
            utterances.append(item)
        out.append({"call_id": facts.call_id, "agent": row["agent"] if row else None,
                    "labelled_by": coach, "utterances": utterances})
    return out


# --- lead: complaint themes (qa/themes.py) ------------------------------------------------------

# A theme is new when its first call falls in the last NEW_DAYS days of the period, and fast
# growing when those days hold at least GROWING_MIN of its calls and at least twice its rate
# over the GROWING_BASE days before.
NEW_DAYS = 14
GROWING_BASE = 28
GROWING_MIN = 5


@dataclass
class ThemeReport:
    """The themes of the calls in a period (and queue): one dict per theme, largest first."""

    themes: list[dict[str, Any]]
    calls: int  # calls in the period with a theme
    waiting: int  # calls in the period with a problem statement but no theme yet
    no_statement: int  # calls in the period in which no problem statement was found
    queue: str | None = None
    queues: list[str] = field(default_factory=list)  # queues in the data (manifest column)
    repeat_known: bool = False  # whether any call has a known customer
    updated_at: str | None = None


def _theme_filter(period: Period, queue: str | None) -> tuple[str, list[Any]]:
    start, end = period.bounds()
    sql, params = "t.ts >= ? AND t.ts < ?", [start, end]
    if queue:
        sql += " AND t.queue = ?"
        params.append(queue)
    return sql, params


def theme_queues(conn: sqlite3.Connection, viewer: Viewer) -> list[str]:
    """The queues the manifests named (a ``queue`` column), empty when there were none."""
    _require(viewer, *STAFF)
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT queue FROM theme_calls WHERE queue IS NOT NULL ORDER BY 1")]


def themes(conn: sqlite3.Connection, viewer: Viewer, period: Period,
           queue: str | None = None) -> ThemeReport:
    """Each theme's size, weekly trend, share of repeat contacts, mean score, two example
    quotes (the stored, so for a redacted call redacted, words) and whether it is new or
    growing fast, over the calls of ``period`` (and ``queue``). Leads and coaches only.

    Reads ``theme_calls`` alone (each call's time, week and score are copied there when it is
    themed), through its (status, ts, ...) index."""
    _require(viewer, *STAFF)
    queues = theme_queues(conn, viewer)
    if queue and not queues:
        queue = None  # no manifest had a queue: the filter cannot apply (the caller says so)
    cond, params = _theme_filter(period, queue)
    counts = {status: conn.execute(
        f"SELECT count(*) FROM theme_calls t WHERE t.status = ? AND {cond}",
        [status, *params]).fetchone()[0] for status in ("themed", "pending", "none")}
    names = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, words FROM themes")}
    stats: dict[int, dict[str, Any]] = {}
    for r in conn.execute(
            "SELECT t.theme_id, t.week, count(*), sum(t.overall), count(t.overall), "
            "sum(t.repeat), count(t.repeat) FROM theme_calls t "
            f"WHERE t.status = 'themed' AND {cond} GROUP BY t.theme_id, t.week", params):
        s = stats.setdefault(r[0], {"size": 0, "total": 0.0, "scored": 0, "repeats": 0,
                                    "known": 0, "weeks": {}})
        s["size"] += r[2]
        s["total"] += r[3] or 0.0
        s["scored"] += r[4]
        s["repeats"] += r[5] or 0
        s["known"] += r[6]
        s["weeks"][r[1]] = r[2]
    recent_from = (period.end - timedelta(days=NEW_DAYS - 1)).isoformat()
    base_from = (period.end - timedelta(days=NEW_DAYS + GROWING_BASE - 1)).isoformat()
    recent: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    end = period.bounds()[1]
    q_sql, q_params = (" AND t.queue = ?", [queue]) if queue else ("", [])
    for r in conn.execute(
            "SELECT t.theme_id, t.ts >= ?, count(*) FROM theme_calls t "
            "WHERE t.status = 'themed' AND t.ts >= ? AND t.ts < ?"
            f"{q_sql} GROUP BY 1, 2", [recent_from, base_from, end, *q_params]):
        recent[r[0]][0 if r[1] else 1] = r[2]
    start = period.bounds()[0]
    out = []
    for theme_id, s in stats.items():
        if theme_id not in names:
            continue
        first = conn.execute("SELECT min(ts) FROM theme_calls WHERE theme_id = ? "
                             "AND status = 'themed'", [theme_id]).fetchone()[0]
        now_n, before_n = recent[theme_id]
        rate_before = before_n * NEW_DAYS / GROWING_BASE
        is_new = bool(first) and first[:10] >= recent_from
        out.append({
            "id": theme_id, "name": names[theme_id][0], "words": json.loads(names[theme_id][1]),
            "size": s["size"],
            "mean_score": s["total"] / s["scored"] if s["scored"] else None,
            "repeat_share": s["repeats"] / s["known"] if s["known"] else None,
            "repeat_known": s["known"], "weeks": dict(sorted(s["weeks"].items())),
            "first_seen": first, "recent": now_n, "new": is_new,
            "growing": (not is_new and now_n >= GROWING_MIN and now_n >= 2 * rate_before),
            "examples": _theme_examples(conn, theme_id, start, end, queue),
        })
    out.sort(key=lambda t: (-t["size"], t["id"]))
    updated = conn.execute("SELECT max(started_at) FROM theme_updates").fetchone()[0]
    return ThemeReport(out, counts["themed"], counts["pending"], counts["none"], queue, queues,
                       any(t["repeat_known"] for t in out), updated)


def _theme_examples(conn: sqlite3.Connection, theme_id: int, start: str, end: str,
                    queue: str | None, count: int = 2) -> list[dict[str, Any]]:
    """The theme's calls nearest its centroid in the period: call id and first problem
    statement, read from the stored utterances (so a redacted call's text is redacted)."""
    out: list[dict[str, Any]] = []
    for r in conn.execute("SELECT call_id, utterances, ts, queue FROM theme_calls "
                          "WHERE theme_id = ? ORDER BY similarity DESC", [theme_id]):
        if not (r[2] and start <= r[2] < end) or (queue and r[3] != queue):
            continue
        idx = json.loads(r[1] or "[]")
        row = conn.execute("SELECT text FROM utterances WHERE call_id = ? AND idx = ?",
                           [r[0], idx[0]]).fetchone() if idx else None
        if row is not None:
            out.append({"call_id": r[0], "quote": row[0]})
        if len(out) == count:
            break
    return out


def theme_calls(conn: sqlite3.Connection, viewer: Viewer, theme_id: int, period: Period,
                queue: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The calls of one theme in the period (and queue), latest first, with their scores."""
    _require(viewer, *STAFF)
    cond, params = _theme_filter(period, queue)
    return _rows(conn.execute(
        "SELECT t.call_id, t.ts, f.agent, t.overall, t.similarity, t.repeat "
        "FROM theme_calls t LEFT JOIN call_facts f ON f.call_id = t.call_id "
        f"WHERE t.theme_id = ? AND t.status = 'themed' AND {cond} "
        "ORDER BY t.ts DESC, t.call_id LIMIT ?", [theme_id, *params, limit]))


def update_themes(conn: sqlite3.Connection, viewer: Viewer) -> Any:
    """Bring the themes up to date with the calls scored since the last update (leads)."""
    _require(viewer, LEAD)
    import sqlite_utils

    from qa import themes as theme_lib
    return theme_lib.update(sqlite_utils.Database(conn))


# --- audit trail ---------------------------------------------------------------------------

def call_history(conn: sqlite3.Connection, viewer: Viewer, call_id: str
                 ) -> list[dict[str, Any]]:
    """Who changed what on one call and when, oldest first (staff only: the trail holds
    overrides and notes an agent may not have been shown). ``before``/``after`` are parsed."""
    _require(viewer, LEAD, COACH)
    rows = list(store.iter_audit(conn, call_id))
    for r in rows:
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
    return rows


def audit_trail(conn: sqlite3.Connection, viewer: Viewer) -> Iterable[dict[str, Any]]:
    """The whole audit trail, oldest first, streamed (leads only), before/after as JSON text."""
    _require(viewer, LEAD)
    return store.iter_audit(conn)


# --- disputes --------------------------------------------------------------------------------

OPEN, UPHELD, CHANGED = "open", "upheld", "changed"
DEFAULT_DISPUTE_WINDOW = 14


def dispute_window() -> int:
    """Days after sharing during which an agent may dispute: the rubric's
    ``[shared] dispute_window_days`` (14 when the rubric cannot be read)."""
    try:
        from qa.rubric import load_rubric

        return int(load_rubric().shared.get("dispute_window_days", DEFAULT_DISPUTE_WINDOW))
    except Exception:  # a broken rubric file must not take the dashboard down
        return DEFAULT_DISPUTE_WINDOW


def _utc(stamp: str) -> datetime:
    """A stored timestamp as an aware UTC time (a stamp without a zone is UTC)."""
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dispute_deadline(shared_at: str | None, days: int) -> str | None:
    """The moment (ISO, UTC) the dispute window of a review shared at ``shared_at`` closes."""
    if not shared_at:
        return None
    return (_utc(shared_at) + timedelta(days=days)).isoformat(timespec="seconds")


def can_dispute(call: dict[str, Any], days: int | None = None) -> bool:
    """Whether the window for disputing a shared review (a row with ``shared_at``) is open."""
    deadline = _dispute_deadline(call.get("shared_at"), dispute_window() if days is None
                                 else days)
    return deadline is not None and datetime.now(UTC) <= _utc(deadline)


def open_dispute(conn: sqlite3.Connection, viewer: Viewer, call_id: str, reason: str,
                 criterion: str | None = None, finding_id: int | None = None) -> int:
    """An agent disputes a criterion's score or one finding on one of their shared reviews,
    with a reason; returns the dispute's id. Refused (LookupError, as for a call that does not
    exist) for a call that is not the agent's own shared one; ValueError once the dispute
    window has closed or when the same item already has an open dispute."""
    _require(viewer, AGENT)
    cond, params = _visible(viewer, "c", "id")
    row = conn.execute(f"SELECT c.agent, r.shared_at FROM calls c JOIN reviews r "
                       f"ON r.call_id = c.id WHERE c.id = ? AND {cond}",
                       [call_id, *params]).fetchone()
    if row is None:
        raise LookupError("no such call among the reviews shared with you")
    reason = reason.strip()
    if not reason:
        raise ValueError("say why you disagree")
    if len(reason) > MAX_NOTE_LENGTH:
        raise ValueError(f"a reason is at most {MAX_NOTE_LENGTH} characters")
    days = dispute_window()
    if not can_dispute(dict(row), days):
        raise ValueError(f"reviews can be disputed for {days} days after they are shared; "
                         "this one's window has closed")
    ref = None
    if finding_id is not None:
        f = conn.execute("SELECT criterion, label, start, quote FROM findings "
                         "WHERE id = ? AND call_id = ?", [finding_id, call_id]).fetchone()
        if f is None:
            raise LookupError("that finding is not on this call")
        criterion = f["criterion"]
        ref = json.dumps({"label": f["label"], "start": f["start"], "quote": f["quote"]})
    if not criterion:
        raise ValueError("choose the score or the finding you dispute")
    score = conn.execute("SELECT s.score, o.score FROM scores s LEFT JOIN overrides o "
                         "ON o.call_id = s.call_id AND o.criterion = s.criterion "
                         "WHERE s.call_id = ? AND s.criterion = ?",
                         [call_id, criterion]).fetchone()
    if score is None:
        raise LookupError(f"no criterion {criterion!r} on this call")
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
            [call_id, row["agent"], viewer.user, criterion, finding_id, ref, reason,
             store.now(), score[0], current])
        dispute_id = int(cur.lastrowid or 0)
        store.audit(conn, viewer.user, "dispute.open", call_id, f"dispute {dispute_id}",
                    after={"criterion": criterion, "finding": json.loads(ref) if ref else None,
                           "reason": reason, "score": current})
    return dispute_id


_DISPUTE_COLUMNS = ("d.id, d.call_id, d.agent, d.raised_by, d.criterion, d.finding_id, "
                    "d.finding_ref, d.reason, d.created_at, d.status, d.machine_score, "
                    "d.disputed_score, d.new_score, d.reply, d.resolved_by, d.resolved_at")


def _dispute_rows(cur: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    rows = _rows(cur)
    for r in rows:
        r["finding"] = json.loads(r.pop("finding_ref")) if r.get("finding_ref") else None
    return rows


def call_disputes(conn: sqlite3.Connection, viewer: Viewer, call_id: str
                  ) -> list[dict[str, Any]]:
    """The disputes on one call the viewer may read (an agent: only on their own shared
    calls), oldest first, with their outcomes."""
    cond, params = _visible(viewer, "c", "id")
    return _dispute_rows(conn.execute(
        f"SELECT {_DISPUTE_COLUMNS} FROM disputes d JOIN calls c ON c.id = d.call_id "
        f"WHERE d.call_id = ? AND {cond} ORDER BY d.id", [call_id, *params]))


def dispute_queue(conn: sqlite3.Connection, viewer: Viewer, status: str = OPEN,
                  limit: int = 500) -> list[dict[str, Any]]:
    """Disputes for coaches and leads: the open ones oldest first (``status`` "open"), or
    the resolved ones newest first ("resolved"), with the call's time and current score."""
    _require(viewer, LEAD, COACH)
    where, order = (("d.status = 'open'", "d.id") if status == OPEN
                    else ("d.status != 'open'", "d.resolved_at DESC, d.id DESC"))
    return _dispute_rows(conn.execute(
        f"SELECT {_DISPUTE_COLUMNS}, coalesce(c.call_time, c.scored_at) AS call_time, "
        f"coalesce(o.score, s.score) AS current_score FROM disputes d "
        f"LEFT JOIN calls c ON c.id = d.call_id "
        f"LEFT JOIN scores s ON s.call_id = d.call_id AND s.criterion = d.criterion "
        f"LEFT JOIN overrides o ON o.call_id = d.call_id AND o.criterion = d.criterion "
        f"WHERE {where} ORDER BY {order} LIMIT ?", [limit]))


def open_dispute_count(conn: sqlite3.Connection, viewer: Viewer) -> int:
    """How many disputes wait for a coach (staff only)."""
    _require(viewer, LEAD, COACH)
    return int(conn.execute("SELECT count(*) FROM disputes WHERE status = 'open'"
                            ).fetchone()[0])


def resolve_dispute(conn: sqlite3.Connection, viewer: Viewer, dispute_id: int, outcome: str,
                    reply: str, new_score: float | None = None) -> None:
    """A coach or lead answers an open dispute: ``upheld`` (the score stands) or ``changed``
    (``new_score`` becomes the criterion's override, set as any override is, with the reply
    as its reason), always with a reply the agent reads."""
    _require(viewer, LEAD, COACH)
    reply = reply.strip()
    if not reply:
        raise ValueError("write a reply for the agent")
    if len(reply) > MAX_NOTE_LENGTH:
        raise ValueError(f"a reply is at most {MAX_NOTE_LENGTH} characters")
    if outcome not in (UPHELD, CHANGED):
        raise ValueError(f"an outcome is {UPHELD} or {CHANGED}")
    if outcome == CHANGED:
        if new_score is None or not 0 <= new_score <= 100:
            raise ValueError("a changed score is between 0 and 100")
    else:
        new_score = None
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
            _write_override(conn, viewer, d["call_id"], d["criterion"], float(new_score or 0),
                            machine["score"], reply, dispute=dispute_id)
        now = store.now()
        conn.execute("UPDATE disputes SET status = ?, new_score = ?, reply = ?, "
                     "resolved_by = ?, resolved_at = ? WHERE id = ?",
                     [outcome, new_score, reply, viewer.user, now, dispute_id])
        store.audit(conn, viewer.user, "dispute.resolve", d["call_id"], f"dispute {dispute_id}",
                    before={"status": OPEN, "score": d["disputed_score"]},
                    after={"status": outcome, "score": new_score, "reply": reply})


def dispute_options(conn: sqlite3.Connection, viewer: Viewer, call_id: str
                    ) -> dict[str, list[dict[str, Any]]]:
    """What an agent can dispute on a call they may read: each scored criterion (with its
    score, override applied) and each coaching finding. Empty for a call they may not read."""
    cond, params = _visible(viewer, "c", "id")
    if conn.execute(f"SELECT 1 FROM calls c WHERE c.id = ? AND {cond}",
                    [call_id, *params]).fetchone() is None:
        return {"criteria": [], "findings": []}
    return {
        "criteria": _rows(conn.execute(
            "SELECT s.criterion, coalesce(o.score, s.score) AS score FROM scores s "
            "LEFT JOIN overrides o ON o.call_id = s.call_id AND o.criterion = s.criterion "
            "WHERE s.call_id = ? AND s.score IS NOT NULL ORDER BY s.rowid", [call_id])),
        "findings": _rows(conn.execute(
            "SELECT id, criterion, label, start, quote FROM findings WHERE call_id = ? "
            "AND polarity = 'coaching' ORDER BY start, id", [call_id])),
    }
