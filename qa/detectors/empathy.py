"""Empathy: the agent acknowledges the customer's feeling or situation ("that must be so
frustrating", "I can imagine how stressful that is").
"""

from __future__ import annotations

from qa.detectors.common import (
    agent_finding,
    agent_sentences,
    complaint_utterances,
    is_listening_cue,
    problem_phrase,
)
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, not_applicable
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, tokens
from qa.transcript import Transcript

CRITERION = "empathy"
NEEDS_TIMING = False
PARAMS = {
    "empathy_phrases": PHRASES,
    "feeling_openers": PHRASES,
    "feeling_words": PHRASES,
    "missing_score": NUMBER,
}


def _named_feeling(sentence: str, cfg: CriterionConfig, reach: int = 6) -> str | None:
    """An opener ("that's", "how") followed closely by a feeling word ("rough", "stressful")."""
    words = tokens(sentence)
    feelings = {w.lower() for w in cfg["feeling_words"]}
    for opener in cfg["feeling_openers"]:
        size = len(opener.split())
        for pos in range(len(words) - size + 1):
            if " ".join(words[pos:pos + size]) != opener:
                continue
            near = words[pos + size:pos + size + reach]
            feeling = next((w for w in near if w in feelings), None)
            if feeling:
                return " ".join(words[pos:pos + size + near.index(feeling) + 1])
    return None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength per empathy statement; a coaching point if a complaint got none."""
    findings = []
    for i, utt, sentence in agent_sentences(call):
        if is_listening_cue(utt.text, cfg):
            continue  # a bare "I understand." is a listening cue, not empathy
        phrase = find_phrase(sentence, cfg["empathy_phrases"]) or _named_feeling(sentence, cfg)
        if phrase:
            findings.append(agent_finding(
                call, i, CRITERION, "empathy", STRENGTH,
                f"Acknowledged how the customer feels (\"{phrase}\").", quote=sentence))
    complaints = complaint_utterances(call, cfg)
    if complaints and not findings:
        ci, cu = complaints[0]
        feeling = find_phrase(cu.text, cfg["feeling_words"]) or "frustrating"
        problem = problem_phrase(call, ci + 1, cfg) or "this happened"
        findings.append(agent_finding(
            call, ci, CRITERION, "empathy:missing", COACHING,
            "The customer described a problem and nobody acknowledged how it felt.",
            suggestion=f"\"I can imagine how {feeling} it is that {problem}.\""))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 when the agent acknowledged the customer's feelings, low when a complaint got none."""
    shown = sum(f.label == "empathy" for f in findings)
    if shown:
        return CriterionScore(CRITERION, 100.0, f"{shown} empathy statement(s).", cfg.weight)
    if any(f.label == "empathy:missing" for f in findings):
        return CriterionScore(CRITERION, float(cfg["missing_score"]),
                              "A complaint was met with no acknowledgement of feelings.",
                              cfg.weight)
    return not_applicable(CRITERION, "the customer raised no problem", cfg.weight)
