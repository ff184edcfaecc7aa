"""Expectation-setting: each next step the agent promises, specific (a time frame or a concrete
action) or vague ("soon", "someone will look into it").
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.detectors.common import (
    agent_finding,
    agent_sentences,
    complaint_utterances,
)
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable, missing_score_or_na
from qa.detectors.phrasing import through_clause
from qa.detectors.time_expressions import find_time
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, is_question, normalize, stem, tokens
from qa.transcript import AGENT, Transcript

CONTRACT = Criterion(
    "expectations", "Next steps",
    labels=(
        Label("expectation:specific", STRENGTH,
              "Clear next steps with a time and an owner",
              evaluated=True, commitment=True,
              moment="Specific commitment"),
        Label("expectation:vague", PROBLEM,
              "Vague next steps, with no time or owner",
              evaluated=True, commitment=True, practicable=True),
        Label("expectation:missing", PROBLEM, "Ending a problem call with no next step",
              practicable=True),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "commitment_phrases": PHRASES,
    "not_commitment_phrases": PHRASES,
    "vague_phrases": PHRASES,
    "vague_exceptions": PHRASES,
    "hedge_phrases": PHRASES,
    "promise_verbs": PHRASES,
    "time_phrases": PHRASES,
    "time_units": PHRASES,
    "action_phrases": PHRASES,
    "channel_phrases": PHRASES,
    "vague_score": NUMBER,
    "missing_score": NUMBER,
}


def _time_frame(sentence: str, cfg: CriterionConfig) -> str | None:
    """A concrete time: the time grammar (clock times, days, dates, windows, ranges), or a
    phrase a team added to the rubric's ``time_phrases``."""
    return find_time(sentence) or find_phrase(sentence, cfg["time_phrases"])


_FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'll", "we", "we're", "we've", "we'll", "am",
                           "have", "just", "also", "now", "already", "going", "to"})

# Who the promise puts the work on. A named team or role is an owner ("the billing team will
# email you"); "someone", "they" or a bare passive ("it'll be processed") is not.
_TEAM_RE = re.compile(
    r"\b(?:(?:the|our|a|an|my|your)\s+)?((?:[a-z]+\s+)?(?:team|department|dept|desk|"
    r"technician|engineer|tech|specialist|supervisor|manager|courier|driver|adjuster|"
    r"colleague|nurse|doctor|pharmacist|agent|advisor|adviser|office|crew|fitter|plumber|"
    r"electrician|inspector|underwriter|branch|store|surveyor))\s+(?:will|'ll|is going to|"
    r"are going to|should|can|is|are|has|have)\b")
_OWNERS = (("agent", {"i", "i'm", "i've", "i'll", "i'd", "me", "myself"}),
           ("company", {"we", "we're", "we've", "we'll", "our", "us"}),
           ("someone else", {"they", "they'll", "they're", "someone", "somebody", "someone'll",
                             "somebody'll", "he", "she", "he'll", "she'll", "he's", "she's"}),
           ("company", {"you'll", "you"}))


def _owner(sentence: str) -> str:
    """Who the promise puts the work on: the agent ("I'll"), the company ("we'll", "you'll
    get"), a named team or role ("the billing team", "a technician"), someone else ("they'll
    call you", "someone will"), or nobody named ("it'll be processed")."""
    words = tokens(sentence)
    team = _TEAM_RE.search(normalize(sentence))
    # The team is the subject ("our billing team will email you"): it owns the promise.
    if team and len(normalize(sentence)[:team.start()].split()) <= 1:
        return team.group(1)
    for owner, markers in _OWNERS[:2]:
        if any(w in markers for w in words):
            return owner
    if team:
        return team.group(1)
    for owner, markers in _OWNERS[2:]:
        if any(w in markers for w in words):
            return owner
    return "unnamed"


@lru_cache(maxsize=64)
def _action_stems(phrases: tuple[str, ...]) -> frozenset[str]:
    """Stems of the one-word actions (computed once per rubric, not per sentence)."""
    return frozenset(stem(a) for a in phrases if " " not in a)


_NOTE_ACTIONS = frozenset({"put a note", "add a note", "adding a note", "putting a note",
                           "leave a note", "leaving a note"})


def _first_person_action(sentence: str, cfg: CriterionConfig) -> str | None:
    """An action the agent is taking or has just taken: "I'm reversing", "I've refunded"."""
    words = tokens(sentence)
    if not {"i'm", "i've", "i'll", "we're", "we've", "we'll", "i", "we"} & set(words):
        return None
    actions = _action_stems(tuple(cfg["action_phrases"]))
    for pos, word in enumerate(words):
        if word not in {"i'm", "i've", "i'll", "we're", "we've", "we'll"} and not (
                word in {"i", "we"} and pos + 1 < len(words)
                and words[pos + 1] in {"am", "have", "are", "will"}):
            continue
        for at, follower in enumerate(words[pos + 1:pos + 4], start=pos + 1):
            # "I'll put a note on the account" promises a step on the customer's record, as
            # "I'll refund" does ("I've put a note on your file" reports one); "put" alone is
            # too common to count as an action.
            if stem(follower) in actions or (word in {"i'll", "we'll", "i", "we"}
                                             and " ".join(words[at:at + 3]) in _NOTE_ACTIONS):
                return f"{word} {follower}" if word != "i" else f"i {words[pos + 1]} {follower}"
            if follower not in _FIRST_PERSON:
                break
    return None


_FUTURE = (r"(?:'ll|\s+will|\s+shall|\s+(?:am|is|are)\s+(?:going\s+to|gonna)"
           r"|'[mrs]\s+(?:going\s+to|gonna)|\s+gonna)")
# A next step handed on with no time: "I'll pass it along", "I'll flag it with the team",
# "I'll get somebody to reach out", "we'll look into it", "someone will follow up".
# A note put on the customer's own record is a concrete step ("I'll put a note on the account so
# no fee is charged"), not a message handed to someone else.
_ON_THE_RECORD = (r"\s+(?:on|to|against)\s+(?:the|your|his|her|their|this|that|thursday's|"
                  r"today's|\w+'s)\s+(?:\w+\s+)?(?:account|job|file|booking|order|record|system|"
                  r"profile|visit|appointment)\b")
_HANDOFF_RE = re.compile(
    r"\b(?:i|we|someone|somebody|they|he|she|it|team)(?:" + _FUTURE + r"|'d|\s+would)"
    # "we will never ask for your passcode" states a policy; it hands nothing on.
    r"\s+(?!never\b|not\b|ever\b)(?:\w+\s+){0,2}?"
    r"(?:pass|flag|escalate|raise|mention|forward|refer|look\s+into|follow\s+up|chase|revisit|"
    r"look\s+at\s+(?:it|this|that|them)\s+again|"
    r"get\s+(?:someone|somebody|a\s+\w+|the\s+\w+|one\s+of|them)|have\s+(?:someone|somebody|a\s+\w+|"
    r"the\s+\w+)|let\s+(?:them|the\s+\w+|someone|somebody|my\s+\w+)\s+know|reach\s+out|"
    r"get\s+back|come\s+back\s+to\s+you|be\s+in\s+touch|see\s+what|"
    # "I would note that the letter permits it" remarks; "I'll note that on your file" acts.
    r"note(?!\s+that\s+(?:the|this|your|you|it|we|our|there)\b|" + _ON_THE_RECORD + r")|"
    r"make\s+a\s+note(?!" + _ON_THE_RECORD + r")|"
    r"put\s+(?:a|in\s+a)\s+(?!note" + _ON_THE_RECORD + r")|"
    r"send\s+(?:it|this|that)\s+(?:up|over|on)|take\s+(?:it|this|that)\s+(?:further|up)|"
    r"keep\s+(?:an\s+eye|you\s+posted)|do\s+(?:my|our|what)|try|investigate|check\s+(?:on|with|into)|"
    r"speak\s+to|talk\s+to|ask|send\s+(?:a\s+|an\s+)?(?:message|note|email|request|ticket|"
    r"query)\s+(?:over\s+|across\s+|through\s+)?to\s+(?!you\b))")
# Getting someone else to do it, offered rather than promised: "I can get her to call you".
_CAN_HANDOFF_RE = re.compile(
    r"\b(?:i|we)\s+(?:can|could)\s+(?:get|have|ask)\s+(?:her|him|them|someone|somebody|the\s+\w+|"
    r"one\s+of\s+\w+\s+\w+)\s+(?:to\s+)?(?:call|ring|phone|contact|email|get\s+back|reach\s+out|"
    r"look|check|sort)\b")
# How long things take, said without a time: "it could be a while before anyone gets to it",
# "usually it's pretty quick, depends how busy they are".
_WAIT_RE = re.compile(
    r"\b(?:it|that|this)(?:'ll|\s+(?:could|might|may|will|should|can))\s+(?:be|take)\s+"
    r"(?:a\s+(?:while|bit|little\s+while)|some\s+time|ages|a\s+few\s+(?:days|weeks))\b"
    r"|\b(?:usually|normally|generally|typically)\s+(?:it's|it\s+is|it\s+takes|they're|they\s+are)\s+"
    r"(?:pretty\s+|quite\s+|fairly\s+|really\s+)?(?:quick|fast|not\s+long|speedy)\b"
    r"|\bdepends\s+(?:on\s+)?how\s+(?:busy|long|quick|fast|backed\s+up)\b")
# Steps inside the call are not next steps: "I'll have a look for you", "I'll pop you on hold".
_IN_CALL_RE = re.compile(
    r"\b(?:i'll|i\s+will|let\s+me|i'm\s+going\s+to|i'm\s+gonna)\s+(?:just\s+)?(?:have|take)\s+a\s+"
    r"(?:quick\s+|little\s+)?(?:look|nose|peek|gander)\b"
    r"|\b(?:put|pop|place)\s+you\s+on\s+(?:a\s+)?(?:quick\s+|short\s+|brief\s+)?hold\b"
    # Looking something up or explaining, right now: "let me check the reference", "I'll
    # explain as we go".
    r"|\blet\s+me\s+(?:just\s+|quickly\s+)?(?:check|look|see|find|pull\s+up|bring\s+up|search|"
    r"double-check|confirm)\b|\b(?:i'll|i\s+will)\s+(?:just\s+)?(?:explain|walk\s+you\s+through)\b"
    # An announcement whose content follows in the next sentence: "Here's what I'm going to do."
    r"|^\W*(?:(?:so|okay|ok|right|absolutely|now|alright)\W+)*(?:here's|here\s+is|this\s+is)\s+"
    r"what\s+(?:i|we)(?:'ll|\s+will|'m\s+going\s+to|\s+am\s+going\s+to|'re\s+going\s+to|"
    r"\s+are\s+going\s+to|\s+can)\s+do\W*$")
# What someone is doing right now, with a time: "I'm adding a credit to your account now",
# "she's refunding the delivery charge today".
_DOING_NOW_RE = re.compile(
    r"\b(?:i'm|we're|i\s+am|we\s+are|she's|he's|she\s+is|he\s+is|(?:my|our)\s+\w+(?:'s|\s+is))\s+"
    r"(?:just\s+|also\s+|now\s+)?"
    r"(?!(?:going|trying|looking|checking|waiting|hoping|thinking|wondering|calling|speaking|"
    r"seeing|reading|struggling|having|getting|showing|saying|following|hearing|understanding|"
    r"guessing|assuming|afraid|asking|telling|bringing|pulling|loading|searching|typing|"
    r"opening|finding|scrolling|trying|just)\b)[a-z]+ing\b"
    r"|\b(?:is|are|'s|'re)\s+(?:expected|scheduled|due|set|booked)\s+to\b")
# Not a promise: naming something ("that'll be the engineer's note"), or a future said inside a
# relative clause ("the calls that will come in this evening").
_NAMING_RE = re.compile(
    r"^(?:(?:so|oh|yeah|well|right|ah)\s+)*(?:that'll|that\s+will|it'll|that'd)\s+be\s+(?:the|a|an|your|"
    r"their|our|his|her)\b[^,;]*"
    # "that'll show on your bill" after "and" is a promise; "calls that will come" is not.
    r"|(?<![,;])(?<!\band)(?<!\bso)(?<!\bbut)\s(?:that|which|who)\s+will\s+\w+")
# Objects that name nothing: "we'll take care of anything that's left".
_VAGUE_OBJECT_RE = re.compile(r"\b(?:anything|everything|whatever|the\s+rest|it\s+all)\b")
# A circumstance, not a time frame: "on a day you should be resting".
_CIRCUMSTANCE_RE = re.compile(r"\bon\s+(?:a|one|the)\s+(?:day|week|morning|night)\b")


# A next step left to nobody in particular: "someone should give you a buzz", "they will
# revert". Vague unless it comes with a time.
_UNOWNED_RE = re.compile(
    r"\b(?:someone|somebody|they|one\s+of\s+(?:our|the|my)\s+\w+)(?:'ll|\s+will|\s+should|\s+shall|"
    r"\s+(?:is|are)\s+going\s+to|'(?:s|re)\s+going\s+to|\s+(?:is|are)\s+gonna|\s+gonna)\s+"
    r"(?:\w+\s+){0,2}?(?:call|ring|phone|contact|give\s+you|get\s+in\s+touch|email|text|"
    r"reach\s+out|get\s+back|be\s+in\s+touch|look|sort|deal|check|come|send|revert|"
    r"update|review|process|fix|investigate|follow\s+up)\b")
# Idioms for taking the matter on with no time: "leave it with me", "let me get that
# escalated", "let me chase that". "Let me check that" is a look-up, not a next step.
_IDIOM_RE = re.compile(
    r"\bleave\s+(?:it|that|this|that\s+one|this\s+one|the\s+rest)\s+with\s+(?:me|us)\b"
    r"|\bas\s+soon\s+as\s+(?:we|i|they|he|she|someone)\s+(?:can|are\s+able|get\s+a\s+chance)\b"
    r"|\blet\s+me\s+(?:get|have)\s+(?:that|it|this|them)\s+"
    r"(?:escalated|sorted|looked\s+(?:at|into)|fixed|chased|passed\s+on|seen\s+to|raised)\b"
    r"|\blet\s+me\s+(?:escalate|chase|flag|raise|pass\s+on|forward)\s+(?:that|it|this)\b")
_WHAT_ILL_DO_RE = re.compile(
    r"(?i)^\s*(?:so\s+|okay\s+|ok\s+|right\s+|now\s+)?what\s+(?:i|we)(?:'ll|\s+will|'m\s+going\s+to|"
    r"\s+am\s+going\s+to|'re\s+going\s+to|\s+are\s+going\s+to|\s+can)\s+do\s+(?:now\s+)?is\s*,?\s*")
# Trying is not promising: "I'll try and get someone out this week" is vague even with a time.
_TRY_RE = re.compile(r"\b(?:(?:i|we)(?:'ll|\s+will)\s+(?:try|do\s+(?:my|our)\s+best)"
                     r"|try\s+and|(?:i|we)(?:'ll|\s+will)\s+attempt)\b")
# What usually happens next, said as the next step: "they normally get back within a few days".
_HABITUAL_RE = re.compile(
    r"\b(?:they|we|you|it|he|she|someone|the\s+\w+)\s+(?:normally|usually|generally|typically|"
    r"tend\s+to)\s+(?:get\s+back|call|ring|contact|reply|respond|come|arrive|take|takes|process|send|"
    r"hear|get\s+in\s+touch|be\s+in\s+touch|deal\s+with|sort)\b")
# "I've booked your callback for half past three", "you're booked in for Friday at 9": a verb
# that schedules, said by the agent or of the customer's booking, followed by when.
_SCHEDULED_RE = re.compile(
    r"\b(?:(?:i|we)(?:'ve|\s+have)?|(?:is|are|'s|'re)(?:\s+now|\s+all)?)\s+(?:just\s+|now\s+|also\s+)?"
    r"(?:booked|scheduled|arranged|set\s+up|lined\s+up|put\s+you\s+down|reserved|confirmed|"
    r"pencilled|penciled|moved|rebooked|due)\b(?:\s+[\w']+){0,4}?\s+(?:for|on|at|between|in|"
    r"from)\s+")


def _scheduled(norm: str) -> bool:
    """True when a scheduling verb is followed by a time ("booked ... for half past three")."""
    for match in _SCHEDULED_RE.finditer(norm):
        rest = norm[match.end():]
        found = find_time(rest)
        if found and rest.startswith(found):
            return True
    return False


# The present tense for a scheduled future: "the credit goes on by close of business".
_ARRIVES_RE = re.compile(
    r"(?<!that )(?<!which )\b(?:goes\s+(?:on|out|through|back|in)|arrives|posts|lands|comes\s+"
    r"(?:through|back|in|out)|shows\s+up|appears|ships|clears|reaches\s+you|turns\s+up|kicks\s+in|"
    r"takes\s+effect|gets\s+to\s+you|is\s+due|are\s+due|is\s+on\s+its\s+way|gets\s+dispatched)"
    r"(?:\s+(?!every\b)[\w']+){0,3}?\s+(?=\S)")


# What the customer fears or was told is not the agent's promise: "you're worried it will ...".
# ("As you said, I'll call you at ten" keeps its promise: only fears and what they were told.)
_REPORTED_RE = re.compile(r"\b(?:you(?:'re|\s+are|\s+were|'ve\s+been|\s+have\s+been)?\s+(?:afraid|"
                          r"worried|scared|concerned|told|promised)|(?:they|he|she)\s+(?:told|"
                          r"promised)\s+you)\b.*$")
# Counterfactuals describe the past, not a next step: "that should never have happened".
_COUNTERFACTUAL_RE = re.compile(
    r"\b(?:should|would|could|might|must)(?:n't|\s+not|\s+never)?(?:\s+\w+)?\s+have\s+"
    r"(?:been|\w+ed|got|gotten|sent|done|told|known|gone|come|taken|seen|said|made|given|"
    r"heard|paid|left|kept|put|rung|spoken|written|caught|brought|found)\b|should've|would've|"
    r"could've")
_COUNTERFACTUAL_CLAUSE_RE = re.compile(_COUNTERFACTUAL_RE.pattern + r"[^,;]*")
_NEXT_CLAUSE_RE = re.compile(r"(?i),\s*(?:and\s+)?(?:then\s+)?|\s+and\s+then\s+|;\s*"
                             r"|\s+and\s+(?=i'll|i\s+will|we'll|we\s+will)")
# Asking when the customer is free is not a promise: "let me know when you're free".
_AVAILABILITY_RE = re.compile(
    r"^(?:(?:so|okay|ok|right|and|just)\s+)?(?:(?:let\s+me\s+know|tell\s+me|can\s+you\s+tell\s+me|"
    r"i\s+need\s+to\s+know)\s+)?"
    r"(?:when|what\s+time|which\s+day|what\s+day|which\s+days|what\s+days)\b[^.]*\b(?:you(?:'re|\s+are|'ll\s+be|\s+will\s+be)\s+"
    r"(?:free|available|around|home|in|about|back)|suits?\s+you|works?\s+(?:best\s+)?for\s+you|"
    r"is\s+(?:good|best|convenient)\s+for\s+you)")


# A question written without its question mark (speech-recogniser text): "will someone be home
# tomorrow morning".
_UNMARKED_QUESTION_RE = re.compile(
    r"^(?:(?:so|and|okay|ok|right|um|uh)\s+)*(?:will|would|is|are|can|could)\s+(?:someone|"
    r"somebody|anyone|anybody|there\s+be)\s+(?:be\s+)?(?:home|in|around|there|available|free|about)\b")


def classify(sentence: str, cfg: CriterionConfig) -> tuple[str, dict[str, str | None]] | None:
    """("specific" | "vague", parts) for a sentence that promises a next step, else None.

    A promise is an owner and a future ("I'll", "the team will", "you'll get"), an action the
    agent is taking now ("I'm issuing the credit") or something booked for a time ("I've
    booked your callback for half past three"). It is specific with a concrete time from the
    time grammar, or with a concrete action the agent owns, or with a channel and a named
    owner; vague when hedged, when it uses a vague word with no time, or when it only hands
    the matter on ("I'll pass it along", "I'll get somebody to reach out") with no time.
    """
    # "What I'll do is I'll ring you at ten" opens with "what" but is no question.
    sentence = _WHAT_ILL_DO_RE.sub("", sentence)
    # A trailing tag question ("..., anything else?") doesn't make the promise a question.
    head, _, tag = sentence.rpartition(",")
    if head and is_question(tag) and not is_question(head + "."):
        sentence = head + "."
    # Only the clauses that could promise: not what the customer fears or was told, nor what
    # should have happened ("that should never have happened, and I'll call you at 4").
    norm = _REPORTED_RE.sub("", normalize(sentence))
    norm = _COUNTERFACTUAL_CLAUSE_RE.sub(" ", norm)
    norm = _NAMING_RE.sub(" ", norm)
    if _IN_CALL_RE.search(norm) and not find_phrase(norm, cfg["channel_phrases"]) \
            and not _CONTACT_RE.search(norm):
        return None
    handoff = (_HANDOFF_RE.search(norm) or _UNOWNED_RE.search(norm) or _IDIOM_RE.search(norm)
               or _CAN_HANDOFF_RE.search(norm))
    if find_phrase(sentence, cfg["not_commitment_phrases"]) and not handoff:
        # "I'll need your postcode, and then I'll book the engineer for Friday": the first
        # clause is no promise, the next one may be.
        halves = _NEXT_CLAUSE_RE.split(sentence, maxsplit=1)
        return classify(halves[1], cfg) if len(halves) == 2 and halves[1].strip() else None
    if is_question(sentence) or _AVAILABILITY_RE.search(norm) or _UNMARKED_QUESTION_RE.match(norm) \
            or not norm.strip(" ,."):
        return None
    when = _time_frame(norm, cfg)
    circumstance = _CIRCUMSTANCE_RE.search(norm)
    if when is not None and circumstance and when in circumstance.group(0):
        when = None
    if when is not None and handoff is not None:
        # "Saturday appointments are booked by the team, so I'll pass it over": the time
        # belongs to another clause than the hand-off.
        at = norm.find(when)
        if 0 <= at < handoff.start() and re.search(r"[,;]|\b(?:so|but|and)\b",
                                                   norm[at + len(when):handoff.start()]):
            when = None
    action = _first_person_action(norm, cfg)
    if action and _VAGUE_OBJECT_RE.search(norm[norm.find(action.split()[-1]):]):
        action = None  # "we'll take care of anything that's left" names no concrete step
    scheduled = when is not None and (_scheduled(norm) or _ARRIVES_RE.search(norm) is not None
                                      or _DOING_NOW_RE.search(norm) is not None)
    wait = _WAIT_RE.search(norm)
    hedge = find_phrase(norm, cfg["hedge_phrases"])
    hedged_time = hedge and when
    if not (find_phrase(norm, cfg["commitment_phrases"]) or action or hedged_time
            or handoff or scheduled or _HABITUAL_RE.search(norm) or wait):
        return None
    unhedged = norm
    for exception in cfg["vague_exceptions"]:
        unhedged = re.sub(r"(?i)\b" + re.escape(exception) + r"\b", " ", unhedged)
    parts: dict[str, str | None] = {
        "who": _owner(norm),
        "when": when,
        "what": (through_clause(norm, handoff.start(), handoff.end(), 9).strip(" ,.")
                 if handoff else action),
        "channel": find_phrase(norm, cfg["channel_phrases"]),
        "vague": find_phrase(unhedged, cfg["vague_phrases"]),
    }
    tried = _TRY_RE.search(norm)
    hedge = hedge or (tried.group(0) if tried else None)
    if hedge:
        parts["vague"] = hedge
        return "vague", parts
    if parts["vague"] and not when:
        return "vague", parts
    if when:
        return "specific", parts
    if handoff:
        parts["vague"] = "handed on with no time"
        return "vague", parts
    if wait:
        parts["vague"] = wait.group(0)
        return "vague", parts
    # Concrete: an action the agent owns ("I'm refunding"), or how they'll hear from a named
    # owner ("the billing team will email you"), but not "someone will call you".
    if action or (parts["channel"] and parts["who"] not in {"someone else", "unnamed"}):
        return "specific", parts
    # A promise with no time, no owner and no channel: "the refund will be processed".
    if find_phrase(sentence, cfg["promise_verbs"]):
        parts["vague"] = "no time, owner or channel"
        return "vague", parts
    return None


def _vague_message(parts: dict[str, str | None]) -> str:
    """Why a promise is vague, in a coach's words."""
    vague = parts.get("vague") or ""
    if vague == "handed on with no time":
        return (f"Vague promise: it hands the matter on (\"{parts.get('what')}\") with no time "
                "and no way for the customer to hear back.")
    if vague == "no time, owner or channel":
        return "Vague promise: no time, no owner and no way for the customer to hear back."
    if parts.get("when"):
        return (f"Vague promise: \"{vague}\" hedges the time (\"{parts['when']}\"), so the "
                "customer can't count on it.")
    return f"Vague promise (\"{vague}\"): no time frame or owner."


# The verb phrase of a promise: "I'll pass it along soon" -> "pass it along".
_PROMISE_RE = re.compile(
    r"\b(?P<who>i|we|someone|somebody|they|he|she|(?:the|our)\s+(?:\w+\s+)?team)" + _FUTURE
    + r"\s+(?:(?:definitely|also|just|personally|certainly|make\s+sure\s+to|try\s+(?:to|and))\s+)*"
    r"(?P<vp>[a-z' ]+)")
_VP_STOP = re.compile(r"\s+(?:and|but|so|once|when|whenever|as\s+soon\s+as|if|because|then|"
                      r"until|after|before|while)\b.*$")
_VP_VAGUE = re.compile(r"\s*\b(?:soon|shortly|eventually|asap|as\s+soon\s+as\s+possible|"
                       r"at\s+some\s+(?:point|stage)|in\s+due\s+course|when\s+(?:we|they|i)\s+can|"
                       r"hopefully|probably|for\s+sure|sometime|some\s+time|in\s+a\s+while|later|for\s+you)\b")
# First words that make a clean bare verb phrase ("pass it along", "get back to you").
_NOT_VERB = frozenset({"be", "have", "need", "probably", "maybe", "not", "never", "the", "a",
                       "it", "that", "this", "you", "i", "we", "to", "s", "all"})
_CONTACT_RE = re.compile(r"\b(?:call|ring|phone|email|e-mail|text|message\s+you|contact|write|"
                         r"get\s+back|be\s+in\s+touch|reach\s+out|let\s+you\s+know|update\s+you)\b")
EXAMPLE_TIME = "by 4 pm tomorrow"


def promised_action(sentence: str) -> tuple[str, str] | None:
    """(owner word, bare verb phrase) of a promise, when it reads cleanly: "I'll flag it with
    the team" -> ("i", "flag it with the team"). None when the words after the modal are not a
    short, clean verb phrase, so a suggestion never builds on a fragment."""
    match = _PROMISE_RE.search(normalize(sentence).replace(",", " ,"))
    if match is None:
        return None
    vp = _VP_STOP.sub("", match.group("vp").split(" ,")[0])
    vp = " ".join(_VP_VAGUE.sub(" ", vp).split())
    words = vp.split()
    if not words or len(words) > 7 or (words[0] in _NOT_VERB and not (
            words[:3] == ["be", "in", "touch"] or words[:2] == ["get", "back"])) \
            or find_time(vp) or "'" in words[0] or {"us", "me", "my", "our"} & set(words):
        # "they'll get back to us" is a report to the agent, not a step the customer hears of
        return None
    return " ".join(match.group("who").split()), vp


def suggest_specific(sentence: str) -> str:
    """A full sentence the agent could have said instead of a vague promise: the promise's own
    action, a time to fill in and how the customer will hear."""
    found = promised_action(sentence)
    if found is None:
        return (f"\"I'll look into this today and call you {EXAMPLE_TIME} to tell you where it "
                "stands.\"")
    who, vp = found
    if vp in {"call", "ring", "phone", "text", "email", "contact", "call back", "ring back"}:
        vp = vp.replace("back", "").strip() + " you back" if "back" in vp else vp + " you"
    if who in {"i", "we"}:
        doer = "I'll"
    elif vp.startswith("be "):
        return (f"\"I'll make sure someone from our team gets in touch {EXAMPLE_TIME}, and "
                "I'll email you their name today.\"")
    if who in {"i", "we"}:
        doer = "I'll"
    elif who in {"they", "he", "she"}:
        doer = "I'll have them"
    elif who in {"someone", "somebody"}:
        doer = "I'll have someone from our team"
    else:
        doer = f"I'll have {who}"
    if _CONTACT_RE.search(vp):
        return f"\"{doer} {vp} {EXAMPLE_TIME}.\""
    return f"\"{doer} {vp} today, and I'll call you {EXAMPLE_TIME} to tell you where it stands.\""


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A finding per commitment, and a coaching point when a complaint ends with no next step."""
    findings = []
    verdicts = [(i, sentence, classify(sentence, cfg))
                for i, _utt, sentence in agent_sentences(call)]
    specific_utterances = {i for i, _, v in verdicts if v and v[0] == "specific"}
    for i, sentence, verdict in verdicts:
        if verdict is None:
            continue
        kind, parts = verdict
        if kind == "vague" and i in specific_utterances and (
                parts["vague"] == "no time, owner or channel" or _IDIOM_RE.search(
                    normalize(sentence))):
            # The same turn already gave the specifics; "Leave that with me. I'm booking it
            # for tomorrow at nine" only introduces them.
            continue
        details = {k: v for k, v in parts.items() if v}
        if kind == "specific":
            said = ", ".join(f"{k}: {v}" for k, v in details.items())
            findings.append(agent_finding(
                call, i, CRITERION, "expectation:specific", STRENGTH,
                f"Clear next step ({said}).", quote=sentence, **details))
        else:
            findings.append(agent_finding(
                call, i, CRITERION, "expectation:vague", COACHING, _vague_message(parts),
                suggestion="Say who does what by when, and how they'll hear, with a time you "
                           f"can keep: {suggest_specific(sentence)}",
                quote=sentence, **details))
    agent_turns = call.by(AGENT)
    if complaint_utterances(call, cfg) and not findings and agent_turns:
        last, _ = agent_turns[-1]
        findings.append(agent_finding(
            call, last, CRITERION, "expectation:missing", COACHING,
            "The call ended without telling the customer what happens next.",
            suggestion="Before closing, say what happens next, who does it, by when and how "
                       "the customer will hear: \"I'll sort this out today, and you'll get an "
                       "email from me by 5 pm confirming it's done.\""))
    return findings


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """Share of specific commitments; low when a problem ended with no next step."""
    specific = sum(f.label == "expectation:specific" for f in findings)
    vague = sum(f.label == "expectation:vague" for f in findings)
    if specific + vague == 0:
        return missing_score_or_na(
            findings, "expectation:missing", cfg,
            "No next step was set for the customer's problem.",
            "no next step was needed on this call")
    value = (specific * 100 + vague * cfg["vague_score"]) / (specific + vague)
    return CriterionScore(CRITERION, clamp_score(value),
                          f"{specific} specific and {vague} vague commitment(s).", cfg.weight)
