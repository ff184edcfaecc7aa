"""Findings -> criterion scores -> overall score and coaching summary, as the rubric says."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from qa.detectors import DETECTORS
from qa.detectors.common import one_scoring_run
from qa.detectors.contract import Criterion, NotApplicable
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, not_applicable
from qa.rubric import Rubric
from qa.transcript import AGENT, CUSTOMER, Transcript, has_timing

# Why a criterion that measures time does not apply to a transcript whose file gave no times.
NO_TIMING_REASON = "no timing in this transcript"


@dataclass
class ScoredCall:
    """A transcript with its findings, per-criterion scores, overall score and summary."""

    transcript: Transcript
    findings: list[Finding]
    scores: list[CriterionScore]
    overall: float | None
    rubric_label: str
    summary: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as `qa export --format json` writes it)."""
        return {
            "call_id": self.transcript.call_id,
            "agent": self.transcript.agent,
            "overall": self.overall,
            "rubric": self.rubric_label,
            "scores": [s.to_dict() for s in self.scores],
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
        }


def score_call(call: Transcript, rubric: Rubric) -> ScoredCall:
    """Run every enabled criterion's detector on ``call`` and combine the scores."""
    with one_scoring_run():
        findings, scores = _detect_all(call, rubric)
    findings.sort(key=lambda f: (f.start, f.criterion))
    return ScoredCall(call, findings, scores, overall_score(scores), rubric.label,
                      coaching_summary(findings, scores))


def _detect_all(call: Transcript, rubric: Rubric) -> tuple[list[Finding], list[CriterionScore]]:
    findings: list[Finding] = []
    scores: list[CriterionScore] = []
    for name, cfg in rubric.criteria.items():
        detector = DETECTORS[name]
        reason = does_not_apply(detector.CONTRACT, call)
        if reason is not None:
            scores.append(not_applicable(name, reason, cfg.weight))
            continue
        found = detector.detect(call, cfg)
        findings.extend(found)
        scored = detector.score(found, call, cfg)
        if isinstance(scored, NotApplicable):
            # The detector found nothing on this call to judge (no problem raised, no name
            # given, too little speech): its reason, the criterion's weight.
            scored = not_applicable(name, scored.reason, cfg.weight)
        scores.append(scored)
    return findings, scores


def does_not_apply(contract: Criterion, call: Transcript) -> str | None:
    """Why the criterion cannot be judged on this call from what the call holds (no agent
    speech, no times, one channel, one party), or None when its detector should run.

    The one place these rules live: detectors assume them and never check them again.
    """
    if not call.by(AGENT):
        return _no_agent_reason(call)
    separate = contract.needs_separate_channels
    if not has_timing(call) and (contract.needs_timing or separate):
        # Placeholder times would invent dead air, pace and overlaps.
        return NO_TIMING_REASON
    if contract.needs_timing and not call.speaker_timing:
        return _no_timing_reason(call)
    if separate and not call.speaker_timing:
        return ("mono recording: listening cues said over the other party are lost when "
                "both share one channel, so they cannot be counted fairly")
    if contract.needs_customer and not call.by(CUSTOMER):
        return "only one party spoke"
    return None


def _no_agent_reason(call: Transcript) -> str:
    if any(u.speaker == "unknown" for u in call.utterances):
        why = (call.metadata.get("diarization") or {}).get("reason")
        return ("mono recording: the two speakers are not separated"
                + (f" ({why})" if why else "")
                + ", so the agent's words cannot be told from the customer's")
    return "the agent said nothing on this call"


def _no_timing_reason(call: Transcript) -> str:
    diarization = call.metadata.get("diarization") or {}
    if diarization.get("done"):
        # Split by voice, turn edges are estimates (a 1.6 s window) and overlaps are guessed,
        # while interruptions, dead air and talk ratio hinge on exactly those edges.
        method = str(diarization.get("method") or "")
        by = (f"by spectral features ({method})" if method.startswith("spectral")
              else "by a speaker model")
        return (f"mono recording split into two voices {by}: turn edges and "
                "overlaps are estimates, so timing is not judged")
    why = diarization.get("reason")
    return ("mono recording: who spoke when is unknown" + (f" ({why})" if why else "")
            + ", so timing cannot be judged")


def weighted_mean(pairs: Iterable[tuple[float | None, float | None]]) -> float | None:
    """The overall score of (score, weight) pairs: the weighted mean of the applicable ones
    (score not None, weight above 0), to one decimal; None when none applies.

    The one formula for a call's overall, used at scoring time and by the dashboard when a
    coach's overrides replace some scores, so the two can never disagree.
    """
    applicable = [(score, weight) for score, weight in pairs
                  if score is not None and weight is not None and weight > 0]
    total_weight = sum(weight for _, weight in applicable)
    if not total_weight:
        return None
    return round(sum(score * weight for score, weight in applicable) / total_weight, 1)


def overall_score(scores: list[CriterionScore]) -> float | None:
    """Weighted mean of the applicable criteria (None when none applies)."""
    return weighted_mean((s.score, s.weight) for s in scores)


def coaching_summary(findings: list[Finding], scores: list[CriterionScore],
                     coaching: int = 3, strengths: int = 2) -> dict[str, list[dict[str, Any]]]:
    """The coaching points that cost the most and the best moments, each with its evidence.

    A point's impact is its criterion's lost points times the criterion's weight, shared out
    among that criterion's coaching findings.
    """
    by_name = {s.criterion: s for s in scores}
    per_criterion: dict[str, int] = {}
    for f in findings:
        if f.polarity == COACHING:
            per_criterion[f.criterion] = per_criterion.get(f.criterion, 0) + 1

    def impact(f: Finding) -> float:
        s = by_name.get(f.criterion)
        if s is None or s.score is None:
            return 0.0
        return (100 - s.score) * s.weight / per_criterion[f.criterion]

    def item(f: Finding, weight: float) -> dict[str, Any]:
        return {"criterion": f.criterion, "label": f.label, "start": f.start, "quote": f.quote,
                "message": f.message, "suggestion": f.suggestion, "impact": round(weight, 1)}

    points = sorted((f for f in findings if f.polarity == COACHING), key=impact, reverse=True)
    best = sorted((f for f in findings if f.polarity == STRENGTH),
                  key=lambda f: (by_name[f.criterion].weight if f.criterion in by_name else 0,
                                 len(f.quote)), reverse=True)
    return {"coaching": [item(f, impact(f)) for f in points[:coaching]],
            "strengths": [item(f, 0.0) for f in best[:strengths]]}
