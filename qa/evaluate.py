"""Detector quality on labeled transcripts: precision, recall and F1 per label.

A labeled transcript carries ``labels`` on agent utterances (see docs/labels.md). Each call is
scored with the rubric, and the labels the detectors put on each utterance are compared with
the labels a person wrote there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.detectors import EVAL_LABELS, LABELS
from qa.rubric import Rubric
from qa.scoring import score_call
from qa.text import tokens
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


# --- machine transcripts ----------------------------------------------------------------------

_FILLERS = frozenset({"um", "uh", "uhm", "erm", "hmm", "mm", "mhm", "ah", "oh"})


def _words_for_wer(text: str) -> list[str]:
    # Hyphens and apostrophes split the same way on both sides; fillers don't count.
    return [w for w in tokens(text.replace("-", " ")) if w not in _FILLERS]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance divided by the reference's length (lower case, no punctuation,
    fillers ignored)."""
    ref, hyp = _words_for_wer(reference), _words_for_wer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def transcript_text(call: Transcript, speaker: str | None = None) -> str:
    """All the words of a call (or of one speaker), in time order."""
    return " ".join(u.text for u in call.utterances if speaker is None or u.speaker == speaker)


def carry_labels(script: Transcript, machine: Transcript) -> Transcript:
    """The machine transcript with each script label moved to the machine utterance of the same
    speaker that overlaps the labeled one most in time (so `qa eval` can run on it)."""
    for utt in machine.utterances:
        utt.labels = []
    for labeled in script.utterances:
        if not labeled.labels:
            continue
        best, best_overlap = None, 0.0
        for utt in machine.utterances:
            if utt.speaker != labeled.speaker:
                continue
            overlap = min(utt.end, labeled.end) - max(utt.start, labeled.start)
            if overlap > best_overlap:
                best, best_overlap = utt, overlap
        if best is None:
            continue
        labels = set(labeled.labels)
        if START_LABELS & labels:
            # An interruption happens where the turn starts: when the machine split the turn
            # at a pause ("It depends." / "It usually gets sorted out..."), it belongs to the
            # piece that starts nearest the script's start.
            first = min((u for u in machine.utterances if u.speaker == labeled.speaker
                         and min(u.end, labeled.end) > max(u.start, labeled.start)),
                        key=lambda u: abs(u.start - labeled.start))
            first.labels = sorted(set(first.labels) | (START_LABELS & labels))
            labels -= START_LABELS
        best.labels = sorted(set(best.labels) | labels)
    return machine


# Labels that mark the moment a turn starts rather than what it says.
START_LABELS = frozenset(name for name, (_, spec) in LABELS.items() if spec.turn_start)


def recording_for(script_path: Path) -> Path | None:
    """The recording beside a labeled script (same name, an audio extension), if any."""
    from qa.audio import AUDIO_EXTENSIONS

    for ext in sorted(AUDIO_EXTENSIONS):
        candidate = script_path.with_suffix(ext)
        if candidate.exists():
            return candidate
    return None


def transcribe_labeled(folder: str | Path, config: Any = None,
                       agent_channel: int | None = 0) -> list[tuple[Transcript, Transcript]]:
    """(script, machine transcript with the script's labels carried over) for each labeled
    script in ``folder`` that has a recording beside it."""
    from qa.audio import load_call
    from qa.transcribe import get_transcriber

    transcriber = get_transcriber(config)
    pairs = []
    for path in sorted(Path(folder).glob("*.json")):
        recording = recording_for(path)
        if recording is None:
            continue
        script = Transcript.load(path)
        machine = transcriber.transcribe_call(load_call(recording), script.call_id,
                                              agent_channel, script.agent)
        pairs.append((script, carry_labels(script, machine)))
    return pairs
