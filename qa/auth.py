"""Local accounts: Argon2 password hashes in the ``users`` table, and who is looking (Viewer).

Nothing here knows about Streamlit. The dashboard signs a person in with ``sign_in`` and keeps
the resulting ``Viewer`` in its session; every query in ``qa.queries`` takes that Viewer and
applies its role in SQL.

Guessing is slowed by a throttle kept in the database (``signin_attempts``), so it holds across
server processes and restarts: an attempt is reserved in one ``BEGIN IMMEDIATE`` transaction
*before* the password is checked, so parallel attempts see each other. Failures slow down the
client that makes them (per name and client, and a budget per client across names), never the
account itself, so nobody can keep the lead out by failing on the lead's name elsewhere. At most
``MAX_CONCURRENT_CHECKS`` password checks (64 MiB of memory each) run at once in a process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from qa import store
from qa.store import accounts

if TYPE_CHECKING:
    from argon2 import PasswordHasher

LEAD, COACH, AGENT = "lead", "coach", "agent"
ROLES = (LEAD, COACH, AGENT)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # longer input is refused unhashed: it costs time, proves nothing

# The sign-in throttle. A name may fail FREE_FAILURES times from one client; each further
# attempt from that client waits BASE_DELAY doubled per extra failure, up to MAX_DELAY, until
# a success from that client. A client may fail CLIENT_BUDGET times per CLIENT_WINDOW across
# all names (so trying many names does not reset the brake).
FREE_FAILURES = 5
BASE_DELAY = 30.0
MAX_DELAY = 900.0
CLIENT_BUDGET = 20
CLIENT_WINDOW = 900.0
FAILURE_MEMORY = 86400.0  # failures older than a day are forgotten (and deleted)
# Each Argon2 check takes 64 MiB and a core for a fraction of a second: at most this many at
# once per process; an attempt that finds no free slot within BUSY_WAIT seconds is told to retry.
MAX_CONCURRENT_CHECKS = 2
BUSY_WAIT = 5.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")



@cache
def _hasher() -> PasswordHasher:
    """The Argon2 hasher, made on first use: every ``qa`` command imports this module, and
    only signing in and account changes hash a password."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong
    password and the response time does not tell which names exist. Made on first use: one
    hash costs a good part of a second, which every ``qa`` command paid at import."""
    return _hasher().hash("not-a-real-password")


_checks = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)

# What sign_in can answer.
SIGNED_IN, WRONG, THROTTLED, BUSY = "signed in", "wrong", "throttled", "busy"


class AuthError(ValueError):
    """A refused account change; the message says why."""


class AccessDenied(PermissionError):
    """The viewer's role may not manage accounts."""


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
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str,
             agent: str | None = None, sso_email: str | None = None) -> Viewer:
    """Create an account (the name must be new); returns its Viewer. ``sso_email``: the
    e-mail a verified single sign-on identity must have to sign in as this account.

    Raises AuthError for a bad name, role, missing agent id, an e-mail already mapped or a
    password the policy refuses (``check_password``).
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
    check_password(password, name)
    email = check_sso_email(sso_email) if sso_email is not None else None
    try:
        with conn:
            accounts.insert_user(conn, name, role, agent, hash_password(password),
                                 store.now(), email)
            _record(conn, f"{OPERATOR.user}:{_os_user()}", "create", name, None,
                    {"role": role, "agent": agent, "sso_email": email})
    except sqlite3.IntegrityError as exc:
        if "sso_email" in str(exc):
            raise AuthError(f"another account already signs in as {email!r}") from None
        raise AuthError(f"there is already an account named {name!r}") from None
    return Viewer(name, role, agent)


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    """Replace an account's password (the same policy as a new one); LookupError if no such
    account."""
    check_password(password, name)
    with conn:
        changed = accounts.write_password_hash(conn, name, hash_password(password))
    if not changed:
        raise LookupError(f"no account named {name!r}")


def set_sso_email(conn: sqlite3.Connection, name: str, email: str | None) -> None:
    """Map a single sign-on e-mail to an account (None removes the mapping)."""
    value = check_sso_email(email) if email is not None else None
    try:
        with conn:
            before = accounts.sso_email_row(conn, name)
            changed = accounts.write_sso_email(conn, name, value)
            if changed and before is not None and before[0] != value:
                _record(conn, f"{OPERATOR.user}:{_os_user()}", "set-sso", name,
                        {"sso_email": before[0]}, {"sso_email": value})
    except sqlite3.IntegrityError:
        raise AuthError(f"another account already signs in as {value!r}") from None
    if not changed:
        raise LookupError(f"no account named {name!r}")


# --- password policy --------------------------------------------------------------------------

@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow, normalised like ``_core``."""
    text = resources.files("qa").joinpath("data/common_passwords.txt").read_text("utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(_core(w) or w.casefold() for w in words if w and not w.startswith("#"))


def _core(password: str) -> str:
    """The password as a guesser's list would have it: lower case, no spaces, without the
    digits and symbols people add at either end ("Password123!" -> "password")."""
    squeezed = "".join(password.casefold().split())
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", squeezed)


def check_password(password: str, name: str = "") -> None:
    """Raise AuthError when ``password`` breaks the policy: at least MIN_PASSWORD_LENGTH
    characters, no control characters, not only spaces, at least four different characters,
    not the account name and not (a repetition of) a common password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in password):
        raise AuthError("the password may not contain control or invisible characters")
    if not password.strip() or len(set(password.casefold())) < 4:
        raise AuthError("the password needs at least four different characters, "
                        "not only spaces")
    squeezed = "".join(password.casefold().split())
    core = _core(password) or squeezed
    unit = _unit(core)  # "passwordpassword" -> "password"
    common = common_passwords()
    if squeezed in common or core in common or unit in common or len(unit) <= 3:
        raise AuthError("that password is on the list of common passwords: choose another")
    if name and unit in {name.casefold(), _core(name)}:
        raise AuthError("the password may not be the account name")


def _unit(text: str) -> str:
    """The shortest piece ``text`` is a repetition of (itself when it repeats nothing)."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def check_sso_email(email: str) -> str:
    """The e-mail address as stored for single sign-on; AuthError if it is not one."""
    value = email.strip()
    if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+", value) or len(value) > 254:
        raise AuthError(f"{email!r} is not an e-mail address")
    return value


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> Viewer | None:
    """The Viewer for a correct name and password of an enabled account, else None.

    No throttle and no concurrency cap: the dashboard calls ``sign_in``, which wraps this.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    row = accounts.password_row(conn, name.strip())
    if row is None:
        verify_password(_dummy_hash(), password)
        return None
    user, role, agent, password_hash, disabled = row
    if not verify_password(password_hash, password) or disabled:
        return None
    if _hasher().check_needs_rehash(password_hash):
        with conn:  # hashing parameters were raised since: upgrade while we have the password
            accounts.write_password_hash(conn, user, hash_password(password))
    return Viewer(user, role, agent)


def current(conn: sqlite3.Connection, viewer: Viewer) -> Viewer | None:
    """The account as the database has it now (role changes, disabling), or None if gone."""
    row = accounts.enabled_account(conn, viewer.user)
    return Viewer(*row) if row else None


def sso_identity(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(verified e-mail, None) for a signed-in OIDC identity whose provider says the e-mail is
    verified, else (None, why not). ``claims``: the identity's claims (Streamlit's st.user)."""
    if not claims.get("is_logged_in", True):
        return None, "not signed in"
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return None, "the identity provider gave no e-mail address"
    verified = claims.get("email_verified")
    # Some providers send the claim as the string "true"; anything else is not verified.
    if not (verified is True or (isinstance(verified, str) and verified.lower() == "true")):
        return None, f"the identity provider has not verified {email.strip()!r}"
    return email.strip(), None


def viewer_for_sso(conn: sqlite3.Connection, claims: Mapping[str, Any]) -> Viewer | None:
    """The enabled account whose configured ``sso_email`` is exactly the identity's verified
    e-mail (letter case aside, as mail providers treat it), else None.

    Single sign-on proves who someone is; the role still comes from a local account, and only
    an e-mail a lead mapped to it counts: the account's name is never compared.
    """
    email, _ = sso_identity(claims)
    if email is None:
        return None
    row = accounts.account_for_sso_email(conn, email)
    return Viewer(*row) if row else None


# --- throttled sign-in ------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: ``status`` is SIGNED_IN (with ``viewer``), WRONG,
    THROTTLED or BUSY (both with ``retry_after`` seconds); ``checked`` says whether a password
    was actually checked."""

    status: str
    viewer: Viewer | None = None
    retry_after: float = 0.0
    checked: bool = False


def _key(name: str) -> str:
    return name.strip().lower()[:200]


def _wait_needed(conn: sqlite3.Connection, name: str, client: str, at: float) -> float:
    """Seconds this client must still wait before trying ``name`` again (0: go ahead).

    Reserved attempts whose outcome is not recorded yet count as failures, so attempts in
    flight at once cannot all slip under the limit.
    """
    since = at - FAILURE_MEMORY
    row = accounts.failures_since_success(conn, name, client, since)
    failures, last = row[0], row[1]
    wait = 0.0
    if failures >= FREE_FAILURES:
        delay = min(MAX_DELAY, BASE_DELAY * 2 ** (failures - FREE_FAILURES))
        wait = max(wait, last + delay - at)
    recent = accounts.client_failures(conn, client, at - CLIENT_WINDOW)
    if recent[0] >= CLIENT_BUDGET:
        # The budget frees up as the oldest failures in the window age out of it.
        oldest = accounts.client_failure_at(conn, client, at - CLIENT_WINDOW,
                                            recent[0] - CLIENT_BUDGET)
        wait = max(wait, oldest + CLIENT_WINDOW - at)
    return max(0.0, wait)


def _reserve(conn: sqlite3.Connection, name: str, client: str) -> tuple[int | None, float]:
    """Atomically: (attempt id, 0) when this attempt may check a password, else (None, seconds
    to wait). The check and the reservation are one write transaction, so two attempts can
    never both see room for one."""
    at = time.time()
    accounts.begin(conn)
    try:
        accounts.forget_attempts(conn, at - FAILURE_MEMORY)
        wait = _wait_needed(conn, name, client, at)
        attempt = None
        if wait <= 0:
            attempt = accounts.insert_attempt(conn, name, client, at)
        accounts.commit(conn)
    except BaseException:
        accounts.rollback(conn)
        raise
    return attempt, wait


def sign_in(conn: sqlite3.Connection, name: str, password: str,
            client: str | None) -> SignIn:
    """Sign in by name and password from ``client`` (the caller's address), throttled.

    The order matters: a free checking slot (else BUSY), then a reserved attempt in the
    database (else THROTTLED), then the Argon2 check, then its outcome recorded. ``conn``
    must not be inside a transaction.
    """
    key, who_from = _key(name), (client or "unknown")[:200]
    if not _checks.acquire(timeout=BUSY_WAIT):
        return SignIn(BUSY, retry_after=BUSY_WAIT)
    try:
        attempt, wait = _reserve(conn, key, who_from)
        if attempt is None:
            return SignIn(THROTTLED, retry_after=wait)
        viewer = None
        try:
            viewer = authenticate(conn, name, password)
        finally:
            with conn:  # an attempt left unrecorded (a crash) still counts as a failure
                accounts.attempt_outcome(conn, attempt, viewer is not None)
    finally:
        _checks.release()
    if viewer is None:
        return SignIn(WRONG, checked=True)
    with conn:  # shown on the lead's Accounts page
        accounts.signed_in(conn, viewer.user, store.now())
    return SignIn(SIGNED_IN, viewer, checked=True)


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every account without its hash, by role then name (``qa users list``)."""
    return accounts.users(conn)


# --- account management (the lead's Accounts page and qa users) --------------------------------

# Who acts when a command is run from a shell: whoever can open the database file can change it
# directly anyway, so the CLI acts as a lead. Recognised by identity (``is``), never by name, so
# an account that happens to be called "qa-cli" gains nothing from it.
OPERATOR = Viewer("qa-cli", LEAD)


def _acting_lead(conn: sqlite3.Connection, who: Viewer) -> str:
    """The name to record as the actor when ``who`` may manage accounts, else AccessDenied.

    The account is re-read, so a lead demoted or disabled since the page rendered is refused.
    """
    if who is OPERATOR:
        return f"{OPERATOR.user}:{_os_user()}"
    fresh = current(conn, who) if isinstance(who, Viewer) else None
    if fresh is None or fresh.role != LEAD or who.role != LEAD:
        raise AccessDenied("only a lead can manage accounts")
    return fresh.user


def _os_user() -> str:
    """The operating-system user running the CLI (for the audit trail), or "unknown"."""
    try:
        import getpass
        return getpass.getuser()
    except (ImportError, KeyError, OSError):
        return "unknown"


def _record(conn: sqlite3.Connection, actor: str, action: str, target: str,
            before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """Append one account change to the audit trail (inside the caller's transaction), as
    action ``account.<action>``. ``before``/``after`` hold the changed fields, never a
    password or its hash."""
    store.audit(conn, actor, f"account.{action}", target=target,
                before=None if before is None else dict(before),
                after=None if after is None else dict(after))


def _account(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    """The stored account (exact stored name, role, agent, disabled), or LookupError."""
    row = accounts.account_row(conn, name.strip())
    if row is None:
        raise LookupError(f"no account named {name!r}")
    return {"name": row[0], "role": row[1], "agent": row[2], "disabled": bool(row[3])}


def _other_enabled_leads(conn: sqlite3.Connection, name: str) -> int:
    return accounts.other_enabled_leads(conn, name)


def _begin(conn: sqlite3.Connection) -> None:
    """Take the write lock before reading, so two leads changing accounts at once cannot both
    pass the last-lead check."""
    if conn.in_transaction:  # committing someone else's half-done work here would be wrong
        raise RuntimeError("account changes need a connection outside a transaction")
    accounts.begin(conn)


_Update = Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]


def _change(conn: sqlite3.Connection, who: Viewer, name: str, action: str,
            update: _Update) -> dict[str, Any]:
    """Run one account change as a lead: lock, check the actor, read the account, let
    ``update(account)`` change it and return (before, after), record it, commit."""
    _begin(conn)
    try:
        actor = _acting_lead(conn, who)
        account = _account(conn, name)
        before, after = update(account)
        if before != after:
            _record(conn, actor, action, account["name"], before, after)
        accounts.commit(conn)
    except BaseException:
        if conn.in_transaction:
            accounts.rollback(conn)
        raise
    return after


def set_disabled(conn: sqlite3.Connection, who: Viewer, name: str, disabled: bool) -> None:
    """Disable or enable an account (lead only). Disabling signs it out everywhere: its
    session tokens stop working and the dashboard refuses it on its next interaction.

    AuthError when this would leave no enabled lead; LookupError if there is no such account.
    """
    def update(account: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        if account["disabled"] == disabled:
            return {"disabled": disabled}, {"disabled": disabled}
        if disabled and account["role"] == LEAD and not _other_enabled_leads(
                conn, account["name"]):
            raise AuthError(f"{account['name']!r} is the last enabled lead: enable or make "
                            "another lead first")
        accounts.write_disabled(conn, account["name"], disabled)
        return {"disabled": account["disabled"]}, {"disabled": disabled}

    _change(conn, who, name, "disable" if disabled else "enable", update)


def set_role(conn: sqlite3.Connection, who: Viewer, name: str, role: str,
             agent: str | None = None) -> None:
    """Change an account's role (lead only); an agent role needs the agent id on their calls.

    AuthError for a bad role, a missing or needless agent id, or demoting the last enabled
    lead; LookupError if there is no such account.
    """
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    agent = (agent or "").strip() or None
    if role == AGENT and not agent:
        raise AuthError("an agent account needs the agent id on their calls (--agent)")
    if role != AGENT and agent:
        raise AuthError("an agent id is only for agent accounts")

    def update(account: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        before = {"role": account["role"], "agent": account["agent"]}
        after = {"role": role, "agent": agent}
        if before == after:
            return before, after
        if (account["role"] == LEAD and role != LEAD and not account["disabled"]
                and not _other_enabled_leads(conn, account["name"])):
            raise AuthError(f"{account['name']!r} is the last enabled lead: make another "
                            "lead first")
        accounts.write_role(conn, account["name"], role, agent)
        return before, after

    _change(conn, who, name, "set-role", update)


def reset_password(conn: sqlite3.Connection, who: Viewer, name: str, password: str) -> None:
    """Give an account a new password (lead only; the password policy applies). Its session
    tokens stop working, since they carry the old password hash's generation.

    AuthError for a password the policy refuses; LookupError if there is no such account.
    """
    _acting_lead(conn, who)  # first, so a refused viewer learns nothing about the account
    account = _account(conn, name)
    check_password(password, account["name"])
    new_hash = hash_password(password)  # before the lock: hashing takes a while

    def update(account: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        accounts.write_password_hash(conn, account["name"], new_hash)
        return {"password": "old"}, {"password": "reset"}

    _change(conn, who, name, "reset-password", update)


def list_accounts(conn: sqlite3.Connection, who: Viewer) -> list[dict[str, Any]]:
    """Every account for a lead: name, role, agent id, disabled, last password sign-in
    (None if never or not recorded), SSO e-mail. AccessDenied for anyone else."""
    _acting_lead(conn, who)
    return accounts.accounts(conn)


def account_changes(conn: sqlite3.Connection, who: Viewer,
                    target: str | None = None) -> list[dict[str, Any]]:
    """The audit trail of account changes, newest first (lead only)."""
    _acting_lead(conn, who)
    return accounts.changes(conn, target)


# --- sessions that survive a reload --------------------------------------------------------------

# How long a sign-in lasts in the browser, in hours: QA_SESSION_HOURS, else this default.
DEFAULT_SESSION_HOURS = 12.0
TOKEN_PREFIX = "v1"
_SESSION_KEY = "session_key"


def session_seconds() -> int:
    """The session length in seconds (the one setting: $QA_SESSION_HOURS, default 12 h)."""
    raw = os.environ.get("QA_SESSION_HOURS", "")
    try:
        hours = float(raw) if raw.strip() else DEFAULT_SESSION_HOURS
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    if not 0 < hours <= 24 * 90:  # nonsense (or a typo like 0) falls back to the default
        hours = DEFAULT_SESSION_HOURS
    return int(hours * 3600)


def _session_secret(conn: sqlite3.Connection) -> bytes:
    """The key that signs session tokens: 32 random bytes kept in ``meta``, made on first use.
    INSERT OR IGNORE then read back, so two processes starting at once agree on one key."""
    value = accounts.meta_value(conn, _SESSION_KEY)
    if value is None:
        accounts.keep_first_meta_value(conn, _SESSION_KEY, secrets.token_bytes(32).hex())
        value = accounts.meta_value(conn, _SESSION_KEY)
    assert value is not None  # just stored, and meta rows are never deleted
    return bytes.fromhex(value)


def _generation(password_hash: str, epoch: int) -> str:
    """A short digest of what must not change under a live session: the password hash and the
    counter bumped on every disable or enable."""
    return hashlib.sha256(f"{password_hash}|{epoch}".encode()).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def issue_token(conn: sqlite3.Connection, viewer: Viewer, now: float | None = None) -> str:
    """A signed session token for an enabled account: ``v1.<payload>.<HMAC-SHA256>``.

    The payload holds the account name, issue time, expiry (``session_seconds``) and the
    account's generation, so a password change, disable or enable invalidates it. It carries
    no role: the role is read from the account whenever the token is used.
    """
    row = accounts.token_row(conn, viewer.user)
    if row is None:
        raise LookupError(f"no enabled account named {viewer.user!r}")
    issued = int(time.time() if now is None else now)
    payload = {"u": row[0], "iat": issued, "exp": issued + session_seconds(),
               "g": _generation(row[1], row[2])}
    body = TOKEN_PREFIX + "." + _b64(json.dumps(payload, separators=(",", ":")).encode())
    return body + "." + _mac(_session_secret(conn), body)


def viewer_for_token(conn: sqlite3.Connection, token: str | None,
                     now: float | None = None) -> Viewer | None:
    """The Viewer a session token stands for, or None when it is malformed, forged, expired,
    issued in the future, or its account is gone, disabled or changed its password since."""
    if not isinstance(token, str) or len(token) > 2048:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    body = parts[0] + "." + parts[1]
    if not hmac.compare_digest(_mac(_session_secret(conn), body).encode(),
                               parts[2].encode("ascii", "replace")):
        return None
    try:
        payload = json.loads(_unb64(parts[1]))
        name, issued, expires, generation = (payload["u"], int(payload["iat"]),
                                             int(payload["exp"]), str(payload["g"]))
    except (ValueError, TypeError, KeyError):
        return None
    at = time.time() if now is None else now
    if not isinstance(name, str) or not issued - 60 <= at < expires:
        return None
    row = accounts.session_row(conn, name)
    if row is None or row[0] != name:
        return None
    if not hmac.compare_digest(_generation(row[3], row[4]), generation):
        return None
    try:
        return Viewer(row[0], row[1], row[2])
    except ValueError:
        return None
