"""Dashboard accounts as stored: ``users`` (who may sign in, with which role), the sign-in
attempts that throttle guessing, the account-change trail and the session-signing key.

The rules (password policy, who may change what, the throttle's arithmetic, tokens) are
:mod:`qa.auth`'s; these functions only read and write rows. None of them opens or commits a
transaction unless it says so: the caller's ``with conn:`` or :func:`begin` decides.
"""

from __future__ import annotations

import sqlite3
from typing import Any

Row = tuple[Any, ...]


def begin(conn: sqlite3.Connection) -> None:
    """Start a write transaction now, taking the write lock before anything is read."""
    conn.execute("BEGIN IMMEDIATE")


def commit(conn: sqlite3.Connection) -> None:
    """Commit the transaction :func:`begin` started."""
    conn.execute("COMMIT")


def rollback(conn: sqlite3.Connection) -> None:
    """Undo the transaction :func:`begin` started."""
    conn.execute("ROLLBACK")


def find_account(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """The account named exactly ``name`` (name, role, agent), disabled or not; None when
    there is none."""
    row = conn.execute("SELECT name, role, agent FROM users WHERE name = ?", [name]).fetchone()
    return None if row is None else {"name": row[0], "role": row[1], "agent": row[2]}


def insert_user(conn: sqlite3.Connection, name: str, role: str, agent: str | None,
                password_hash: str, created_at: str, sso_email: str | None) -> None:
    """Add an account row (sqlite3.IntegrityError for a name or e-mail already taken)."""
    conn.execute(
        "INSERT INTO users (name, role, agent, password_hash, created_at, sso_email) "
        "VALUES (?, ?, ?, ?, ?, ?)", [name, role, agent, password_hash, created_at, sso_email])


def write_password_hash(conn: sqlite3.Connection, name: str, password_hash: str) -> int:
    """Replace an account's password hash; returns how many accounts changed (0 or 1)."""
    return conn.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                        [password_hash, name]).rowcount


def sso_email_row(conn: sqlite3.Connection, name: str) -> Row | None:
    """(sso_email,) of an account, None when there is no such account."""
    return conn.execute("SELECT sso_email FROM users WHERE name = ?", [name]).fetchone()


def write_sso_email(conn: sqlite3.Connection, name: str, email: str | None) -> int:
    """Map a single sign-on e-mail to an account; returns how many accounts changed."""
    return conn.execute("UPDATE users SET sso_email = ? WHERE name = ?",
                        [email, name]).rowcount


def password_row(conn: sqlite3.Connection, name: str) -> Row | None:
    """(name, role, agent, password_hash, disabled) of an account, or None."""
    return conn.execute("SELECT name, role, agent, password_hash, disabled FROM users "
                        "WHERE name = ?", [name]).fetchone()


def enabled_account(conn: sqlite3.Connection, name: str) -> Row | None:
    """(name, role, agent) of an enabled account, or None."""
    return conn.execute("SELECT name, role, agent FROM users WHERE name = ? AND disabled = 0",
                        [name]).fetchone()


def account_for_sso_email(conn: sqlite3.Connection, email: str) -> Row | None:
    """(name, role, agent) of the enabled account mapped to this e-mail, or None."""
    return conn.execute("SELECT name, role, agent FROM users WHERE sso_email = ? "
                        "AND disabled = 0", [email]).fetchone()


def failures_since_success(conn: sqlite3.Connection, name: str, client: str,
                           since: float) -> Row:
    """(count, latest time) of this client's attempts at ``name`` after ``since`` and after
    its last success that did not succeed (reserved ones without an outcome count)."""
    return conn.execute(
        "SELECT count(*), max(at) FROM signin_attempts WHERE name = ? AND client = ? "
        "AND at > max(?, coalesce((SELECT max(at) FROM signin_attempts WHERE name = ? "
        "AND client = ? AND ok = 1), 0)) AND ok IS NOT 1",
        [name, client, since, name, client]).fetchone()


def client_failures(conn: sqlite3.Connection, client: str, after: float) -> Row:
    """(count, earliest time) of this client's attempts after ``after`` that did not succeed."""
    return conn.execute(
        "SELECT count(*), min(at) FROM signin_attempts WHERE client = ? AND at > ? "
        "AND ok IS NOT 1", [client, after]).fetchone()


def client_failure_at(conn: sqlite3.Connection, client: str, after: float, offset: int
                      ) -> float:
    """The time of this client's failed attempt number ``offset`` (from 0, oldest first)
    after ``after``."""
    return conn.execute(
        "SELECT at FROM signin_attempts WHERE client = ? AND at > ? AND ok IS NOT 1 "
        "ORDER BY at LIMIT 1 OFFSET ?", [client, after, offset]).fetchone()[0]


def forget_attempts(conn: sqlite3.Connection, before: float) -> None:
    """Delete the sign-in attempts older than ``before``."""
    conn.execute("DELETE FROM signin_attempts WHERE at < ?", [before])


def insert_attempt(conn: sqlite3.Connection, name: str, client: str, at: float) -> int | None:
    """Reserve a sign-in attempt (outcome not known yet); returns its id."""
    return conn.execute("INSERT INTO signin_attempts (name, client, at) "
                        "VALUES (?, ?, ?)", [name, client, at]).lastrowid


def attempt_outcome(conn: sqlite3.Connection, attempt: int, ok: bool) -> None:
    """Record whether a reserved sign-in attempt succeeded."""
    conn.execute("UPDATE signin_attempts SET ok = ? WHERE id = ?", [int(ok), attempt])


def signed_in(conn: sqlite3.Connection, name: str, at: str) -> None:
    """Record an account's latest password sign-in (shown on the lead's Accounts page)."""
    conn.execute("UPDATE users SET last_signin_at = ? WHERE name = ?", [at, name])


def users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every account without its hash, by role then name."""
    cur = conn.execute("SELECT name, role, agent, created_at, disabled, sso_email FROM users "
                       "ORDER BY role, name")
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def account_row(conn: sqlite3.Connection, name: str) -> Row | None:
    """(name, role, agent, disabled) of an account, or None."""
    return conn.execute("SELECT name, role, agent, disabled FROM users WHERE name = ?",
                        [name]).fetchone()


def other_enabled_leads(conn: sqlite3.Connection, name: str) -> int:
    """How many enabled leads there are besides ``name``."""
    return int(conn.execute("SELECT count(*) FROM users WHERE role = 'lead' AND disabled = 0 "
                            "AND name != ?", [name]).fetchone()[0])


def write_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    """Disable or enable an account, ending its sessions (the epoch in its tokens moves)."""
    conn.execute("UPDATE users SET disabled = ?, session_epoch = session_epoch + 1 "
                 "WHERE name = ?", [int(disabled), name])


def write_role(conn: sqlite3.Connection, name: str, role: str, agent: str | None) -> None:
    """Set an account's role and agent id."""
    conn.execute("UPDATE users SET role = ?, agent = ? WHERE name = ?", [role, agent, name])


def accounts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every account for the lead's page: name, role, agent, disabled (a bool), last sign-in,
    SSO e-mail, created; by role then name."""
    cur = conn.execute("SELECT name, role, agent, disabled, last_signin_at, sso_email, "
                       "created_at FROM users ORDER BY role, name")
    cols = [c[0] for c in cur.description]
    return [{**dict(zip(cols, row, strict=True)), "disabled": bool(row[3])} for row in cur]


def changes(conn: sqlite3.Connection, target: str | None) -> list[dict[str, Any]]:
    """The account-change trail (of one account, or all), newest first."""
    sql = "SELECT at, actor, action, target, before, after FROM account_changes"
    args: list[Any] = []
    if target is not None:
        sql, args = sql + " WHERE target = ?", [target]
    cur = conn.execute(sql + " ORDER BY id DESC", args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    """A value kept in ``meta``, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def keep_first_meta_value(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in ``meta`` unless a value is there already (so two
    processes starting at once agree on the first), in a transaction of its own."""
    with conn:
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [key, value])


def token_row(conn: sqlite3.Connection, name: str) -> Row | None:
    """(name, password_hash, session_epoch) of an enabled account, or None."""
    return conn.execute("SELECT name, password_hash, session_epoch FROM users "
                        "WHERE name = ? AND disabled = 0", [name]).fetchone()


def session_row(conn: sqlite3.Connection, name: str) -> Row | None:
    """(name, role, agent, password_hash, session_epoch) of an enabled account, or None."""
    return conn.execute("SELECT name, role, agent, password_hash, session_epoch FROM users "
                        "WHERE name = ? AND disabled = 0", [name]).fetchone()
