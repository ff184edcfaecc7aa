"""One module per rubric criterion, all the same shape.

Each module defines ``CRITERION`` (its rubric name), ``NEEDS_TIMING`` (whether it needs to know
who spoke when), ``PARAMS`` (the rubric keys it reads) and two pure functions::

    detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]
    score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore
"""

from __future__ import annotations

from types import ModuleType

from qa.detectors import (
    affirmations,
    apology,
    blame,
    clarifying_questions,
    customer_name,
    dead_air,
    empathy,
    expectations,
    greeting_closing,
    interruptions,
    paraphrasing,
    positive_language,
    sentiment,
    speaking_rate,
    talk_ratio,
)

DETECTORS: dict[str, ModuleType] = {
    module.CRITERION: module
    for module in (interruptions, paraphrasing, affirmations, apology, expectations, empathy,
                   blame, positive_language, greeting_closing, customer_name,
                   clarifying_questions, dead_air, talk_ratio, speaking_rate, sentiment)
}

# The labels ``qa eval`` compares, and the criterion that produces each.
EVAL_LABELS: dict[str, str] = {
    "interruption": "interruptions",
    "affirmation": "affirmations",
    "paraphrase": "paraphrasing",
    "apology:sincere": "apology",
    "apology:scripted": "apology",
    "expectation:specific": "expectations",
    "expectation:vague": "expectations",
    "empathy": "empathy",
    "blame": "blame",
}
