"""Detector quality on labeled transcripts: precision, recall and F1 per label.

A labeled transcript carries ``labels`` on agent utterances (see docs/labels.md). Each call is
scored with the rubric, and the labels the detectors put on each utterance are compared with
the labels a person wrote there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.detectors import EVAL_LABELS
from qa.rubric import Rubric
from qa.scoring import score_call
from qa.transcript import Transcript


@dataclass
class LabelStats:
    """Counts for one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of predicted labels that were right (1.0 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0 if not self.fn else 0.0

    @property
    def recall(self) -> float:
        """Share of true labels found (1.0 when there were none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """How many utterances a person gave this label."""
        return self.tp + self.fn


@dataclass
class Mistake:
    """One disagreement, for reading why a detector was wrong."""

    call_id: str
    utterance: int
    label: str
    kind: str  # "missed" or "extra"
    text: str


@dataclass
class Evaluation:
    """Per-label statistics over a set of labeled calls, and the disagreements."""

    labels: dict[str, LabelStats] = field(
        default_factory=lambda: {label: LabelStats() for label in EVAL_LABELS})
    calls: int = 0
    mistakes: list[Mistake] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``qa eval --json`` shape."""
        return {"calls": self.calls, "labels": {
            label: {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                    "f1": round(s.f1, 3), "support": s.support}
            for label, s in self.labels.items()}}


def predicted_labels(call: Transcript, rubric: Rubric) -> dict[int, set[str]]:
    """Utterance index -> the evaluated labels the detectors put on it."""
    scored = score_call(call, rubric)
    out: dict[int, set[str]] = {}
    for finding in scored.findings:
        if finding.label in EVAL_LABELS and finding.speaker == "agent":
            out.setdefault(finding.utterance, set()).add(finding.label)
    return out


def evaluate_calls(calls: list[Transcript], rubric: Rubric) -> Evaluation:
    """Compare predicted with written labels, utterance by utterance."""
    result = Evaluation()
    for call in calls:
        result.calls += 1
        predicted = predicted_labels(call, rubric)
        for i, utt in enumerate(call.utterances):
            if utt.speaker != "agent":
                continue
            truth = {label for label in utt.labels if label in EVAL_LABELS}
            guess = predicted.get(i, set())
            for label in truth | guess:
                stats = result.labels[label]
                if label in truth and label in guess:
                    stats.tp += 1
                elif label in guess:
                    stats.fp += 1
                    result.mistakes.append(Mistake(call.call_id, i, label, "extra", utt.text))
                else:
                    stats.fn += 1
                    result.mistakes.append(Mistake(call.call_id, i, label, "missed", utt.text))
    return result


def load_labeled(folder: str | Path) -> list[Transcript]:
    """Every labeled transcript (``*.json``) under ``folder``, sorted by name."""
    return [Transcript.load(p) for p in sorted(Path(folder).rglob("*.json"))]


def label_counts(calls: list[Transcript]) -> Counter[str]:
    """How many utterances carry each label (for describing a dev set)."""
    return Counter(label for call in calls for u in call.utterances for label in u.labels)
