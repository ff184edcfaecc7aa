"""The SQLite store: schema in one place, one transaction per call, and the queries the CLI uses.

One file (default ``qa.db``), WAL mode so a dashboard can read while a batch writes. Every
value from outside goes in as a parameter, never into SQL text.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlite_utils
from sqlite_utils import Migrations

from qa import followup, forms, scoring
from qa.detectors import COMMITMENT_LABELS
from qa.store import callbacks
from qa.transcript import NO_TIMING, Transcript, Utterance, Word, has_timing

if TYPE_CHECKING:  # scoring loads every detector; the store only names its result type
    from qa.scoring import ScoredCall

DEFAULT_DB = "qa.db"

# The schema, as numbered steps (sqlite-utils' migrations, recorded in _sqlite_migrations):
# each runs once per database, in order, in one transaction. A change to the schema is a new
# step at the end; a step already released is never edited.
MIGRATIONS = Migrations("call-qa-coach")
STEPS: list[str] = []  # the steps' names, in order; each starts with its number


def _step(name: str) -> Callable[[Callable[[sqlite_utils.Database], None]],
                                 Callable[[sqlite_utils.Database], None]]:
    """Register a schema step (``NNNN_what``) after the others."""
    def register(func: Callable[[sqlite_utils.Database], None],
                 ) -> Callable[[sqlite_utils.Database], None]:
        STEPS.append(name)
        return MIGRATIONS(name=name)(func)
    return register


class SchemaError(RuntimeError):
    """A database this version of qa cannot use (made by a newer one)."""


def now() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class CallInfo:
    """What we know about a call besides its transcript: where it came from and whose it is."""

    call_id: str
    source_path: str
    content_hash: str
    agent: str | None = None
    customer: str | None = None
    call_time: str | None = None
    channels: int | None = None
    model: str | None = None
    origin: str = "audio"  # "audio" or "transcript"
    extra: dict[str, Any] | None = None
    # Redaction: type -> count when the call was redacted before scoring (None: it was not),
    # and the redacted copy of the recording, which the dashboard plays instead when set.
    redacted: dict[str, int] | None = None
    redacted_audio: str | None = None
    # The queue the call came in on (manifest column ``queue``, or the rubric mapping's file
    # patterns) and the rubric file it was scored with.
    queue: str | None = None
    rubric_file: str | None = None


# How long a writer waits for another one to finish its transaction before giving up.
BUSY_TIMEOUT_MS = 30_000


def create_private(path: str | Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600), unless it
    exists; its folder is created 0700 when missing. SQLite gives the write-ahead log and
    shared-memory files the database file's mode, so they are private too."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def open_db(path: str | Path = DEFAULT_DB) -> sqlite_utils.Database:
    """Open (creating if needed, private to its owner) the database and bring its schema up
    to date."""
    if str(path) != ":memory:":
        create_private(path)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    # Every implicit transaction (a write outside transaction()) takes the write lock when it
    # begins: a deferred one that read first fails at once, busy timeout or not, when another
    # process committed in between.
    conn.isolation_level = "IMMEDIATE"
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _refuse_newer(db)
    if MIGRATIONS.pending(db):  # a read: opening an up-to-date database writes nothing
        migrate(db)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, all or nothing, that takes the write lock as it starts
    (``BEGIN IMMEDIATE``), so it waits (busy timeout) for another writer instead of failing
    with "database is locked" after reading a snapshot that writer then changed. Nested in
    an open transaction it is a savepoint of it."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def _refuse_newer(db: sqlite_utils.Database) -> None:
    """Raise :class:`SchemaError` for a database a newer qa has upgraded: this code would
    misread a schema it does not know."""
    newer = [m.name for m in MIGRATIONS.applied(db) if m.name not in STEPS]
    if newer:
        raise SchemaError(f"the database was upgraded by a newer version of qa (schema steps "
                          f"{', '.join(newer)}): upgrade qa to use it")


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the schema steps this database has not had yet; returns its schema version as
    read back. One process upgrades at a time: the others wait for its write lock, then find
    nothing left to do. Raises :class:`SchemaError` for a database a newer qa has upgraded."""
    _refuse_newer(db)
    db.execute("BEGIN IMMEDIATE")
    try:
        MIGRATIONS.apply(db)  # each step in a savepoint of this transaction
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise
    return schema_version(db)


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of the last schema step applied to the database (0: none)."""
    return max((int(m.name.split("_", 1)[0]) for m in MIGRATIONS.applied(db)), default=0)


# The calls and runs columns of release 0.1.0. A table made while that release was being
# written may lack some (they were added one by one): step 1 adds what is missing.
_CALLS_COLUMNS: dict[str, Any] = {
    "id": str, "content_hash": str, "source_path": str, "origin": str, "agent": str,
    "customer": str, "call_time": str, "duration": float, "channels": int,
    "speaker_timing": int, "model": str, "rubric_name": str, "rubric_version": str,
    "scorable": int, "unscorable_reason": str, "overall": float, "summary": str,
    "extra": str, "scored_at": str, "redacted": str, "redacted_audio": str,
    # Who is the agent and how that was decided (JSON, qa/roles.py), and whether a person
    # must confirm it (1).
    "roles": str, "roles_review": int,
}
_RUNS_COLUMNS: dict[str, Any] = {
    "id": int, "started_at": str, "finished_at": str, "status": str, "paths": str,
    "rubric_version": str, "model": str, "files": int, "scored": int, "skipped": int,
    "failed": int, "unscorable": int,
    # Which process runs a batch, so a run whose process died (kill -9, power loss) can be
    # told from one still going.
    "pid": int, "host": str,
}


def _table_with(db: sqlite_utils.Database, name: str, columns: dict[str, Any],
                pk: str) -> None:
    """Create table ``name`` with ``columns``, or add those an existing one lacks."""
    table = db.table(name)
    if not table.exists():
        table.create(columns, pk=pk)
        return
    for column, kind in columns.items():
        if column not in table.columns_dict:
            table.add_column(column, kind)


@_step("0001_schema_0.1.0")
def ensure_schema(db: sqlite_utils.Database) -> None:
    """Schema step 1: every table, index and trigger of release 0.1.0, creating only what is
    missing, so it also adopts a database made before the steps were numbered. Also run by
    hand to put back indexes and triggers dropped for a bulk load (bench/make_dashboard_db.py).
    """
    db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
    _table_with(db, "calls", _CALLS_COLUMNS, pk="id")
    # A person's decision on a call's roles (swapped from the machine's or confirmed). No
    # foreign key: re-scoring deletes and re-inserts the call, and the decision must survive.
    db.table("role_decisions").create({
        "call_id": str, "swapped": int, "decided_by": str, "decided_at": str,
    }, pk="call_id", if_not_exists=True)
    db.table("utterances").create({
        "id": int, "call_id": str, "idx": int, "speaker": str, "start": float, "end": float,
        "text": str, "words": str,
    }, pk="id", foreign_keys=[("call_id", "calls", "id")], if_not_exists=True)
    db.table("findings").create({
        "id": int, "call_id": str, "criterion": str, "label": str, "utterance_idx": int,
        "speaker": str, "start": float, "end": float, "quote": str, "polarity": str,
        "message": str, "suggestion": str, "detail": str,
    }, pk="id", foreign_keys=[("call_id", "calls", "id")], if_not_exists=True)
    db.table("scores").create({
        "call_id": str, "criterion": str, "score": float, "applicable": int, "reason": str,
        "weight": float,
    }, pk=("call_id", "criterion"), foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True)
    _table_with(db, "runs", _RUNS_COLUMNS, pk="id")
    db.table("run_files").create({
        "id": int, "run_id": int, "path": str, "content_hash": str, "call_id": str,
        "status": str, "error": str, "seconds": float, "finished_at": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")], if_not_exists=True)
    for table, columns in [
        ("calls", ["agent", "call_time"]), ("calls", ["call_time"]),
        ("calls", ["content_hash", "rubric_version"]), ("utterances", ["call_id", "idx"]),
        ("findings", ["call_id"]), ("findings", ["criterion", "label"]),
        ("scores", ["criterion", "score"]), ("run_files", ["run_id"]),
    ]:
        db.table(table).create_index(columns, if_not_exists=True)
    db.table("commitments").create({
        "id": int, "call_id": str, "utterance_idx": int, "start": float, "quote": str,
        "kind": str, "who": str, "what": str, "when_text": str, "channel": str,
        "status": str, "status_note": str, "updated_at": str,
    }, pk="id", foreign_keys=[("call_id", "calls", "id")], if_not_exists=True)
    db.table("commitments").create_index(["call_id"], if_not_exists=True)
    db.table("commitments").create_index(["status"], if_not_exists=True)
    if not db.table("utterances").detect_fts():
        db.table("utterances").enable_fts(["text"], create_triggers=True, tokenize="porter")
    _ensure_dashboard_schema(db)
    # The version is the last step applied (schema_version()); this row was never read.
    db.execute("DELETE FROM meta WHERE key = 'schema_version'")


@_step("0002_calls_diarization")
def _calls_diarization(db: sqlite_utils.Database) -> None:
    """How a mono call was split into two voices (JSON: done, method, reason), so that a call
    re-scored from the store (a role swap) says what its timing reasons rest on."""
    db.table("calls").add_column("diarization", str)


@_step("0003_calibration_accounts_themes")
def _calibration_accounts_themes(db: sqlite_utils.Database) -> None:
    """Coaches' marks on findings, the sign-in throttle and SSO mapping, complaint themes."""
    _ensure_dashboard_schema(db)  # CREATE ... IF NOT EXISTS: adds the new tables only
    db.executescript(THEMES_SCHEMA)


@_step("0004_follow_through")
def _follow_through(db: sqlite_utils.Database) -> None:
    """Who marked a commitment kept or broken and when, due times, and repeat contacts."""
    _ensure_follow_up_schema(db)


@_step("0005_calls_timing")
def _calls_timing(db: sqlite_utils.Database) -> None:
    """"none" when the transcript's file gave no times (qa.transcript.NO_TIMING), so that a
    call re-scored from the store (a role swap) is judged by its words again, not by its
    placeholder times."""
    db.table("calls").add_column("timing", str)


@_step("0006_audit_disputes")
def _audit_disputes(db: sqlite_utils.Database) -> None:
    """The append-only audit trail of every change a person makes, and agents' disputes."""
    db.executescript(AUDIT_DISPUTES_SCHEMA)


@_step("0007_account_admin")
def _account_admin(db: sqlite_utils.Database) -> None:
    """Account management: when each account last signed in with its password (the Accounts
    page), a counter bumped on every disable and enable that invalidates the session tokens
    issued before (``qa.auth.issue_token``), and ``account_changes``, the view of the audit
    trail's account rows."""
    columns = db.table("users").columns_dict
    if "last_signin_at" not in columns:
        db.execute("ALTER TABLE users ADD COLUMN last_signin_at TEXT")
    if "session_epoch" not in columns:
        db.execute("ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0")
    db.executescript(ACCOUNT_CHANGES_SCHEMA)


@_step("0008_forms")
def _forms(db: sqlite_utils.Database) -> None:
    """Form items and rubrics per queue (qa/forms.py): each score's kind, auto-fail pass mark,
    pending flag and question; each call's queue, rubric file, auto-fail reason and count of
    unanswered questions; and the coaches' answers to questions."""
    db.executescript(FORMS_SCHEMA)


# --- form items and rubrics per queue (issue 15 item 4) ----------------------------------
# ``scores``: ``kind`` ("detector" or a form kind), ``auto_fail_below`` (an auto-fail
# criterion's pass mark; NULL: not auto-fail), ``pending`` (1: a question not answered yet),
# ``question`` (a question item's text). ``calls``: ``queue`` (manifest column, or the
# rubric mapping's file patterns), ``rubric_file`` (the rubric it was scored with),
# (the index covers the dashboard's queue filter and its count of calls per rubric)
# ``auto_fail`` (why the overall is 0, NULL if it is not an auto-fail), ``pending`` (questions
# unanswered). ``form_answers``: a coach's answer (yes, no, na) to a question on a call; no
# foreign key, so it outlives re-scoring and is applied again to the new scores. Every
# change to it is in the audit trail (action ``question.answer``).
FORMS_SCHEMA = """
    ALTER TABLE scores ADD COLUMN kind TEXT;
    ALTER TABLE scores ADD COLUMN auto_fail_below REAL;
    ALTER TABLE scores ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE scores ADD COLUMN question TEXT;
    ALTER TABLE calls ADD COLUMN queue TEXT;
    ALTER TABLE calls ADD COLUMN rubric_file TEXT;
    ALTER TABLE calls ADD COLUMN auto_fail TEXT;
    ALTER TABLE calls ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS idx_calls_queue
        ON calls (queue, rubric_name, rubric_version, scorable, call_time, scored_at, agent, id);
    CREATE TABLE IF NOT EXISTS form_answers (
        call_id TEXT NOT NULL,
        criterion TEXT NOT NULL,
        answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'na')),
        comment TEXT,
        author TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (call_id, criterion)
    );
"""


def stored_answers(db: sqlite_utils.Database | sqlite3.Connection, call_id: str
                   ) -> dict[str, dict[str, Any]]:
    """A call's answered questions: criterion -> {answer, comment, author, answered_at}."""
    raw = getattr(db, "conn", db)
    return {row[0]: {"answer": row[1], "comment": row[2], "author": row[3],
                     "answered_at": row[4]}
            for row in raw.execute("SELECT criterion, answer, comment, author, answered_at "
                                   "FROM form_answers WHERE call_id = ?", [call_id])}


def with_answers(scored: ScoredCall, answers: dict[str, dict[str, Any]]) -> ScoredCall:
    """``scored`` with the coaches' stored answers applied to its questions."""
    if not answers or not any(s.question is not None for s in scored.scores):
        return scored
    scores = [forms.answer_score(s, s.question, answers[s.criterion]["answer"],
                                 answers[s.criterion]["author"], answers[s.criterion]["comment"])
              if s.question is not None and s.criterion in answers else s
              for s in scored.scores]
    return scoring.rescored(scored, scores)


# No foreign key to calls: a re-scored call is deleted and re-inserted, and a set must survive
# that. An item holds its own copy of what it shows (the customer's words, the context), so an
# agent's practice never reads the calls table, and ``agent`` on the item repeats the set's
# agent so every read can check both.
PRACTICE_SCHEMA = """
    CREATE TABLE IF NOT EXISTS practice_sets (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        title TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        assigned INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX IF NOT EXISTS idx_practice_sets_agent ON practice_sets (agent, id);
    CREATE TABLE IF NOT EXISTS practice_items (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES practice_sets (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        agent TEXT NOT NULL,
        call_id TEXT NOT NULL,
        finding_label TEXT NOT NULL,
        criterion TEXT NOT NULL,
        moment_idx INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        context TEXT NOT NULL,
        original TEXT,
        original_result TEXT,
        message TEXT,
        suggestion TEXT,
        audio BLOB,
        audio_source TEXT
    );
    CREATE INDEX IF NOT EXISTS idx_practice_items_set ON practice_items (set_id, position);
    CREATE INDEX IF NOT EXISTS idx_practice_items_call ON practice_items (call_id);
    CREATE TABLE IF NOT EXISTS practice_attempts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES practice_items (id) ON DELETE CASCADE,
        agent TEXT NOT NULL,
        user TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('typed', 'spoken')),
        answer TEXT NOT NULL,
        score REAL,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idx_practice_attempts_item ON practice_attempts (item_id, id);
    CREATE INDEX IF NOT EXISTS idx_practice_attempts_agent ON practice_attempts (agent, id);
"""


@_step("0009_practice")
def _practice(db: sqlite_utils.Database) -> None:
    """Practice on real moments (qa/practice.py, rows in qa/store/practice.py): sets made for
    an agent from their coaching points, their items (the customer's words, the call up to
    that moment, an audio clip) and the agent's scored answers."""
    db.executescript(PRACTICE_SCHEMA)


@_step("0010_moments")
def _moments(db: sqlite_utils.Database) -> None:
    """The library of good moments (coaches' pins, hides and shares), team settings, and
    coaching sessions with the moments chosen for them and the goals agreed."""
    db.executescript(MOMENTS_SCHEMA)


# --- good moments and coaching sessions (qa/moments.py) -----------------------------------
# ``moment_curation``: a coach's decisions on one good moment, keyed like ``finding_marks`` by
# (call, agent utterance, label) because finding ids change when a call is re-scored; a call's
# id changing on redaction moves these rows with it (``_move_call_records``). ``shareable`` 1
# lets other agents see it. ``team_settings``: switches a lead sets for the whole team (key ->
# value). ``coaching_sessions``: one prepared session for an agent (``points``: the coaching
# points as they stood, JSON); ``session_moments``: the good moments chosen for it;
# ``session_goals``: the goals agreed, each with the criterion's mean score then (baseline).
MOMENTS_SCHEMA = """
    CREATE TABLE IF NOT EXISTS moment_curation (
        call_id TEXT NOT NULL,
        utterance_idx INTEGER NOT NULL,
        label TEXT NOT NULL,
        pinned INTEGER NOT NULL DEFAULT 0,
        hidden INTEGER NOT NULL DEFAULT 0,
        shareable INTEGER NOT NULL DEFAULT 0,
        updated_by TEXT,
        updated_at TEXT,
        PRIMARY KEY (call_id, utterance_idx, label)
    );
    CREATE INDEX IF NOT EXISTS idx_moment_curation_shareable
        ON moment_curation (shareable, hidden);
    CREATE TABLE IF NOT EXISTS team_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_by TEXT,
        updated_at TEXT
    );
    CREATE TABLE IF NOT EXISTS coaching_sessions (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        coach TEXT NOT NULL,
        created_at TEXT NOT NULL,
        period_start TEXT,
        period_end TEXT,
        notes TEXT,
        points TEXT
    );
    CREATE INDEX IF NOT EXISTS idx_coaching_sessions_agent
        ON coaching_sessions (agent, created_at);
    CREATE TABLE IF NOT EXISTS session_moments (
        session_id INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        utterance_idx INTEGER NOT NULL,
        label TEXT NOT NULL,
        PRIMARY KEY (session_id, call_id, utterance_idx, label)
    );
    CREATE TABLE IF NOT EXISTS session_goals (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL,
        criterion TEXT NOT NULL,
        goal TEXT NOT NULL CHECK (length(trim(goal)) > 0),
        baseline REAL,
        baseline_calls INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idx_session_goals_session ON session_goals (session_id);
"""


# --- audit trail and disputes (issue 15) --------------------------------------------------
# One self-contained block (no foreign keys), so it can move as is into a numbered migration.
# ``audit_log``: one row per change a person made (who, when, what, which call or other
# target, the state before and after as JSON). It is append-only: the triggers refuse any
# DELETE and any UPDATE, whatever tries it, so no page or command can rewrite the history.
# The one exception is a call's id changing when it is stored redacted (an id may hold a card
# or phone number, which must not survive anywhere): ``_move_call_records`` names that one
# move in ``meta.audit_rekey`` for the length of its transaction, and only ``call_id``, only
# from that old id to that new one, may then change.
# ``disputes``: an agent contests one criterion (or one finding, whose criterion is kept too)
# of a shared review with a reason; a coach or lead resolves it: ``upheld`` (the score stands)
# or ``changed`` (an override with ``new_score`` was set), with a reply.
AUDIT_DISPUTES_SCHEMA = """
    CREATE TABLE IF NOT EXISTS audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        call_id TEXT,
        target TEXT,
        before TEXT,
        after TEXT
    );
    CREATE INDEX IF NOT EXISTS idx_audit_log_call ON audit_log (call_id, id);
    CREATE INDEX IF NOT EXISTS idx_audit_log_at ON audit_log (at);
    CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NOT (NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
                  AND NEW.action IS OLD.action AND NEW.target IS OLD.target
                  AND NEW.before IS OLD.before AND NEW.after IS OLD.after
                  AND EXISTS (SELECT 1 FROM meta WHERE key = 'audit_rekey'
                              AND value = json_array(OLD.call_id, NEW.call_id)))
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TABLE IF NOT EXISTS disputes (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        raised_by TEXT NOT NULL,
        criterion TEXT NOT NULL,
        finding_id INTEGER,
        finding_ref TEXT,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'changed')),
        machine_score REAL,
        disputed_score REAL,
        new_score REAL,
        reply TEXT,
        resolved_by TEXT,
        resolved_at TEXT
    );
    CREATE INDEX IF NOT EXISTS idx_disputes_status ON disputes (status, created_at);
    CREATE INDEX IF NOT EXISTS idx_disputes_call ON disputes (call_id);
"""

# Tables whose rows are never rewritten: a call's id changing on redaction moves them apart.
APPEND_ONLY = ("audit_log",)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def audit(conn: sqlite3.Connection | sqlite_utils.Database, actor: str, action: str,
          call_id: str | None = None, target: str | None = None, before: Any = None,
          after: Any = None) -> int:
    """Append one row to the audit trail: ``actor`` (the account name) did ``action`` (a
    dotted name such as ``override.change`` or ``user.disable``) on ``call_id`` and/or
    ``target`` (what else it was about: a criterion, an account, a dispute id), changing
    ``before`` into ``after`` (any JSON-able values; None for "nothing"). Returns the row id.

    It writes inside the caller's transaction and does not commit: call it in the same
    ``with conn:`` (or ``store.transaction``) as the change it records, so both are stored or
    neither is."""
    raw = getattr(conn, "conn", conn)  # a sqlite_utils.Database or a sqlite3.Connection
    cur = raw.execute(
        "INSERT INTO audit_log (at, actor, action, call_id, target, before, after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now(), str(actor), str(action), call_id, None if target is None else str(target),
         _json_or_none(before), _json_or_none(after)])
    return int(cur.lastrowid or 0)


AUDIT_COLUMNS = ("id", "at", "actor", "action", "call_id", "target", "before", "after")


def iter_audit(conn: sqlite3.Connection | sqlite_utils.Database, call_id: str | None = None
               ) -> Iterator[dict[str, Any]]:
    """The audit trail (of one call, or all of it), oldest first, streamed row by row."""
    raw = getattr(conn, "conn", conn)
    sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log"
    params: list[Any] = []
    if call_id is not None:
        sql += " WHERE call_id = ?"
        params.append(call_id)
    for row in raw.execute(sql + " ORDER BY id", params):
        yield dict(zip(AUDIT_COLUMNS, row, strict=True))


def write_audit(rows: Iterable[dict[str, Any]], fmt: str, output: IO[str]) -> None:
    """Audit rows (``iter_audit``) to ``output`` as CSV (every cell formula-safe, see
    ``qa.csvsafe``) or JSON Lines (``before``/``after`` as JSON values, not strings)."""
    from qa.csvsafe import SafeDictWriter

    if fmt == "jsonl":
        for row in rows:
            row = {**row, **{k: json.loads(row[k]) if row[k] else None
                             for k in ("before", "after")}}
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt != "csv":
        raise ValueError(f"unknown audit export format {fmt!r}")
    writer = SafeDictWriter(output, list(AUDIT_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)


# --- complaint themes (qa/themes.py) ------------------------------------------------------
# One self-contained block (no foreign keys, nothing else refers to it), so it can move as is
# into a numbered migration. ``themes``: one row per theme; its id and name never change once
# made; ``centroid`` is the mean TF-IDF vector of its calls' problem statements as JSON
# {term: weight} (top terms only), ``n`` how many calls that mean is over. ``theme_calls``:
# every scorable call the themes have seen, with status 'themed' (theme_id set), 'pending'
# (has a problem statement but no theme yet: clustered again with the next batch) or 'none'
# (no problem statement); ``utterances`` the JSON indexes of its statements (the text is read
# from ``utterances`` when shown, so a redacted call is only ever shown redacted);
# ``scored_at`` the call's version, so a re-scored call is seen again; ``ts``, ``week`` and
# ``overall`` copied from ``call_facts`` then, so the Themes page reads one narrow table;
# ``repeat`` 1 if the same customer called in the 30 days before, 0 if not, NULL if the
# customer is unknown; ``queue`` the manifest's queue column, if any. ``theme_terms``:
# document frequency of each term over every statement seen (the IDF of the vectors).
# ``theme_updates``: one row per run.
THEMES_SCHEMA = """
    CREATE TABLE IF NOT EXISTS themes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        words TEXT NOT NULL,
        centroid TEXT NOT NULL,
        n INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        update_id INTEGER
    );
    CREATE TABLE IF NOT EXISTS theme_calls (
        call_id TEXT PRIMARY KEY,
        theme_id INTEGER,
        status TEXT NOT NULL CHECK (status IN ('themed', 'pending', 'none')),
        similarity REAL,
        utterances TEXT NOT NULL,
        scored_at TEXT,
        ts TEXT,
        week TEXT,
        overall REAL,
        repeat INTEGER,
        queue TEXT,
        update_id INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS idx_theme_calls_period
        ON theme_calls (status, ts, theme_id, week, overall, repeat, queue);
    CREATE INDEX IF NOT EXISTS idx_theme_calls_theme
        ON theme_calls (theme_id, status, ts);
    CREATE INDEX IF NOT EXISTS idx_theme_calls_similar
        ON theme_calls (theme_id, similarity);
    CREATE TABLE IF NOT EXISTS theme_terms (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS theme_updates (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        seconds REAL,
        calls INTEGER,
        assigned INTEGER,
        new_themes INTEGER,
        pending INTEGER
    );
"""
# --- end of complaint themes schema -------------------------------------------------------


# --- follow-through on promises and repeat contacts (issue 15 item 3) ----------------------
# One block, so it can move as is into a numbered migration. Columns added to ``commitments``:
# ``updated_by`` (who marked it done / broken; ``updated_at`` already says when), ``due_at``
# (the promised time resolved against the call's time, ISO, NULL when the promise gives none
# or it is not one of the simple cases :func:`due_time` reads), ``flag`` and ``flag_call_id``
# ("possibly broken: the customer called again on <date>" and that later call). ``callbacks``:
# one row per pair of consecutive calls from the same customer (``calls.customer``) less than
# the rubric's ``repeat_contact_days`` apart, in call-time order; recomputed per customer
# whenever one of their calls is stored, so re-runs and any scoring order give the same rows.
# No foreign keys: re-scoring deletes and re-inserts calls. The two indexes cover the
# overview's first-contact resolution and per-agent promise counts (calls are wide rows).
FOLLOW_UP_COLUMNS: dict[str, type] = {"updated_by": str, "due_at": str, "flag": str,
                                      "flag_call_id": str}
FOLLOW_UP_SCHEMA = """
    CREATE TABLE IF NOT EXISTS callbacks (
        earlier_id TEXT NOT NULL,
        later_id TEXT NOT NULL,
        customer TEXT NOT NULL,
        earlier_ts TEXT NOT NULL,
        later_ts TEXT NOT NULL,
        PRIMARY KEY (earlier_id, later_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS idx_callbacks_later ON callbacks (later_id);
    CREATE INDEX IF NOT EXISTS idx_callbacks_customer ON callbacks (customer);
    CREATE INDEX IF NOT EXISTS idx_calls_customer ON calls (customer, call_time, id);
    CREATE INDEX IF NOT EXISTS idx_commitments_follow
        ON commitments (call_id, status, due_at, flag);
"""


def _ensure_follow_up_schema(db: sqlite_utils.Database) -> None:
    """The follow-up columns on ``commitments`` and the ``callbacks`` table (idempotent)."""
    columns = db["commitments"].columns_dict
    for column, kind in FOLLOW_UP_COLUMNS.items():
        if column not in columns:
            db.table("commitments").add_column(column, kind)
    new = not db["callbacks"].exists()
    db.executescript(FOLLOW_UP_SCHEMA)
    if new:  # calls stored before repeat contacts existed: link them once, now
        callbacks.backfill(db)
# --- end of follow-up schema ----------------------------------------------------------------


# When a call counts as having happened: its call time, else (no time known) when it was
# scored. The dashboard's fact tables below are keyed on it.
CALL_TIME_SQL = "coalesce({p}call_time, {p}scored_at)"
# The Monday starting that moment's week (ISO date), for weekly trends.
WEEK_SQL = "date({t}, 'weekday 0', '-6 days')"

# --- account changes: BEGIN (re-point to the shared audit trail at merge) -------------------
# Account changes (disable, enable, role, password reset, created, SSO mapping) are rows of
# the one audit trail (``audit_log``, actions ``account.*``), written only by
# ``qa.auth._record``; ``account_changes`` is the Accounts page's view of them. A view cannot
# be updated or deleted from, and the trail's triggers refuse it too.
ACCOUNT_CHANGES_SCHEMA = """
    CREATE VIEW IF NOT EXISTS account_changes AS
        SELECT id, at, actor, substr(action, 9) AS action, target, before, after
        FROM audit_log WHERE action LIKE 'account.%';
"""
# --- account changes: END ---------------------------------------------------------------------

# Bump when the fact tables' trigger definitions change, so existing databases get them.
_FACT_TRIGGERS_VERSION = 2

# Tables whose changes invalidate the dashboard's cached figures (see meta.data_version).
_VERSIONED_TABLES = ("calls", "scores", "reviews", "overrides", "notes", "acknowledgements",
                     "commitments", "finding_marks")


def _ensure_dashboard_schema(db: sqlite_utils.Database) -> None:
    """The dashboard's tables (accounts, sign-in attempts for the throttle in ``qa.auth``,
    reviews, notes, overrides, acknowledgements, coaches' marks on findings, batch launches)
    and its fact tables, kept up to date by triggers.

    None has a foreign key to ``calls``: re-scoring deletes and re-inserts a call, and the
    coach's work on it must survive that (call ids are stable, finding ids are not, so a note
    on a finding keeps the finding's label too).

    The fact tables exist for speed: ``calls`` rows are wide (the summary JSON), and joining
    scores to calls for every chart is slow at tens of thousands of calls. ``call_facts`` (one
    narrow row per call) and ``score_facts`` (one row per call and criterion, with the call's
    time and agent, and the score with any coach override applied) are maintained by triggers
    on calls, scores and overrides, whatever writes them; ``agent_week`` and ``agent_month``
    sum score_facts per agent, criterion and week or month for trends and team medians. They
    are filled from existing rows when first created. The triggers are recreated whenever
    their definition changes (``_FACT_TRIGGERS_VERSION``).
    """
    new_facts = not db["call_facts"].exists()
    new_months = not db["agent_month"].exists()
    db.executescript("""
        CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('lead', 'coach', 'agent')),
            agent TEXT,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            CHECK (role != 'agent' OR agent IS NOT NULL)
        );
        CREATE TABLE IF NOT EXISTS signin_attempts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            client TEXT NOT NULL,
            at REAL NOT NULL,
            ok INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_signin_attempts_name
            ON signin_attempts (name, client, at);
        CREATE INDEX IF NOT EXISTS idx_signin_attempts_client ON signin_attempts (client, at);
        CREATE INDEX IF NOT EXISTS idx_signin_attempts_at ON signin_attempts (at);
        CREATE TABLE IF NOT EXISTS reviews (
            call_id TEXT PRIMARY KEY,
            reviewed_by TEXT, reviewed_at TEXT,
            shared_by TEXT, shared_at TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_reviews_shared_at ON reviews (shared_at);
        CREATE TABLE IF NOT EXISTS notes (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            finding_id INTEGER,
            finding_ref TEXT,
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            for_agent INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_notes_call_id ON notes (call_id);
        CREATE TABLE IF NOT EXISTS overrides (
            call_id TEXT NOT NULL,
            criterion TEXT NOT NULL,
            score REAL NOT NULL CHECK (score BETWEEN 0 AND 100),
            machine_score REAL,
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (call_id, criterion)
        );
        CREATE TABLE IF NOT EXISTS acknowledgements (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            user TEXT NOT NULL,
            comment TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_acknowledgements_call_id ON acknowledgements (call_id);
        CREATE TABLE IF NOT EXISTS finding_marks (
            call_id TEXT NOT NULL,
            utterance_idx INTEGER NOT NULL,
            label TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('right', 'wrong', 'added')),
            coach TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (call_id, utterance_idx, label, coach)
        );
        CREATE TABLE IF NOT EXISTS launches (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            manifest TEXT,
            total INTEGER NOT NULL,
            after_run_id INTEGER NOT NULL,
            pid INTEGER,
            log_path TEXT,
            started_by TEXT NOT NULL,
            started_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS call_facts (
            call_id TEXT PRIMARY KEY, ts TEXT, week TEXT, agent TEXT, overall REAL,
            scorable INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_call_facts_ts
            ON call_facts (ts, agent, overall, scorable, week);
        CREATE INDEX IF NOT EXISTS idx_call_facts_agent
            ON call_facts (agent, ts, overall, scorable, week);
        CREATE TABLE IF NOT EXISTS score_facts (
            call_id TEXT NOT NULL, criterion TEXT NOT NULL, ts TEXT, week TEXT, agent TEXT,
            score REAL, machine_score REAL,
            PRIMARY KEY (call_id, criterion)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_score_facts_criterion
            ON score_facts (criterion, ts, score, agent);
        CREATE INDEX IF NOT EXISTS idx_score_facts_agent
            ON score_facts (agent, criterion, ts, score);
        CREATE TABLE IF NOT EXISTS agent_week (
            agent TEXT NOT NULL, criterion TEXT NOT NULL, week TEXT NOT NULL,
            n INTEGER NOT NULL, total REAL NOT NULL,
            PRIMARY KEY (week, agent, criterion)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS agent_month (
            agent TEXT NOT NULL, criterion TEXT NOT NULL, month TEXT NOT NULL,
            n INTEGER NOT NULL, total REAL NOT NULL,
            PRIMARY KEY (month, agent, criterion)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (key, value) VALUES ('data_version', '0');
    """)
    # Single sign-on maps an identity to an account only through this exact, configured
    # e-mail (qa users add --sso-email), never by the account's name; added to older databases.
    if "sso_email" not in db["users"].columns_dict:
        db.execute("ALTER TABLE users ADD COLUMN sso_email TEXT COLLATE NOCASE")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS idx_users_sso_email ON users (sso_email) "
               "WHERE sso_email IS NOT NULL")
    new_ts, old_ts = CALL_TIME_SQL.format(p="NEW."), CALL_TIME_SQL.format(p="")
    new_week, old_week = WEEK_SQL.format(t=new_ts), WEEK_SQL.format(t=old_ts)
    override = ("(SELECT o.score FROM overrides o WHERE o.call_id = {c} "
                "AND o.criterion = {k})")
    if new_facts:
        with transaction(db):
            db.execute(f"INSERT INTO call_facts SELECT id, {old_ts}, {old_week}, agent, "
                       "overall, scorable FROM calls")
            db.execute("INSERT INTO score_facts SELECT s.call_id, s.criterion, f.ts, f.week, "
                       "f.agent, coalesce(" + override.format(c="s.call_id", k="s.criterion")
                       + ", s.score), s.score FROM scores s "
                       "JOIN call_facts f ON f.call_id = s.call_id")
            db.execute("INSERT INTO agent_week SELECT coalesce(agent, ''), criterion, week, "
                       "count(*), sum(score) FROM score_facts WHERE score IS NOT NULL "
                       "GROUP BY 1, 2, 3")
    if new_months:
        with transaction(db):
            db.execute("INSERT INTO agent_month SELECT coalesce(agent, ''), criterion, "
                       "substr(ts, 1, 7), count(*), sum(score) FROM score_facts "
                       "WHERE score IS NOT NULL AND ts IS NOT NULL GROUP BY 1, 2, 3")
    add_week = ("INSERT INTO agent_week (agent, criterion, week, n, total) "
                "SELECT coalesce(NEW.agent, ''), NEW.criterion, NEW.week, 1, NEW.score "
                "WHERE NEW.score IS NOT NULL AND NEW.week IS NOT NULL "
                "ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total;")
    sub_week = ("UPDATE agent_week SET n = n - 1, total = total - OLD.score "
                "WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') "
                "AND criterion = OLD.criterion AND week = OLD.week;")
    add_month = ("INSERT INTO agent_month (agent, criterion, month, n, total) "
                 "SELECT coalesce(NEW.agent, ''), NEW.criterion, substr(NEW.ts, 1, 7), 1, "
                 "NEW.score WHERE NEW.score IS NOT NULL AND NEW.ts IS NOT NULL "
                 "ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total;")
    sub_month = ("UPDATE agent_month SET n = n - 1, total = total - OLD.score "
                 "WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') "
                 "AND criterion = OLD.criterion AND month = substr(OLD.ts, 1, 7);")
    add_week += add_month
    sub_week += sub_month
    triggers = {
        "calls_facts_insert": f"""AFTER INSERT ON calls BEGIN
            DELETE FROM call_facts WHERE call_id = NEW.id;
            INSERT INTO call_facts VALUES (NEW.id, {new_ts}, {new_week}, NEW.agent,
                                           NEW.overall, NEW.scorable);
            DELETE FROM score_facts WHERE call_id = NEW.id;
            INSERT INTO score_facts SELECT s.call_id, s.criterion, {new_ts}, {new_week},
                NEW.agent, coalesce({override.format(c="s.call_id", k="s.criterion")},
                s.score), s.score FROM scores s WHERE s.call_id = NEW.id; END""",
        "calls_facts_update": f"""AFTER UPDATE ON calls BEGIN
            UPDATE call_facts SET ts = {new_ts}, week = {new_week}, agent = NEW.agent,
                overall = NEW.overall, scorable = NEW.scorable WHERE call_id = NEW.id;
            UPDATE score_facts SET ts = {new_ts}, week = {new_week}, agent = NEW.agent
                WHERE call_id = NEW.id; END""",
        "calls_facts_delete": """AFTER DELETE ON calls BEGIN
            DELETE FROM call_facts WHERE call_id = OLD.id;
            DELETE FROM score_facts WHERE call_id = OLD.id; END""",
        "scores_facts_insert": f"""AFTER INSERT ON scores BEGIN
            DELETE FROM score_facts WHERE call_id = NEW.call_id AND criterion = NEW.criterion;
            INSERT INTO score_facts SELECT NEW.call_id, NEW.criterion, f.ts, f.week, f.agent,
                coalesce({override.format(c="NEW.call_id", k="NEW.criterion")}, NEW.score),
                NEW.score FROM call_facts f WHERE f.call_id = NEW.call_id; END""",
        "scores_facts_update": f"""AFTER UPDATE ON scores BEGIN
            UPDATE score_facts SET machine_score = NEW.score,
                score = coalesce({override.format(c="NEW.call_id", k="NEW.criterion")},
                                 NEW.score)
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END""",
        "scores_facts_delete": """AFTER DELETE ON scores BEGIN
            DELETE FROM score_facts WHERE call_id = OLD.call_id AND criterion = OLD.criterion;
            END""",
        "overrides_facts_insert": """AFTER INSERT ON overrides BEGIN
            UPDATE score_facts SET score = NEW.score
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END""",
        "overrides_facts_update": """AFTER UPDATE ON overrides BEGIN
            UPDATE score_facts SET score = machine_score
                WHERE call_id = OLD.call_id AND criterion = OLD.criterion;
            UPDATE score_facts SET score = NEW.score
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END""",
        "overrides_facts_delete": """AFTER DELETE ON overrides BEGIN
            UPDATE score_facts SET score = machine_score
                WHERE call_id = OLD.call_id AND criterion = OLD.criterion; END""",
        "score_facts_week_insert": f"AFTER INSERT ON score_facts BEGIN {add_week} END",
        "score_facts_week_delete": f"AFTER DELETE ON score_facts BEGIN {sub_week} END",
        "score_facts_week_update": f"AFTER UPDATE ON score_facts BEGIN {sub_week} {add_week} "
                                   "END",
    }
    version = db.execute("SELECT value FROM meta WHERE key = 'fact_triggers'").fetchone()
    if version is None or version[0] != str(_FACT_TRIGGERS_VERSION):
        with transaction(db):  # an older definition of the triggers: replace them all at once
            for name, body in triggers.items():
                db.execute(f"DROP TRIGGER IF EXISTS [{name}]")
                db.execute(f"CREATE TRIGGER [{name}] {body}")
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fact_triggers', ?)",
                       [str(_FACT_TRIGGERS_VERSION)])
    for table in _VERSIONED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER IF NOT EXISTS [{table}_{event.lower()}_version] "
                f"AFTER {event} ON [{table}] BEGIN UPDATE meta "
                "SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END")


def is_scored(db: sqlite_utils.Database, content_hash: str, rubric_version: str) -> str | None:
    """The id of a call already scored from this content with this rubric, if any."""
    row = db.execute(
        "SELECT id FROM calls WHERE content_hash = ? AND rubric_version = ? LIMIT 1",
        [content_hash, rubric_version]).fetchone()
    return row[0] if row else None


def redaction_of(db: sqlite_utils.Database, call_id: str) -> tuple[dict[str, int] | None,
                                                                     str | None]:
    """A stored call's redaction counts (None if it was stored unredacted) and the path of
    its redacted recording (None if there is none)."""
    row = db.execute("SELECT redacted, redacted_audio FROM calls WHERE id = ?",
                     [call_id]).fetchone()
    if row is None:
        return None, None
    return (None if row[0] is None else json.loads(row[0])), row[1]


def save_scored_call(db: sqlite_utils.Database, info: CallInfo, scored: ScoredCall,
                     rubric_name: str, repeat_days: float | None = None) -> ScoredCall:
    """Store a scored call with its utterances, findings and scores, all or nothing, and
    link it to the same customer's calls around it (``repeat_days``: the rubric's
    ``repeat_contact_days``; None: the last value a batch used, else 7). Returns the call as
    stored: with the coaches' earlier answers to its questions applied."""
    call = scored.transcript
    # One transaction, not `with db.conn`: sqlite-utils commits each statement of its own when
    # no transaction is open (a kill -9 between two left a call with no utterances); in one,
    # sqlite-utils' own statements nest as savepoints. It takes the write lock first: see
    # transaction().
    with transaction(db):
        # A coach's follow-up on a promise (done, broken) survives re-scoring the call.
        kept = {(r["start"], r["quote"]): (r["status"], r["status_note"], r["updated_at"],
                                           r["updated_by"])
                for r in db.query("SELECT start, quote, status, status_note, updated_at, "
                                  "updated_by FROM commitments WHERE call_id = ?",
                                  [info.call_id])}
        customers = callbacks.customers_of(db, info.call_id, info.content_hash)
        # A coach's answers to the form's questions outlive re-scoring too.
        scored = with_answers(scored, stored_answers(db, info.call_id))
        _replace_call(db, info)
        db.table("calls").insert(_call_row(info, call, rubric_name, scored.rubric_label, {
            "scorable": 1, "overall": scored.overall, "auto_fail": scored.auto_fail,
            "pending": scored.pending,
            "summary": json.dumps(scored.summary, ensure_ascii=False)}))
        db.table("utterances").insert_all(
            ({"call_id": info.call_id, "idx": i, "speaker": u.speaker, "start": u.start,
              "end": u.end, "text": u.text,
              "words": json.dumps([w.to_dict() for w in u.words]) if u.words else None}
             for i, u in enumerate(call.utterances)), batch_size=500)
        db.table("findings").insert_all(
            ({"call_id": info.call_id, "criterion": f.criterion, "label": f.label,
              "utterance_idx": f.utterance, "speaker": f.speaker, "start": f.start,
              "end": f.end, "quote": f.quote, "polarity": f.polarity, "message": f.message,
              "suggestion": f.suggestion,
              "detail": json.dumps(f.detail, ensure_ascii=False, default=str)}
             for f in scored.findings), batch_size=500)
        db.table("scores").insert_all(
            ({"call_id": info.call_id, "criterion": s.criterion, "score": s.score,
              "applicable": int(s.applicable), "reason": s.reason, "weight": s.weight,
              "kind": s.kind, "auto_fail_below": s.auto_fail_below, "pending": int(s.pending),
              "question": s.question}
             for s in scored.scores), pk=("call_id", "criterion"))
        db.table("commitments").insert_all(
            (_commitment_row(info.call_id, f, kept, info.call_time) for f in scored.findings
             if f.label in COMMITMENT_LABELS), batch_size=500)
        _link_repeats(db, [*customers, info.customer], repeat_days)
    return scored


def _link_repeats(db: sqlite_utils.Database, customers: list[str | None],
                  days: float | None) -> None:
    """Recompute these customers' repeat contacts with ``days`` (remembered for the next
    call stored without a rubric at hand, e.g. a role decision), else the remembered one."""
    if days is None:
        row = db.execute("SELECT value FROM meta WHERE key = 'repeat_contact_days'").fetchone()
        days = float(row[0]) if row else followup.DEFAULT_REPEAT_DAYS
    else:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('repeat_contact_days', ?)",
                   [str(days)])
    callbacks.link_repeat_contacts(db, customers, days)


def save_unscorable_call(db: sqlite_utils.Database, info: CallInfo, reason: str,
                         rubric_name: str, rubric_version: str, duration: float | None,
                         transcript: Transcript | None = None,
                         repeat_days: float | None = None) -> None:
    """Record a call that cannot be scored fairly, with the reason, instead of a bad score.
    It still counts as a contact from its customer (a dropped call is often called back)."""
    call = transcript or Transcript(info.call_id, [], agent=info.agent, duration=duration)
    with transaction(db):  # one transaction: see save_scored_call
        customers = callbacks.customers_of(db, info.call_id, info.content_hash)
        _replace_call(db, info)
        db.table("calls").insert(_call_row(info, call, rubric_name, rubric_version, {
            "scorable": 0, "unscorable_reason": reason}))
        _link_repeats(db, [*customers, info.customer], repeat_days)


def _call_row(info: CallInfo, call: Transcript, rubric_name: str, rubric_version: str,
              extra_fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": info.call_id, "content_hash": info.content_hash, "source_path": info.source_path,
        "origin": info.origin, "agent": info.agent, "customer": info.customer,
        # A transcript without times has no length: its placeholder times would show as one.
        "call_time": info.call_time, "duration": call.duration if has_timing(call) else None,
        "channels": info.channels,
        "speaker_timing": int(call.speaker_timing), "model": info.model,
        "rubric_name": rubric_name, "rubric_version": rubric_version,
        "extra": json.dumps(info.extra or {}, ensure_ascii=False), "scored_at": now(),
        "redacted": None if info.redacted is None else json.dumps(info.redacted),
        "redacted_audio": info.redacted_audio,
        "queue": info.queue, "rubric_file": info.rubric_file, "auto_fail": None, "pending": 0,
        **_roles_fields(call),
        "diarization": _diarization_field(call),
        "timing": None if has_timing(call) else NO_TIMING,
        "overall": None, "summary": None, "unscorable_reason": None, **extra_fields,
    }


def _diarization_field(call: Transcript) -> str | None:
    """What the scoring reasons need of ``metadata["diarization"]`` (not its long lists)."""
    split = call.metadata.get("diarization") if isinstance(call.metadata, dict) else None
    if not isinstance(split, dict):
        return None
    return json.dumps({k: split[k] for k in ("done", "method", "reason") if k in split},
                      ensure_ascii=False)


def stored_split(db: sqlite_utils.Database, call_id: str) -> dict[str, Any]:
    """How a mono call stored without its ``diarization`` column (an older database) was
    split into two voices, read back from its stored timing reasons (qa/scoring.py writes
    "split into two voices by spectral features (METHOD)" or "... by a speaker model")."""
    for (reason,) in db.execute("SELECT reason FROM scores WHERE call_id = ?", [call_id]):
        if found := re.search(r"split into two voices by spectral features \((.+?)\): ",
                              reason or ""):
            return {"done": True, "method": found.group(1)}
    return {"done": True}


def _roles_fields(call: Transcript) -> dict[str, Any]:
    """The call row's roles columns from the transcript's ``metadata["roles"]``."""
    roles = call.metadata.get("roles") if isinstance(call.metadata, dict) else None
    if not isinstance(roles, dict):
        return {"roles": None, "roles_review": 0}
    return {"roles": json.dumps(roles, ensure_ascii=False),
            "roles_review": int(bool(roles.get("needs_review")))}


def scorable_and_roles(db: sqlite_utils.Database, call_id: str) -> tuple[Any, Any] | None:
    """A stored call's ``scorable`` flag and how its roles were decided (JSON text), or None
    when there is no such call."""
    row = db.execute("SELECT scorable, roles FROM calls WHERE id = ?", [call_id]).fetchone()
    return None if row is None else (row[0], row[1])


def role_decision(db: sqlite_utils.Database, call_id: str) -> dict[str, Any] | None:
    """A person's decision on the call's roles (``swapped``, ``decided_by``), if any."""
    rows = list(db.query("SELECT * FROM role_decisions WHERE call_id = ?", [call_id]))
    return rows[0] if rows else None


def save_role_decision(db: sqlite_utils.Database, info: CallInfo, scored: ScoredCall,
                       rubric_name: str, swapped: bool, decided_by: str | None
                       ) -> ScoredCall:
    """Remember a person's decision on the roles and store the re-scored call, in one
    transaction: both are stored, or neither. Returns the call as stored."""
    with transaction(db):
        previous = db.execute("SELECT swapped FROM role_decisions WHERE call_id = ?",
                              [info.call_id]).fetchone()
        was = bool(previous[0]) if previous else False
        db.execute("INSERT OR REPLACE INTO role_decisions (call_id, swapped, decided_by, "
                   "decided_at) VALUES (?, ?, ?, ?)",
                   [info.call_id, int(swapped), decided_by, now()])
        stored = save_scored_call(db, info, scored, rubric_name)
        audit(db, decided_by or "qa roles", "roles.swap" if swapped != was else "roles.confirm",
              info.call_id, before={"swapped": was}, after={"swapped": swapped})
    return stored


def call_info(db: sqlite_utils.Database, call_id: str) -> CallInfo | None:
    """The stored :class:`CallInfo` of a call (to store it again after re-scoring)."""
    rows = list(db.query("SELECT * FROM calls WHERE id = ?", [call_id]))
    if not rows:
        return None
    row = rows[0]
    return CallInfo(
        call_id=row["id"], source_path=row["source_path"], content_hash=row["content_hash"],
        agent=row["agent"], customer=row["customer"], call_time=row["call_time"],
        channels=row["channels"], model=row["model"], origin=row["origin"] or "audio",
        extra=json.loads(row["extra"] or "{}"),
        redacted=json.loads(row["redacted"]) if row.get("redacted") else None,
        redacted_audio=row.get("redacted_audio"), queue=row.get("queue"),
        rubric_file=row.get("rubric_file"))


def _commitment_row(call_id: str, finding: Any,
                    kept: dict[tuple[float, str], tuple[str, str, str, str]],
                    call_time: str | None) -> dict[str, Any]:
    """A promise the agent made, as a row a coach can follow up (open until marked), with
    the moment it falls due when its time is one :func:`qa.followup.due_time` reads."""
    status, note, updated, by = kept.get((finding.start, finding.quote),
                                         ("open", None, None, None))
    detail = finding.detail
    return {"call_id": call_id, "utterance_idx": finding.utterance, "start": finding.start,
            "quote": finding.quote, "kind": finding.label.split(":")[1],
            "who": detail.get("who"), "what": detail.get("what"),
            "when_text": detail.get("when"), "channel": detail.get("channel"),
            "status": status, "status_note": note, "updated_at": updated, "updated_by": by,
            "due_at": followup.due_time(detail.get("when"), call_time)}


# A call's own rows, deleted and written again whenever it is stored.
_CALL_DATA = ("calls", "findings", "scores", "utterances", "commitments", "call_facts",
              "score_facts")


def _replace_call(db: sqlite_utils.Database, info: CallInfo) -> None:
    """Delete what a call's new version replaces. A redacted version may carry another id
    than the unredacted one stored before (an id holding a phone number is masked): that
    old version goes too, and the records kept about it (reviews, notes, overrides, run
    records...) move to the new id, their file names and errors masked."""
    redacting = info.redacted is not None
    if redacting:
        for (old,) in db.execute("SELECT id FROM calls WHERE content_hash = ? AND id != ? "
                                 "AND redacted IS NULL",
                                 [info.content_hash, info.call_id]).fetchall():
            _delete_call(db, old, redacting=True)
            _move_call_records(db, old, info.call_id)
    _delete_call(db, info.call_id, redacting)


def _move_call_records(db: sqlite_utils.Database, old: str, new: str) -> None:
    """Give every record about call ``old`` (outside its own rows) the id ``new``."""
    from qa.redact import scrub

    tables = [name for (name,) in db.execute(
                  "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                  "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '%_fts%'")
              if name not in _CALL_DATA and name not in APPEND_ONLY
              and "call_id" in db[name].columns_dict]
    # The audit trail follows the call to its masked id, through the trigger's one exception.
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_rekey', "
               "json_array(?, ?))", [old, new])
    db.execute("UPDATE audit_log SET call_id = ? WHERE call_id = ?", [new, old])
    db.execute("DELETE FROM meta WHERE key = 'audit_rekey'")
    for table in tables:
        if table == "run_files":
            for row_id, path, error in db.execute(
                    "SELECT id, path, error FROM run_files WHERE call_id = ?", [old]).fetchall():
                db.execute("UPDATE run_files SET call_id = ?, path = ?, error = ? WHERE id = ?",
                           [new, scrub(path or ""), error and scrub(error, quoted=True),
                            row_id])
            continue
        db.execute(f"UPDATE OR IGNORE [{table}] SET call_id = ? WHERE call_id = ?", [new, old])
        db.execute(f"DELETE FROM [{table}] WHERE call_id = ?", [old])  # the new one had its own


def _delete_call(db: sqlite_utils.Database, call_id: str, redacting: bool = False) -> None:
    if redacting:
        # The call's new version is redacted: what it replaces must not survive in the file.
        # secure_delete zeroes deleted rows instead of leaving them in free space; an
        # unredacted old version also leaves its words in the full-text index's older
        # segments, which purge_replaced_text() merges away after the run.
        db.execute("PRAGMA secure_delete = ON")
        if db.execute("SELECT 1 FROM calls WHERE id = ? AND redacted IS NULL",
                      [call_id]).fetchone():
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('purge_pending', '1')")
            # Practice items keep a copy of the customer's words and the call up to the
            # moment: copies of an unredacted version go with it (their answers too).
            if db["practice_items"].exists():
                db.execute("DELETE FROM practice_attempts WHERE item_id IN (SELECT id FROM "
                           "practice_items WHERE call_id = ?)", [call_id])
                db.execute("DELETE FROM practice_items WHERE call_id = ?", [call_id])
    for table in ("findings", "scores", "utterances", "commitments"):
        db.execute(f"DELETE FROM [{table}] WHERE call_id = ?", [call_id])
    db.execute("DELETE FROM calls WHERE id = ?", [call_id])


# Seconds a batch waits at its end for readers to let the write-ahead log be emptied.
PURGE_WAIT = 60.0


def purge_replaced_text(db: sqlite_utils.Database, wait: float | None = None) -> bool:
    """After calls stored unredacted were replaced by redacted versions: rebuild the
    full-text index's segments (FTS5 keeps deleted words in older segments until they are
    merged), zeroing the freed pages, and empty the write-ahead log. Run once per batch, not
    per call: the merge reads the whole index.

    The log can only be emptied when no reader still uses the old pages (a dashboard page
    mid-query): the checkpoint is retried for up to ``wait`` seconds (default
    :data:`PURGE_WAIT`). The purge stays pending
    (``meta.purge_pending``, retried by the next batch) until it has succeeded. Returns
    whether a purge was completed now.
    """
    if not db.execute("SELECT 1 FROM meta WHERE key = 'purge_pending'").fetchone():
        return False
    wait = PURGE_WAIT if wait is None else wait
    db.execute("PRAGMA secure_delete = ON")
    with transaction(db):
        db.execute("INSERT INTO utterances_fts (utterances_fts) VALUES ('optimize')")
    if not _empty_wal(db, wait):
        return False
    with transaction(db):
        db.execute("DELETE FROM meta WHERE key = 'purge_pending'")
    _empty_wal(db, wait)  # the log now holds only that last change; best effort
    return True


def _empty_wal(db: sqlite_utils.Database, wait: float) -> bool:
    """Copy the write-ahead log into the database and truncate it, retrying while readers
    block it, for up to ``wait`` seconds; whether it succeeded."""
    deadline = time.monotonic() + wait
    # Short busy waits inside the loop: the checkpoint's busy handler would otherwise hold
    # the full timeout on each try.
    db.execute("PRAGMA busy_timeout=200")
    try:
        while True:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
    finally:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


# --- runs -----------------------------------------------------------------------------------

def start_run(db: sqlite_utils.Database, paths: list[str], rubric_version: str,
              model: str | None) -> int:
    """Open a batch run and return its id (closing first any run whose process died)."""
    close_dead_runs(db)
    with transaction(db):
        table = db.table("runs").insert({
            "started_at": now(), "status": "running", "paths": json.dumps(paths),
            "rubric_version": rubric_version, "model": model, "files": 0, "scored": 0,
            "skipped": 0, "failed": 0, "unscorable": 0, "pid": os.getpid(),
            "host": socket.gethostname()})
    return int(table.last_pk or 0)  # set by the insert just made


def run_counts(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    """Files recorded so far in a run, per status (scored, skipped, failed, unscorable)."""
    counts = {status: 0 for status in ("scored", "skipped", "failed", "unscorable")}
    for status, n in db.execute(
            "SELECT status, count(*) FROM run_files WHERE run_id = ? GROUP BY status", [run_id]):
        counts[status] = n
    return counts


def close_dead_runs(db: sqlite_utils.Database) -> list[int]:
    """Mark as ``interrupted`` (with the counts it got to) every run still ``running`` whose
    process on this host is gone; returns their ids. Its stored calls are complete (one
    transaction each), and the next batch over the same files skips them."""
    dead = [run_id for run_id, pid, run_host in db.execute(
                "SELECT id, pid, host FROM runs WHERE status = 'running'")
            if run_died(pid, run_host)]
    for run_id in dead:
        interrupt_run(db, run_id)
    return dead


def interrupt_run(db: sqlite_utils.Database, run_id: int) -> None:
    """Close a run as ``interrupted``, with the counts it got to."""
    counts = run_counts(db, run_id)
    last = db.execute("SELECT max(finished_at) FROM run_files WHERE run_id = ?",
                      [run_id]).fetchone()[0]
    with transaction(db):
        db.table("runs").update(run_id, {"status": "interrupted",
                                         "finished_at": last or now(),
                                         "files": sum(counts.values()), **counts})


def run_died(pid: int | None, host: str | None) -> bool:
    """Whether a run recorded as ``running`` by process ``pid`` on ``host`` has in fact
    stopped: its process on this host is gone. (A run on another host is taken as alive.)"""
    return host == socket.gethostname() and pid is not None and not process_alive(pid)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists and is not a zombie (signal 0 checks without
    signalling; a killed child its parent has not reaped yet is a zombie).

    The one answer to "is this run's process still going", for the store's stale-run check
    and the dashboard's batch page alike: a process of another user exists, so it counts.
    """
    if pid <= 0:  # 0 and negatives address process groups, not one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def record_file(db: sqlite_utils.Database, run_id: int, path: str, status: str,
                call_id: str | None = None, content_hash: str | None = None,
                error: str | None = None, seconds: float | None = None) -> None:
    """Record one file's outcome in a run (scored, skipped, failed or unscorable)."""
    with transaction(db):
        db.table("run_files").insert({
            "run_id": run_id, "path": path, "content_hash": content_hash, "call_id": call_id,
            "status": status, "error": error, "seconds": seconds, "finished_at": now()})


def finish_run(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    """Close a run with its per-status counts, and return them."""
    counts = run_counts(db, run_id)
    with transaction(db):
        db.table("runs").update(run_id, {"finished_at": now(), "status": "finished",
                                   "files": sum(counts.values()), **counts})
    return counts


# --- reading --------------------------------------------------------------------------------

def get_call(db: sqlite_utils.Database, call_id: str) -> dict[str, Any] | None:
    """A stored call with its scores, findings and utterances, or None."""
    rows = list(db.query("SELECT * FROM calls WHERE id = ?", [call_id]))
    if not rows:
        return None
    call = rows[0]
    call["scores"] = list(db.query(
        "SELECT criterion, score, applicable, reason, weight, kind, auto_fail_below, pending, "
        "question FROM scores WHERE call_id = ? ORDER BY rowid", [call_id]))
    call["findings"] = list(db.query(
        "SELECT * FROM findings WHERE call_id = ? ORDER BY start, id", [call_id]))
    call["utterances"] = list(db.query(
        "SELECT idx, speaker, start, end, text FROM utterances WHERE call_id = ? ORDER BY idx",
        [call_id]))
    call["summary"] = json.loads(call["summary"]) if call.get("summary") else None
    return call


def load_transcript(db: sqlite_utils.Database, call_id: str) -> Transcript | None:
    """Rebuild a stored call's transcript (words included)."""
    row = db.execute("SELECT agent, duration, speaker_timing, diarization, timing FROM calls "
                     "WHERE id = ?", [call_id]).fetchone()
    if row is None:
        return None
    utterances = []
    for u in db.query("SELECT * FROM utterances WHERE call_id = ? ORDER BY idx", [call_id]):
        words = [Word(w["start"], w["end"], w["word"], w.get("probability"))
                 for w in json.loads(u["words"] or "[]")]
        utterances.append(Utterance(u["speaker"], u["start"], u["end"], u["text"], words))
    metadata: dict[str, Any] = {"diarization": json.loads(row[3])} if row[3] else {}
    if row[4]:
        metadata["timing"] = row[4]
    return Transcript(call_id, utterances, agent=row[0], duration=row[1],
                      speaker_timing=bool(row[2]), metadata=metadata)


def iter_calls(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Every stored call's row, oldest call time first."""
    yield from db.query("SELECT * FROM calls ORDER BY call_time, id")


def iter_findings(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Every stored finding with its call's agent."""
    yield from db.query(
        "SELECT f.*, c.agent FROM findings f JOIN calls c ON c.id = f.call_id "
        "ORDER BY f.call_id, f.start, f.id")


def rubric_version_of(db: sqlite_utils.Database, call_id: str
                      ) -> tuple[str, str | None] | None:
    """The rubric version a stored call was scored with and the rubric file it came from;
    None when there is no such call."""
    row = db.execute("SELECT rubric_version, rubric_file FROM calls WHERE id = ?",
                     [call_id]).fetchone()
    return None if row is None else (row[0], row[1])


def roles_to_review(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Calls flagged for a person to confirm who the agent is (id, agent, roles JSON)."""
    return list(db.query("SELECT id, agent, roles FROM calls WHERE roles_review = 1"))


def list_runs(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    """The most recent runs, newest first."""
    return list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))


def run_failures(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """Files that failed or could not be scored in a run, with the reason."""
    return list(db.query(
        "SELECT path, status, error FROM run_files WHERE run_id = ? "
        "AND status IN ('failed', 'unscorable') ORDER BY id", [run_id]))


# What a coach can mark a promise as (a new one is open).
COMMITMENT_STATUSES = ("open", "done", "broken")


def list_commitments(db: sqlite_utils.Database, status: str | None = "open",
                     agent: str | None = None) -> list[dict[str, Any]]:
    """Promises made on calls, newest call first, optionally by status and agent."""
    sql = ("SELECT m.*, c.agent, c.call_time FROM commitments m JOIN calls c ON c.id = m.call_id "
           "WHERE (? IS NULL OR m.status = ?) AND (? IS NULL OR c.agent = ?) "
           "ORDER BY c.call_time DESC, m.call_id, m.start")
    return list(db.query(sql, [status, status, agent, agent]))


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Row counts of the main tables (for checks and summaries)."""
    return {t: db[t].count for t in ("calls", "utterances", "findings", "scores", "commitments")}


def search_utterances(db: sqlite_utils.Database, query: str,
                      limit: int = 50) -> list[dict[str, Any]]:
    """Full-text search over every transcript (SQLite FTS5, porter stemming)."""
    return list(db.query(
        "SELECT u.call_id, u.idx, u.speaker, u.start, u.text FROM utterances u "
        "JOIN utterances_fts ON utterances_fts.rowid = u.id "
        "WHERE utterances_fts MATCH ? ORDER BY rank LIMIT ?", [_fts_query(query), limit]))


def _fts_query(text: str) -> str:
    # Quote each word so user text is searched for, never parsed as FTS syntax. Control
    # characters cannot be in the index's words; a NUL would end the query mid-string
    # ("unterminated string"), so they separate words instead.
    text = _CONTROL.sub(" ", text)
    return " ".join('"' + w.replace('"', '""') + '"' for w in text.split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character (NUL, escape...) that search ignores."""
    return bool(_CONTROL.search(text))
