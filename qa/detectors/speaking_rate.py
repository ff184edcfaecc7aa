"""Speaking rate: the agent's words per minute while talking; rushing loses upset customers."""

from __future__ import annotations

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, INFO, CriterionScore, Finding, clamp_score
from qa.params import NUMBER, CriterionConfig
from qa.text import tokens
from qa.transcript import AGENT, Transcript, Utterance

CONTRACT = Criterion(
    "speaking_rate", "Speaking rate",
    labels=(
        Label("speaking_rate", INFO, "A comfortable speaking pace"),
        Label("speaking_rate:fast", PROBLEM, "Speaking too fast"),
        Label("speaking_rate:slow", PROBLEM, "Speaking too slowly"),
    ),
    needs_timing=True,
)
CRITERION = CONTRACT.name
PARAMS = {
    "min_wpm": NUMBER,
    "max_wpm": NUMBER,
    "min_agent_seconds": NUMBER,
    "points_per_10_wpm": NUMBER,
    "min_turn_seconds": NUMBER,
}


def words_per_minute(utterances: list[Utterance]) -> float | None:
    """Words per minute over the given utterances' spoken time."""
    seconds = sum(u.duration for u in utterances)
    words = sum(len(tokens(u.text)) for u in utterances)
    return words / seconds * 60 if seconds else None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """One finding with the agent's rate, anchored on its fastest sizeable turn."""
    turns = [(i, u) for i, u in call.by(AGENT) if u.duration >= cfg["min_turn_seconds"]]
    if sum(u.duration for _, u in turns) < cfg["min_agent_seconds"]:
        return []
    wpm = words_per_minute([u for _, u in turns])
    assert wpm is not None
    fastest, _ = max(turns, key=lambda iu: words_per_minute([iu[1]]) or 0)
    if wpm > cfg["max_wpm"]:
        return [agent_finding(
            call, fastest, CRITERION, "speaking_rate:fast", COACHING,
            f"The agent spoke at {wpm:.0f} words a minute (aim for {cfg['min_wpm']:.0f}-"
            f"{cfg['max_wpm']:.0f}).",
            suggestion="Slow down on the details that matter (times, amounts, next steps) and "
                       "pause after each one.", wpm=round(wpm))]
    if wpm < cfg["min_wpm"]:
        return [agent_finding(
            call, fastest, CRITERION, "speaking_rate:slow", COACHING,
            f"The agent spoke at {wpm:.0f} words a minute, slower than "
            f"{cfg['min_wpm']:.0f}.", suggestion="Keep a steady, confident pace.",
            wpm=round(wpm))]
    return [agent_finding(call, fastest, CRITERION, "speaking_rate", INFO,
                          f"Comfortable pace: {wpm:.0f} words a minute.", wpm=round(wpm))]


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 inside the target band, less per 10 words a minute outside it."""
    if not findings:
        return NotApplicable("too little agent speech to measure a pace")
    wpm = float(findings[0].detail["wpm"])
    outside = max(0.0, wpm - cfg["max_wpm"], cfg["min_wpm"] - wpm)
    return CriterionScore(CRITERION, clamp_score(100 - outside / 10 * cfg["points_per_10_wpm"]),
                          f"{wpm:.0f} words a minute (target {cfg['min_wpm']:.0f}-"
                          f"{cfg['max_wpm']:.0f}).", cfg.weight)
