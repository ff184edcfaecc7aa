"""Dead air: stretches where nobody speaks. A hold the agent announced ("let me check, one
moment") is fine up to a limit; silence the customer was not told about is a coaching point.
"""

from __future__ import annotations

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label
from qa.findings import COACHING, INFO, CriterionScore, Finding, clamp_score
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase
from qa.transcript import AGENT, Transcript

CONTRACT = Criterion(
    "dead_air", "Dead air",
    labels=(
        Label("dead_air", PROBLEM, "Silences that were not announced"),
        Label("hold:too_long", PROBLEM, "Silences or holds that went on too long"),
        Label("hold:announced", INFO, "Announcing holds and silences"),
    ),
    needs_timing=True,
)
CRITERION = CONTRACT.name
PARAMS = {
    "min_silence_seconds": NUMBER,
    "max_announced_hold_seconds": NUMBER,
    "hold_phrases": PHRASES,
    "points_per_silence": NUMBER,
}


def silences(call: Transcript, minimum: float) -> list[tuple[int, float, float]]:
    """(index of the utterance before, start, end) of every gap in all speech >= ``minimum``."""
    gaps = []
    talked_until = 0.0
    last_index = -1
    for i, utt in enumerate(call.utterances):
        if last_index >= 0 and utt.start - talked_until >= minimum:
            gaps.append((last_index, talked_until, utt.start))
        if utt.end >= talked_until:
            talked_until, last_index = utt.end, i
    return gaps


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A finding per silence: info when announced and short, coaching otherwise."""
    findings = []
    # The agent's turns by end time: silences come in time order, so one pass finds, for
    # each, the latest agent turn (in call order) that had ended by then.
    agent = call.by(AGENT)
    by_end = sorted(range(len(agent)), key=lambda k: agent[k][1].end)
    ended, latest = 0, -1
    for before, start, end in silences(call, cfg["min_silence_seconds"]):
        length = end - start
        while ended < len(by_end) and agent[by_end[ended]][1].end <= start + 0.01:
            latest = max(latest, by_end[ended])
            ended += 1
        prior_agent = [agent[latest][1]] if latest >= 0 else []
        announced = bool(prior_agent) and find_phrase(prior_agent[0].text, cfg["hold_phrases"])
        utt = call.utterances[before]
        if announced and length <= cfg["max_announced_hold_seconds"]:
            findings.append(agent_finding(
                call, before, CRITERION, "hold:announced", INFO,
                f"{length:.0f} s announced hold (\"{announced}\").", silence_s=round(length, 1)))
            continue
        label = "hold:too_long" if announced else "dead_air"
        message = (f"{length:.0f} s hold, longer than "
                   f"{cfg['max_announced_hold_seconds']:.0f} s without checking back."
                   if announced else f"{length:.0f} s of silence the customer was not told about.")
        finding = agent_finding(
            call, before, CRITERION, label, COACHING, message,
            suggestion="Tell the customer before going quiet and check back: \"I'm checking "
                       "that for you now. It'll take about a minute, please stay with me.\"",
            silence_s=round(length, 1))
        finding.start, finding.end = start, end
        finding.quote = utt.text
        findings.append(finding)
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 less a fixed number of points per unannounced or over-long silence."""
    bad = [f for f in findings if f.polarity == COACHING]
    total = sum(f.detail.get("silence_s", 0) for f in findings)
    return CriterionScore(
        CRITERION, clamp_score(100 - len(bad) * cfg["points_per_silence"]),
        f"{len(bad)} unannounced or over-long silence(s); {total:.0f} s of silence over "
        f"{cfg['min_silence_seconds']:g} s in all.", cfg.weight)
