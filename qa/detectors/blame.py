"""Blame and defensive language: fault put on the customer, a colleague, another department or
"the system"; "that's not my department"; "there's nothing I can do".
"""

from __future__ import annotations

from qa.detectors.common import agent_finding, agent_sentences, problem_phrase
from qa.findings import COACHING, CriterionScore, Finding, clamp_score, not_applicable
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase
from qa.transcript import AGENT, Transcript

CRITERION = "blame"
NEEDS_TIMING = False
PARAMS = {
    "blame_phrases": PHRASES,
    "not_blame_phrases": PHRASES,
    "points_per_instance": NUMBER,
}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A coaching point for each blaming or defensive sentence, with an ownership rewrite."""
    findings = []
    for i, _utt, sentence in agent_sentences(call):
        phrase = find_phrase(sentence, cfg["blame_phrases"])
        if not phrase or find_phrase(sentence, cfg["not_blame_phrases"]):
            continue
        problem = problem_phrase(call, i, cfg) or "this"
        findings.append(agent_finding(
            call, i, CRITERION, "blame", COACHING,
            f"Blaming or defensive language (\"{phrase}\").",
            suggestion=f"Own it instead of assigning fault: \"Let's sort out {problem} "
                       "together. Here's what I can do right now.\"",
            quote=sentence, phrase=phrase))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 less a fixed number of points per blaming sentence."""
    if not call.by(AGENT):
        return not_applicable(CRITERION, "the agent said nothing", cfg.weight)
    count = sum(f.label == "blame" for f in findings)
    if not count:
        return CriterionScore(CRITERION, 100.0, "No blaming or defensive language.", cfg.weight)
    return CriterionScore(CRITERION, clamp_score(100 - count * cfg["points_per_instance"]),
                          f"{count} blaming or defensive sentence(s).", cfg.weight)
