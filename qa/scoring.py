"""Findings -> criterion scores -> overall score and coaching summary, as the rubric says."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qa import forms
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
    # Why the overall is 0: an auto-fail criterion missed (None: no auto-fail).
    auto_fail: str | None = None
    # Questions a coach has yet to answer: the overall stands without them until then.
    pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as `qa export --format json` writes it)."""
        return {
            "call_id": self.transcript.call_id,
            "agent": self.transcript.agent,
            "overall": self.overall,
            "rubric": self.rubric_label,
            "auto_fail": self.auto_fail,
            "pending": self.pending,
            "scores": [s.to_dict() for s in self.scores],
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
        }


def score_call(call: Transcript, rubric: Rubric) -> ScoredCall:
    """Run every enabled criterion's detector on ``call`` and combine the scores."""
    with one_scoring_run():
        findings, scores = _detect_all(call, rubric)
    findings.sort(key=lambda f: (f.start, f.criterion))
    overall, failed, pending = final_overall(s.to_dict() for s in scores)
    return ScoredCall(call, findings, scores, overall, rubric.label,
                      coaching_summary(findings, scores), failed, pending)


def rescored(scored: ScoredCall, scores: list[CriterionScore]) -> ScoredCall:
    """``scored`` with some criterion scores replaced (a coach's answers to questions), its
    overall, auto-fail and pending count worked out again."""
    overall, failed, pending = final_overall(s.to_dict() for s in scores)
    return ScoredCall(scored.transcript, scored.findings, scores, overall,
                      scored.rubric_label, coaching_summary(scored.findings, scores), failed,
                      pending)


def _detect_all(call: Transcript, rubric: Rubric) -> tuple[list[Finding], list[CriterionScore]]:
    findings: list[Finding] = []
    scores: list[CriterionScore] = []
    for name, cfg in rubric.criteria.items():
        if not call.by(AGENT):
            scores.append(forms.mark(not_applicable(name, _no_agent_reason(call), cfg.weight),
                                     cfg))
            continue
        if cfg.kind != forms.DETECTOR:
            found, form_score = forms.evaluate(call, cfg)
            findings.extend(found)
            scores.append(form_score)
            continue
        detector = DETECTORS[name]
        reason = does_not_apply(detector.CONTRACT, call)
        if reason is not None:
            scores.append(forms.mark(not_applicable(name, reason, cfg.weight), cfg))
            continue
        found = detector.detect(call, cfg)
        findings.extend(found)
        scored = detector.score(found, call, cfg)
        if isinstance(scored, NotApplicable):
            # The detector found nothing on this call to judge (no problem raised, no name
            # given, too little speech): its reason, the criterion's weight.
            scored = not_applicable(name, scored.reason, cfg.weight)
        scores.append(forms.mark(scored, cfg))
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


def final_overall(scores: Iterable[Mapping[str, Any]]) -> tuple[float | None, str | None, int]:
    """A call's overall from its criterion scores (dicts with ``criterion``, ``score``,
    ``weight``, ``reason`` and, optionally, ``auto_fail_below`` and ``pending``, as
    :meth:`CriterionScore.to_dict` or the ``scores`` table give them): (overall, why it is 0
    when an auto-fail criterion scored below its pass mark, how many questions are pending).

    The one rule for a call's overall, used at scoring time, when a coach answers a question
    and by the dashboard with a coach's overrides applied, so they never disagree.
    """
    rows = list(scores)
    overall = weighted_mean((r["score"], r["weight"]) for r in rows)
    pending = sum(1 for r in rows if r.get("pending"))
    for r in rows:
        below = r.get("auto_fail_below")
        if below is not None and r["score"] is not None and r["score"] < below:
            return 0.0, (f"auto-fail: {r['criterion']} scored {r['score']:g} (pass mark "
                         f"{below:g}): {r['reason']}"), pending
    return overall, None, pending


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

    # A missed auto-fail item cost the whole overall: it comes first.
    whole = 100 * sum(s.weight for s in scores if s.score is not None)

    def impact(f: Finding) -> float:
        s = by_name.get(f.criterion)
        if s is None or s.score is None:
            return 0.0
        if s.auto_fail_below is not None and s.score < s.auto_fail_below:
            return whole / per_criterion[f.criterion]
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
