"""Positive language: "here's what I can do" instead of "I can't"; "let's" instead of
"you need to".
"""

from __future__ import annotations

import re

from qa.detectors.common import agent_finding, agent_sentences
from qa.detectors.contract import PROBLEM, Criterion, Label
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import GROUPS, NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, normalize
from qa.transcript import Transcript

CONTRACT = Criterion(
    "positive_language", "Positive language",
    labels=(
        Label("positive_language", STRENGTH, "Positive phrasing"),
        Label("negative_language", PROBLEM,
              "Saying what can't be done instead of what can", practicable=True),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "negative_phrases": PHRASES,
    "positive_phrases": PHRASES,
    "rewrites": GROUPS,
    "points_per_negative": NUMBER,
}


def rewrite(sentence: str, phrase: str, cfg: CriterionConfig) -> str:
    """A positive version of the sentence, using the rubric's replacement for the phrase.

    A replacement ending in ":" ("here's what I can do:") introduces an alternative the agent
    has to name, so the sentence keeps its content after it; others swap in place
    ("you need to restart" -> "let's restart").
    """
    replacement = (cfg["rewrites"].get(phrase) or ["here's what I can do:"])[0]
    pattern = re.compile(r"(?i)\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b")
    if replacement.endswith(":"):
        # The agent has to name the option: say so in words, never with a placeholder.
        text = f"{replacement[:-1]}, and name the option you can offer"
    else:
        text = pattern.sub(replacement, sentence.strip(), count=1)
    return text[:1].upper() + text[1:]


# Longer sentences are not rewritten in place (see _suggestion).
MAX_REWRITE_WORDS = 16


def _suggestion(sentence: str, phrase: str, cfg: CriterionConfig) -> str:
    """The coaching line: the rewrite quoted when it is a sentence, described when the agent
    still has to name the option ("say \"here's what I can do\" and name the option")."""
    if len(sentence.split()) > MAX_REWRITE_WORDS:
        # A long sentence (often a run-on from speech recognition) rewritten in place reads as
        # nonsense: name the swap instead of quoting the sentence back.
        replacement = (cfg["rewrites"].get(phrase) or ["here's what I can do"])[0].rstrip(":")
        return (f"Lead with what you can do: instead of \"{phrase}\", say \"{replacement}\" "
                "and what happens next.")
    better = rewrite(sentence, phrase, cfg)
    if better.endswith("name the option you can offer"):
        opener = better.split(",", 1)[0]
        return (f"Lead with what you can do: say \"{opener}\" and name the option you can offer, "
                f"rather than \"{sentence.strip()}\"")
    return f"Lead with what you can do: \"{better}\" rather than \"{sentence.strip()}\""


_COUNTERFACTUAL = re.compile(r"\byou\s+(?:should|could|ought\s+to)(?:\s+have|'ve)\b")


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A coaching point per negative phrasing (with the positive rewrite), a strength per
    positive one."""
    findings = []
    for i, _utt, sentence in agent_sentences(call):
        negative = find_phrase(sentence, cfg["negative_phrases"])
        if negative and _COUNTERFACTUAL.search(normalize(sentence)):
            # "you should have got a text" reproaches the past (the blame criterion's
            # business); rewritten as "It may help to have got a text" it is nonsense.
            negative = None
        if negative:
            findings.append(agent_finding(
                call, i, CRITERION, "negative_language", COACHING,
                f"Negative framing (\"{negative}\") tells the customer what can't happen.",
                suggestion=_suggestion(sentence, negative, cfg),
                quote=sentence, phrase=negative))
            continue
        positive = find_phrase(sentence, cfg["positive_phrases"])
        if positive:
            findings.append(agent_finding(
                call, i, CRITERION, "positive_language", STRENGTH,
                f"Positive, solution-first wording (\"{positive}\").", quote=sentence,
                phrase=positive))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 less a fixed number of points per negative phrasing."""
    negatives = sum(f.label == "negative_language" for f in findings)
    positives = sum(f.label == "positive_language" for f in findings)
    return CriterionScore(
        CRITERION, clamp_score(100 - negatives * cfg["points_per_negative"]),
        f"{negatives} negative and {positives} positive phrasing(s).", cfg.weight)
