"""How far coaches agree with the machine, and with each other, from their marks on findings.

A coach reviewing a call marks the machine's findings right or wrong and adds the ones it
missed (an agent utterance and a label). On a call a coach marked, that coach's answer for an
utterance and label is: the machine's finding unless marked wrong, plus every finding the coach
added; findings left unmarked count as accepted (a coach who read the call and said nothing
against a finding agreed with it). From those answers:

- machine against coaches, per label: precision, recall, F1 and Cohen's kappa over every agent
  utterance of the marked calls, with the counts;
- coach against coach, per label, on calls two coaches marked: raw agreement and kappa;
- every disagreement, to open on the call's review page.

Only the labels that ``qa eval`` measures are calibrated: they are the ones a person can check
utterance by utterance (docs/labels.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from qa.detectors import EVAL_LABELS
from qa.evaluate import LabelStats

RIGHT, WRONG, ADDED = "right", "wrong", "added"
VERDICTS = (RIGHT, WRONG, ADDED)

Unit = tuple[int, str]  # (agent utterance index, label)


@dataclass(frozen=True)
class Mark:
    """One coach's verdict on one utterance and label of a call."""

    call_id: str
    utterance: int
    label: str
    verdict: str
    coach: str


@dataclass
class CallFacts:
    """What calibration needs of a call: its agent utterances and the machine's labels."""

    call_id: str
    agent_utterances: int
    machine: set[Unit]
    texts: dict[int, str] = field(default_factory=dict)


@dataclass
class Agreement:
    """Two raters' yes/no answers on the same units, for one label."""

    both: int = 0
    first_only: int = 0
    second_only: int = 0
    neither: int = 0

    @property
    def units(self) -> int:
        """How many utterances were compared."""
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def observed(self) -> float:
        """Share of utterances where the two agree (1.0 when none were compared)."""
        return (self.both + self.neither) / self.units if self.units else 1.0

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None when chance agreement is total (both said the same thing
        everywhere), where kappa is undefined."""
        n = self.units
        if not n:
            return None
        first_yes = (self.both + self.first_only) / n
        second_yes = (self.both + self.second_only) / n
        chance = first_yes * second_yes + (1 - first_yes) * (1 - second_yes)
        if chance >= 1.0:
            return None
        return (self.observed - chance) / (1 - chance)


@dataclass
class Disagreement:
    """One utterance and label where two answers differ."""

    call_id: str
    utterance: int
    label: str
    first: str  # who said yes / no, e.g. "machine: yes"
    second: str
    text: str


@dataclass
class Report:
    """Machine-versus-coach and coach-versus-coach figures per label, and the disagreements."""

    machine: dict[str, LabelStats]
    machine_agreement: dict[str, Agreement]
    coaches: dict[str, Agreement]
    disagreements: list[Disagreement]
    coach_disagreements: list[Disagreement]
    marked_calls: int
    double_marked_calls: int


def coach_answer(facts: CallFacts, marks: Iterable[Mark]) -> set[Unit]:
    """One coach's labels for a call: the machine's, less those marked wrong, plus those
    added."""
    answer = set(facts.machine)
    for m in marks:
        if m.verdict == WRONG:
            answer.discard((m.utterance, m.label))
        elif m.verdict in (RIGHT, ADDED):
            answer.add((m.utterance, m.label))
    return answer


def _compare(first: set[Unit], second: set[Unit], units: int, label: str) -> Agreement:
    a = {u for u, lab in first if lab == label}
    b = {u for u, lab in second if lab == label}
    both = len(a & b)
    return Agreement(both, len(a - b), len(b - a), units - len(a | b))


def _add(total: Agreement, part: Agreement) -> None:
    total.both += part.both
    total.first_only += part.first_only
    total.second_only += part.second_only
    total.neither += part.neither


def _differences(facts: CallFacts, first: set[Unit], second: set[Unit], first_name: str,
                 second_name: str) -> list[Disagreement]:
    out = []
    for utterance, label in sorted(first ^ second):
        said = (utterance, label) in first
        out.append(Disagreement(facts.call_id, utterance, label,
                                f"{first_name}: {'yes' if said else 'no'}",
                                f"{second_name}: {'no' if said else 'yes'}",
                                facts.texts.get(utterance, "")))
    return out


def calibrate(calls: Iterable[CallFacts], marks: Iterable[Mark]) -> Report:
    """The calibration report for the marked calls (calls without a mark are left out)."""
    by_call: dict[str, dict[str, list[Mark]]] = {}
    for m in marks:
        if m.label in EVAL_LABELS:
            by_call.setdefault(m.call_id, {}).setdefault(m.coach, []).append(m)
    machine = {label: LabelStats() for label in EVAL_LABELS}
    machine_agreement = {label: Agreement() for label in EVAL_LABELS}
    coaches = {label: Agreement() for label in EVAL_LABELS}
    disagreements: list[Disagreement] = []
    coach_disagreements: list[Disagreement] = []
    marked = double = 0
    for facts in calls:
        per_coach = by_call.get(facts.call_id)
        if not per_coach:
            continue
        marked += 1
        answers = {coach: coach_answer(facts, ms) for coach, ms in sorted(per_coach.items())}
        for coach, answer in answers.items():
            for label in EVAL_LABELS:
                part = _compare(facts.machine, answer, facts.agent_utterances, label)
                _add(machine_agreement[label], part)
                stats = machine[label]
                stats.tp += part.both
                stats.fp += part.first_only
                stats.fn += part.second_only
            disagreements += _differences(facts, facts.machine, answer, "machine", coach)
        if len(answers) > 1:
            double += 1
        for (first, a), (second, b) in combinations(answers.items(), 2):
            for label in EVAL_LABELS:
                _add(coaches[label], _compare(a, b, facts.agent_utterances, label))
            coach_disagreements += _differences(facts, a, b, first, second)
    return Report(machine, machine_agreement, coaches, disagreements, coach_disagreements,
                  marked, double)
