"""What detectors produce and scoring consumes: findings and criterion scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STRENGTH = "strength"
COACHING = "coaching"
INFO = "info"  # noted for the record, never counted against the agent


@dataclass
class Finding:
    """One observation about a call, traceable to the words that triggered it.

    ``utterance`` is the index into the transcript's utterances; ``quote`` the words as said;
    ``polarity`` is ``strength``, ``coaching`` or ``info``; ``suggestion`` (coaching points
    only) is a better phrasing built from this call's own details.
    """

    criterion: str
    label: str
    utterance: int
    speaker: str
    start: float
    end: float
    quote: str
    polarity: str
    message: str
    suggestion: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class CriterionScore:
    """A criterion's 0-100 score, or not applicable with the reason why."""

    criterion: str
    score: float | None
    reason: str
    weight: float = 1.0
    # What made it: "detector" or a form kind (qa/forms.py).
    kind: str = "detector"
    # An auto-fail criterion's pass mark: a score below it sets the overall to 0. None: not
    # auto-fail.
    auto_fail_below: float | None = None
    # A question a coach has not answered yet: no score until then.
    pending: bool = False
    # A question item's text, as the coach is asked it.
    question: str | None = None

    @property
    def applicable(self) -> bool:
        """True when the criterion was scored."""
        return self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"criterion": self.criterion, "score": self.score,
                               "applicable": self.applicable, "reason": self.reason,
                               "weight": self.weight}
        if self.kind != "detector":
            out["kind"] = self.kind
        if self.auto_fail_below is not None:
            out["auto_fail_below"] = self.auto_fail_below
        if self.pending:
            out["pending"] = True
        if self.question is not None:
            out["question"] = self.question
        return out


def not_applicable(criterion: str, reason: str, weight: float = 1.0) -> CriterionScore:
    """A criterion that does not apply to this call, with the reason."""
    return CriterionScore(criterion, None, reason, weight)


def clamp_score(value: float) -> float:
    """Round into the 0-100 range."""
    return round(max(0.0, min(100.0, value)), 1)
