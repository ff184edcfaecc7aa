"""Listening cues, empathy, restatements and the customer's problem, said in everyday words,
with the look-alikes that must not count (hard negatives)."""

from __future__ import annotations

import pytest

from qa.detectors.common import (
    find_problem,
    is_listening_cue,
    leading_cue,
    opening_cue,
    problem_noun_phrase,
    problem_phrase,
)
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call
from qa.transcript import Transcript, Utterance


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def make_call(*turns: tuple[str, float, float, str]) -> Transcript:
    """A call from (speaker, start, end, text); "a" is the agent, "c" the customer."""
    return Transcript("t", [Utterance({"a": "agent", "c": "customer"}[s], start, end, text)
                            for s, start, end, text in turns], speaker_timing=True)


def labels_on(call: Transcript, rubric: Rubric, index: int) -> set[str]:
    return {f.label for f in score_call(call, rubric).findings if f.utterance == index}


# --- listening cues -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Mm-hmm.", "Uh-huh.", "Huh.", "Mhm.", "Mmm.", "Oh, oh, yeah.", "Yeah, yeah, sure.",
    "<Children> Uh-huh.", "Right <noise>.", "Mm, right, right.", "Oh, I see.", "Ah, okay.",
    "Is that right?", "Oh, really?", "Gotcha.", "Yep, yep.", "I see, go on.",
])
def test_short_acknowledgements_are_cues_by_their_shape(text: str) -> None:
    assert is_listening_cue(text)


@pytest.mark.parametrize("text", [
    "Um,", "Uh.",  # hesitations hold the floor, they acknowledge nothing
    "Okay, let me pull up your account.",
    "Right, your policy number is 5521.",
    "Yeah I got the email.",
    "No.",
    "Sure, what's the new address?",
    "Mm-hmm, and the date of birth?",
])
def test_look_alikes_are_not_cues(text: str) -> None:
    assert not is_listening_cue(text)


def test_the_rubric_can_add_cues(rubric: Rubric) -> None:
    cfg = rubric.criteria["affirmations"]
    assert is_listening_cue("Fair enough.", cfg) and is_listening_cue("Noted.", cfg)


@pytest.mark.parametrize(("text", "cue"), [
    ("Right. So the refund went to the old card?", "Right."),
    ("Makes sense. Let me check that for you.", "Makes sense."),
    ("Got it. I'll book that now.", "Got it."),
    ("Oh, okay. Can I get the email on the account?", "Oh, okay."),
])
def test_a_cue_that_opens_a_longer_turn(text: str, cue: str) -> None:
    assert opening_cue(text) == cue


@pytest.mark.parametrize("text", [
    "Okay, let me pull up your account.",  # the word starts a sentence that does something else
    "Right, your policy number is 5521.",
    "Mm-hmm.",  # the whole utterance: a cue, not a longer turn
    "Really? That's the third time.",  # a question, not a cue
    "Thanks. Let me check.",
])
def test_not_a_cue_opening_a_turn(text: str) -> None:
    assert opening_cue(text) is None


def test_opening_cue_after_the_customer_is_an_affirmation(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 6.0, "The parcel says delivered but nothing came."),
                     ("a", 6.5, 10.0, "Right. So the tracking shows it delivered yesterday?"))
    assert "affirmation" in labels_on(call, rubric, 1)


@pytest.mark.parametrize(("customer", "agent"), [
    ("Can you send another one?", "Yes. I'm sending a replacement today."),  # an answer
    ("So can you send another one", "Sure. I'll send it today."),  # a request, no "?"
    ("Great, thanks, that's really helpful.", "Sure. Have a great day."),  # "you're welcome"
])
def test_cue_word_that_answers_is_not_an_affirmation(rubric: Rubric, customer: str,
                                                     agent: str) -> None:
    call = make_call(("c", 0.0, 3.0, customer), ("a", 3.5, 6.0, agent))
    assert "affirmation" not in labels_on(call, rubric, 1)


def test_cue_said_over_the_customer_is_credited_not_an_interruption(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 12.0, "So the engineer came on Monday and said the part was on "
                                      "order, and then nobody rang me about it at all."),
                     ("a", 5.0, 5.4, "Mm, right."), ("a", 8.0, 8.3, "Huh."))
    found = score_call(call, rubric).findings
    assert {f.utterance for f in found if f.label == "affirmation"} == {1, 2}
    assert not [f for f in found if f.label == "interruption"]


@pytest.mark.parametrize("text", ["Exactly.", "Wow.", "Absolutely."])
def test_reactions_are_not_counted_as_listening(rubric: Rubric, text: str) -> None:
    """Agreeing or reacting is not a listening cue, though never an interruption either."""
    call = make_call(("c", 0.0, 12.0, "So the engineer came on Monday and said the part was on "
                                      "order, and then nobody rang me about it at all."),
                     ("a", 5.0, 5.4, text))
    found = score_call(call, rubric).findings
    assert not [f for f in found if f.utterance == 1 and f.label in ("affirmation",
                                                                     "interruption")]


# --- empathy ------------------------------------------------------------------------------

COMPLAINT = ("c", 0.0, 8.0, "My boiler broke on Friday and we've had no heating all weekend "
                            "with a newborn in the house.")


@pytest.mark.parametrize("text", [
    "Honestly, I'd be fuming too.",
    "That's a rough week you've had.",
    "Sounds like the cost is what's weighing on you.",
    "That's how anyone would feel.",
    "You must be exhausted.",
    "I can tell this has been really stressful for you.",
    "No wonder you're upset.",
    "That's completely understandable.",
    "I'm sorry to hear that.",
    "Oh, that's a long time to be without heating.",
    "I'm sorry you've had to deal with this on your own.",
    "That can be really scary with a little one.",
    "I can't imagine doing that with a baby.",
    "It sounds like you're worried it'll happen again.",
])
def test_reflections_in_everyday_words_are_empathy(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 8.5, 12.0, text))
    assert "empathy" in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", [
    "I understand.",  # a bare listening cue: affirmation
    "That's the process, I'm afraid.",
    "How do you feel about the new plan?",
    "Feel free to call back if it happens again.",
    "If you feel the charge is wrong, you can dispute it.",
    "I'd be happy to book an engineer for you.",
    "It's hard to say when the part will arrive.",
    "Anything else on your mind?",
    "I'm sorry you're disappointed with the outcome.",  # regrets the reaction: scripted
    "That sounds like a good plan.",
    "I can see the engineer visit on Friday.",
])
def test_look_alikes_are_not_empathy(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 8.5, 12.0, text))
    assert "empathy" not in labels_on(call, rubric, 1)


def test_empathy_finding_says_why_and_quotes(rubric: Rubric) -> None:
    call = make_call(COMPLAINT, ("a", 8.5, 12.0, "Honestly, I'd be fuming too. Let me book it."))
    [found] = [f for f in score_call(call, rubric).findings if f.label == "empathy"]
    assert found.quote == "Honestly, I'd be fuming too."
    assert "customer's place" in found.message and "i'd be fuming" in found.message


# --- paraphrase ---------------------------------------------------------------------------

REFUND = ("c", 0.0, 9.0, "I don't want a voucher, I want my money back, and I need it before "
                         "Monday because that's when the rent goes out.")


@pytest.mark.parametrize("text", [
    "In other words, you need the refund, not a voucher.",
    "So the main thing for you is having the money back before Monday.",
    "It sounds like the rent going out on Monday is the worry.",
    "So you'd rather have your money back than a voucher, is that right?",
    "Just so I understand, you want the money itself, before Monday.",
    "It sounds like you're counting on that money for the rent.",
    "So your rent goes out on Monday, and a voucher won't help with that.",
])
def test_restatements_carry_the_customers_content(rubric: Rubric, text: str) -> None:
    call = make_call(REFUND, ("a", 9.5, 14.0, text))
    assert "paraphrase" in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", [
    "In other words, let me see.",  # a marker with nothing restated
    "So, what can I do for you today?",
    "Monday, one moment.",  # one detail repeated to look it up
    "I'll send the money back to your card before Monday.",  # the agent's own next step
    "Have you had a voucher from us before?",  # a question
    "You could ask your bank about the rent.",  # advice
    "It sounds like I need to check the voucher rules.",
    "So your refund will reach the card on Monday.",  # announces an outcome
    "So you just need to fill in the refund form.",  # an instruction
    "So you're all set for Monday.",
])
def test_look_alikes_are_not_restatements(rubric: Rubric, text: str) -> None:
    call = make_call(REFUND, ("a", 9.5, 14.0, text))
    assert "paraphrase" not in labels_on(call, rubric, 1)


# --- the customer's problem ---------------------------------------------------------------

def _problem_of(rubric: Rubric, *said: str) -> str | None:
    turns = [("a", 0.0, 2.0, "Thanks for calling, how can I help?")]
    t = 2.5
    for text in said:
        turns.append(("c", t, t + 4.0, text))
        t += 4.5
    call = make_call(*turns)
    return problem_phrase(call, len(call.utterances), rubric.criteria["empathy"])


@pytest.mark.parametrize(("said", "problem"), [
    (["Hi, I was charged twice for my March bill."],
     "you were charged twice for your March bill"),
    (["You sent me the wrong size and I need it for Saturday."], "we sent you the wrong size"),
    (["My TV won't turn on. Now I'm going to turn it off and on again, see what happens."],
     "your TV won't turn on"),
    (["yeah so um the technician never showed up on tuesday and i took the day off"],
     "the technician never showed up on tuesday"),
])
def test_the_problem_is_a_whole_clause_said_back(rubric: Rubric, said: list[str],
                                                 problem: str) -> None:
    assert _problem_of(rubric, *said) == problem


@pytest.mark.parametrize("said", [
    ["now I'm going to turn our off and then on again, see what happens."],  # a plan
    ["Why is my refund still not here?"],  # a question
    ["This is ridiculous."],  # a verdict with no facts
    ["No, I did not take photos, but the agent wrote it down."],  # the customer's own doing
    ["My package was left at the wrong-"],  # cut off
    ["When I try to log in it just spins and spins and then nothing."],  # dependent clause
])
def test_no_problem_rather_than_a_guess(rubric: Rubric, said: list[str]) -> None:
    assert _problem_of(rubric, *said) is None


def test_problem_as_a_noun_phrase(rubric: Rubric) -> None:
    call = make_call(("a", 0.0, 2.0, "Hi, how can I help?"),
                     ("c", 2.5, 6.0, "My boiler's broken and there's no hot water."))
    cfg = rubric.criteria["empathy"]
    assert problem_noun_phrase(call, 2, cfg) == "the problem with your boiler"
    found = find_problem(call, 2, cfg)
    assert found is not None and found.index == 1 and found.said == "My boiler's broken"


def test_problem_follows_a_call_changed_in_place(rubric: Rubric) -> None:
    """Swapping roles edits the call in place; the problem is found again, not remembered."""
    call = make_call(("a", 0.0, 2.0, "My parcel never arrived."),
                     ("c", 2.5, 5.0, "Thanks for calling, how can I help?"))
    cfg = rubric.criteria["empathy"]
    assert problem_phrase(call, 2, cfg) is None
    for utt in call.utterances:
        utt.speaker = "customer" if utt.speaker == "agent" else "agent"
    assert problem_phrase(call, 2, cfg) == "your parcel never arrived"


# --- listening cues in other people's words (issue 13) ------------------------------------

@pytest.mark.parametrize("text", ["Right, cheers.", "Okay, great, thanks.", "Sure, lovely.",
                                  "Righto.", "Good point.", "Noted, thank you.",
                                  "Yeah, no, I get it."])
def test_a_cue_may_carry_a_polite_word(text: str) -> None:
    assert is_listening_cue(text)


@pytest.mark.parametrize("text", ["Thank you.", "Thanks.", "Cheers, thank you."])
def test_thanks_alone_is_not_a_cue(text: str) -> None:
    assert not is_listening_cue(text)


@pytest.mark.parametrize("text", ["Lovely.", "Perfect.", "Very good.", "Brilliant, thanks.",
                                  "No problem.", "Oh my goodness.", "Ja, okay."])
def test_approval_alone_acknowledges(text: str) -> None:
    # Two writers outside the team (hand6, hand7) labeled these as listening cues unprompted,
    # and on the real call auto_repairs_49 "No problem." and "Perfect." said over the customer
    # were flagged as interruptions.
    assert is_listening_cue(text)


def test_approval_opening_a_longer_turn_is_not_a_cue(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 4.0, "It's 14 Glenview Road."),
                     ("a", 4.5, 9.0, "Lovely. I've booked the engineer for Friday at eight."))
    assert "affirmation" not in labels_on(call, rubric, 1)


def test_a_cue_echoing_the_customer_counts(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 4.0, "I go to the lunch club on Tuesdays."),
                     ("a", 4.5, 6.0, "Lunch club, okay, understood."))
    assert "affirmation" in labels_on(call, rubric, 1)


def test_a_confirmed_statement_ending_in_right_is_not_a_question(rubric: Rubric) -> None:
    # "Yes, that's right." used to read as a tag question, so the agent's "Okay." after it was
    # taken for an answer rather than a cue.
    call = make_call(("a", 0.0, 3.0, "You were billed for thirty seats?"),
                     ("c", 3.5, 5.0, "Yes, that's right."),
                     ("a", 6.0, 6.4, "Okay."),
                     ("a", 6.8, 9.0, "Let me pull up the renewal quote."))
    assert "affirmation" in labels_on(call, rubric, 2)


def test_a_cue_that_cannot_answer_still_counts_after_a_question(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 5.0, "Why was I charged twice? It was two hundred dollars."),
                     ("a", 5.5, 9.0, "Understood. I'll look at both charges now."))
    assert "affirmation" in labels_on(call, rubric, 1)


def test_backchannel_then_turn_still_answers_the_customer(rubric: Rubric) -> None:
    call = make_call(("c", 0.0, 12.0, "The washer leaks every time and the engineer never came "
                                      "back like he promised he would."),
                     ("a", 5.0, 5.4, "Uh-huh."),
                     ("a", 12.6, 16.0, "Okay. So it still leaks and nobody returned."),
                     ("a", 16.5, 18.0, "Let me book that."))
    assert "affirmation" in labels_on(call, rubric, 1)
    assert "affirmation" in labels_on(call, rubric, 2)


# --- empathy and unpunctuated cues in other people's words (issue 13) ----------------------

@pytest.mark.parametrize("text", [
    "Oh, that sounds exhausting for everyone.",
    "That would be an awful position to be in with a new baby.",
    "Honestly that's terrible timing, right before your holiday.",
    "I appreciate this isn't the news you were hoping for.",
    "Moving house is tiring enough without the internet going down.",
    "A bank holiday weekend is the worst possible moment for this.",
    "That's a lot of your evenings to give up waiting in.",
    "Aw, bless him, he must have been looking forward to it.",
    "It's never easy being without hot water for a week.",
    "That does make things harder with two kids at home.",
    "You're not alone, plenty of people got caught by this.",
    "I've been in that position myself.",
])
def test_empathy_in_other_words(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 8.5, 12.0, text))
    assert "empathy" in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", [
    "That sounds good, I'll book it.",
    "That sounds interesting.",
    "It's not on the statement yet.",
    "I'm sorry we missed the visit. That's not good enough.",  # owning: an apology
    "Thanks, bless you.",
    "That's the worst time to call us, mornings are busy.",
    "It's not easy to reset the router without the manual.",
    "That makes it easier for the engineer.",
])
def test_more_look_alikes_are_not_empathy(rubric: Rubric, text: str) -> None:
    call = make_call(COMPLAINT, ("a", 8.5, 12.0, text))
    assert "empathy" not in labels_on(call, rubric, 1)


@pytest.mark.parametrize(("text", "cue"), [
    ("mm-hmm so the bill doubled after the meter swap", "mm-hmm"),
    ("uh-huh uh-huh and nobody called you back", "uh-huh uh-huh"),
    ("got it so the card was charged twice", "got it"),
])
def test_a_cue_opens_an_unpunctuated_turn(text: str, cue: str) -> None:
    assert leading_cue(text) == cue
    assert opening_cue(text) == cue


@pytest.mark.parametrize("text", [
    "okay let me pull up your account",  # "okay" may start a sentence doing something else
    "I see what you mean about the fees",  # the cue's verb has an object
    "mm-hmm yes",  # too short to be a longer turn
])
def test_no_cue_opens_these_unpunctuated_turns(text: str) -> None:
    assert leading_cue(text) is None


# --- restatements in other people's words (issue 13) -----------------------------------------

@pytest.mark.parametrize("text", [
    "Just so I've got this straight, you want the money back, not a voucher, before Monday.",
    "What I understand is you'd rather have the money than a voucher because of the rent.",
    "You don't want the voucher we offered, you want your money back before Monday.",
    "mm-hmm so your rent goes out Monday and a voucher is no use for that",
    "The real worry is the rent going out on Monday without that money.",
])
def test_restatements_in_other_words(rubric: Rubric, text: str) -> None:
    call = make_call(REFUND, ("a", 9.5, 14.0, text))
    assert "paraphrase" in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", [
    "I'm sending the money back now, so your rent on Monday is covered.",  # a consequence
    "So it's showing the voucher was issued on Monday.",  # reading out the records
    "The money will be refunded to your card, not as a voucher.",  # announces an outcome
])
def test_more_look_alikes_are_not_restatements(rubric: Rubric, text: str) -> None:
    call = make_call(REFUND, ("a", 9.5, 14.0, text))
    assert "paraphrase" not in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", [
    "It's only natural to feel anxious about it.",
    "I can totally understand your annoyance.",
    "Nobody wants to spend their Saturday on hold.",
    "That's not a nice way to start the week.",
    "That's a lot to take in.",
])
def test_empathy_in_more_everyday_words(rubric: Rubric, text: str) -> None:
    # Forms from two more outside hands (hand6, hand7), written here in other words.
    call = make_call(("c", 0.0, 5.0, "The boiler's gone again and I've got two kids at home."),
                     ("a", 5.5, 9.0, text))
    assert "empathy" in labels_on(call, rubric, 1)


@pytest.mark.parametrize("text", ["I understand your question.", "It's normal to pay by card.",
                                  "Nobody wants the old model any more."])
def test_empathy_look_alikes(rubric: Rubric, text: str) -> None:
    call = make_call(("c", 0.0, 5.0, "Which one should I buy?"), ("a", 5.5, 9.0, text))
    assert "empathy" not in labels_on(call, rubric, 1)
