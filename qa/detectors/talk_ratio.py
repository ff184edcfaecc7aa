"""Talk-time ratio and speaking rate: how much of the talking the agent does, and how fast."""

from __future__ import annotations

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, INFO, CriterionScore, Finding, clamp_score
from qa.params import NUMBER, CriterionConfig
from qa.transcript import AGENT, CUSTOMER, Transcript

CONTRACT = Criterion(
    "talk_ratio", "Talk ratio",
    labels=(
        Label("talk_ratio", INFO, "A balanced share of the talking"),
        Label("talk_ratio:high", PROBLEM, "Talking much more than the customer"),
        Label("talk_ratio:low", PROBLEM, "Saying very little while the customer carries the call"),
    ),
    needs_timing=True, needs_customer=True,
)
CRITERION = CONTRACT.name
PARAMS = {
    "min_agent_share": NUMBER,
    "max_agent_share": NUMBER,
    "points_per_10_percent": NUMBER,
}


def agent_share(call: Transcript) -> float | None:
    """The agent's share of all talk time (0-1), or None if nobody talked."""
    agent, customer = call.speech_seconds(AGENT), call.speech_seconds(CUSTOMER)
    return agent / (agent + customer) if agent + customer else None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """One finding with the ratio, anchored on the agent's longest turn."""
    share = agent_share(call)
    agent_turns = call.by(AGENT)
    if share is None or not agent_turns or not call.by(CUSTOMER):
        return []
    longest, utt = max(agent_turns, key=lambda iu: iu[1].duration)
    low, high = cfg["min_agent_share"], cfg["max_agent_share"]
    if share > high:
        return [agent_finding(
            call, longest, CRITERION, "talk_ratio:high", COACHING,
            f"The agent did {share:.0%} of the talking (aim for at most {high:.0%}); the "
            f"longest turn ran {utt.duration:.0f} s.",
            suggestion="Break long explanations with a question that hands the floor back: "
                       "\"Does that match what you're seeing?\"", agent_share=round(share, 3))]
    if share < low:
        return [agent_finding(
            call, longest, CRITERION, "talk_ratio:low", COACHING,
            f"The agent did only {share:.0%} of the talking (aim for at least {low:.0%}).",
            suggestion="Guide the call: summarise, ask the next question, state the next step.",
            agent_share=round(share, 3))]
    return [agent_finding(call, longest, CRITERION, "talk_ratio", INFO,
                          f"Balanced conversation: the agent did {share:.0%} of the talking.",
                          agent_share=round(share, 3))]


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 inside the target band, less per 10 points of share outside it."""
    share = agent_share(call)
    if share is None or not findings:
        # Both parties spoke (scoring checks that first) but for no time at all.
        return NotApplicable("nobody spoke for any time")
    low, high = cfg["min_agent_share"], cfg["max_agent_share"]
    outside = max(0.0, share - high, low - share)
    return CriterionScore(CRITERION, clamp_score(100 - outside * 10 * cfg["points_per_10_percent"]),
                          f"Agent talk share {share:.0%} (target {low:.0%}-{high:.0%}).",
                          cfg.weight)
