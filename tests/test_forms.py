"""Form items written in the rubric alone (required_phrase, forbidden_phrase, question,
auto_fail), a bad form entry, and a rubric per queue, through the real `qa score` / `qa show`
commands and the real store."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from qa import queries, store
from qa.auth import AGENT, COACH, Viewer
from qa.cli import main

ROOT = Path(__file__).parent.parent
BILLING = ROOT / "rubrics" / "billing.toml"
QUEUES = ROOT / "rubrics" / "queues.toml"
DEFAULT = ROOT / "rubrics" / "default.toml"
COACH_ANN = Viewer("ann", COACH)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def write_call(path: Path, turns: list[tuple[str, float, float, str]],
               agent: str = "sam") -> Path:
    """A timed transcript file, as Call QA Coach's own JSON."""
    path.write_text(json.dumps({
        "call_id": path.stem, "agent": agent,
        "utterances": [{"speaker": s, "start": a, "end": b, "text": t} for s, a, b, t in turns]}))
    return path


# The agent says the disclosure at 00:03, checks identity before the statement, no
# forbidden phrase: every form item passes (the question waits for a coach).
GOOD = [
    ("agent", 0.0, 7.0, "Thanks for calling Acme billing, this is Sam. This call is recorded "
                        "for quality and training. How can I help you today?"),
    ("customer", 7.5, 13.0, "Hi, I was charged twice for my internet bill this month and I "
                            "would like a refund please."),
    ("agent", 13.5, 19.0, "I'm sorry to hear that. Before I go into the account, can you "
                          "confirm your date of birth please?"),
    ("customer", 19.5, 22.0, "Sure, it's the fourth of May nineteen eighty."),
    ("agent", 22.5, 31.0, "Thank you. Your statement shows two payments of forty dollars on "
                          "the third of June. I will refund the second one today and you will "
                          "see it within five working days."),
    ("customer", 31.5, 34.0, "Great, thank you so much."),
    ("agent", 34.5, 40.0, "Is there anything else I can help you with today? Thanks for "
                          "calling and have a good day."),
]

# The disclosure comes at about 00:30 (after the first 15 s), the balance is read out before
# the identity check, and the agent says "calm down".
BAD = [
    ("agent", 0.0, 6.0, "Thanks for calling Acme billing, this is Sam. How can I help you "
                        "today?"),
    ("customer", 6.5, 13.0, "I was charged twice for my bill and I am really upset about it, "
                            "this is the third time."),
    ("agent", 13.5, 20.0, "Okay, calm down. Your balance is eighty dollars right now."),
    ("customer", 20.5, 26.0, "That is wrong, I only owe forty dollars."),
    ("agent", 26.5, 34.0, "Can you confirm your date of birth? And this call is recorded for "
                          "quality."),
    ("customer", 34.5, 38.0, "It's the fourth of May."),
    ("agent", 38.5, 46.0, "Thanks. I will refund forty dollars today. Anything else I can help "
                          "with? Have a good day."),
]

# No disclosure at all, and no account detail (so the identity check does not apply).
MISSING = [
    ("agent", 0.0, 6.0, "Thanks for calling Acme billing, this is Sam. How can I help you "
                        "today?"),
    ("customer", 6.5, 14.0, "I just wanted to know when the new tariff starts, nothing is "
                            "wrong, I am only asking."),
    ("agent", 14.5, 24.0, "Of course. The new tariff starts on the first of next month and you "
                          "do not need to do anything at all."),
    ("customer", 24.5, 28.0, "Lovely, that is all I needed, thank you."),
    ("agent", 28.5, 35.0, "Is there anything else I can help you with today? Thanks for "
                          "calling and have a good day."),
]


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    """The three calls scored with the billing rubric into a fresh database."""
    folder = tmp_path / "calls"
    folder.mkdir()
    write_call(folder / "good.json", GOOD)
    write_call(folder / "bad.json", BAD)
    write_call(folder / "missing.json", MISSING)
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(folder), "--db", str(db_path), "--rubric", str(BILLING))
    assert code == 0, out
    assert "3 scored" in out
    return db_path


def scores_of(db_path: Path, call_id: str) -> dict[str, dict[str, Any]]:
    db = sqlite_utils.Database(db_path)
    return {r["criterion"]: r for r in db.query(
        "SELECT * FROM scores WHERE call_id = ?", [call_id])}


def findings_of(db_path: Path, call_id: str, criterion: str) -> list[dict[str, Any]]:
    db = sqlite_utils.Database(db_path)
    return list(db.query("SELECT * FROM findings WHERE call_id = ? AND criterion = ? "
                         "ORDER BY start", [call_id, criterion]))


def call_row(db_path: Path, call_id: str) -> dict[str, Any]:
    return next(sqlite_utils.Database(db_path).query("SELECT * FROM calls WHERE id = ?",
                                                     [call_id]))


def test_every_form_item_passes_with_quotes_and_the_question_pending(scored: Path) -> None:
    scores = scores_of(scored, "good")
    assert scores["recording_disclosure"]["score"] == 100
    assert scores["identity_check"]["score"] == 100
    assert scores["no_dismissive_language"]["score"] == 100
    assert scores["recording_disclosure"]["auto_fail_below"] == 50
    said = findings_of(scored, "good", "recording_disclosure")
    assert len(said) == 1 and said[0]["polarity"] == "strength"
    assert "This call is recorded" in said[0]["quote"] and said[0]["speaker"] == "agent"
    assert said[0]["start"] <= 15
    assert "within the first 15 s" in said[0]["message"]
    check = findings_of(scored, "good", "identity_check")
    assert "date of birth" in check[0]["quote"]
    assert "before \"your statement shows\"" in check[0]["message"]
    # The question: no score and pending until a coach answers it.
    question = scores["refund_policy"]
    assert question["score"] is None and question["pending"] == 1
    assert question["question"] == "Did the agent follow the refund policy?"
    call = call_row(scored, "good")
    assert call["pending"] == 1 and call["auto_fail"] is None and call["overall"] > 0
    assert call["rubric_name"] == "Billing queue"
    code, out = run("show", "good", "--db", str(scored))
    assert code == 0
    assert "(pending: 1 question(s) to answer)" in out
    assert "refund_policy" in out and "pending" in out


def test_each_miss_is_quoted_explained_and_the_auto_fail_sets_the_overall_to_0(
        scored: Path) -> None:
    scores = scores_of(scored, "bad")
    assert scores["recording_disclosure"]["score"] == 0
    assert scores["identity_check"]["score"] == 0
    assert scores["no_dismissive_language"]["score"] == 0
    late = findings_of(scored, "bad", "recording_disclosure")
    assert [f["label"] for f in late] == ["recording_disclosure:late"]
    assert "this call is recorded" in late[0]["quote"] and late[0]["speaker"] == "agent"
    assert late[0]["start"] > 15 and "after the first 15 s" in late[0]["message"]
    assert late[0]["suggestion"].startswith("\"Before we start")
    order = findings_of(scored, "bad", "identity_check")
    assert order[0]["label"] == "identity_check:out_of_order"
    assert "Your balance is eighty dollars" in order[0]["quote"]
    assert "\"your balance\" came at" in order[0]["message"]
    assert "before the agent said \"date of birth\"" in order[0]["message"]
    forbidden = findings_of(scored, "bad", "no_dismissive_language")
    assert len(forbidden) == 1 and "calm down" in forbidden[0]["quote"].lower()
    assert "\"calm down\"" in forbidden[0]["message"] and forbidden[0]["polarity"] == "coaching"
    call = call_row(scored, "bad")
    assert call["overall"] == 0
    assert call["auto_fail"].startswith("auto-fail: recording_disclosure scored 0")
    code, out = run("show", "bad", "--db", str(scored))
    assert code == 0
    assert "overall: 0.0 (AUTO-FAIL)" in out
    assert "Overall 0: auto-fail: recording_disclosure" in out
    assert "[AUTO-FAIL: missed]" in out
    # The missed auto-fail item is the first coaching point: it cost the whole score.
    summary = json.loads(call["summary"])
    assert summary["coaching"][0]["criterion"] == "recording_disclosure"


def test_a_missing_line_says_what_was_missing_and_an_absent_event_does_not_apply(
        scored: Path) -> None:
    missing = findings_of(scored, "missing", "recording_disclosure")
    assert [f["label"] for f in missing] == ["recording_disclosure:missing"]
    assert missing[0]["message"].startswith("Missing: the agent never said \"this call is "
                                            "recorded\"")
    assert "in the first 15 s" in missing[0]["message"]
    assert missing[0]["quote"].startswith("Thanks for calling")  # the agent's opening
    scores = scores_of(scored, "missing")
    assert scores["identity_check"]["applicable"] == 0
    assert "nothing to come before" in scores["identity_check"]["reason"]
    assert call_row(scored, "missing")["overall"] == 0


def test_a_coach_answers_the_question_it_is_stored_audited_and_survives_rescoring(
        scored: Path, tmp_path: Path) -> None:
    conn = queries.connect(scored)
    before = call_row(scored, "good")["overall"]
    overall = queries.answer_question(conn, COACH_ANN, "good", "refund_policy", "no",
                                      "refunded 80 without approval")
    # The question weighs 2: a "no" pulls the overall down, and nothing is pending now.
    assert overall is not None and overall < before
    call = call_row(scored, "good")
    assert call["pending"] == 0 and call["overall"] == overall
    row = scores_of(scored, "good")["refund_policy"]
    assert row["score"] == 0 and row["pending"] == 0
    assert "answered no by ann: refunded 80 without approval" in row["reason"]
    queries.answer_question(conn, COACH_ANN, "good", "refund_policy", "yes")
    trail = [r for r in store.iter_audit(conn, "good") if r["target"] == "refund_policy"]
    assert [r["action"] for r in trail] == ["question.answer", "question.change"]
    assert json.loads(trail[1]["before"])["answer"] == "no"
    assert json.loads(trail[1]["after"])["answer"] == "yes"
    # The trail is append-only, answers included.
    with pytest.raises(sqlite3.IntegrityError), conn:
        conn.execute("DELETE FROM audit_log WHERE id = ?", [trail[0]["id"]])
    # An agent cannot answer; an unknown question is refused.
    with pytest.raises(PermissionError):
        queries.answer_question(conn, Viewer("sam", AGENT, "sam"), "good", "refund_policy",
                                "yes")
    with pytest.raises(LookupError):
        queries.answer_question(conn, COACH_ANN, "good", "empathy", "yes")
    # Scoring the call again applies the stored answer to the new scores.
    code, out = run("score", str(tmp_path / "calls" / "good.json"), "--db", str(scored),
                    "--rubric", str(BILLING), "--rescore")
    assert code == 0, out
    # The summary line shows the overall as stored, the answer counted.
    assert f"{call_row(scored, 'good')['overall']:.1f}" in out.splitlines()[-3]
    row = scores_of(scored, "good")["refund_policy"]
    assert row["score"] == 100 and row["pending"] == 0
    assert call_row(scored, "good")["pending"] == 0


def test_an_auto_fail_question_answered_no_sets_the_overall_to_0(tmp_path: Path) -> None:
    rubric = tmp_path / "strict.toml"
    rubric.write_text(f"""
[rubric]
name = "Strict"
version = "1"
extends = "{DEFAULT}"

[criteria.refund_policy]
kind = "question"
question = "Did the agent follow the refund policy?"
weight = 1
auto_fail = true
""")
    call = write_call(tmp_path / "good.json", GOOD)
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(call), "--db", str(db_path), "--rubric", str(rubric))
    assert code == 0, out
    conn = queries.connect(db_path)
    assert queries.answer_question(conn, COACH_ANN, "good", "refund_policy", "no") == 0
    shown = queries.get_call(conn, COACH_ANN, "good")
    assert shown is not None and shown["effective_overall"] == 0
    assert "refund_policy" in shown["effective_auto_fail"]
    # A coach's override above the pass mark lifts the auto-fail where overrides apply.
    queries.set_override(conn, COACH_ANN, "good", "refund_policy", 100, "approved by phone")
    shown = queries.get_call(conn, COACH_ANN, "good")
    assert shown is not None and shown["effective_overall"] > 0
    assert shown["effective_auto_fail"] is None


BAD_ENTRIES = [
    ('kind = "must_say"\nphrases = ["hello"]\nweight = 1',
     "criteria.item.kind: expected one of required_phrase, forbidden_phrase, question"),
    ('kind = "required_phrase"\nweight = 1', "criteria.item.phrases: missing"),
    ('kind = "required_phrase"\nphrases = ["hi"]\nwithin_seconds = "15"\nweight = 1',
     "criteria.item.within_seconds: expected a number"),
    ('kind = "forbidden_phrase"\nphrases = ["x"]\nweight = 1\nauto_fail = "yes"',
     "criteria.item.auto_fail: expected a boolean"),
    ('kind = "question"\nquestion = "Fine?"\nphrases = ["x"]\nweight = 1',
     "criteria.item.phrases: unknown key"),
    ('kind = "forbidden_phrase"\nphrases = ["x"]\nspeaker = "boss"\nweight = 1',
     "criteria.item.speaker: expected one of agent, customer, anyone"),
    ('kind = "required_phrase"\nphrases = []\nweight = 1',
     "criteria.item.phrases: needs at least one phrase"),
    ('kind = "question"\nweight = 1', "criteria.item.question: missing"),
    ('phrases = ["x"]\nweight = 1', "criteria.item: unknown key (a built-in criterion"),
    ('kind = "required_phrase"\nphrases = ["x"]', "criteria.item.weight: missing"),
    ('kind = "required_phrase"\nphrases = ["x"]\nweight = 1\npass_mark = 60',
     "criteria.item.pass_mark: only used with auto_fail = true"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_a_bad_form_entry_stops_qa_score_with_one_line_naming_the_key(
        tmp_path: Path, entry: str, message: str) -> None:
    rubric = tmp_path / "bad.toml"
    rubric.write_text(f'[rubric]\nname = "Bad"\nversion = "1"\nextends = "{DEFAULT}"\n\n'
                      f"[criteria.item]\n{entry}\n")
    call = write_call(tmp_path / "good.json", GOOD)
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(call), "--db", str(db_path), "--rubric", str(rubric))
    assert code != 0
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert message in lines[0] and str(rubric) in lines[0]
    assert not db_path.exists()  # nothing scored with a broken form


def test_a_bad_queue_mapping_names_its_key(tmp_path: Path) -> None:
    mapping = tmp_path / "queues.toml"
    mapping.write_text(f'default = "{DEFAULT}"\n\n[queues.billing]\nrubric = "nowhere.toml"\n')
    code, out = run("score", str(write_call(tmp_path / "good.json", GOOD)), "--db",
                    str(tmp_path / "qa.db"), "--rubric", str(mapping))
    assert code != 0 and "queues.billing.rubric" in out and "cannot read rubric" in out
    mapping.write_text(f'default = "{DEFAULT}"\n\n[queues.billing]\nrubric = "{BILLING}"\n'
                       f'files = "billing-*"\n')
    code, out = run("score", str(write_call(tmp_path / "good.json", GOOD)), "--db",
                    str(tmp_path / "qa.db"), "--rubric", str(mapping))
    assert code != 0 and "queues.billing.files: expected a phrase list" in out


def score_queues(tmp_path: Path) -> tuple[Path, Path]:
    """Four calls of two queues (and none) scored with rubrics/queues.toml: (folder, db)."""
    folder = tmp_path / "calls"
    folder.mkdir()
    write_call(folder / "a.json", GOOD)
    write_call(folder / "b.json", GOOD)
    write_call(folder / "billing-c.json", GOOD)  # no manifest row: its name picks the queue
    write_call(folder / "d.json", GOOD)          # no queue at all: the default rubric
    with (folder / "manifest.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "agent", "queue"])
        writer.writerow(["a.json", "sam", "billing"])
        writer.writerow(["b.json", "sam", "general"])
        writer.writerow(["d.json", "sam", ""])
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(folder), "--db", str(db_path), "--manifest",
                    str(folder / "manifest.csv"), "--rubric", str(QUEUES))
    assert code == 0, out
    assert "4 scored" in out
    return folder, db_path


def test_a_batch_scores_each_call_with_its_queues_rubric(tmp_path: Path) -> None:
    folder, db_path = score_queues(tmp_path)
    db = sqlite_utils.Database(db_path)
    calls = {r["id"]: r for r in db.query("SELECT id, queue, rubric_name, rubric_file, "
                                         "rubric_version FROM calls")}
    assert {k: (v["queue"], v["rubric_name"]) for k, v in calls.items()} == {
        "a": ("billing", "Billing queue"),
        "b": ("general", "Complaint handling (default)"),
        "billing-c": ("billing", "Billing queue"),
        "d": (None, "Complaint handling (default)"),
    }
    assert calls["a"]["rubric_file"].endswith("billing.toml")
    assert "refund_policy" in scores_of(db_path, "a")
    assert "refund_policy" not in scores_of(db_path, "b")
    # A second run skips every call: each is compared with its own queue's rubric.
    code, out = run("score", str(folder), "--db", str(db_path), "--manifest",
                    str(folder / "manifest.csv"), "--rubric", str(QUEUES))
    assert code == 0 and "4 skipped" in out


def test_the_schema_step_is_numbered_0008_forms(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "qa.db")
    assert "0008_forms" in store.STEPS
    assert store.STEPS.index("0008_forms") == store.STEPS.index("0007_account_admin") + 1
    assert {"queue", "rubric_file", "auto_fail", "pending"} <= set(db["calls"].columns_dict)
    assert {"kind", "auto_fail_below", "pending", "question"} <= set(
        db["scores"].columns_dict)
    assert db["form_answers"].exists()


# --- the dashboard ----------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def signed_in(db_path: Path, monkeypatch: pytest.MonkeyPatch, role: str) -> Any:
    """The dashboard through Streamlit's AppTest, signed in with a new account of ``role``
    (named after it)."""
    from streamlit.testing.v1 import AppTest

    from qa.auth import add_user

    conn = queries.connect(db_path)
    add_user(conn, role, role, PASSWORD)
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="signin_name").input(role)
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def dashboard_at(scored: Path, monkeypatch: pytest.MonkeyPatch, call_id: str) -> Any:
    """The review page of ``call_id``, signed in as a coach."""
    at = signed_in(scored, monkeypatch, "coach")
    at.query_params["call"] = call_id
    return at.switch_page("qa/ui/review.py").run()


def shown(at: Any) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.error, *at.info,
                                            *at.metric])


def test_a_coach_answers_a_question_on_the_review_page(scored: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = dashboard_at(scored, monkeypatch, "good")
    assert not at.exception
    assert "Score pending: 1 question(s)" in shown(at)
    assert "Did the agent follow the refund policy?" in shown(at)
    assert "Pending: not answered yet" in shown(at)
    table = at.dataframe[0].value
    row = table[table["Criterion"] == "Refund policy"].iloc[0]
    assert row["Form"] == "question: pending"
    at.radio(key="question-refund_policy").set_value("no")
    at.text_input(key="question-comment-refund_policy").input("refund of 80 not approved")
    next(b for b in at.button if b.label == "Save answers").click()
    at.run()
    assert not at.exception
    db = sqlite_utils.Database(scored)
    assert [(r["answer"], r["comment"], r["author"]) for r in db.query(
        "SELECT * FROM form_answers")] == [("no", "refund of 80 not approved", "coach")]
    assert [r["action"] for r in db.query("SELECT action FROM audit_log WHERE call_id = "
                                          "'good'")] == ["question.answer"]
    assert scores_of(scored, "good")["refund_policy"]["score"] == 0
    assert "Answered no by coach" in shown(at)
    assert "Score pending" not in shown(at)
    table = at.dataframe[0].value
    assert table[table["Criterion"] == "Refund policy"].iloc[0]["Form"] == "question: answered"
    # The call's History shows the answer, who gave it and what it was.
    history = next(d.value for d in at.dataframe if "After" in d.value.columns)
    entry = history[history["What"] == "question.answer"].iloc[0]
    assert entry["Who"] == "coach" and entry["About"] == "refund_policy"
    assert "answer: no" in entry["After"]


def test_the_review_page_says_why_the_overall_is_0(scored: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = dashboard_at(scored, monkeypatch, "bad")
    assert not at.exception
    assert "Overall 0, auto-fail: recording_disclosure scored 0" in shown(at).replace("\\", "")
    assert any(m.value == "0.0 (auto-fail)" for m in at.metric)
    table = at.dataframe[0].value
    row = table[table["Criterion"] == "Recording disclosure"].iloc[0]
    assert row["Form"] == "AUTO-FAIL: missed, overall 0"


def test_the_overview_filters_by_queue_and_says_when_rubrics_are_mixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, db_path = score_queues(tmp_path)
    lead = Viewer("lead", "lead")
    conn = queries.connect(db_path)
    assert queries.queues(conn, lead) == ["", "billing", "general"]
    at = signed_in(db_path, monkeypatch, "lead").switch_page("qa/ui/overview.py").run()
    assert not at.exception
    warning = "\n".join(str(w.value) for w in at.warning).replace("\\", "")
    assert "These figures average calls scored with 2 different rubrics" in warning
    assert re.search(r"Billing queue 1\.0\+\w{8}: 2 calls \(queue billing\)", warning)
    assert "(queue general, (none))" in warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls"] == "4" and "Mean overall (mixed rubrics)" in metrics
    at.selectbox(key="overview-queue").select("billing").run()
    assert not at.exception and not at.warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls"] == "2" and "Mean overall" in metrics
    # The agent's coaching page says so too: sam's calls were scored with both rubrics.
    at.switch_page("qa/ui/coaching.py").run()
    assert not at.exception
    assert "scored with 2 different rubrics" in "\n".join(str(w.value) for w in at.warning)
    # The call list filters by queue too, and says which rubric scored each call.
    period = queries.Period(*queries.date_range(conn, lead))
    page = queries.list_calls(conn, lead, queries.CallQuery(period, queue="general"))
    assert [(r["call_id"], r["rubric_name"]) for r in page.rows] == [
        ("b", "Complaint handling (default)")]
    page = queries.list_calls(conn, lead, queries.CallQuery(period, queue=queries.NO_QUEUE))
    assert [r["call_id"] for r in page.rows] == ["d"]


def test_a_role_decision_rescores_with_the_calls_own_rubric_and_keeps_its_answers(
        scored: Path) -> None:
    conn = queries.connect(scored)
    queries.answer_question(conn, COACH_ANN, "good", "refund_policy", "yes")
    label = call_row(scored, "good")["rubric_version"]
    code, out = run("roles", "confirm", "good", "--db", str(scored), "--by", "ann")
    assert code == 0, out
    call = call_row(scored, "good")
    assert call["rubric_version"] == label and call["rubric_name"] == "Billing queue"
    assert scores_of(scored, "good")["refund_policy"]["score"] == 100
    assert call["pending"] == 0
    # The dashboard's swap does the same, with no rubric given.
    queries.decide_roles(conn, COACH_ANN, "good", swap=False)
    assert call_row(scored, "good")["rubric_version"] == label


def test_a_chat_without_times_is_judged_by_its_words_and_the_reason_says_so(
        tmp_path: Path) -> None:
    """A plain-text chat: the disclosure said in the third agent turn still counts (there is
    no clock to hold it to), and the reason says the time limit was not checked."""
    chat = tmp_path / "chat.txt"
    lines = [f"{'Agent' if s == 'agent' else 'Customer'}: {t}" for s, _, _, t in BAD]
    chat.write_text("\n".join(lines) + "\n")
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(chat), "--db", str(db_path), "--rubric", str(BILLING))
    assert code == 0, out
    call_id = next(sqlite_utils.Database(db_path).query("SELECT id FROM calls"))["id"]
    disclosure = scores_of(db_path, call_id)["recording_disclosure"]
    assert disclosure["score"] == 100
    assert "the 15 s limit was not checked" in disclosure["reason"]
    # Order is still judged by the words: the balance came before the identity check.
    assert scores_of(db_path, call_id)["identity_check"]["score"] == 0


def test_a_filename_pattern_group_names_the_queue(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_call(folder / "billing-101.json", GOOD)
    write_call(folder / "general-102.json", GOOD)
    db_path = tmp_path / "qa.db"
    code, out = run("score", str(folder), "--db", str(db_path), "--rubric", str(QUEUES),
                    "--filename-pattern", r"(?P<queue>[a-z]+)-(?P<call_id>\d+)")
    assert code == 0, out
    rows = sqlite_utils.Database(db_path).query("SELECT id, queue, rubric_name FROM calls")
    assert {(r["id"], r["queue"], r["rubric_name"]) for r in rows} == {
        ("101", "billing", "Billing queue"), ("102", "general", "Complaint handling (default)")}
