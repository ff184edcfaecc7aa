"""Accounts under attack: the sign-in throttle (stored in the database, reserved before the
password is checked), the cap on concurrent password checks, the password policy, and single
sign-on by a verified, configured e-mail only. Everything runs on a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import auth, queries, store
from qa.auth import Viewer
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
WRONG = "not the password at all"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database with a lead, a coach and an agent account."""
    path = tmp_path / "qa.db"
    db = store.open_db(path)
    auth.add_user(db.conn, "lead", "lead", PASSWORD, sso_email="ana.lead@example.com")
    auth.add_user(db.conn, "coach", "coach", PASSWORD)
    auth.add_user(db.conn, "agent", "agent", PASSWORD, "maria.lopez")
    db.conn.close()
    return path


def attempt(path: Path, name: str, password: str, client: str) -> auth.SignIn:
    """One sign-in as the page makes it: a fresh connection per attempt."""
    conn = queries.connect(path)
    try:
        return auth.sign_in(conn, name, password, client)
    finally:
        conn.close()


def parallel(path: Path, tries: list[tuple[str, str, str]]) -> list[auth.SignIn]:
    """The attempts all at once, one thread each, released together."""
    results: list[auth.SignIn | None] = [None] * len(tries)
    start = threading.Barrier(len(tries))

    def run(i: int) -> None:
        start.wait()
        results[i] = attempt(path, *tries[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def plant(path: Path, name: str, client: str, ages: list[float], ok: int | None = 0) -> None:
    """Earlier attempts, ``ages`` seconds ago (the table the throttle reads)."""
    conn = queries.connect(path)
    with conn:
        conn.executemany("INSERT INTO signin_attempts (name, client, at, ok) VALUES (?, ?, ?, ?)",
                         [(name, client, time.time() - age, ok) for age in ages])
    conn.close()


# --- throttle -----------------------------------------------------------------------------------

def test_parallel_guesses_get_no_more_checks_than_allowed(db_path: Path) -> None:
    results = parallel(db_path, [("lead", f"{WRONG} {i}", "203.0.113.9") for i in range(20)])
    assert len(results) == 20
    assert {r.status for r in results} <= {auth.WRONG, auth.THROTTLED, auth.BUSY}
    checked = sum(r.checked for r in results)
    assert 1 <= checked <= auth.FREE_FAILURES
    assert sum(r.status == auth.WRONG for r in results) == checked
    conn = queries.connect(db_path)
    assert conn.execute("SELECT count(*) FROM signin_attempts").fetchone()[0] == checked
    # The lead, from another client, signs in at once; the guesser, even with the right
    # password, is told to wait.
    assert attempt(db_path, "lead", PASSWORD, "198.51.100.4").viewer == Viewer("lead", "lead")
    if checked == auth.FREE_FAILURES:
        late = attempt(db_path, "lead", PASSWORD, "203.0.113.9")
        assert late.status == auth.THROTTLED and not late.checked
        assert 0 < late.retry_after <= auth.BASE_DELAY


def test_throttle_is_in_the_database_and_survives_a_restart(db_path: Path) -> None:
    for _ in range(auth.FREE_FAILURES):
        assert attempt(db_path, "coach", WRONG, "203.0.113.9").status == auth.WRONG
    # Another process (a second server, or the same one restarted) sees the same failures.
    code = ("import sys; from qa import auth, queries; "
            "r = auth.sign_in(queries.connect(sys.argv[1]), 'COACH ', sys.argv[2], "
            "'203.0.113.9'); print(r.status)")
    out = subprocess.run([sys.executable, "-c", code, str(db_path), PASSWORD], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == auth.THROTTLED


def test_delay_grows_with_each_failure_and_a_success_resets_it(db_path: Path) -> None:
    client = "203.0.113.9"
    # Six failures, the last 40 s ago: the sixth earned a 60 s wait, 20 s of it left.
    plant(db_path, "coach", client, [500, 400, 300, 200, 100, 40])
    result = attempt(db_path, "coach", PASSWORD, client)
    assert result.status == auth.THROTTLED and 15 < result.retry_after <= 20
    # Seven failures, the last 100 s ago: the wait doubled to 120 s, 20 s of it left.
    plant(db_path, "agent", client, [600, 500, 400, 300, 200, 150, 100])
    assert 15 < attempt(db_path, "agent", PASSWORD, client).retry_after <= 20
    # Refused attempts are not checked and do not count: waiting it out is enough.
    assert queries.connect(db_path).execute(
        "SELECT count(*) FROM signin_attempts").fetchone()[0] == 13
    # The delay stops growing at MAX_DELAY.
    plant(db_path, "x.many", client, [2000 - i for i in range(30)])
    capped = attempt(db_path, "x.many", PASSWORD, client).retry_after
    assert auth.MAX_DELAY - 2000 < capped <= auth.MAX_DELAY
    # Once the wait is over the right password works, and resets the count for that client.
    plant(db_path, "lead", client, [2000, 1900, 1800, 1700, 1600, 1500])
    assert attempt(db_path, "lead", PASSWORD, client).status == auth.SIGNED_IN
    assert attempt(db_path, "lead", WRONG, client).status == auth.WRONG


def test_a_client_trying_many_names_runs_out_of_budget(db_path: Path) -> None:
    client = "203.0.113.9"
    for i in range(auth.CLIENT_BUDGET):
        plant(db_path, f"name{i}", client, [60.0 + i])
    blocked = attempt(db_path, "coach", PASSWORD, client)
    assert blocked.status == auth.THROTTLED and not blocked.checked
    assert auth.CLIENT_WINDOW - 100 < blocked.retry_after <= auth.CLIENT_WINDOW
    # The budget is the client's: the coach elsewhere is not affected.
    assert attempt(db_path, "coach", PASSWORD, "198.51.100.4").status == auth.SIGNED_IN


def test_unknown_names_are_throttled_like_real_ones(db_path: Path) -> None:
    for _ in range(auth.FREE_FAILURES):
        assert attempt(db_path, "nobody", WRONG, "203.0.113.9").status == auth.WRONG
    assert attempt(db_path, "nobody", WRONG, "203.0.113.9").status == auth.THROTTLED


_MEMORY_PROBE = """
import json, sys, threading
from qa import auth, queries

def rss(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise LookupError(field)

path = sys.argv[1]
base = rss('VmRSS:')
active = peak = 0
lock = threading.Lock()
real = auth.authenticate

def counted(*args):
    global active, peak
    with lock:
        active += 1
        peak = max(peak, active)
    try:
        return real(*args)
    finally:
        with lock:
            active -= 1

auth.authenticate = counted  # counts checks in flight; the checks themselves are real
start = threading.Barrier(20)
results = []

def run(i):
    start.wait()
    results.append(auth.sign_in(queries.connect(path), 'lead', 'wrong password %d' % i,
                                '192.0.2.%d' % i).status)

threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"growth": rss('VmHWM:') - base, "concurrent": peak, "results": results}))
"""


def test_concurrent_password_checks_are_capped_and_memory_stays_bounded(db_path: Path) -> None:
    # Twenty clients at once, each within its own limits: only the cap holds them back.
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(db_path)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    probe = json.loads(out)
    assert probe["concurrent"] <= auth.MAX_CONCURRENT_CHECKS
    assert set(probe["results"]) <= {auth.WRONG, auth.BUSY}
    assert auth.WRONG in probe["results"]
    mib = 1024 * 1024
    # One Argon2 check holds 64 MiB; some allocator slack on top.
    assert probe["growth"] <= auth.MAX_CONCURRENT_CHECKS * 64 * mib + 48 * mib, probe


# --- password policy ----------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "password", " " * 8, "\0" * 8, " " * 12, "\0" * 12, "password12", "Password123!",
    "password password", "qwertyuiop", "1234567890", "aaaaaaaaaaaa", "abababababab",
    "passwordpasswordpassword", "correct\0horse battery", "short1!", "x" * 2000, "coach coach"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(auth.AuthError):
        auth.check_password(password, "coach")


def test_users_add_and_passwd_apply_the_policy(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    run = CliRunner().invoke
    for weak in ["password", " " * 8, "\0" * 8, "Password123!"]:
        result = run(main, ["users", "add", "ana", "--role", "lead", "--db", db],
                     input=weak + "\n")
        assert result.exit_code != 0, weak
    assert run(main, ["users", "list", "--db", db]).output.startswith("no accounts")
    assert run(main, ["users", "add", "ana", "--role", "lead", "--db", db],
               input=PASSWORD + "\n").exit_code == 0
    result = run(main, ["users", "passwd", "ana", "--db", db], input="changeme123\n")
    assert result.exit_code != 0 and "common" in result.output
    result = run(main, ["users", "passwd", "ana", "--db", db], input="a fresh long one\n")
    assert result.exit_code == 0, result.output
    assert auth.authenticate(queries.connect(db), "ana", "a fresh long one") == Viewer(
        "ana", "lead")


# --- single sign-on -----------------------------------------------------------------------------

def claims(email: object, verified: object = True) -> dict[str, object]:
    """An OIDC identity as Streamlit's st.user gives it."""
    return {"is_logged_in": True, "email": email, "email_verified": verified}


def test_sso_needs_a_verified_email_mapped_to_the_account(db_path: Path) -> None:
    conn = queries.connect(db_path)
    lead = Viewer("lead", "lead")
    assert auth.viewer_for_sso(conn, claims("ana.lead@example.com")) == lead
    assert auth.viewer_for_sso(conn, claims("Ana.Lead@Example.com", "true")) == lead
    for refused in [claims("ana.lead@example.com", False),  # not verified
                    claims("ana.lead@example.com", "false"),
                    claims("ana.lead@example.com", None),  # no claim at all
                    {"is_logged_in": True, "email": "ana.lead@example.com"},
                    claims("lead"), claims("LEAD"), claims("coach"),  # account names
                    claims("lead@example.com"), claims("ana.lead@example.com.evil.test"),
                    claims(None), claims(""),
                    {**claims("ana.lead@example.com"), "is_logged_in": False}]:
        assert auth.viewer_for_sso(conn, refused) is None, refused
    assert auth.sso_identity(claims("ana.lead@example.com", False))[1] is not None
    conn.execute("UPDATE users SET disabled = 1 WHERE name = 'lead'")
    conn.commit()
    assert auth.viewer_for_sso(conn, claims("ana.lead@example.com")) is None


def test_sso_mapping_is_set_from_the_cli(db_path: Path) -> None:
    run = CliRunner().invoke
    db = str(db_path)
    conn = queries.connect(db_path)
    assert auth.viewer_for_sso(conn, claims("coach@example.com")) is None
    assert run(main, ["users", "sso", "coach", "coach@example.com", "--db", db]).exit_code == 0
    assert auth.viewer_for_sso(conn, claims("coach@example.com")) == Viewer("coach", "coach")
    # One e-mail, one account.
    result = run(main, ["users", "sso", "agent", "coach@example.com", "--db", db])
    assert result.exit_code != 0 and "already" in result.output
    result = run(main, ["users", "add", "sam", "--role", "coach", "--sso-email",
                        "ana.lead@example.com", "--db", db], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "already" in result.output
    assert run(main, ["users", "sso", "coach", "--db", db]).exit_code == 0
    assert auth.viewer_for_sso(conn, claims("coach@example.com")) is None
    assert "sso ana.lead@example.com" in run(main, ["users", "list", "--db", db]).output
