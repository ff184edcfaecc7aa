"""Expectation-setting: each next step the agent promises, specific (a time frame or a concrete
action) or vague ("soon", "someone will look into it").
"""

from __future__ import annotations

import re

from qa.detectors.common import (
    agent_finding,
    agent_sentences,
    complaint_utterances,
    problem_phrase,
)
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score, not_applicable
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, is_question, normalize, numbers, stem, tokens
from qa.transcript import AGENT, Transcript

CRITERION = "expectations"
NEEDS_TIMING = False
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
    """A concrete time: a phrase from the rubric, or a number followed by a time unit."""
    phrase = find_phrase(sentence, cfg["time_phrases"])
    if phrase:
        return phrase
    words = tokens(sentence)
    units = {u.lower() for u in cfg["time_units"]}
    for pos, word in enumerate(words):
        if word in units and any(numbers(w) for w in words[max(0, pos - 4):pos]):
            return " ".join(words[max(0, pos - 3):pos + 1])
        # "by eleven thirty", "before 5", "around 7 40": a clock time.
        if word in {"by", "before", "around", "at", "until"} and pos + 1 < len(words) \
                and numbers(words[pos + 1]):
            return " ".join(words[pos:pos + 3])
    return None


_FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'll", "we", "we're", "we've", "we'll", "am",
                           "have", "just", "also", "now", "already", "going", "to"})


_OWNERS = (("agent", {"i", "i'm", "i've", "i'll", "i'd", "me", "myself"}),
           ("company", {"we", "we're", "we've", "we'll", "our", "us"}),
           ("someone else", {"they", "they'll", "they're", "someone", "somebody", "someone'll",
                             "somebody'll", "he", "she", "he'll", "she'll", "he's", "she's",
                             "team", "department"}),
           ("company", {"you'll", "you"}))


def _owner(sentence: str) -> str:
    """Who the promise puts the work on: the agent ("I'll"), the company ("we'll", "you'll
    get"), someone else ("they'll call you", "someone will"), or nobody named ("it'll be
    processed")."""
    words = tokens(sentence)
    for owner, markers in _OWNERS:
        if any(w in markers for w in words):
            return owner
    return "unnamed"


def _first_person_action(sentence: str, cfg: CriterionConfig) -> str | None:
    """An action the agent is taking or has just taken: "I'm reversing", "I've refunded"."""
    words = tokens(sentence)
    actions = {stem(a) for a in cfg["action_phrases"] if " " not in a}
    for pos, word in enumerate(words):
        if word not in {"i'm", "i've", "i'll", "we're", "we've", "we'll"} and not (
                word in {"i", "we"} and pos + 1 < len(words)
                and words[pos + 1] in {"am", "have", "are", "will"}):
            continue
        for follower in words[pos + 1:pos + 4]:
            if stem(follower) in actions:
                return f"{word} {follower}" if word != "i" else f"i {words[pos + 1]} {follower}"
            if follower not in _FIRST_PERSON:
                break
    return None


def classify(sentence: str, cfg: CriterionConfig) -> tuple[str, dict[str, str | None]] | None:
    """("specific" | "vague", parts) for a sentence that promises a next step, else None."""
    # A trailing tag question ("..., anything else?") doesn't make the promise a question.
    head, _, tag = sentence.rpartition(",")
    if head and is_question(tag) and not is_question(head + "."):
        sentence = head + "."
    if is_question(sentence) or find_phrase(sentence, cfg["not_commitment_phrases"]):
        return None
    action = _first_person_action(sentence, cfg)
    hedged_time = find_phrase(sentence, cfg["hedge_phrases"]) and _time_frame(sentence, cfg)
    if not (find_phrase(sentence, cfg["commitment_phrases"]) or action or hedged_time):
        return None
    unhedged = sentence
    for exception in cfg["vague_exceptions"]:
        unhedged = re.sub(r"(?i)\b" + re.escape(exception) + r"\b", " ", unhedged)
    parts = {
        "who": _owner(sentence),
        "when": _time_frame(sentence, cfg),
        "what": action,
        "channel": find_phrase(sentence, cfg["channel_phrases"]),
        "vague": find_phrase(unhedged, cfg["vague_phrases"]),
    }
    hedge = find_phrase(sentence, cfg["hedge_phrases"])
    if hedge:
        parts["vague"] = hedge
        return "vague", parts
    if parts["vague"] and not parts["when"]:
        return "vague", parts
    # Concrete: a time, an action the agent owns ("I'm refunding"), or how they'll hear,
    # unless the work is handed to someone else with no time ("he will call you").
    if parts["when"] or action or (parts["channel"] and parts["who"] != "someone else"):
        return "specific", parts
    # A promise with no time, no owner and no channel: "the refund will be processed".
    if find_phrase(sentence, cfg["promise_verbs"]):
        parts["vague"] = "no time, owner or channel"
        return "vague", parts
    return None


def _rewrite(sentence: str, parts: dict[str, str | None]) -> str:
    """The promise with the vague words taken out and a time and channel asked for."""
    text = normalize(sentence).rstrip(".!")
    vague = parts.get("vague") or ""
    text = re.sub(r"\b(someone|somebody|we)('ll| will)\b", "I'll", text)
    if vague and vague not in {"someone will", "somebody will"}:
        text = re.sub(r"\s*\b" + re.escape(vague) + r"\b", "", text)
    text = text[:1].upper() + text[1:]
    channel = "" if parts.get("channel") else " and email you to confirm"
    return f"\"{text.strip()}{channel} by <a time you can keep, e.g. 4 pm tomorrow>.\""


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
        if kind == "vague" and parts["vague"] == "no time, owner or channel" \
                and i in specific_utterances:
            continue  # the same turn already gave the specifics
        details = {k: v for k, v in parts.items() if v}
        if kind == "specific":
            said = ", ".join(f"{k}: {v}" for k, v in details.items())
            findings.append(agent_finding(
                call, i, CRITERION, "expectation:specific", STRENGTH,
                f"Clear next step ({said}).", quote=sentence, **details))
        else:
            findings.append(agent_finding(
                call, i, CRITERION, "expectation:vague", COACHING,
                f"Vague promise (\"{parts['vague']}\"): no time frame or owner.",
                suggestion=f"Say who does what by when, and how they'll hear: "
                           f"{_rewrite(sentence, parts)}",
                quote=sentence, **details))
    agent_turns = call.by(AGENT)
    if complaint_utterances(call, cfg) and not findings and agent_turns:
        last, _ = agent_turns[-1]
        problem = problem_phrase(call, len(call.utterances), cfg) or "the customer's request"
        findings.append(agent_finding(
            call, last, CRITERION, "expectation:missing", COACHING,
            "The call ended without telling the customer what happens next.",
            suggestion=f"Before closing, say what happens next about {problem}: who does it, "
                       "by when, and how the customer will hear (\"I'll ... today, and you'll "
                       "get an email confirming it by 5 pm\")."))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """Share of specific commitments; low when a problem ended with no next step."""
    specific = sum(f.label == "expectation:specific" for f in findings)
    vague = sum(f.label == "expectation:vague" for f in findings)
    if specific + vague == 0:
        if any(f.label == "expectation:missing" for f in findings):
            return CriterionScore(CRITERION, float(cfg["missing_score"]),
                                  "No next step was set for the customer's problem.", cfg.weight)
        return not_applicable(CRITERION, "no next step was needed on this call", cfg.weight)
    value = (specific * 100 + vague * cfg["vague_score"]) / (specific + vague)
    return CriterionScore(CRITERION, clamp_score(value),
                          f"{specific} specific and {vague} vague commitment(s).", cfg.weight)
