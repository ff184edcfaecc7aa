"""Which voice is the agent: decided from what each voice says, with a confidence.

Used for a mono call split into two voices (qa/diarize.py) and for a stereo call whose channel
mapping is unknown (``--agent-channel auto``). Agents greet with the company and their own name,
offer help, ask verification questions and close; customers say why they are calling and what
went wrong. Each cue counts once per voice (a long talker does not win by repetition), weighted
by how strongly it marks the agent; the voice that speaks first gets a small nudge (inbound
calls open with the agent).

The confidence is a logistic of the evidence difference between the two voices: 0.5 means no
evidence either way. Below the threshold (``[shared] role_confidence`` in the rubric) the call
is flagged "needs a person to confirm roles"; a coach then confirms or swaps the roles
(``qa roles confirm|swap CALL_ID``), and that decision is remembered for later re-runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlite_utils

from qa import store
from qa.rubric import Rubric, load_rubric
from qa.scoring import ScoredCall, score_call
from qa.text import find_phrase
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance

# Evidence points per unit of the logistic: one strong cue (3 points) alone gives ~0.82.
_SCALE = 2.0
# Only the opening matters for greetings and offers of help: later "how can I help" is rarer
# but a customer quoting the agent's greeting would count otherwise.
_OPENING_WORDS = 60
# Where a bare "this is NAME" / "NAME speaking" counts as the agent introducing themself.
_FIRST_WORDS = 12

# Salutations a customer says as readily as an agent: the rubric counts them as a greeting,
# but they say nothing about who is the agent.
_ANYONE_SAYS = frozenset({"hello", "hi", "hey there", "good morning", "good afternoon",
                          "good evening"})
# Agent openings the rubric's greeting_closing lists do not hold (not all are greetings a
# criterion should credit: "thank you for holding").
_MORE_GREETINGS = ("you have reached", "thank you for contacting", "thanks for contacting",
                   "thank you for holding")
_MORE_HELP_OFFERS = ("how can i direct your call",)

# (kind, weight, phrases). Phrases match whole words, case-insensitively; "*" is any one word.
# The greeting and offer-of-help phrases come from the rubric (agent_cues): these are the rest.
_OTHER_AGENT_CUES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("own name", 2.0, ("this is * speaking", "this is * how can", "my name is * how",
                       "you're speaking with", "you are speaking with", "you're speaking to",
                       "you are speaking to", "this is * from", "* speaking how can")),
    # Only in a voice's first few words ("Card services, this is Dan."), where a customer's
    # "this is ridiculous" does not reach.
    ("introduction", 2.0, ("this is *", "* speaking", "my name is * and i")),
    ("verification", 2.0, ("can i have your", "could i have your", "may i have your",
                           "can i get your", "could i get your", "can you confirm your",
                           "could you confirm your", "can you verify", "could you verify",
                           "to verify", "for security", "your date of birth",
                           "your account number", "your policy number", "your order number",
                           "your booking reference", "your reference number", "your postcode",
                           "your zip code", "last four digits", "spell your",
                           "can i take your", "could you spell")),
    ("service", 1.0, ("let me check", "let me look", "let me pull up", "let me see what",
                      "bear with me", "one moment please", "thank you for your patience",
                      "thanks for your patience", "is there anything else",
                      "anything else i can help", "on our end", "i can see here",
                      "i've gone ahead", "i have gone ahead", "i'll send you",
                      "i will send you", "you'll receive", "you will receive",
                      "for the inconvenience", "i do apologize", "i do apologise",
                      "for any inconvenience", "i have your account", "i have your * open",
                      "i have the * open", "what is the name on", "our policy",
                      "you should have", "i opened the", "i've opened", "i have opened",
                      "we will get back to you", "we'll get back to you")),
    ("closing", 1.0, ("thanks for calling", "thank you for calling", "have a great day",
                      "have a nice day", "have a good day", "anything else",
                      "thank you for your call")),
)
CUSTOMER_CUES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("reason for calling", 2.0, ("i'm calling about", "i am calling about", "i'm calling because",
                                 "i am calling because", "i'm calling to", "i am calling to",
                                 "i was calling about", "calling about my", "i called about",
                                 "i've been trying to", "i have been trying to")),
    ("own account", 1.0, ("my order", "my account", "my bill", "my card", "my package",
                          "my parcel", "my flight", "my booking", "my claim", "my policy",
                          "my internet", "my subscription", "my car", "my payment",
                          "my refund", "my * bill", "my * card", "my * statement",
                          "my * account", "my * order", "my * claim", "i have been a customer",
                          "i've been a customer", "your company", "from you for")),
    ("problem", 1.0, ("i was charged", "i got charged", "it never arrived", "still hasn't",
                      "it's not working", "is not working", "isn't working",
                      "keeps dropping", "i want a refund", "i need a refund",
                      "this is ridiculous", "this is unacceptable", "can you help me",
                      "i need help", "i want to cancel", "i'd like to cancel",
                      "i got a charge", "i got a letter", "i got charged", "i got a bill",
                      "i ordered", "i bought", "i returned", "i paid", "can you fix",
                      "can you remove", "can you at least", "transfer me", "can i talk to",
                      "can i speak to", "you just told me", "i did not know",
                      "i didn't know")),
)


@lru_cache(maxsize=1)
def _default_rubric() -> Rubric:
    # Loaded when first needed, not at import: the rubric file is read once per process.
    return load_rubric()


def default_threshold(rubric: Rubric | None = None) -> float:
    """The confidence below which a person must confirm the roles: the rubric's
    ``[shared] role_confidence`` (the default rubric's when none is given)."""
    return float((rubric or _default_rubric()).shared["role_confidence"])


def agent_cues(rubric: Rubric | None = None) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
    """The agent cues (kind, weight, phrases), their greetings and offers of help taken from
    the rubric's ``greeting_closing`` lists (the default rubric's when none is given or the
    rubric has that criterion off)."""
    rubric = rubric or _default_rubric()
    config = rubric.criteria.get("greeting_closing") or \
        _default_rubric().criteria["greeting_closing"]
    greetings = tuple(p for p in config.params["greeting_phrases"] if p not in _ANYONE_SAYS)
    offers = tuple(config.params["help_offer_phrases"])
    return (("greeting", 3.0, greetings + _MORE_GREETINGS), _OTHER_AGENT_CUES[0],
            _OTHER_AGENT_CUES[1], ("offer of help", 3.0, offers + _MORE_HELP_OFFERS),
            *_OTHER_AGENT_CUES[2:])
_FIRST_SPEAKER_POINTS = 0.5


@dataclass
class RoleDecision:
    """Which voice (or channel) is the agent, how sure, and the cues it rests on.

    ``agent``: index into the voices given (0 or 1). ``cues``: per voice, the cues found
    ("greeting: thank you for calling"). ``method``: "text" (decided from the words),
    "channel" (a stereo channel mapping given by the user) or "coach" (a person decided).
    """

    agent: int
    confidence: float
    cues: list[list[str]] = field(default_factory=lambda: [[], []])
    method: str = "text"
    needs_review: bool = False
    swapped: bool = False
    decided_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored with the call."""
        return {"agent_voice": self.agent, "confidence": round(self.confidence, 3),
                "cues": self.cues, "method": self.method, "needs_review": self.needs_review,
                "swapped": self.swapped, "decided_by": self.decided_by}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoleDecision:
        """Back from :meth:`to_dict` (unknown keys ignored)."""
        return cls(int(data.get("agent_voice", 0)), float(data.get("confidence", 0.5)),
                   [list(c) for c in data.get("cues", [[], []])], str(data.get("method", "text")),
                   bool(data.get("needs_review")), bool(data.get("swapped")),
                   data.get("decided_by"))


def find_cues(text: str, opening: str = "", rubric: Rubric | None = None
              ) -> tuple[float, float, list[str]]:
    """Agent points, customer points and the cues found in one voice's ``text``.

    ``opening``: the voice's first words, where greetings and offers of help are looked for.
    """
    agent = customer = 0.0
    found: list[str] = []
    first_words = " ".join(opening.split()[:_FIRST_WORDS])
    for kind, weight, phrases in agent_cues(rubric):
        where = opening if kind in ("greeting", "offer of help", "own name") else text
        if kind == "introduction":
            if any(cue.startswith("own name:") for cue in found):
                continue  # the name counts once, whichever pattern found it
            where = first_words
        if (hit := find_phrase(where, phrases)) is not None:
            agent += weight
            found.append(f"{kind}: {hit}")
    for kind, weight, phrases in CUSTOMER_CUES:
        if (hit := find_phrase(text, phrases)) is not None:
            customer += weight
            found.append(f"customer {kind}: {hit}")
    return agent, customer, found


def identify_agent(voices: Sequence[Sequence[str]], first: int | None = None,
                   threshold: float | None = None, rubric: Rubric | None = None
                   ) -> RoleDecision:
    """Decide which of two voices is the agent from their utterance texts (time order).

    ``first``: the voice heard first, if known (a small nudge toward the agent).
    ``threshold`` and the cues come from ``rubric`` (the default rubric) unless given.
    """
    if threshold is None:
        threshold = default_threshold(rubric)
    evidence = []
    cues: list[list[str]] = []
    for i, texts in enumerate(voices[:2]):
        text = " ".join(texts)
        opening = " ".join(text.split()[:_OPENING_WORDS])
        agent, customer, found = find_cues(text, opening, rubric)
        if first == i:
            agent += _FIRST_SPEAKER_POINTS
            found.append("spoke first")
        evidence.append(agent - customer)
        cues.append(found)
    while len(evidence) < 2:
        evidence.append(0.0)
        cues.append([])
    diff = evidence[0] - evidence[1]
    confidence = 1.0 / (1.0 + math.exp(-abs(diff) / _SCALE))
    return RoleDecision(0 if diff >= 0 else 1, confidence, cues,
                        needs_review=confidence < threshold)


def flag_review(transcript: Transcript, threshold: float) -> None:
    """Set the transcript's roles ``needs_review`` flag against ``threshold`` (the rubric's);
    a decision by a person or a given channel mapping never needs review."""
    roles = transcript.metadata.get("roles")
    if isinstance(roles, dict):
        roles["needs_review"] = (roles.get("method") == "text"
                                 and float(roles.get("confidence", 0.0)) < threshold)


def swap_speakers(transcript: Transcript) -> None:
    """Swap agent and customer on every utterance (in place); ``unknown`` stays."""
    other = {AGENT: CUSTOMER, CUSTOMER: AGENT}
    for utt in transcript.utterances:
        utt.speaker = other.get(utt.speaker, utt.speaker)


def apply_person_decision(transcript: Transcript, swapped: bool, by: str | None) -> None:
    """Apply a person's decision on the roles to a freshly transcribed (or re-loaded) call:
    swap the machine's roles if they said so, and record that a person decided."""
    if swapped:
        swap_speakers(transcript)
    roles = transcript.metadata.get("roles")
    decision = RoleDecision.from_dict(roles) if isinstance(roles, dict) else \
        RoleDecision(0, 1.0, method="channel")
    if swapped:
        decision.agent = 1 - decision.agent
    decision.swapped, decision.method = swapped, "coach"
    decision.needs_review, decision.decided_by = False, by
    transcript.metadata["roles"] = decision.to_dict()


def describe(roles: dict[str, Any] | None) -> str | None:
    """One line for ``qa show``: how the roles were decided, and whether a person must look."""
    if not roles:
        return None
    method = roles.get("method")
    if method == "coach":
        who = f" by {roles['decided_by']}" if roles.get("decided_by") else ""
        what = "swapped" if roles.get("swapped") else "confirmed"
        return f"roles: {what}{who} (a person decided)"
    if method == "channel":
        return "roles: from the stereo channel mapping"
    cues = roles.get("cues") or [[], []]
    agent = int(roles.get("agent_voice", 0))
    found = ", ".join(cues[agent]) if agent < len(cues) and cues[agent] else "no agent cues"
    line = (f"roles: agent identified from what was said, confidence "
            f"{float(roles.get('confidence', 0)):.2f} ({found})")
    if roles.get("needs_review"):
        line += " -- NEEDS A PERSON TO CONFIRM ROLES (qa roles confirm|swap)"
    return line


def settle_roles(utterances: list[Utterance], metadata: dict[str, Any],
                 first: int | None = None, threshold: float | None = None,
                 rubric: Rubric | None = None) -> None:
    """Decide the agent for utterances whose speakers are provisional (voice or channel 0 as
    ``agent``, 1 as ``customer``): swap them in place if voice 1 sounds like the agent, and
    record the decision in ``metadata["roles"]``."""
    voices = [[u.text for u in utterances if u.speaker == AGENT],
              [u.text for u in utterances if u.speaker == CUSTOMER]]
    decision = identify_agent(voices, first, threshold, rubric)
    if decision.agent == 1:
        other = {AGENT: CUSTOMER, CUSTOMER: AGENT}
        for utt in utterances:
            utt.speaker = other.get(utt.speaker, utt.speaker)
    metadata["roles"] = decision.to_dict()


def apply_stored_decision(db: sqlite_utils.Database, scored: ScoredCall,
                          rubric: Rubric) -> ScoredCall:
    """``scored`` with a person's stored decision on its roles applied (swapped and
    re-scored if they swapped them); unchanged when no one decided."""
    decision = store.role_decision(db, scored.transcript.call_id)
    if decision is None:
        return scored
    apply_person_decision(scored.transcript, bool(decision["swapped"]), decision["decided_by"])
    return score_call(scored.transcript, rubric)


def decide_call(db: sqlite_utils.Database, call_id: str, rubric: Rubric, swap: bool,
                by: str | None = None) -> ScoredCall:
    """A person decides a stored call's roles: ``swap`` True swaps agent and customer (relative
    to what is stored), False confirms them. The call is re-scored with ``rubric`` and stored
    with the decision in one transaction; later re-runs of the call apply the same decision.

    Raises LookupError for an unknown call, ValueError for one that cannot be re-scored.
    """
    info = store.call_info(db, call_id)
    transcript = store.load_transcript(db, call_id)
    row = store.scorable_and_roles(db, call_id)
    if info is None or transcript is None or row is None:
        raise LookupError(f"no call {call_id!r}")
    if not row[0]:
        raise ValueError(f"call {call_id!r} was not scorable, so there is nothing to re-score")
    if not any(u.speaker in (AGENT, CUSTOMER) for u in transcript.utterances):
        raise ValueError(f"call {call_id!r} has no agent or customer turns to swap (a mono "
                         "call whose speakers were not separated)")
    previous = store.role_decision(db, call_id)
    if row[1]:
        transcript.metadata["roles"] = json.loads(row[1])
    if not transcript.speaker_timing and "diarization" not in transcript.metadata:
        # Stored before the split's method was kept: a mono call with agent/customer turns
        # was split by voice; its stored reasons tell by what.
        transcript.metadata["diarization"] = store.stored_split(db, call_id)
    apply_person_decision(transcript, swap, by)
    # Remembered relative to the machine's decision, which a re-run reproduces: a second
    # swap undoes the first.
    swapped = bool(previous and previous["swapped"]) != swap
    transcript.metadata["roles"]["swapped"] = swapped
    scored = score_call(transcript, rubric)
    return store.save_role_decision(db, info, scored, rubric.name, swapped, by)
