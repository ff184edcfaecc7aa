"""Clarifying questions: the agent asks about the problem itself ("when did it start?", "what
happens when you...?") before solving, beyond verification questions.
"""

from __future__ import annotations

from qa.detectors.common import agent_finding, agent_sentences, complaint_utterances, problem_phrase
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable, missing_score_or_na
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, is_question
from qa.transcript import Transcript

CONTRACT = Criterion(
    "clarifying_questions", "Clarifying questions",
    labels=(
        Label("clarifying_question", STRENGTH, "Asking about the problem before solving it"),
        Label("clarifying_question:missing", PROBLEM,
              "Going to a fix without asking about the problem"),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "clarifying_phrases": PHRASES,
    "verification_phrases": PHRASES,
    "missing_score": NUMBER,
}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength per question about the problem; a coaching point if a problem got none."""
    findings = []
    for i, _utt, sentence in agent_sentences(call):
        if not is_question(sentence) or find_phrase(sentence, cfg["verification_phrases"]):
            continue
        phrase = find_phrase(sentence, cfg["clarifying_phrases"])
        if phrase:
            findings.append(agent_finding(
                call, i, CRITERION, "clarifying_question", STRENGTH,
                "Asked a question to understand the problem.", quote=sentence, phrase=phrase))
    complaints = complaint_utterances(call, cfg)
    if complaints and not findings:
        ci, _ = complaints[0]
        problem = problem_phrase(call, ci + 1, cfg)
        ask = (f"When did you first notice that {problem}, and what have you tried so far?"
               if problem else "When did this start, and what have you tried so far?")
        findings.append(agent_finding(
            call, ci, CRITERION, "clarifying_question:missing", COACHING,
            "The agent went to a fix without asking a single question about the problem.",
            suggestion=f"Ask before solving: \"{ask}\""))
    return findings


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 with at least one clarifying question; ``missing_score`` when a problem got none."""
    asked = sum(f.label == "clarifying_question" for f in findings)
    if asked:
        return CriterionScore(CRITERION, 100.0, f"{asked} clarifying question(s).", cfg.weight)
    return missing_score_or_na(
        findings, "clarifying_question:missing", cfg,
        "No question about the problem before solving it.", "the customer raised no problem")
