"""Exports a reporting team can use: every table about the calls, streamed, in bounded memory.

One table per kind of record (``TABLES``): the calls with machine and final (coach overrides
applied) scores side by side, the scores one row per criterion, findings, coaches' marks on
findings, notes, reviews, acknowledgements, disputes, commitments, the transcripts and the
audit trail. Each can be written as CSV (every cell formula-safe, ``qa.csvsafe``), JSON Lines
(one object per line) or Parquet (written in row groups), for the calls of a period, some
agents and a queue.

Rows are read from SQLite with a cursor and written as they come: no format holds the whole
set in memory (Parquet holds one row group at a time, the calls table one chunk of calls).
Exporting is a lead's right only, checked here where the data is read, whatever calls it
(the ``qa export`` command runs as a lead, as whoever can read the database file can).
"""

from __future__ import annotations

import json
import math
import sqlite3
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from qa.auth import LEAD, Viewer
from qa.csvsafe import write_rows
from qa.queries import FINAL_SCORES_SQL, AccessDenied, final_overall

TABLES = ("calls", "scores", "findings", "marks", "notes", "reviews", "acknowledgements",
          "disputes", "commitments", "transcript", "audit")
FORMATS = ("csv", "jsonl", "parquet")
SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
MIME_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson",
              "parquet": "application/vnd.apache.parquet"}
# Column kinds: how each is typed in Parquet, and "json" columns (JSON text in the database)
# are parsed into values in JSON Lines.
TEXT, REAL, INT, JSON = "text", "real", "int", "json"
# Rows per Parquet row group: what the writer holds in memory at once. At most ROW_GROUP
# rows and about ROW_GROUP_CELLS cells, so a wide table (the calls, two columns per
# criterion) holds no more than a narrow one.
ROW_GROUP = 10_000
ROW_GROUP_CELLS = 250_000
# Calls per round trip when the calls table gathers each call's scores and counts.
CALL_CHUNK = 500


@dataclass(frozen=True)
class ExportFilter:
    """Which calls: an inclusive range of days (by the call's time, else when it was scored,
    as on the dashboard), agent ids (none: all) and a queue (the manifest's ``queue``)."""

    start: date | None = None
    end: date | None = None
    agents: tuple[str, ...] = ()
    queue: str | None = None

    @property
    def everything(self) -> bool:
        """True when no filter is set."""
        return (self.start is None and self.end is None and not self.agents
                and self.queue is None)


@dataclass
class Table:
    """One export table: its name, typed columns, and its rows (an iterator, read once)."""

    name: str
    columns: list[tuple[str, str]]
    rows: Iterable[Sequence[Any]]

    @property
    def names(self) -> list[str]:
        """The column names."""
        return [name for name, _ in self.columns]


def require_lead(viewer: Viewer) -> None:
    """Raise :class:`qa.queries.AccessDenied` unless ``viewer`` is a lead: exports hold every
    agent's calls, notes and disputes."""
    if not isinstance(viewer, Viewer) or viewer.role != LEAD:
        raise AccessDenied("only a lead can export")


# --- which calls ---------------------------------------------------------------------------

def _named(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor whose rows are read by column name, whatever the connection's row factory."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return cur


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in conn.execute(f"PRAGMA table_info([{table}])"))


def queue_sql(conn: sqlite3.Connection, alias: str = "c") -> str:
    """SQL for a call's queue: the ``calls.queue`` column where the schema has one, else (and
    for calls stored before it) the manifest's ``queue`` kept in ``calls.extra``."""
    from_extra = (f"(CASE WHEN json_valid({alias}.extra) "
                  f"THEN json_extract({alias}.extra, '$.queue') END)")
    if _has_column(conn, "calls", "queue"):
        return f"coalesce({alias}.queue, {from_extra})"
    return from_extra


def queues(conn: sqlite3.Connection, viewer: Viewer) -> list[str]:
    """The queues the stored calls name (empty when no manifest had a queue)."""
    require_lead(viewer)
    return [str(r[0]) for r in conn.execute(
        f"SELECT DISTINCT {queue_sql(conn)} AS q FROM calls c WHERE q IS NOT NULL ORDER BY 1")]


def _selection(conn: sqlite3.Connection, flt: ExportFilter) -> tuple[str, str, list[Any]]:
    """The FROM clause (``call_facts f`` joined to ``calls c``), WHERE condition and its
    parameters for the chosen calls."""
    cond, params = ["1 = 1"], []
    if flt.start is not None:
        cond.append("f.ts >= ?")
        params.append(flt.start.isoformat())
    if flt.end is not None:
        cond.append("f.ts < ?")
        params.append((flt.end + timedelta(days=1)).isoformat())
    if flt.agents:
        cond.append(f"f.agent IN ({', '.join('?' * len(flt.agents))})")
        params += list(flt.agents)
    if flt.queue is not None:
        cond.append(f"{queue_sql(conn)} = ?")
        params.append(flt.queue)
    return "call_facts f JOIN calls c ON c.id = f.call_id", " AND ".join(cond), params


def count_calls(conn: sqlite3.Connection, viewer: Viewer, flt: ExportFilter) -> int:
    """How many calls ``flt`` chooses (leads only)."""
    require_lead(viewer)
    source, cond, params = _selection(conn, flt)
    return int(conn.execute(f"SELECT count(*) FROM {source} WHERE {cond}", params).fetchone()[0])


def _of_chosen(conn: sqlite3.Connection, flt: ExportFilter, alias: str
               ) -> tuple[str, list[Any]]:
    """A condition on ``{alias}.call_id`` that keeps the chosen calls' rows only."""
    if flt.everything:
        return "1 = 1", []
    source, cond, params = _selection(conn, flt)
    return f"{alias}.call_id IN (SELECT f.call_id FROM {source} WHERE {cond})", params


# --- the tables ----------------------------------------------------------------------------

def criteria(conn: sqlite3.Connection) -> list[str]:
    """Every criterion with a stored score, in rubric order where the rubric is known."""
    names = [r[0] for r in conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT min(criterion) FROM scores UNION ALL "
        "SELECT (SELECT min(criterion) FROM scores WHERE criterion > x) FROM c "
        "WHERE x IS NOT NULL) SELECT x FROM c WHERE x IS NOT NULL")]
    try:
        from qa.rubric import load_rubric

        order = {name: i for i, name in enumerate(load_rubric().criteria)}
    except Exception:  # a broken default rubric must not stop an export
        order = {}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


CALL_COLUMNS: list[tuple[str, str]] = [
    ("id", TEXT), ("agent", TEXT), ("queue", TEXT), ("customer", TEXT), ("call_time", TEXT),
    ("duration", REAL), ("origin", TEXT), ("source_path", TEXT), ("rubric_name", TEXT),
    ("rubric_version", TEXT), ("scorable", INT), ("unscorable_reason", TEXT),
    ("overall", REAL), ("overall_final", REAL), ("overrides", INT),
    ("reviewed_by", TEXT), ("reviewed_at", TEXT), ("shared_by", TEXT), ("shared_at", TEXT),
    ("acknowledged_at", TEXT), ("notes", INT), ("disputes", INT), ("disputes_open", INT),
    ("commitments", INT), ("commitments_open", INT), ("redacted", JSON), ("extra", JSON),
    ("scored_at", TEXT),
]
_CALL_SELECT = ("c.id, c.agent, {queue}, c.customer, c.call_time, c.duration, c.origin, "
                "c.source_path, c.rubric_name, c.rubric_version, c.scorable, "
                "c.unscorable_reason, c.overall, r.reviewed_by, r.reviewed_at, r.shared_by, "
                "r.shared_at, c.redacted, c.extra, c.scored_at")


def _calls(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    """One row per call: its fields, the machine overall next to the final one (coach
    overrides applied, ``queries.final_overall``, as the call's review page shows it), the
    review state, counts of notes, disputes and commitments, and for each criterion the
    machine score (``<criterion>``) next to the final one (``<criterion>_final``)."""
    names = criteria(conn)
    columns = CALL_COLUMNS + [c for n in names for c in ((n, REAL), (f"{n}_final", REAL))]
    source, cond, params = _selection(conn, flt)
    sql = (f"SELECT {_CALL_SELECT.format(queue=queue_sql(conn))} FROM {source} "
           f"LEFT JOIN reviews r ON r.call_id = c.id WHERE {cond} ORDER BY f.ts, f.call_id")

    def rows() -> Iterator[list[Any]]:
        chunk: list[sqlite3.Row] = []
        for row in _named(conn).execute(sql, params):
            chunk.append(row)
            if len(chunk) >= CALL_CHUNK:
                yield from _call_rows(conn, chunk, names)
                chunk = []
        if chunk:
            yield from _call_rows(conn, chunk, names)

    return Table("calls", columns, rows())


def _call_rows(conn: sqlite3.Connection, chunk: list[sqlite3.Row], names: list[str]
               ) -> Iterator[list[Any]]:
    """The calls table's rows for one chunk of calls (their scores and counts read at once)."""
    ids = [r["id"] for r in chunk]
    marks = ", ".join("?" * len(ids))
    scores: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for s in _named(conn).execute(f"{FINAL_SCORES_SQL} WHERE s.call_id IN ({marks}) "
                          "ORDER BY s.call_id, s.rowid", ids):
        scores[s["call_id"]].append(s)
    counts: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, sql in [
        ("acknowledged_at", "SELECT call_id, max(created_at) FROM acknowledgements"),
        ("notes", "SELECT call_id, count(*) FROM notes"),
        ("disputes", "SELECT call_id, count(*) FROM disputes"),
        ("disputes_open", "SELECT call_id, count(*) FROM disputes WHERE status = 'open' AND"),
        ("commitments", "SELECT call_id, count(*) FROM commitments"),
        ("commitments_open",
         "SELECT call_id, count(*) FROM commitments WHERE status = 'open' AND"),
    ]:
        where = " " if sql.endswith("AND") else " WHERE "
        for call_id, value in conn.execute(f"{sql}{where}call_id IN ({marks}) "
                                           "GROUP BY call_id", ids):
            counts[call_id][name] = value
    for r in chunk:
        call_scores = scores.get(r["id"], [])
        by_criterion = {s["criterion"]: s for s in call_scores}
        extra = counts.get(r["id"], {})
        row = [r["id"], r["agent"], r[2], r["customer"], r["call_time"], r["duration"],
               r["origin"], r["source_path"], r["rubric_name"], r["rubric_version"],
               r["scorable"], r["unscorable_reason"], r["overall"],
               final_overall(call_scores) if call_scores else r["overall"],
               sum(s["override_score"] is not None for s in call_scores),
               r["reviewed_by"], r["reviewed_at"], r["shared_by"], r["shared_at"],
               extra.get("acknowledged_at"), extra.get("notes", 0), extra.get("disputes", 0),
               extra.get("disputes_open", 0), extra.get("commitments", 0),
               extra.get("commitments_open", 0), r["redacted"], r["extra"], r["scored_at"]]
        for name in names:
            s = by_criterion.get(name)
            row += [None, None] if s is None else [s["machine_score"], s["score"]]
        yield row


def _simple(conn: sqlite3.Connection, flt: ExportFilter, name: str,
            columns: list[tuple[str, str]], select: str, source: str, alias: str,
            order: str) -> Table:
    """A table read by one streamed query over the chosen calls' rows of ``source``."""
    cond, params = _of_chosen(conn, flt, alias)
    sql = f"SELECT {select} FROM {source} WHERE {cond} ORDER BY {order}"
    return Table(name, columns, (tuple(r) for r in conn.execute(sql, params)))


def _agent_of(alias: str) -> str:
    """The agent of the call a row belongs to (from the narrow fact table)."""
    return f"(SELECT agent FROM call_facts a WHERE a.call_id = {alias}.call_id)"


def _scores(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("call_id", TEXT), ("agent", TEXT), ("criterion", TEXT), ("weight", REAL),
               ("applicable", INT), ("machine_score", REAL), ("final_score", REAL),
               ("overridden", INT), ("override_by", TEXT), ("override_reason", TEXT),
               ("override_at", TEXT), ("reason", TEXT)]
    select = (f"s.call_id, {_agent_of('s')}, s.criterion, s.weight, s.applicable, "
              "s.machine_score, s.score, s.override_score IS NOT NULL, s.override_by, "
              "s.override_reason, s.override_at, s.reason")
    return _simple(conn, flt, "scores", columns, select, f"({FINAL_SCORES_SQL}) s", "s",
                   "s.call_id, s.criterion")


def _findings(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("call_id", TEXT), ("agent", TEXT), ("finding_id", INT), ("criterion", TEXT),
               ("label", TEXT), ("polarity", TEXT), ("utterance_idx", INT), ("speaker", TEXT),
               ("start", REAL), ("end", REAL), ("quote", TEXT), ("message", TEXT),
               ("suggestion", TEXT)]
    select = (f"x.call_id, {_agent_of('x')}, x.id, x.criterion, x.label, x.polarity, "
              "x.utterance_idx, x.speaker, x.start, x.end, x.quote, x.message, x.suggestion")
    return _simple(conn, flt, "findings", columns, select, "findings x", "x",
                   "x.call_id, x.start, x.id")


def _marks(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("call_id", TEXT), ("agent", TEXT), ("utterance_idx", INT), ("label", TEXT),
               ("verdict", TEXT), ("coach", TEXT), ("created_at", TEXT)]
    select = (f"x.call_id, {_agent_of('x')}, x.utterance_idx, x.label, x.verdict, x.coach, "
              "x.created_at")
    return _simple(conn, flt, "marks", columns, select, "finding_marks x", "x",
                   "x.call_id, x.utterance_idx, x.label, x.coach")


def _notes(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("id", INT), ("call_id", TEXT), ("agent", TEXT), ("finding_id", INT),
               ("finding_ref", TEXT), ("author", TEXT), ("body", TEXT), ("for_agent", INT),
               ("created_at", TEXT)]
    select = (f"x.id, x.call_id, {_agent_of('x')}, x.finding_id, x.finding_ref, x.author, "
              "x.body, x.for_agent, x.created_at")
    return _simple(conn, flt, "notes", columns, select, "notes x", "x", "x.id")


def _reviews(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("call_id", TEXT), ("agent", TEXT), ("reviewed_by", TEXT),
               ("reviewed_at", TEXT), ("shared_by", TEXT), ("shared_at", TEXT)]
    select = (f"x.call_id, {_agent_of('x')}, x.reviewed_by, x.reviewed_at, x.shared_by, "
              "x.shared_at")
    return _simple(conn, flt, "reviews", columns, select, "reviews x", "x", "x.call_id")


def _acknowledgements(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("id", INT), ("call_id", TEXT), ("agent", TEXT), ("user", TEXT),
               ("comment", TEXT), ("created_at", TEXT)]
    select = f"x.id, x.call_id, {_agent_of('x')}, x.user, x.comment, x.created_at"
    return _simple(conn, flt, "acknowledgements", columns, select, "acknowledgements x", "x",
                   "x.id")


def _disputes(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("id", INT), ("call_id", TEXT), ("agent", TEXT), ("raised_by", TEXT),
               ("criterion", TEXT), ("finding_id", INT), ("finding_ref", TEXT),
               ("reason", TEXT), ("created_at", TEXT), ("status", TEXT),
               ("machine_score", REAL), ("disputed_score", REAL), ("new_score", REAL),
               ("reply", TEXT), ("resolved_by", TEXT), ("resolved_at", TEXT)]
    return _simple(conn, flt, "disputes", columns, ", ".join(f"x.{c}" for c, _ in columns),
                   "disputes x", "x", "x.id")


def _commitments(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("id", INT), ("call_id", TEXT), ("agent", TEXT), ("utterance_idx", INT),
               ("start", REAL), ("kind", TEXT), ("who", TEXT), ("what", TEXT),
               ("when_text", TEXT), ("due_at", TEXT), ("channel", TEXT), ("quote", TEXT),
               ("status", TEXT), ("status_note", TEXT), ("updated_at", TEXT),
               ("updated_by", TEXT), ("flag", TEXT), ("flag_call_id", TEXT)]
    select = ", ".join(_agent_of("x") if c == "agent" else f"x.{c}" for c, _ in columns)
    return _simple(conn, flt, "commitments", columns, select, "commitments x", "x", "x.id")


def _transcript(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    columns = [("call_id", TEXT), ("agent", TEXT), ("idx", INT), ("speaker", TEXT),
               ("start", REAL), ("end", REAL), ("text", TEXT)]
    select = f"x.call_id, {_agent_of('x')}, x.idx, x.speaker, x.start, x.end, x.text"
    return _simple(conn, flt, "transcript", columns, select, "utterances x", "x",
                   "x.call_id, x.idx")


def _audit(conn: sqlite3.Connection, flt: ExportFilter) -> Table:
    """The audit trail rows of the chosen calls; with no agent or queue filter also the rows
    about no call (account changes) made in the period."""
    columns = [("id", INT), ("at", TEXT), ("actor", TEXT), ("action", TEXT),
               ("call_id", TEXT), ("target", TEXT), ("before", JSON), ("after", JSON)]
    cond, params = _of_chosen(conn, flt, "x")
    if not flt.everything and not flt.agents and flt.queue is None:
        other, other_params = ["x.call_id IS NULL"], []
        if flt.start is not None:
            other.append("x.at >= ?")
            other_params.append(flt.start.isoformat())
        if flt.end is not None:
            other.append("x.at < ?")
            other_params.append((flt.end + timedelta(days=1)).isoformat())
        cond = f"({cond} OR ({' AND '.join(other)}))"
        params += other_params
    sql = (f"SELECT {', '.join(f'x.{c}' for c, _ in columns)} FROM audit_log x "
           f"WHERE {cond} ORDER BY x.id")
    return Table("audit", columns, (tuple(r) for r in conn.execute(sql, params)))


_BUILDERS = {"calls": _calls, "scores": _scores, "findings": _findings, "marks": _marks,
             "notes": _notes, "reviews": _reviews, "acknowledgements": _acknowledgements,
             "disputes": _disputes, "commitments": _commitments, "transcript": _transcript,
             "audit": _audit}


def table(conn: sqlite3.Connection, viewer: Viewer, name: str,
          flt: ExportFilter | None = None) -> Table:
    """The export table ``name`` (one of ``TABLES``) for the calls ``flt`` chooses. Leads
    only (:class:`qa.queries.AccessDenied` for anyone else). Its rows are read lazily from
    ``conn``: write them before closing it."""
    require_lead(viewer)
    if name not in _BUILDERS:
        raise ValueError(f"unknown export table {name!r}: one of {', '.join(TABLES)}")
    return _BUILDERS[name](conn, flt or ExportFilter())


# --- writers -------------------------------------------------------------------------------

def _finite(value: Any) -> Any:
    """A stored NaN or infinity (refused at load now; older databases may hold one) as
    missing: no format has a portable spelling for it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_csv(tab: Table, out: IO[str]) -> int:
    """``tab`` as CSV to ``out``, streamed, every cell formula-safe; returns the rows
    written."""
    count = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal count
        for row in tab.rows:
            count += 1
            yield [_finite(v) for v in row]

    write_rows(out, tab.names, rows())
    return count


def _json_value(kind: str, value: Any) -> Any:
    if kind == JSON and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:  # not JSON after all: keep the text
            return value
    return _finite(value)


def jsonl_lines(tab: Table) -> Iterator[str]:
    """``tab`` as JSON Lines: one object per row, produced as each row is read."""
    for row in tab.rows:
        yield json.dumps({name: _json_value(kind, v)
                          for (name, kind), v in zip(tab.columns, row, strict=True)},
                         ensure_ascii=False) + "\n"


def write_jsonl(tab: Table, out: IO[str]) -> int:
    """``tab`` as JSON Lines to ``out``, line by line; returns the rows written."""
    count = 0
    for line in jsonl_lines(tab):
        out.write(line)
        count += 1
    return count


def _arrow_value(kind: str, value: Any) -> Any:
    """A cell as its Parquet column's type holds it (SQLite columns are loosely typed)."""
    value = _finite(value)
    if value is None:
        return None
    if kind in (TEXT, JSON):
        return value if isinstance(value, str) else str(value)
    try:
        return float(value) if kind == REAL else int(value)
    except (TypeError, ValueError):
        return None


def write_parquet(tab: Table, out: str | Path | IO[bytes], row_group: int | None = None
                  ) -> int:
    """``tab`` as Parquet to ``out`` (a path or a binary file), one row group per
    ``row_group`` rows (default: ``ROW_GROUP``, fewer for a wide table, see
    ``ROW_GROUP_CELLS``), so only that many rows are ever held; returns the rows written.
    Text is stored as it is (a Parquet cell is never run as a formula)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if row_group is None:
        row_group = max(1000, min(ROW_GROUP, ROW_GROUP_CELLS // max(1, len(tab.columns))))

    types = {TEXT: pa.string(), JSON: pa.string(), REAL: pa.float64(), INT: pa.int64()}
    schema = pa.schema([(name, types[kind]) for name, kind in tab.columns])
    kinds = [kind for _, kind in tab.columns]
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[list[Any]] = [[] for _ in kinds]

        def flush() -> None:
            writer.write_table(pa.Table.from_arrays(
                [pa.array(col, type=schema.field(i).type) for i, col in enumerate(batch)],
                schema=schema), row_group_size=row_group)
            for col in batch:
                col.clear()

        for row in tab.rows:
            for i, (kind, value) in enumerate(zip(kinds, row, strict=True)):
                batch[i].append(_arrow_value(kind, value))
            count += 1
            if count % row_group == 0:
                flush()
        if count % row_group or count == 0:
            flush()  # the last, partial group (or the empty table's schema)
    return count


def write(tab: Table, fmt: str, out: Any) -> int:
    """``tab`` in format ``fmt`` (one of ``FORMATS``) to ``out``: a text file for CSV and
    JSON Lines, a path or binary file for Parquet. Returns the rows written."""
    if fmt == "csv":
        return write_csv(tab, out)
    if fmt == "jsonl":
        return write_jsonl(tab, out)
    if fmt == "parquet":
        return write_parquet(tab, out)
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")


def write_table_file(conn: sqlite3.Connection, viewer: Viewer, name: str, fmt: str,
                     path: Path, flt: ExportFilter | None = None) -> int:
    """Write table ``name`` to the file ``path``; returns the rows written."""
    tab = table(conn, viewer, name, flt)
    if fmt == "parquet":
        return write_parquet(tab, path)
    with path.open("w", encoding="utf-8", newline="") as out:
        return write(tab, fmt, out)


def write_all(conn: sqlite3.Connection, viewer: Viewer, fmt: str, folder: Path,
              flt: ExportFilter | None = None) -> dict[str, int]:
    """Every table to ``folder/<table><suffix>``; returns the rows written per table."""
    require_lead(viewer)
    folder.mkdir(parents=True, exist_ok=True)
    return {name: write_table_file(conn, viewer, name, fmt, folder / f"{name}{SUFFIXES[fmt]}",
                                   flt) for name in TABLES}


def write_zip(conn: sqlite3.Connection, viewer: Viewer, fmt: str, target: IO[bytes],
              scratch: Path, flt: ExportFilter | None = None) -> dict[str, int]:
    """Every table, as ``write_all`` writes them into ``scratch``, packed into one zip file
    written to ``target`` (for the dashboard's one-click download)."""
    counts = write_all(conn, viewer, fmt, scratch, flt)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in TABLES:
            zf.write(scratch / f"{name}{SUFFIXES[fmt]}", f"{name}{SUFFIXES[fmt]}")
    return counts
