"""One module per rubric criterion, all the same shape.

Each module declares ``CONTRACT`` (a :class:`~qa.detectors.contract.Criterion`: its rubric
name, its plain name, what it needs from a transcript and every label it puts on findings,
with polarity and plain-language text), ``PARAMS`` (the rubric keys it reads) and two pure
functions::

    detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]
    score(findings: list[Finding], call: Transcript, cfg: CriterionConfig)
        -> CriterionScore | NotApplicable

``CRITERION`` is the contract's name, kept for the findings. Whether a criterion applies
to a call is decided in :mod:`qa.scoring`: from the contract (timing, channels, both parties)
before ``detect`` runs, and from a ``NotApplicable`` that ``score`` returns when the call gave
it nothing to judge.
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
from qa.detectors.contract import Criterion, Label

DETECTORS: dict[str, ModuleType] = {
    module.CONTRACT.name: module
    for module in (interruptions, paraphrasing, affirmations, apology, expectations, empathy,
                   blame, positive_language, greeting_closing, customer_name,
                   clarifying_questions, dead_air, talk_ratio, speaking_rate, sentiment)
}

# Every criterion's contract, in scoring order.
CONTRACTS: dict[str, Criterion] = {name: module.CONTRACT for name, module in DETECTORS.items()}
# Every declared label, with its criterion's name.
LABELS: dict[str, tuple[str, Label]] = {
    spec.name: (criterion.name, spec)
    for criterion in CONTRACTS.values() for spec in criterion.labels
}
# The labels ``qa eval`` compares, and the criterion that produces each.
EVAL_LABELS: dict[str, str] = {
    name: criterion for name, (criterion, spec) in LABELS.items() if spec.evaluated
}
# The labels that record a promise the agent made, kept as commitments to follow up.
COMMITMENT_LABELS = frozenset(name for name, (_, spec) in LABELS.items() if spec.commitment)
