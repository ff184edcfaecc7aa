"""What a detector promises: its criterion, the labels its findings carry and what each means.

Each detector module declares one :class:`Criterion` as ``CONTRACT``; everything else that
needs to know a label (the dashboard's plain-language names, the labels ``qa eval`` and
calibration compare, the tests' vocabularies) reads it from there, so a label is written
down once.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.findings import COACHING, INFO, STRENGTH, CriterionScore, Finding
from qa.params import CriterionConfig

# A label's polarity is the polarity its findings carry: a strength, a problem to coach
# (``coaching``) or a note for the record that never counts against the agent (``info``).
PROBLEM = COACHING
POLARITIES = (STRENGTH, PROBLEM, INFO)


@dataclass(frozen=True)
class Label:
    """One finding label: its name, polarity, plain-language text, whether ``qa eval``
    measures it against labeled calls (docs/labels.md), whether it is a promise the agent
    made, kept as a commitment to follow up (``qa commitments``), and whether it marks the
    moment a turn starts rather than what the turn says (an interruption: carried to the
    piece of a split turn that starts nearest, when labels move to a machine transcript), and
    whether an agent can practise it by answering one moment differently (``qa/practice.py``:
    not timing or whole-call points), and, for a strength worth showing colleagues, what a
    good moment of it is called in the library (``qa/moments.py``; empty: not one)."""

    name: str
    polarity: str
    plain: str
    evaluated: bool = False
    commitment: bool = False
    turn_start: bool = False
    practicable: bool = False
    moment: str = ""

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"{self.name}: polarity must be one of {POLARITIES}, "
                             f"got {self.polarity!r}")


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion as its detector declares it: its rubric name, its name as people say
    it, what it needs from a transcript to apply, and every label it can put on a finding.

    ``needs_timing``: the criterion measures who spoke when (scoring gives "not applicable"
    without it). ``needs_separate_channels``: it also needs each party on its own channel.
    ``needs_customer``: it measures the agent against the customer's speech, so it does not
    apply when only the agent spoke.
    """

    name: str
    title: str
    labels: tuple[Label, ...]
    needs_timing: bool = False
    needs_separate_channels: bool = False
    needs_customer: bool = False

    def label(self, name: str) -> Label:
        """The declared label called ``name`` (KeyError if this criterion has none)."""
        for spec in self.labels:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} declares no label {name!r}")


@dataclass(frozen=True)
class NotApplicable:
    """What a detector's ``score`` returns when the criterion does not apply to the call, with
    the reason; scoring turns it into the criterion's "not applicable" score."""

    reason: str


def missing_score_or_na(findings: list[Finding], missing: str, cfg: CriterionConfig,
                        reason: str, not_applicable: str) -> CriterionScore | NotApplicable:
    """The shared ending of the "owed but never given" criteria (an apology, empathy, a
    restatement, a next step, a clarifying question): the rubric's ``missing_score``, with
    ``reason``, when the detector put the ``missing`` label on the call (a problem was raised
    and nothing answered it); otherwise the criterion does not apply, for ``not_applicable``."""
    if any(f.label == missing for f in findings):
        return CriterionScore(cfg.name, float(cfg["missing_score"]), reason, cfg.weight)
    return NotApplicable(not_applicable)
