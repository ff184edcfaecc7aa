"""Expectations, blame and apologies on wording the phrase lists never held: the grammar of
times and owners, fault placed on someone, and what an apology is attached to. Each form comes
with hard negatives. Only ``score_call`` is used, so these check what a coach would see."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.detectors import EVAL_LABELS
from qa.evaluate import load_labeled
from qa.findings import Finding
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call
from qa.transcript import Transcript, Utterance

ROOT = Path(__file__).resolve().parent.parent
ROOT_FOLDERS = (ROOT / "tests" / "devset", ROOT / "sample_calls")
COMPLAINT = "My parcel never arrived and the tracking says it went to the wrong address on Monday."


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def _call(agent_text: str) -> Transcript:
    return Transcript("t", [Utterance("customer", 0.0, 8.0, COMPLAINT),
                            Utterance("agent", 9.0, 13.0, agent_text)])


def _found(agent_text: str, rubric: Rubric, prefix: str) -> list[Finding]:
    return [f for f in score_call(_call(agent_text), rubric).findings
            if f.utterance == 1 and f.label.startswith(prefix)]


def _label(agent_text: str, rubric: Rubric, prefix: str) -> str | None:
    """The one evaluated label starting with ``prefix`` on the agent's turn, or None."""
    labels = {f.label for f in _found(agent_text, rubric, prefix)} & set(EVAL_LABELS)
    assert len(labels) <= 1, labels
    return labels.pop() if labels else None


# --- expectations -------------------------------------------------------------------------

SPECIFIC = "expectation:specific"
VAGUE = "expectation:vague"


@pytest.mark.parametrize(("text", "label"), [
    # Clock times, spoken and written.
    ("I've booked your callback for half past three.", SPECIFIC),
    ("I'll ring you back at quarter to five.", SPECIFIC),
    ("I'll call you at 9 am on Monday.", SPECIFIC),
    ("The technician is booked for tomorrow morning between eight and ten.", SPECIFIC),
    # Named days, dates, relative days.
    ("The engineer will come Friday between 9 and 11.", SPECIFIC),
    ("You'll have it no later than the 14th.", SPECIFIC),
    ("It should be with you on March 3rd.", SPECIFIC),
    ("You'll get a text the day after tomorrow with the slot.", SPECIFIC),
    # Working-day windows, deadlines, spoken numbers.
    ("We'll process the refund within two working days.", SPECIFIC),
    ("Your replacement card arrives in 3 to 5 business days.", SPECIFIC),
    ("The credit goes on by close of business.", SPECIFIC),
    ("You'll get the money back by end of day.", SPECIFIC),
    ("I'll text you the reference in the next ten minutes.", SPECIFIC),
    ("It'll take twenty four hours to reset.", SPECIFIC),
    ("The courier will bring it within the hour.", SPECIFIC),
    # A named owner and a channel, no time.
    ("Our billing team will email you the corrected invoice.", SPECIFIC),
    # Hand-offs with no time are vague even without a listed vague word.
    ("I'll get somebody to reach out.", VAGUE),
    ("I'll flag it with the team.", VAGUE),
    ("I'll pass it along.", VAGUE),
    ("I'll mention it to my manager.", VAGUE),
    ("I'll chase the warehouse for you.", VAGUE),
    ("I'll have a look and get back to you.", VAGUE),
    ("I'll put a note on your account and someone will follow up.", VAGUE),
    ("Hopefully it'll turn up in the next day or so.", VAGUE),
])
def test_promises_by_time_grammar_and_owner(rubric: Rubric, text: str, label: str) -> None:
    assert _label(text, rubric, "expectation:") == label


@pytest.mark.parametrize("text", [
    "When are you free for the engineer to come?",
    "Let me know what day suits you.",
    "The engineer came on Tuesday and left without fixing it.",
    "You were told it would arrive on Monday.",
    "That should never have happened.",
    "We cancelled the order on the 3rd.",
    "I called the depot yesterday.",
    "It's the first time this has happened on your account.",
])
def test_not_a_promise(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "expectation:") is None


def test_availability_words_inside_a_promise_keep_it(rubric: Rubric) -> None:
    assert _label("I'll call you tomorrow when you're back home at 6.", rubric,
                  "expectation:") == SPECIFIC


def test_a_request_before_the_promise_does_not_hide_it(rubric: Rubric) -> None:
    text = "I'll need your postcode, and then I'll book the engineer for Friday."
    [found] = _found(text, rubric, SPECIFIC)
    assert found.detail["when"] == "friday"
    [later] = _found("I'll have a look now and ring you back within the hour.", rubric, SPECIFIC)
    assert later.detail["when"] == "within the hour"
    assert _label("I'll put you on hold for a moment.", rubric, "expectation:") is None


def test_as_you_said_keeps_the_promise(rubric: Rubric) -> None:
    assert _label("As you said, I'll call you tomorrow at ten.", rubric, "expectation:") \
        == SPECIFIC
    assert _label("They promised you a refund by Friday.", rubric, "expectation:") is None


def test_counterfactual_clause_does_not_hide_the_promise(rubric: Rubric) -> None:
    text = "That should never have happened, and I'll call you at 4 pm today with the new date."
    assert _label(text, rubric, "expectation:") == SPECIFIC


def test_booked_time_is_the_commitment_time(rubric: Rubric) -> None:
    [found] = _found("I've booked your callback for half past three.", rubric, SPECIFIC)
    assert found.detail["when"] == "half past three" and found.detail["who"] == "agent"


def test_named_team_is_the_owner(rubric: Rubric) -> None:
    [found] = _found("Our billing team will email you the corrected invoice.", rubric, SPECIFIC)
    assert found.detail["who"] == "billing team" and found.detail["channel"] == "email"


@pytest.mark.parametrize(("text", "suggestion"), [
    ("I'll flag it with the team.",
     "\"I'll flag it with the team today, and I'll call you by 4 pm tomorrow to tell you "
     "where it stands.\""),
    ("I'll get somebody to reach out.", "\"I'll get somebody to reach out by 4 pm tomorrow.\""),
    ("Someone will call you back soon.",
     "\"I'll have someone from our team call you back by 4 pm tomorrow.\""),
    ("We'll look into it.",
     "\"I'll look into it today, and I'll call you by 4 pm tomorrow to tell you where it "
     "stands.\""),
    ("Hopefully it'll turn up in the next day or so.",
     "\"I'll look into this today and call you by 4 pm tomorrow to tell you where it "
     "stands.\""),
])
def test_vague_promise_suggestion_is_a_whole_sentence(rubric: Rubric, text: str,
                                                      suggestion: str) -> None:
    [found] = _found(text, rubric, VAGUE)
    assert found.suggestion.endswith(suggestion)
    assert "<" not in found.suggestion and "…" not in found.suggestion


# --- blame --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "That's normally the courier.",
    "Those booking apps always get it wrong.",
    "You must have typed the code wrong.",
    "You probably entered the wrong postcode.",
    "You didn't tell us you'd moved.",
    "You never updated your address with us.",
    "Honestly it's their system, it does this all the time.",
    "The contractor didn't turn up, that's on them.",
    "My colleague should have logged the call.",
    "The previous agent made a mistake on your booking.",
    "Billing messed it up.",
    "The system glitched and doubled the charge.",
    "There's nothing I can do about that.",
    "You'll have to take it up with the airline.",
    "That's the carrier's problem.",
    "The warehouse lost it.",
    "Australia Post stuffed it up, mate.",
])
def test_fault_placed_elsewhere_is_blame(rubric: Rubric, text: str) -> None:
    [found] = _found(text, rubric, "blame")
    assert found.quote == text and found.detail["phrase"]
    assert "<" not in found.suggestion and "…" not in found.suggestion


@pytest.mark.parametrize("text", [
    "The courier scans parcels at the depot.",
    "The courier will deliver it tomorrow morning.",
    "Billing handles refunds, so I'll transfer you with a note.",
    "We messed that up, and I'm sorry.",
    "Our warehouse sent the wrong size, and that's on us.",
    "You should have it by Thursday.",
    "It's not your fault at all.",
    "You didn't receive the email because we sent it to the old address.",
    "I should have checked that for you.",
    "You must have been so worried.",
    "The airline changed the schedule last week, so your connection moved.",
    "I'm so sorry, the parcel should have come to you on Monday.",
    "The system sent you a text at nine with the code.",
    "The system just logs the reading.",
    "The app sends a reminder the day before.",
    "Okay so we messed up there.",
    "Then we never sent it, I am sorry.",
])
def test_neutral_facts_and_ownership_are_not_blame(rubric: Rubric, text: str) -> None:
    assert not _found(text, rubric, "blame")


def test_blame_suggestion_fits_who_was_blamed(rubric: Rubric) -> None:
    [customer] = _found("You must have typed the code wrong.", rubric, "blame")
    [partner] = _found("That's normally the courier.", rubric, "blame")
    [defensive] = _found("There's nothing I can do about that.", rubric, "blame")
    assert "customer's mistake" in customer.suggestion
    assert "partner or another team" in partner.suggestion
    assert "what you can do" in defensive.suggestion


# --- apologies ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "label"), [
    ("I'm sorry your parcel went to the wrong address.", "apology:sincere"),
    ("I'm so sorry, that's our mistake, the parcel should have come to you on Monday.",
     "apology:sincere"),
    ("The parcel is over the value limit, so I can't refund it, sorry.", "apology:scripted"),
    ("Sorry, we're not able to reimburse delivery fees.", "apology:scripted"),
    ("Sorry, the driver messed it up.", "apology:scripted"),
    ("Sorry for the wait. We're really short-staffed today.", "apology:scripted"),
    ("Sorry if that's caused you any bother.", "apology:scripted"),
    ("Sorry, can you repeat the last digit?", None),
    ("Sorry, was that a B or a D?", None),
    ("sorry sir the line is breaking can you say that again", None),
    ("Sorry, go ahead.", None),
    ("No need to be sorry, it happens.", None),
    ("Oh don't apologise, that's what I'm here for.", None),
    ("I'm sorry to hear that.", None),
])
def test_apology_judged_by_what_it_is_attached_to(rubric: Rubric, text: str,
                                                  label: str | None) -> None:
    assert _label(text, rubric, "apology:s") == label


def test_refusal_apology_suggestion_separates_the_no(rubric: Rubric) -> None:
    [found] = _found("The parcel is over the value limit, so I can't refund it, sorry.",
                     rubric, "apology:scripted")
    assert "I can't change that myself, but here's what I can do" in found.suggestion


def test_apology_suggestion_never_built_on_a_fragment(rubric: Rubric) -> None:
    # The customer's only "problem" clause is their own plan: nothing to say sorry for.
    call = Transcript("t", [
        Utterance("customer", 0.0, 6.0, "now I'm going to turn our off and then on again, "
                                        "see what happens."),
        Utterance("agent", 7.0, 9.0, "Sorry about that.")])
    [found] = [f for f in score_call(call, load_rubric()).findings
               if f.label == "apology:scripted"]
    assert "on again" not in found.suggestion and "I'm sorry we let you down" in found.suggestion


def test_no_suggestion_splices_a_quote_or_leaves_a_placeholder(rubric: Rubric) -> None:
    """Every "try:" line of these criteria on the dev set and the sample calls is whole."""
    seen = 0
    for folder in ROOT_FOLDERS:
        for call in load_labeled(folder):
            for f in score_call(call, rubric).findings:
                if f.criterion not in {"expectations", "blame", "apology"} or not f.suggestion:
                    continue
                seen += 1
                text = f.suggestion
                assert "<" not in text and ">" not in text, text
                assert "…" not in text and "..." not in text, text
                assert "sorry that you think" not in text.lower(), text
                assert text.count("\"") % 2 == 0 and text.rstrip().endswith(("\"", ".")), text
    assert seen > 50


# --- a second customer, other voices -----------------------------------------------------

REFUND = ("I was promised a refund two weeks ago and it still hasn't come through, I've called "
          "three times.")
# The evaluated labels of the three criteria these calls exercise.
EVALUATED = {label for label, criterion in EVAL_LABELS.items()
             if criterion in ("expectations", "apology", "blame")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Right, I've put the refund through this morning, so it'll land in your account by "
     "Thursday.", {SPECIFIC}),
    ("I'm going to chase finance myself and ring you back before five today.", {SPECIFIC}),
    ("You'll get an email confirmation in the next twenty minutes or so.", {SPECIFIC}),
    ("it'll be on your card in five to seven working days", {SPECIFIC}),
    ("Expect a text from us on Monday morning with the reference.", {SPECIFIC}),
    ("The refund goes back through the bank, which usually takes three to five days.",
     {SPECIFIC}),
    ("Leave it with me.", {VAGUE}),
    ("I'll see what I can do.", {VAGUE}),
    ("Let me get that escalated for you.", {VAGUE}),
    ("I'll get someone from finance to give you a call.", {VAGUE}),
    ("I'll raise it with my supervisor and somebody will come back to you.", {VAGUE}),
    ("The refund was approved on the 2nd.", set()),
    ("What's the best number to reach you on?", set()),
    ("Are you around on Friday afternoon?", set()),
    ("Three weeks ago you were told it would be five days.", set()),
    ("Finance are always slow with these, honestly.", {"blame"}),
    ("That's a finance thing, I don't deal with refunds.", {"blame"}),
    ("You should've kept the receipt.", {"blame"}),
    ("If you'd read the email you'd have seen the refund takes thirty days.", {"blame"}),
    ("The guy you spoke to before didn't put it through properly.", {"blame"}),
    ("I'm just the messenger here.", {"blame"}),
    ("Finance processes refunds every Tuesday.", set()),
    ("I'm really sorry it's taken two weeks and three calls to get your refund.",
     {"apology:sincere"}),
    ("Apologies that the refund was held up, that was our error.", {"apology:sincere"}),
    ("Sorry about the wait, but refunds go through finance, not us.",
     {"apology:scripted", "blame"}),
    ("I do apologise, it's company policy that refunds take thirty days.",
     {"apology:scripted"}),
    ("I'm sorry you feel you've been messed about.", {"apology:scripted"}),
    ("Sorry, bear with me one second.", set()),
    ("Sorry, say again?", set()),
    ("Oh, you don't need to apologise.", set()),
    ("I will send a message to the finance team.", {VAGUE}),
    ("They normally get back within a few days.", {VAGUE}),
    ("They usually take three to five working days.", {SPECIFIC}),
    ("so finance only got the form this morning, that's usually where the hold up is with "
     "them", {"blame"}),
    ("i can only go by what's on the system here", {"blame"}),
    ("The bank arranges the transfer, we don't handle those.", {"blame"}),
    ("It was all in the booklet you were sent, you just didn't read it.", {"blame"}),
])
def test_other_voices(rubric: Rubric, text: str, expected: set[str]) -> None:
    call = Transcript("t", [Utterance("customer", 0.0, 8.0, REFUND),
                            Utterance("agent", 9.0, 13.0, text)])
    got = {f.label for f in score_call(call, rubric).findings if f.utterance == 1}
    assert got & EVALUATED == expected


OUTAGE = ("yeah so um my internet's been cutting out every night for like a week and i work from "
          "home so it's a nightmare")


@pytest.mark.parametrize(("text", "expected"), [
    ("okay so i've gone ahead and booked an engineer um they'll be out to you thursday morning "
     "between eight and twelve", {SPECIFIC}),
    ("what i'll do is i'll ring you tomorrow at ten to see if it's held up", {SPECIFIC}),
    ("right i've reset the line from here it should come back in about ten minutes",
     {SPECIFIC}),
    ("yeah no worries i'll get that sorted for you", {VAGUE}),
    ("i'll pop a note on the account and um someone will ring you", {VAGUE}),
    ("i've logged a fault and the network team will investigate", {VAGUE}),
    ("i'll try and get someone out this week", {VAGUE}),
    ("they might be able to come friday", {VAGUE}),
    ("Sorry, one moment, I'll see if one is free.", set()),
    ("um basically it's your router mate it's ancient", {"blame"}),
    ("that's an openreach problem not us we just rent the line", {"blame"}),
    ("the engineer last time obviously didn't fix it properly", {"blame"}),
    ("to be fair that's the wifi extender you bought that's causing it", {"blame"}),
    ("our system shows the line as fine", set()),
    ("the engineer will need access to the master socket", set()),
    ("when would suit you for the engineer", set()),
    ("so sorry about that that's not good enough on our part", {"apology:sincere"}),
    ("i'm sorry we didn't sort this the first time you called", {"apology:sincere"}),
    ("i do apologise but there's no outage showing on our side", {"apology:scripted"}),
    ("apologies for the delay in getting back to you", {"apology:scripted"}),
    ("sorry mate can you just confirm the postcode", set()),
    ("sorry sorry go on", set()),
])
def test_speech_recogniser_style(rubric: Rubric, text: str, expected: set[str]) -> None:
    call = Transcript("t", [Utterance("customer", 0.0, 8.0, OUTAGE),
                            Utterance("agent", 9.0, 13.0, text)])
    got = {f.label for f in score_call(call, rubric).findings if f.utterance == 1}
    assert got & EVALUATED == expected


FRIDGE = ("The new fridge was delivered damaged last week and I've been waiting for someone to "
          "collect it ever since.")


@pytest.mark.parametrize(("text", "expected"), [
    ("The engineer came out on the 12th and replaced the door seal.", set()),
    ("Your warranty ends on the 30th of June.", set()),
    ("We're open until 8 tonight.", set()),
    ("The last payment went out on Friday.", set()),
    ("I'll just put you on hold for two minutes.", set()),
    ("That was due to be collected on Tuesday.", set()),
    ("The driver tried to collect it on Monday but nobody was in.", set()),
    ("You're all set: the replacement's on its way and should reach you by Wednesday.",
     {SPECIFIC}),
    ("Expect the collection team's call on Monday.", {SPECIFIC}),
    ("Our courier partner will collect the fridge on the 9th between 7 am and 1 pm.",
     {SPECIFIC}),
    ("I've requested the collection for 2:30 tomorrow.", {SPECIFIC}),
    ("The driver will call you thirty minutes before arrival.", {SPECIFIC}),
    ("Someone from the warehouse will be in contact.", {VAGUE}),
    ("We'll arrange collection as soon as we can.", {VAGUE}),
    ("I'll chase it up for you.", {VAGUE}),
    ("Leave that one with me and I'll come back to you.", {VAGUE}),
    ("The delivery crew should've checked it before they left.", {"blame"}),
    ("Honestly our drivers are hopeless with big items.", {"blame"}),
    ("That damage would've been done by the manufacturer, not us.", {"blame"}),
    ("You signed for it as undamaged, so technically that's on you.", {"blame"}),
    ("I know the driver should have checked it, and that's on us.", set()),
    ("The collection team are based in a different depot.", set()),
    ("The manufacturer covers the motor for five years.", set()),
    ("I'm so sorry the fridge arrived damaged and nobody has collected it.",
     {"apology:sincere"}),
    ("My apologies, I should have said that earlier.", {"apology:sincere"}),
    ("I'm sorry you've had to chase us for a week, that's our failure.", {"apology:sincere"}),
    ("Sorry about the hold.", {"apology:scripted"}),
    ("We're sorry for any inconvenience this has caused.", {"apology:scripted"}),
    ("Sorry, what was the order number again?", set()),
])
def test_collection_call(rubric: Rubric, text: str, expected: set[str]) -> None:
    call = Transcript("t", [Utterance("customer", 0.0, 8.0, FRIDGE),
                            Utterance("agent", 9.0, 13.0, text)])
    got = {f.label for f in score_call(call, rubric).findings if f.utterance == 1}
    assert got & EVALUATED == expected


NO_SHOW = ("I booked a boiler service for last Thursday, took the day off work, and the engineer "
           "never turned up or called.")


@pytest.mark.parametrize(("text", "expected"), [
    ("I'll have it sorted by close of play today.", {SPECIFIC}),
    ("Give it 24 to 48 hours and the booking will show in your account.", {SPECIFIC}),
    ("The new engineer will be with you first thing Monday.", {SPECIFIC}),
    ("You'll hear from us by the weekend.", {SPECIFIC}),
    ("I'll ring you back in half an hour.", {SPECIFIC}),
    ("It should be with you inside a week.", {SPECIFIC}),
    ("We'll send the engineer out in a fortnight.", {SPECIFIC}),
    ("I'll get on to them straight after this call.", {SPECIFIC}),
    ("We'll look at getting someone out at some stage.", {VAGUE}),
    ("I'll make a note and the team will pick it up.", {VAGUE}),
    ("The engineers get their routes the night before.", set()),
    ("Can you do Tuesday or Wednesday next week?", set()),
    ("The engineer was booked for 8 am on Thursday.", set()),
    ("Whoever set this booking up did it wrong.", {"blame"}),
    ("It's a known issue with their scheduling software.", {"blame"}),
    ("You'd have to ask the engineering contractor about that.", {"blame"}),
    ("He was probably stuck on another job, they do that.", {"blame"}),
    ("The contractor handles the engineers' diaries.", set()),
    ("I'm sorry that's happened to you.", {"apology:scripted"}),
    ("I can only apologise.", {"apology:scripted"}),
    ("I'm sorry you took the day off and nobody came.", {"apology:sincere"}),
    ("Sorry, that's on me, I should have rung you.", {"apology:sincere"}),
    ("I'm sorry you were left waiting with no call on Thursday.", {"apology:sincere"}),
    ("Sorry, I'm just bringing it up now.", set()),
])
def test_no_show_call(rubric: Rubric, text: str, expected: set[str]) -> None:
    call = Transcript("t", [Utterance("customer", 0.0, 8.0, NO_SHOW),
                            Utterance("agent", 9.0, 13.0, text)])
    got = {f.label for f in score_call(call, rubric).findings if f.utterance == 1}
    assert got & EVALUATED == expected


# Blame in other people's words (issue 13): the same ideas as the labelled calls, said
# differently.
@pytest.mark.parametrize("text", [
    "Honestly the couriers are really sloppy with their scanning.",
    "You could have just returned it the same day.",
    "It's up to you to keep your details current.",
    "You kind of have to check the box, otherwise it won't go through.",
    "The cancellation fee was clearly shown at checkout.",
    "It says so right in the confirmation email.",
    "Sorry, but we always ask members to confirm the dates first.",
    "It's their crew that handles the fitting.",
    "Might have been a glitch in the booking system.",
    "A lot of records never came over when we switched.",
    "I've got no way to change that amount.",
    "Look, I'm just saying it was fine when it left us.",
])
def test_blame_in_other_words(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") == "blame"


@pytest.mark.parametrize("text", [
    "I'm sorry our driver didn't turn up, that's on us.",
    "We ask customers to confirm their address for security.",
    "You could have it by Friday if I send it express.",
    "The courier scans every parcel at the depot.",
])
def test_owning_or_neutral_is_not_blame(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") is None


@pytest.mark.parametrize("text", [
    "Well, you were meant to check the bike before riding away.",
    "That's entirely down to the carrier's schedule.",
    "The warranty team has their own process and I can't speak for them.",
    "Sorry, but I can't overrule the system on that.",
    "Oh that was the overnight team, they just follow the checklist.",
    "It went to our roofer, and they're supposed to reply within a day, but nobody has.",
    "That's not something I'm able to arrange from here.",
    "Look, the readings don't lie.",
])
def test_more_blame_in_other_words(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") == "blame"


@pytest.mark.parametrize("text", [
    "That's not up to us, I'm afraid.",
    "How was I supposed to know that?",
    "There's not much we can do once it's gone.",
    "The system only lets me offer a voucher.",
    "I'm not in a position to waive it.",
    "That falls to the landlord, not to this office.",
    "Well, it's all in the terms.",
    "Honestly it's not really our job to chase the council.",
    "You probably paid with the other card.",
    "It'll be the airline holding it up.",
])
def test_refusals_and_handoffs_are_blame(rubric: Rubric, text: str) -> None:
    # Forms seen in two outside hands' calls (hand6, hand7), written here in other words.
    assert _label(text, rubric, "blame") == "blame"


@pytest.mark.parametrize("text", [
    "So you're saying you're the one getting the bill for it.",
    "You'll find the form on the website under claims.",
    "I'm in a position to refund it today.",
])
def test_restating_or_neutral_is_not_blame(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") is None


@pytest.mark.parametrize("text", [
    "The engineer is meant to arrive between eight and ten.",
    "That was the team that fixed it for you last year.",
    "There's a charge on the fifth that you never agreed to.",  # the customer's complaint
    "It's down to the weather this week, the roads are closed.",
])
def test_plans_and_restatements_are_not_blame(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") is None


@pytest.mark.parametrize("text", [
    # "policy" is a noun here
    "I'm sorry we sent your parcel to the address on the policy you had already closed.",
    "I'm sorry we shipped a part you didn't order.",  # "you didn't" is inside our own fault
])
def test_owned_apology_with_look_alike_words_is_sincere(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "apology") == "apology:sincere"


def test_sorry_asking_to_check_a_detail_is_no_apology(rubric: Rubric) -> None:
    assert _label("sorry was that a b or a d", rubric, "apology") is None


# Promises in other people's words (issue 13).
@pytest.mark.parametrize(("text", "expected"), [
    ("Normally it's fairly quick, it depends how busy the depot is.", "expectation:vague"),
    ("It might take a while before someone picks it up.", "expectation:vague"),
    ("He's off today but I could get him to ring you.", "expectation:vague"),
    ("If it happens again we'd look at it again.", "expectation:vague"),
    ("We'll make sure that doesn't happen.", "expectation:vague"),
    ("Weekend slots are run by the planning team, so I'll pass it over to them.",
     "expectation:vague"),
    ("I'm putting a stop on the order right now.", "expectation:specific"),
    ("My colleague is crediting the fee back to your card today.", "expectation:specific"),
    ("The line is expected to be back by six tonight.", "expectation:specific"),
])
def test_promises_in_other_words(rubric: Rubric, text: str, expected: str) -> None:
    assert _label(text, rubric, "expectation") == expected


@pytest.mark.parametrize("text", [
    "I'll have a quick look for you.",  # a look-up inside the call
    "Bear with me, I'll pop you on hold for a minute.",
    "That'll be the driver's note on the system.",  # naming, not promising
    "The worry is the orders that will come in tonight.",  # a future in a relative clause
    "I can imagine the stress, on a day you should be resting.",  # a circumstance
])
def test_not_promises(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "expectation") is None


def test_an_idiom_that_introduces_the_specifics_is_not_a_vague_promise(rubric: Rubric) -> None:
    found = {f.label for f in _found("Leave it with me. I'm booking the courier for tomorrow "
                                     "between nine and twelve.", rubric, "expectation")}
    assert found == {"expectation:specific"}


# Forms from two more outside hands (hand6, hand7), written here in other words.
@pytest.mark.parametrize(("text", "expected"), [
    ("It won't be too long, I promise.", "expectation:vague"),
    ("Appeals like this are dealt with in due course.", "expectation:vague"),
    ("Honestly, they get round to it when they get round to it.", "expectation:vague"),
    ("Here's what I'll do.", None),
    ("We will never ask you for your PIN over the phone.", None),
    ("Let me check the reference on that transfer.", None),
    ("I would note that the contract allows weekend work.", None),
    ("I'll note that on your file and call you back at four.", "expectation:specific"),
])
def test_more_promises_and_look_alikes(rubric: Rubric, text: str, expected: str | None) -> None:
    assert _label(text, rubric, "expectation") == expected


@pytest.mark.parametrize("text", [
    "i cant do anything about the courier",
    "thats your router settings not us",
    "you should of kept the receipt",
    "You probably switched it off at the wall yourself.",
    "Most of the time people just don't read the email properly.",
    "That side is run by another team, so I can't change it from here.",
])
def test_blame_in_bare_spelling_and_general_forms(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") == "blame"


@pytest.mark.parametrize("text", [
    "That one's on us, you should have had a reply within two days.",
    "Refunds are checked by a separate team in Leeds, and they look at the photos too.",
])
def test_owned_fault_and_who_does_what_are_not_blame(rubric: Rubric, text: str) -> None:
    assert _label(text, rubric, "blame") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm sorry about that. Our team didn't cancel the old plan when you moved.",
     "apology:sincere"),
    ("It was our job to send the funds on Monday, and it didn't happen. I'm so sorry.",
     "apology:sincere"),
    ("I'm sorry someone got hold of your details.", None),
])
def test_apology_owned_in_the_sentences_around_it(rubric: Rubric, text: str,
                                                  expected: str | None) -> None:
    assert _label(text, rubric, "apology") == expected
