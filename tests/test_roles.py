"""Which voice is the agent: text cues, confidence and review flag, and a coach's swap (CLI),
remembered across re-runs and kept consistent in the dashboard's summary tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import store
from qa.batch import Settings, run_batch
from qa.cli import main
from qa.roles import default_threshold, identify_agent, settle_roles
from qa.rubric import load_rubric
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance

SAMPLES = Path(__file__).parent.parent / "sample_calls"


def _voices(script: Transcript) -> tuple[list[str], list[str]]:
    return ([u.text for u in script if u.speaker == AGENT],
            [u.text for u in script if u.speaker == CUSTOMER])


@pytest.mark.parametrize("script", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_agent_found_from_the_words_in_either_order(script: Path) -> None:
    agent, customer = _voices(Transcript.load(script))
    first = identify_agent([agent, customer])
    second = identify_agent([customer, agent])
    assert first.agent == 0 and second.agent == 1
    assert first.confidence >= default_threshold() and not first.needs_review
    assert any(c.startswith(("greeting", "offer of help", "own name", "introduction"))
               for c in first.cues[0])


def test_no_cues_means_a_person_must_decide() -> None:
    decision = identify_agent([["It rained all day."], ["Yes, the garden liked it."]])
    assert decision.confidence == pytest.approx(0.5)
    assert decision.needs_review


def test_customer_opening_with_own_name_is_not_taken_for_the_agent() -> None:
    agent = ["Thank you for calling Acme, this is Maria. How can I help you today?",
             "Can I have your account number please?"]
    customer = ["Hi, my name is John Smith, I'm calling about my bill.",
                "I was charged twice."]
    decision = identify_agent([customer, agent], first=0)  # the customer is heard first
    assert decision.agent == 1 and decision.confidence > 0.95


def test_settle_roles_swaps_provisional_speakers() -> None:
    utts = [Utterance(AGENT, 0, 2, "Hi, I'm calling about my order, it never arrived."),
            Utterance(CUSTOMER, 2, 5, "Thanks for calling Parcel Co, how can I help?")]
    meta: dict = {}
    settle_roles(utts, meta)
    assert [u.speaker for u in utts] == [CUSTOMER, AGENT]
    assert meta["roles"]["agent_voice"] == 1 and meta["roles"]["method"] == "text"


def _facts_match(db) -> None:
    """The trigger-maintained summary tables agree with the scores and calls."""
    scores = {(r["call_id"], r["criterion"]): r["score"]
              for r in db.query("SELECT * FROM scores")}
    facts = {(r["call_id"], r["criterion"]): r["machine_score"]
             for r in db.query("SELECT * FROM score_facts")}
    assert facts == scores
    calls = {r["id"]: r["overall"] for r in db.query("SELECT id, overall FROM calls")}
    assert calls == {r["call_id"]: r["overall"] for r in db.query("SELECT * FROM call_facts")}
    week = db.execute("SELECT sum(n), sum(total) FROM agent_week").fetchone()
    applicable = db.execute("SELECT count(*), sum(score) FROM score_facts "
                            "WHERE score IS NOT NULL").fetchone()
    assert week[0] == applicable[0] and week[1] == pytest.approx(applicable[1])


def test_swap_rescores_is_remembered_and_keeps_summaries_consistent(tmp_path: Path) -> None:
    # A call stored with the roles the wrong way round and flagged for review, as a mono
    # split with few cues would be.
    script = Transcript.load(SAMPLES / "call02_card_double_charge.json")
    for utt in script.utterances:
        utt.speaker = CUSTOMER if utt.speaker == AGENT else AGENT
    script.metadata["roles"] = {"agent_voice": 0, "confidence": 0.6, "cues": [[], []],
                                "method": "text", "needs_review": True}
    path = tmp_path / "call02.json"
    script.save(path)
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    settings = Settings(load_rubric(), rescore=True)
    run_batch([str(path)], settings, db)
    before = store.get_call(db, "call02_card_double_charge")
    assert before is not None and before["utterances"][0]["speaker"] == CUSTOMER

    runner = CliRunner()
    shown = runner.invoke(main, ["show", "call02_card_double_charge", "--db", str(db_path)])
    assert "NEEDS A PERSON TO CONFIRM ROLES" in shown.output
    review = runner.invoke(main, ["roles", "review", "--db", str(db_path)])
    assert "call02_card_double_charge" in review.output

    result = runner.invoke(main, ["roles", "swap", "call02_card_double_charge",
                                  "--db", str(db_path), "--by", "coach.kim"])
    assert result.exit_code == 0, result.output
    db = store.open_db(db_path)
    after = store.get_call(db, "call02_card_double_charge")
    assert after is not None
    assert after["utterances"][0]["speaker"] == AGENT  # "Thank you for calling ..."
    assert after["overall"] != before["overall"]
    assert after["roles_review"] == 0
    assert json.loads(after["roles"])["swapped"] is True
    assert store.role_decision(db, "call02_card_double_charge")["decided_by"] == "coach.kim"
    _facts_match(db)
    shown = runner.invoke(main, ["show", "call02_card_double_charge", "--db", str(db_path)])
    assert "roles: swapped by coach.kim" in shown.output

    # Re-running the same file (forced) applies the remembered swap to the fresh result.
    run_batch([str(path)], settings, db)
    again = store.get_call(db, "call02_card_double_charge")
    assert again is not None and again["utterances"][0]["speaker"] == AGENT
    assert again["overall"] == after["overall"]
    _facts_match(db)

    # Swapping again undoes it (and is remembered as not swapped).
    result = runner.invoke(main, ["roles", "swap", "call02_card_double_charge",
                                  "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = store.open_db(db_path)
    assert store.role_decision(db, "call02_card_double_charge")["swapped"] == 0
    assert store.get_call(db, "call02_card_double_charge")["overall"] == before["overall"]
    _facts_match(db)


def test_swap_refuses_unknown_call_and_other_rubric(tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    store.open_db(db_path)
    result = CliRunner().invoke(main, ["roles", "swap", "nope", "--db", str(db_path)])
    assert result.exit_code != 0 and "no call 'nope'" in result.output


@pytest.mark.audio
def test_stereo_with_unknown_channel_mapping_finds_the_agent(transcriber) -> None:
    import dataclasses

    from qa.audio import load_call

    audio = load_call(SAMPLES / "call06_claim_denied.flac")
    flipped = dataclasses.replace(audio, channels=audio.channels[::-1])  # agent on the right
    call = transcriber.transcribe_call(flipped, "flipped", agent_channel=None)
    assert call.metadata["agent_channel"] == 1
    assert call.metadata["roles"]["confidence"] >= default_threshold()
    assert call.by(AGENT)[0][1].text.lower().startswith(("thank", "thanks", "hello", "hi",
                                                         "good"))
