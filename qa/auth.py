"""Local accounts: Argon2 password hashes in the ``users`` table, and who is looking (Viewer).

Nothing here knows about Streamlit. The dashboard signs a person in with ``authenticate`` and
keeps the resulting ``Viewer`` in its session; every query in ``qa.queries`` takes that Viewer
and applies its role in SQL.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from qa import store

LEAD, COACH, AGENT = "lead", "coach", "agent"
ROLES = (LEAD, COACH, AGENT)
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password
# and the response time does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthError(ValueError):
    """A refused account change; the message says why."""


@dataclass(frozen=True)
class Viewer:
    """Who is reading: their account name, role and, for an agent, the agent id they are."""

    user: str
    role: str
    agent: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == AGENT and not self.agent:
            raise ValueError("an agent's account needs the agent id it belongs to")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; parameters stored in the hash)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str,
             agent: str | None = None) -> Viewer:
    """Create an account (the name must be new); returns its Viewer.

    Raises AuthError for a bad name, role, missing agent id or a short password.
    """
    if not _NAME.match(name):
        raise AuthError("a name is 1-100 letters, digits or . _ @ + - and starts with a "
                        "letter or digit")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if role == AGENT and not agent:
        raise AuthError("an agent account needs --agent AGENT_ID (the agent id on the calls)")
    if role != AGENT and agent:
        raise AuthError("--agent is only for agent accounts")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    try:
        with conn:
            conn.execute(
                "INSERT INTO users (name, role, agent, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)", [name, role, agent, hash_password(password),
                                           store.now()])
    except sqlite3.IntegrityError:
        raise AuthError(f"there is already an account named {name!r}") from None
    return Viewer(name, role, agent)


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> Viewer | None:
    """The Viewer for a correct name and password of an enabled account, else None."""
    row = conn.execute("SELECT name, role, agent, password_hash, disabled FROM users "
                       "WHERE name = ?", [name.strip()]).fetchone()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    user, role, agent, password_hash, disabled = row
    if not verify_password(password_hash, password) or disabled:
        return None
    if _hasher.check_needs_rehash(password_hash):
        with conn:  # hashing parameters were raised since: upgrade while we have the password
            conn.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                         [hash_password(password), user])
    return Viewer(user, role, agent)


def current(conn: sqlite3.Connection, viewer: Viewer) -> Viewer | None:
    """The account as the database has it now (role changes, disabling), or None if gone."""
    row = conn.execute("SELECT name, role, agent FROM users WHERE name = ? AND disabled = 0",
                       [viewer.user]).fetchone()
    return Viewer(*row) if row else None


def viewer_for_email(conn: sqlite3.Connection, email: str) -> Viewer | None:
    """The local account named like an OIDC identity's e-mail, if one exists and is enabled.

    Single sign-on proves who someone is; the role still comes from a local account.
    """
    row = conn.execute("SELECT name, role, agent FROM users WHERE name = ? AND disabled = 0",
                       [email]).fetchone()
    return Viewer(*row) if row else None


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every account without its hash, by role then name (``qa users list``)."""
    cur = conn.execute("SELECT name, role, agent, created_at, disabled FROM users "
                       "ORDER BY role, name")
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]
