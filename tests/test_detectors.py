"""Each detector on small hand-written calls, including the hard negatives."""

from __future__ import annotations

import pytest

from qa.findings import Finding
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call
from qa.transcript import Transcript, Utterance


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def make_call(*turns: tuple[str, float, float, str], timing: bool = True) -> Transcript:
    """A call from (speaker, start, end, text) tuples; "a" is the agent, "c" the customer."""
    speakers = {"a": "agent", "c": "customer"}
    return Transcript("t", [Utterance(speakers[s], start, end, text)
                            for s, start, end, text in turns], speaker_timing=timing)


def labels(call: Transcript, rubric: Rubric) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in score_call(call, rubric).findings:
        out.setdefault(f.utterance, set()).add(f.label)
    return out


def findings(call: Transcript, rubric: Rubric, label: str) -> list[Finding]:
    return [f for f in score_call(call, rubric).findings if f.label == label]


COMPLAINT = ("c", 3.0, 12.0, "I was charged twice for my March bill and I'm really "
                             "frustrated, this is the third time it has happened.")


# --- interruptions ----------------------------------------------------------------------

def test_agent_cutting_in_is_an_interruption_with_overlap(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 10.5, 14.0, "Okay what's your account number?"))
    [found] = findings(call, rubric, "interruption")
    assert found.utterance == 1 and found.polarity == "coaching"
    assert found.detail["overlap_ms"] == 1500
    assert "third time it has happened" in found.message  # quotes what was cut off
    assert "charged twice" in found.suggestion  # built from this call's words


def test_backchannel_over_the_customer_is_not_an_interruption(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 6.0, 6.4, "Mm-hmm."), ("a", 8.0, 8.5, "I see, go on."))
    got = labels(call, rubric)
    assert "affirmation" in got[1] and "affirmation" in got[2]
    assert not findings(call, rubric, "interruption")


def test_starting_after_the_customer_stops_is_not_an_interruption(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 12.2, 15.0, "Let me look at that bill for you."))
    assert not findings(call, rubric, "interruption")


def test_customer_talking_over_agent_is_info_only(rubric: Rubric) -> None:
    call = make_call(("a", 0.0, 6.0, "Thanks for calling, I can see your account here and the "
                                     "last payment went through on the fourth."),
                     ("c", 4.0, 8.0, "No no, that's the wrong payment entirely."))
    [found] = findings(call, rubric, "customer_interruption")
    assert found.polarity == "info" and found.speaker == "customer"
    scores = {s.criterion: s for s in score_call(call, rubric).scores}
    assert scores["interruptions"].score == 100


def test_mono_call_has_no_interruption_score(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 10.5, 14.0, "Okay what's your account number?"),
                     timing=False)
    scores = {s.criterion: s for s in score_call(call, rubric).scores}
    assert scores["interruptions"].score is None
    assert "mono" in scores["interruptions"].reason


# --- paraphrasing -----------------------------------------------------------------------

def test_restatement_in_own_words_is_a_paraphrase(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 18.0, "So you were billed two times for March, "
                                                  "and it's not the first time."))
    [found] = findings(call, rubric, "paraphrase")
    assert found.detail["restates"] == 0
    assert {"bill", "march"} <= set(found.detail["shared"])


@pytest.mark.parametrize("text", [
    "Just to confirm, your date of birth?",
    "Let me see.",
    "So, what can I do for you today?",
    "Order 4471, one moment.",
])
def test_marker_without_restatement_is_not_a_paraphrase(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    assert "paraphrase" not in labels(call, rubric).get(1, set())


def test_problem_never_restated_is_a_coaching_point(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, "I'll refund the extra charge today."))
    [found] = findings(call, rubric, "paraphrase:missing")
    assert "you were charged twice for your march bill" in found.suggestion.lower()


# --- affirmations -----------------------------------------------------------------------

def test_yes_answering_a_question_is_not_a_cue(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 2.0, "Can you hear me?"), ("a", 2.5, 3.0, "Yes."))
    assert not findings(call, rubric, "affirmation")


def test_long_turn_without_any_cue_is_a_coaching_point(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 25.0, "My internet has been dropping every evening since the "
                                      "storm and the reset did nothing at all."),
                     ("a", 26.0, 28.0, "What's your postcode?"))
    [found] = findings(call, rubric, "affirmation:missing")
    assert "25 s" in found.message


# --- apologies --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "label"), [
    ("I'm sorry we charged you twice for March.", "apology:sincere"),
    ("I'm really sorry. We double billed you and that's our mistake.", "apology:sincere"),
    ("We apologize for any inconvenience.", "apology:scripted"),
    ("I'm sorry if you feel that way.", "apology:scripted"),
    ("Sorry, but that's our policy on billing.", "apology:scripted"),
    ("I'm so sorry.", "apology:scripted"),
])
def test_apologies_are_graded(rubric: Rubric, text: str, label: str) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    assert labels(call, rubric)[1] & {"apology:sincere", "apology:scripted"} == {label}


@pytest.mark.parametrize("text", ["Sorry, could you repeat that?", "Sorry, go ahead.",
                                  "I'm sorry to hear that."])
def test_sorry_that_is_not_an_apology(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    got = labels(call, rubric).get(1, set())
    assert not got & {"apology:sincere", "apology:scripted"}


def test_scripted_apology_rewrite_uses_the_customers_problem(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, "We apologize for any inconvenience."))
    [found] = findings(call, rubric, "apology:scripted")
    assert "you were charged twice for your march bill" in found.suggestion.lower()


def test_no_apology_owed_without_a_problem(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 3.0, "Hi, I'd like to add a second line to my plan."),
                     ("a", 3.5, 6.0, "Happy to help with that, let me set it up."))
    scores = {s.criterion: s for s in score_call(call, rubric).scores}
    assert scores["apology"].score is None
    assert "no apology was owed" in scores["apology"].reason


# --- expectations -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "label"), [
    ("I'll email the return label within the hour.", "expectation:specific"),
    ("A technician will call you tomorrow between 8 and 10.", "expectation:specific"),
    ("The refund posts in 3 to 5 business days.", "expectation:specific"),
    ("Someone will look into it.", "expectation:vague"),
    ("We'll get back to you soon.", "expectation:vague"),
    ("It could be tomorrow, could be next week.", "expectation:vague"),
])
def test_commitments_are_specific_or_vague(rubric: Rubric, text: str, label: str) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    assert labels(call, rubric)[1] & {"expectation:specific", "expectation:vague"} == {label}


@pytest.mark.parametrize("text", ["I'll need your order number.", "When are you free?",
                                  "Let me pull up your account."])
def test_not_a_commitment(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    got = labels(call, rubric).get(1, set())
    assert not got & {"expectation:specific", "expectation:vague"}


def test_vague_promise_rewrite_asks_for_time_and_channel(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, "Someone will look into your refund soon."))
    [found] = findings(call, rubric, "expectation:vague")
    assert "look into your refund today" in found.suggestion
    assert "by 4 pm tomorrow" in found.suggestion and "<" not in found.suggestion


# --- empathy and blame ------------------------------------------------------------------

def test_empathy_and_bare_understand(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 12.5, 13.0, "I understand."),
                     ("a", 13.5, 16.0, "That must be so frustrating, three times now."))
    got = labels(call, rubric)
    assert "empathy" not in got.get(1, set()) and "affirmation" in got[1]
    assert "empathy" in got[2]


@pytest.mark.parametrize(("text", "blamed"), [
    ("You should have read the terms.", True),
    ("That's not my department.", True),
    ("The courier messed it up, not us.", True),
    ("You should have it by Thursday.", False),
    ("The courier scans packages at the depot.", False),
])
def test_blame(rubric: Rubric, text: str, blamed: bool) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, text))
    assert ("blame" in labels(call, rubric).get(1, set())) is blamed


# --- scoring ----------------------------------------------------------------------------

def test_overall_is_weighted_mean_of_applicable(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 10.5, 14.0, "Okay what's your account number?"),
                     ("a", 15.0, 18.0, "I'm sorry we charged you twice for March."))
    scored = score_call(call, rubric)
    applicable = [s for s in scored.scores if s.score is not None]
    expected = sum(s.score * s.weight for s in applicable) / sum(s.weight for s in applicable)
    assert scored.overall == round(expected, 1)
    assert any(s.score is None for s in scored.scores)  # some criteria don't apply here


def test_every_coaching_point_has_a_suggestion(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 10.5, 14.0, "Okay what's your account number?"),
                     ("a", 15.0, 18.0, "We apologize for any inconvenience."),
                     ("a", 18.5, 21.0, "Someone will look into it soon."),
                     ("a", 21.5, 23.0, "You should have called earlier."))
    scored = score_call(call, rubric)
    coaching = [f for f in scored.findings if f.polarity == "coaching"]
    assert len(coaching) >= 4
    assert all(f.suggestion and f.quote and f.message for f in coaching)
    assert len(scored.summary["coaching"]) == 3


def test_restating_only_after_acting_is_late(rubric: Rubric) -> None:
    call = make_call(COMPLAINT,
                     ("a", 13.0, 16.0, "I'll refund the extra charge to your card today."),
                     ("a", 16.5, 20.0, "So you were billed two times for March, and it's not "
                                       "the first time."))
    [late] = findings(call, rubric, "paraphrase:late")
    assert late.utterance == 1 and late.detail["restated_at"] == 2
    scores = {s.criterion: s for s in score_call(call, rubric).scores}
    assert scores["paraphrasing"].score == rubric.criteria["paraphrasing"]["late_score"]


def test_interruption_kinds_and_recovery(rubric: Rubric) -> None:
    # The customer stops when the agent cuts in: the agent took the floor.
    taken = make_call(COMPLAINT, ("a", 10.5, 16.0, "Okay what's your account number please?"))
    [f] = findings(taken, rubric, "interruption")
    assert f.detail["kind"] == "competitive" and not f.detail["recovered"]
    # The customer talks on past the agent's words, and the agent hands the floor back.
    kept = make_call(("c", 3.0, 14.0, "I was charged twice for my March bill and I'm really "
                                      "frustrated, this is the third time it has happened."),
                     ("a", 6.0, 7.5, "Twice for March, okay."),
                     ("a", 8.0, 9.0, "Sorry, I cut you off, go ahead."))
    [f] = findings(kept, rubric, "interruption")
    assert f.detail["kind"] == "cooperative" and f.detail["recovered"]
    score_taken = {s.criterion: s.score for s in score_call(taken, rubric).scores}
    score_kept = {s.criterion: s.score for s in score_call(kept, rubric).scores}
    assert score_kept["interruptions"] > score_taken["interruptions"]


def test_mechanical_cues(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 30.0, "So the router keeps dropping and I've restarted it and "
                                      "it still drops every evening around eight."),
                     ("a", 5.0, 5.3, "Okay."), ("a", 10.0, 10.3, "Okay."),
                     ("a", 15.0, 15.3, "Okay."), ("a", 20.0, 20.3, "Okay."))
    [f] = findings(call, rubric, "affirmation:mechanical")
    assert f.detail["run"] == 4 and "okay" in f.message.lower()


def test_commitment_parts(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 13.0, 16.0, "I'll email you the refund confirmation "
                                                  "within the hour."))
    [f] = findings(call, rubric, "expectation:specific")
    assert f.detail["who"] == "agent" and f.detail["when"] == "within the hour"
    assert f.detail["channel"] == "email"
