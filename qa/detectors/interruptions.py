"""Interruptions: the agent starts talking while the customer is still mid-utterance.

Listening cues ("mm-hmm", "right") said over the customer are support, not interruptions.
The customer talking over the agent is noted separately and never held against the agent.
"""

from __future__ import annotations

from qa.detectors.common import agent_finding, customer_topic, is_listening_cue
from qa.findings import COACHING, INFO, CriterionScore, Finding, clamp_score, not_applicable
from qa.params import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, sentences, tail, tokens
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance

CRITERION = "interruptions"
NEEDS_TIMING = True
PARAMS = {
    "min_overlap_ms": INTEGER,
    "max_pause_ms": INTEGER,
    "points_per_interruption": NUMBER,
    "recovery_phrases": PHRASES,
    "cooperative_factor": NUMBER,
    "recovered_factor": NUMBER,
}


def speech_spans(call: Transcript, speaker: str, max_pause: float) -> list[tuple[float, float]]:
    """When ``speaker`` talks: word (or utterance) spans, pauses under ``max_pause`` bridged."""
    raw: list[tuple[float, float]] = []
    for utt in call.utterances:
        if utt.speaker != speaker:
            continue
        if utt.words:
            raw.extend((w.start, w.end) for w in utt.words)
        else:
            raw.append((utt.start, utt.end))
    raw.sort()
    merged: list[tuple[float, float]] = []
    for start, end in raw:
        if merged and start - merged[-1][1] <= max_pause:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap_at(spans: list[tuple[float, float]], moment: float) -> float:
    """Seconds the other party keeps talking after ``moment``, if they were already talking."""
    for start, end in spans:
        if start < moment < end:
            return end - moment
    return 0.0


def _talked_over(call: Transcript, speaker: str, other: str,
                 cfg: CriterionConfig) -> list[tuple[int, Utterance, float, bool]]:
    """(index, utterance, overlap seconds, whether the other party kept going) for each turn
    that starts while the other party is talking."""
    spans = speech_spans(call, other, cfg["max_pause_ms"] / 1000)
    found = []
    for i, utt in call.by(speaker):
        if is_listening_cue(utt.text, cfg) or _only_recovery(utt.text, cfg):
            continue
        remaining = overlap_at(spans, utt.start)
        overlap = min(remaining, utt.duration)
        if overlap * 1000 >= cfg["min_overlap_ms"]:
            # The other party talking on past the end of this turn did not yield the floor.
            kept_going = remaining > utt.duration + 0.3
            found.append((i, utt, overlap, kept_going))
    return found


def _only_recovery(text: str, cfg: CriterionConfig) -> bool:
    """ "Sorry, go ahead." hands the floor back; it is not an interruption."""
    phrase = find_phrase(text, cfg["recovery_phrases"])
    return bool(phrase) and len(tokens(text)) <= len(tokens(phrase or "")) + 2


def _recovered(call: Transcript, index: int, cfg: CriterionConfig) -> str | None:
    """A recovery phrase in the interrupting turn or the agent's next turn within 5 s."""
    utt = call.utterances[index]
    for j, other in call.by(utt.speaker):
        if j >= index and other.start - utt.end <= 5.0:
            phrase = find_phrase(other.text, cfg["recovery_phrases"])
            if phrase:
                return phrase
        if other.start - utt.end > 5.0:
            break
    return None


def _talked_over_utterance(call: Transcript, index: int, other: str) -> Utterance | None:
    moment = call.utterances[index].start
    candidates = [u for u in call.utterances if u.speaker == other and u.start < moment]
    return candidates[-1] if candidates else None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """Agent interruptions (coaching) and customer interruptions (info)."""
    if not call.speaker_timing:
        return []
    findings = []
    for i, utt, overlap, kept_going in _talked_over(call, AGENT, CUSTOMER, cfg):
        over = _talked_over_utterance(call, i, CUSTOMER)
        cut_words = tail(over.text, 8) if over else ""
        topic = customer_topic(over.text, cfg) if over else "that"
        opening = sentences(utt.text)[0] if utt.text else ""
        kind = "cooperative" if kept_going else "competitive"
        recovery = _recovered(call, i, cfg)
        how = ("the customer kept going" if kept_going else "the customer stopped and the agent "
               "took the floor")
        if recovery:
            how += f"; the agent handed it back (\"{recovery}\")"
        findings.append(agent_finding(
            call, i, CRITERION, "interruption", COACHING,
            f"Started talking {overlap:.1f} s before the customer finished "
            f"(\"{cut_words}\"): {how}.",
            suggestion=(
                f"Let the customer finish (\"{cut_words}\"), then acknowledge before answering: "
                f"\"Thanks for explaining: {topic}. {opening}\""
            ),
            overlap_ms=round(overlap * 1000), kind=kind, recovered=recovery,
            customer_quote=over.text if over else None,
        ))
    for i, _utt, overlap, _kept_going in _talked_over(call, CUSTOMER, AGENT, cfg):
        findings.append(agent_finding(
            call, i, CRITERION, "customer_interruption", INFO,
            f"The customer talked over the agent for {overlap:.1f} s (not counted against "
            "the agent).",
            overlap_ms=round(overlap * 1000),
        ))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 minus a fixed number of points per agent interruption."""
    if not call.speaker_timing:
        return not_applicable(CRITERION, "mono recording: who spoke when is unknown, so "
                              "overlaps cannot be measured", cfg.weight)
    if not call.by(AGENT) or not call.by(CUSTOMER):
        return not_applicable(CRITERION, "only one party spoke", cfg.weight)
    interruptions = [f for f in findings if f.label == "interruption"]
    count = len(interruptions)
    if count == 0:
        return CriterionScore(CRITERION, 100.0, "The agent never cut the customer off.",
                              cfg.weight)
    total_ms = sum(f.detail.get("overlap_ms", 0) for f in interruptions)
    lost = 0.0
    for f in interruptions:
        points = cfg["points_per_interruption"]
        if f.detail.get("kind") == "cooperative":
            points *= cfg["cooperative_factor"]
        if f.detail.get("recovered"):
            points *= cfg["recovered_factor"]
        lost += points
    competitive = sum(f.detail.get("kind") == "competitive" for f in interruptions)
    return CriterionScore(
        CRITERION, clamp_score(100 - lost),
        f"{count} interruption(s) of the customer ({competitive} taking the floor), "
        f"{total_ms / 1000:.1f} s of talking over them.", cfg.weight)
