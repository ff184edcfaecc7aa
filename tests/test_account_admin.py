"""Managing accounts: disable, enable, role changes and password resets from the CLI, the
library and the lead's Accounts page; the last enabled lead kept; every change in the
append-only account_changes trail; signed session tokens that a password change, a disable or
any tampering invalidates. Real SQLite files throughout."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import auth, queries, store
from qa.auth import OPERATOR, Viewer
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new secret"
LEAD, COACH, AGENT = Viewer("lead", "lead"), Viewer("coach", "coach"), Viewer(
    "agent", "agent", "maria.lopez")


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with a lead, a coach and an agent account; the dashboard points at it."""
    path = tmp_path / "qa.db"
    db = store.open_db(path)
    auth.add_user(db.conn, "lead", "lead", PASSWORD)
    auth.add_user(db.conn, "coach", "coach", PASSWORD)
    auth.add_user(db.conn, "agent", "agent", PASSWORD, "maria.lopez")
    db.conn.close()
    monkeypatch.setenv("QA_DB", str(path))
    monkeypatch.setenv("QA_SCORE_ROOT", str(tmp_path))
    return path


def users(path: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(path)
    try:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT name, role, agent, disabled FROM users")}
    finally:
        conn.close()


def changes(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT actor, action, target, before, after FROM account_changes "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()


def cli(path: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["users", *args, "--db", str(path)], input=stdin)
    return result.exit_code, result.output


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_disable_enable_and_set_role(db_path: Path) -> None:
    assert cli(db_path, "disable", "coach")[0] == 0
    assert users(db_path)["coach"] == ("coach", None, 1)
    assert "\tdisabled" in cli(db_path, "list")[1]
    assert auth.authenticate(queries.connect(db_path), "coach", PASSWORD) is None
    assert cli(db_path, "enable", "COACH")[0] == 0  # names are not case-sensitive
    assert users(db_path)["coach"][2] == 0
    # An agent role needs an agent id; other roles take none.
    code, out = cli(db_path, "set-role", "coach", "agent")
    assert code != 0 and "agent id" in out
    code, out = cli(db_path, "set-role", "agent", "coach", "--agent", "maria.lopez")
    assert code != 0 and "only for agent" in out
    assert cli(db_path, "set-role", "coach", "agent", "--agent", "sam.lee")[0] == 0
    assert users(db_path)["coach"] == ("agent", "sam.lee", 0)
    assert cli(db_path, "set-role", "agent", "lead")[0] == 0
    assert users(db_path)["agent"] == ("lead", None, 0)
    code, out = cli(db_path, "disable", "nobody")
    assert code != 0 and "no account" in out
    trail = changes(db_path)
    acted = [(a, t, json.loads(b), json.loads(f)) for _, a, t, b, f in trail
             if a != "create"]
    assert acted == [
        ("disable", "coach", {"disabled": False}, {"disabled": True}),
        ("enable", "coach", {"disabled": True}, {"disabled": False}),
        ("set-role", "coach", {"role": "coach", "agent": None},
         {"role": "agent", "agent": "sam.lee"}),
        ("set-role", "agent", {"role": "agent", "agent": "maria.lopez"},
         {"role": "lead", "agent": None}),
    ]
    assert all(actor.startswith("qa-cli:") for actor, *_ in trail)


def test_cli_keeps_the_last_enabled_lead(db_path: Path) -> None:
    code, out = cli(db_path, "disable", "lead")
    assert code != 0 and "last enabled lead" in out
    code, out = cli(db_path, "set-role", "lead", "coach")
    assert code != 0 and "last enabled lead" in out
    assert users(db_path)["lead"] == ("lead", None, 0)
    # With a second lead, either may go, but not both.
    assert cli(db_path, "set-role", "coach", "lead")[0] == 0
    assert cli(db_path, "disable", "lead")[0] == 0
    code, out = cli(db_path, "set-role", "coach", "agent", "--agent", "x")
    assert code != 0 and "last enabled lead" in out
    # A disabled lead does not count as the one left; enabling it again makes two.
    assert cli(db_path, "enable", "lead")[0] == 0
    assert cli(db_path, "set-role", "coach", "coach")[0] == 0
    assert [r for r in users(db_path).values() if r[0] == "lead" and not r[2]] == [
        ("lead", None, 0)]
    assert not any(a == "disable" and t == "coach" for _, a, t, _, _ in changes(db_path))


def test_cli_reset_password_reads_stdin_and_applies_the_policy(db_path: Path) -> None:
    code, out = cli(db_path, "reset-password", "coach", "--password-stdin",
                    stdin="Password123!\n")
    assert code != 0 and "common" in out
    code, out = cli(db_path, "reset-password", "coach", "--password-stdin", stdin="coach coach\n")
    assert code != 0
    # Without a terminal and without --password-stdin it asks for the flag, not a guess.
    code, out = cli(db_path, "reset-password", "coach", stdin=NEW_PASSWORD + "\n")
    assert code != 0 and "--password-stdin" in out
    conn = queries.connect(db_path)
    token = auth.issue_token(conn, COACH)
    code, out = cli(db_path, "reset-password", "coach", "--password-stdin",
                    stdin=NEW_PASSWORD + "\n")
    assert code == 0, out
    assert auth.authenticate(conn, "coach", NEW_PASSWORD) == COACH
    assert auth.authenticate(conn, "coach", PASSWORD) is None
    assert auth.viewer_for_token(conn, token) is None  # sessions end with the old password
    row = changes(db_path)[-1]
    assert row[1:3] == ("reset-password", "coach")
    assert PASSWORD not in str(row) and NEW_PASSWORD not in str(row) and "argon2" not in str(row)
    # The older passwd command is the same change, audited the same way.
    assert cli(db_path, "passwd", "coach", stdin=PASSWORD + "\n")[0] == 0
    assert changes(db_path)[-1][1] == "reset-password"


def test_account_changes_are_append_only(db_path: Path) -> None:
    assert cli(db_path, "disable", "coach")[0] == 0
    conn = sqlite3.connect(db_path)
    before = conn.execute("SELECT * FROM account_changes").fetchall()
    assert len(before) == 4  # three accounts created, one disabled
    for sql in ["UPDATE account_changes SET actor = 'someone else'",
                "DELETE FROM account_changes", "DELETE FROM account_changes WHERE id = 1"]:
        with pytest.raises(sqlite3.DatabaseError, match=r"append-only|it is a view"):
            conn.execute(sql)
    for sql in ["UPDATE audit_log SET actor = 'someone else' WHERE action LIKE 'account.%'",
                "DELETE FROM audit_log WHERE action LIKE 'account.%'"]:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    assert conn.execute("SELECT * FROM account_changes").fetchall() == before
    conn.close()


# --- the library checks the role where the change is made -------------------------------------

def test_only_a_current_lead_can_manage_accounts(db_path: Path) -> None:
    conn = queries.connect(db_path)
    for who in (COACH, AGENT, Viewer("qa-cli", "lead"), Viewer("ghost", "lead")):
        for change in (lambda w: auth.set_disabled(conn, w, "agent", True),
                       lambda w: auth.set_role(conn, w, "coach", "lead"),
                       lambda w: auth.reset_password(conn, w, "lead", NEW_PASSWORD),
                       lambda w: auth.list_accounts(conn, w),
                       lambda w: auth.account_changes(conn, w)):
            with pytest.raises(auth.AccessDenied):
                change(who)
    assert users(db_path)["coach"][0] == "coach" and users(db_path)["agent"][2] == 0
    assert auth.authenticate(conn, "lead", PASSWORD) == LEAD
    # A lead acts; a lead's Viewer from before a demotion (a stale session) does not.
    auth.set_role(conn, LEAD, "coach", "lead")
    auth.set_role(conn, Viewer("coach", "lead"), "lead", "coach")
    with pytest.raises(auth.AccessDenied):
        auth.set_disabled(conn, LEAD, "agent", True)
    assert changes(db_path)[-1][:3] == ("coach", "set-role", "lead")
    listed = auth.list_accounts(conn, Viewer("coach", "lead"))
    assert {a["name"] for a in listed} == {"lead", "coach", "agent"}
    assert not any("hash" in k or "password" in k for a in listed for k in a)


# --- session tokens -----------------------------------------------------------------------------

def test_session_token_round_trip_and_expiry(db_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    conn = queries.connect(db_path)
    now = time.time()
    token = auth.issue_token(conn, COACH, now)
    assert auth.viewer_for_token(conn, token, now + 60) == COACH
    assert auth.viewer_for_token(conn, token, now + 12 * 3600 - 5) == COACH
    assert auth.viewer_for_token(conn, token, now + 12 * 3600 + 1) is None
    assert auth.viewer_for_token(conn, token, now - 3600) is None  # not valid before issue
    # The role is re-read from the account, never taken from the token.
    auth.set_role(conn, OPERATOR, "coach", "agent", "sam.lee")
    assert auth.viewer_for_token(conn, token) == Viewer("coach", "agent", "sam.lee")
    # The session length is one setting.
    monkeypatch.setenv("QA_SESSION_HOURS", "1")
    assert auth.session_seconds() == 3600
    short = auth.issue_token(conn, LEAD, now)
    assert auth.viewer_for_token(conn, short, now + 3599) == LEAD
    assert auth.viewer_for_token(conn, short, now + 3601) is None
    monkeypatch.setenv("QA_SESSION_HOURS", "zero")
    assert auth.session_seconds() == 12 * 3600
    # The key is made once and kept in the database.
    key = conn.execute("SELECT value FROM meta WHERE key = 'session_key'").fetchone()[0]
    assert len(bytes.fromhex(key)) == 32


def test_tokens_cannot_be_forged_or_reused_after_a_change(db_path: Path,
                                                          tmp_path: Path) -> None:
    conn = queries.connect(db_path)
    token = auth.issue_token(conn, COACH)
    head, payload, mac = token.split(".")
    data = json.loads(auth._unb64(payload))

    def signed_as(**changes: object) -> str:
        body = head + "." + auth._b64(json.dumps({**data, **changes}).encode())
        return body + "." + mac

    forged = [signed_as(u="lead"), signed_as(exp=data["exp"] + 10**6), token[:-1] + "x",
              head + "." + payload + ".", "v2." + payload + "." + mac, "", "...", "a.b.c",
              token + ".x", token.replace("v1", "v0", 1), "v1.%%%.%%%", "v1." + "A" * 5000]
    for bad in forged:
        assert auth.viewer_for_token(conn, bad) is None, bad
    # A token made with another database's key is worthless here.
    other = store.open_db(tmp_path / "other.db")
    auth.add_user(other.conn, "coach", "coach", PASSWORD)
    assert auth.viewer_for_token(conn, auth.issue_token(other.conn, COACH)) is None
    assert auth.viewer_for_token(conn, token) == COACH
    # Disabling ends it for good: enabling again does not bring old tokens back.
    auth.set_disabled(conn, OPERATOR, "coach", True)
    assert auth.viewer_for_token(conn, token) is None
    with pytest.raises(LookupError):
        auth.issue_token(conn, COACH)
    auth.set_disabled(conn, OPERATOR, "coach", False)
    assert auth.viewer_for_token(conn, token) is None
    fresh = auth.issue_token(conn, COACH)
    auth.reset_password(conn, OPERATOR, "coach", NEW_PASSWORD)
    assert auth.viewer_for_token(conn, fresh) is None
    # An account deleted and re-made under the same name does not inherit sessions.
    again = auth.issue_token(conn, COACH)
    conn.execute("DELETE FROM users WHERE name = 'coach'")
    conn.commit()
    auth.add_user(conn, "coach", "coach", NEW_PASSWORD)
    assert auth.viewer_for_token(conn, again) is None


# --- the dashboard ------------------------------------------------------------------------------

def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def sign_in(name: str, password: str = PASSWORD) -> AppTest:
    at = app().run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in [*at.markdown, *at.caption, *at.title, *at.subheader,
                                *at.error, *at.warning, *at.info, *at.success]]
    return "\n".join(str(p) for p in parts)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def accounts_page(at: AppTest) -> AppTest:
    at.switch_page("qa/ui/accounts.py")
    return at.run()


def test_a_disabled_account_is_signed_out_on_its_next_interaction(db_path: Path) -> None:
    coach = sign_in("coach")
    assert [t.value for t in coach.title] == ["Calls"]
    lead = accounts_page(sign_in("lead"))
    assert not lead.exception and [t.value for t in lead.title] == ["Accounts"]
    lead.selectbox(key="accounts-name").select("coach")
    lead = click(lead.run(), "Disable")
    assert "coach disabled" in texts(lead)
    # The coach's open session: its next interaction lands on the sign-in page.
    coach.text_input(key="calls-text").input("refund").run()
    assert [t.value for t in coach.title] == ["Call QA Coach"]
    assert "viewer" not in coach.session_state and not coach.dataframe
    assert "Wrong name or password" in texts(sign_in("coach"))
    lead.selectbox(key="accounts-name").select("coach")
    lead = click(lead.run(), "Enable")
    assert [t.value for t in sign_in("coach").title] == ["Calls"]


def test_accounts_page_changes_roles_and_passwords_and_keeps_a_lead(db_path: Path) -> None:
    at = accounts_page(sign_in("lead"))
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["agent", "coach", "lead"]
    assert dict(zip(table["Name"], table["Agent id"], strict=True))["agent"] == "maria.lopez"
    last = dict(zip(table["Name"], table["Last sign-in"], strict=True))
    assert last["lead"] != "not known" and last["coach"] == "not known"
    # The only lead cannot disable or demote themselves.
    at.selectbox(key="accounts-name").select("lead")
    at = click(at.run(), "Disable")
    assert "last enabled lead" in texts(at)
    at.selectbox(key="accounts-new-role").select("coach")
    at = click(at, "Change role")
    assert "last enabled lead" in texts(at)
    assert users(db_path)["lead"] == ("lead", None, 0)
    # An agent role needs an agent id.
    at.selectbox(key="accounts-name").select("coach")
    at.run()
    at.selectbox(key="accounts-new-role").select("agent")
    at.text_input(key="accounts-agent").input("")
    at = click(at, "Change role")
    assert "agent id" in texts(at) and users(db_path)["coach"][0] == "coach"
    at.selectbox(key="accounts-new-role").select("agent")
    at.text_input(key="accounts-agent").input("sam.lee")
    at = click(at, "Change role")
    assert users(db_path)["coach"] == ("agent", "sam.lee", 0)
    # Password reset: both entries must agree, and the policy applies.
    at.selectbox(key="accounts-name").select("agent")
    at.run()
    at.text_input(key="accounts-pw1").input(NEW_PASSWORD)
    at.text_input(key="accounts-pw2").input(NEW_PASSWORD + "x")
    at = click(at, "Reset password")
    assert "differ" in texts(at)
    at.text_input(key="accounts-pw1").input("password123")
    at.text_input(key="accounts-pw2").input("password123")
    at = click(at, "Reset password")
    assert "common" in texts(at)
    at.text_input(key="accounts-pw1").input(NEW_PASSWORD)
    at.text_input(key="accounts-pw2").input(NEW_PASSWORD)
    at = click(at, "Reset password")
    assert not at.exception
    assert auth.authenticate(queries.connect(db_path), "agent", NEW_PASSWORD) is not None
    acted = [(actor, action, target) for actor, action, target, _, _ in changes(db_path)
             if action != "create"]
    assert acted == [("lead", "set-role", "coach"), ("lead", "reset-password", "agent")]
    assert "reset-password" in " ".join(str(v) for v in at.dataframe[-1].value["Change"])


def test_coach_and_agent_cannot_use_the_accounts_page(db_path: Path) -> None:
    for name in ("coach", "agent"):
        at = sign_in(name)
        with pytest.raises(ValueError):  # not in their navigation
            at.switch_page("qa/ui/accounts.py")
    for who in (COACH, AGENT):  # the page file reached directly refuses too
        at = AppTest.from_file(str(ROOT / "qa" / "ui" / "accounts.py"), default_timeout=60)
        at.session_state["viewer"] = who
        at.run()
        assert "not available to your role" in texts(at)
        assert not at.dataframe and not at.button


def test_a_password_reset_ends_an_open_session(db_path: Path) -> None:
    coach = sign_in("coach")
    assert [t.value for t in coach.title] == ["Calls"]
    lead = sign_in("lead")
    coach.run()
    assert [t.value for t in coach.title] == ["Calls"]  # others signing in changes nothing
    auth.reset_password(queries.connect(db_path), LEAD, "coach", NEW_PASSWORD)
    coach.text_input(key="calls-text").input("refund").run()
    assert [t.value for t in coach.title] == ["Call QA Coach"]
    assert "viewer" not in coach.session_state
    lead.run()  # the lead who made the change is still signed in
    assert [t.value for t in lead.title] == ["Team overview"]


def test_a_lead_who_demotes_themselves_loses_the_page_at_once(db_path: Path) -> None:
    auth.set_role(queries.connect(db_path), OPERATOR, "coach", "lead")
    at = accounts_page(sign_in("lead"))
    at.selectbox(key="accounts-name").select("lead")
    at.run()
    at.selectbox(key="accounts-new-role").select("coach")
    at = click(at, "Change role")
    assert not at.exception
    assert users(db_path)["lead"] == ("coach", None, 0)
    assert "Accounts" not in [t.value for t in at.title]
    with pytest.raises(ValueError):
        at.switch_page("qa/ui/accounts.py")


def test_a_lead_resetting_their_own_password_stays_signed_in(db_path: Path) -> None:
    at = accounts_page(sign_in("lead"))
    at.selectbox(key="accounts-name").select("lead")
    at.run()
    at.text_input(key="accounts-pw1").input(NEW_PASSWORD)
    at.text_input(key="accounts-pw2").input(NEW_PASSWORD)
    at = click(at, "Reset password")
    assert [t.value for t in at.title] == ["Accounts"] and "new password set" in texts(at)
    assert auth.authenticate(queries.connect(db_path), "lead", NEW_PASSWORD) == LEAD
    at.run()
    assert [t.value for t in at.title] == ["Accounts"]
