"""Customer sentiment from start to end of the call (VADER, which ships its lexicon): did the
customer leave happier than they called?
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import INTEGER, NUMBER, CriterionConfig
from qa.transcript import CUSTOMER, Transcript

CONTRACT = Criterion(
    "sentiment", "Sentiment",
    labels=(
        Label("sentiment:improved", STRENGTH,
              "The customer ended the call happier than they started"),
        Label("sentiment:worsened", PROBLEM,
              "The customer ended the call less happy than they started"),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "min_customer_utterances": INTEGER,
    "segments": INTEGER,
    "change_for_full_marks": NUMBER,
}


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER compound sentiment of a text, -1 (negative) to +1 (positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def trajectory(call: Transcript, segments: int) -> list[float]:
    """Mean customer sentiment in each of ``segments`` equal parts of the customer's turns."""
    values = [compound(u.text) for _, u in call.by(CUSTOMER) if u.text.strip()]
    if not values:
        return []
    size = max(1, len(values) // segments)
    chunks = [values[k:k + size] for k in range(0, len(values), size)][:segments]
    return [round(sum(c) / len(c), 3) for c in chunks if c]


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """One finding with the trajectory: a strength if the customer ended happier, else coaching."""
    customer = call.by(CUSTOMER)
    if len(customer) < cfg["min_customer_utterances"]:
        return []
    path = trajectory(call, cfg["segments"])
    if len(path) < 2:
        return []
    change = path[-1] - path[0]
    last_index = customer[-1][0]
    if change >= 0:
        return [agent_finding(call, last_index, CRITERION, "sentiment:improved", STRENGTH,
                              f"Customer sentiment went from {path[0]:+.2f} to {path[-1]:+.2f}.",
                              trajectory=path, change=round(change, 3))]
    return [agent_finding(call, last_index, CRITERION, "sentiment:worsened", COACHING,
                          f"Customer sentiment fell from {path[0]:+.2f} to {path[-1]:+.2f}.",
                          suggestion="Before closing, check the customer is satisfied with the "
                                     "outcome: \"Does that sort it out for you?\"",
                          trajectory=path, change=round(change, 3))]


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """50 for no change, up to 100 (or down to 0) as sentiment rises (or falls)."""
    if not findings:
        return NotApplicable("too few customer turns to see a trend")
    change = float(findings[0].detail["change"])
    value = 50 + 50 * change / cfg["change_for_full_marks"]
    path = " -> ".join(f"{v:+.2f}" for v in findings[0].detail["trajectory"])
    return CriterionScore(CRITERION, clamp_score(value), f"Customer sentiment {path}.",
                          cfg.weight)
