"""Affirmative cues: short listening signals ("I see", "mm-hmm", "go on") while the customer talks.

Scored on their rate per minute of customer speech and on their variety: one cue repeated
all call long sounds mechanical.
"""

from __future__ import annotations

from qa.detectors.common import (
    agent_finding,
    customer_topic,
    is_listening_cue,
    last_customer_before,
)
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score, not_applicable
from qa.params import INTEGER, NUMBER, CriterionConfig
from qa.text import is_question, normalize
from qa.transcript import AGENT, CUSTOMER, Transcript

CRITERION = "affirmations"
NEEDS_TIMING = False
# Listening cues are mostly said while the customer talks. With both parties on one channel
# Whisper drops many of them (4 sample calls mixed to mono: 3 of the agent's 5 cues said over
# the customer were not transcribed), so on a mono call they cannot be counted fairly.
NEEDS_SEPARATE_CHANNELS = True
PARAMS = {
    "target_per_minute": NUMBER,
    "min_customer_seconds": NUMBER,
    "long_turn_seconds": NUMBER,
    "mechanical_run": INTEGER,
}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """One strength finding per listening cue; a coaching point for a long turn met in silence."""
    findings = []
    for i, utt in call.by(AGENT):
        if not is_listening_cue(utt.text, cfg):
            continue
        previous = last_customer_before(call, i)
        if previous is None:
            continue  # a cue before the customer said anything acknowledges nothing
        if is_question(previous[1].text) and previous[1].end <= utt.start:
            continue  # "yes" answering the customer's question is an answer, not a cue
        findings.append(agent_finding(
            call, i, CRITERION, "affirmation", STRENGTH,
            "Listening cue that keeps the customer talking.",
            cue=normalize(utt.text).strip(".!?, "),
        ))
    findings.extend(_mechanical_runs(call, cfg, findings))
    findings.extend(_silent_long_turns(call, cfg, {f.utterance for f in findings}))
    return findings


def _mechanical_runs(call: Transcript, cfg: CriterionConfig,
                     cues: list[Finding]) -> list[Finding]:
    """The same cue several times in a row ("okay... okay... okay") sounds mechanical."""
    out = []
    run: list[Finding] = []
    for finding in [*cues, None]:
        if finding is not None and run and finding.detail["cue"] == run[-1].detail["cue"]:
            run.append(finding)
            continue
        if len(run) >= cfg["mechanical_run"]:
            cue = run[0].detail["cue"]
            alternatives = [c for c in ("I see", "go on", "right", "that makes sense",
                                        "I hear you") if c.lower() != cue]
            out.append(agent_finding(
                call, run[-1].utterance, CRITERION, "affirmation:mechanical", COACHING,
                f"\"{cue}\" {len(run)} times in a row sounds mechanical.",
                suggestion=f"Vary the cue and tie it to what they said: "
                           f"\"{alternatives[0]}\", \"{alternatives[1]}\", or repeat a key "
                           "detail back.", cue=cue, run=len(run)))
        run = [finding] if finding is not None else []
    return out


def _silent_long_turns(call: Transcript, cfg: CriterionConfig,
                       cue_indexes: set[int]) -> list[Finding]:
    """Long customer turns with no cue during them or right after."""
    if not call.speaker_timing:
        return []
    out = []
    cue_times = [call.utterances[i].start for i in cue_indexes]
    for i, utt in call.by(CUSTOMER):
        if utt.duration < cfg["long_turn_seconds"]:
            continue
        if any(utt.start <= t <= utt.end + 2.0 for t in cue_times):
            continue
        topic = customer_topic(utt.text, cfg)
        out.append(agent_finding(
            call, i, CRITERION, "affirmation:missing", COACHING,
            f"The customer spoke for {utt.duration:.0f} s with no sign that anyone was listening.",
            suggestion=f"Drop in a short cue while they explain (\"I see\", \"go on\"), then "
                       f"show you heard it: \"I hear you, {topic}.\"",
        ))
    return out


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """Rate of cues per minute of customer speech against the target, less for monotony."""
    customer_seconds = call.speech_seconds(CUSTOMER)
    if customer_seconds < cfg["min_customer_seconds"]:
        return not_applicable(CRITERION, f"the customer spoke only {customer_seconds:.0f} s",
                              cfg.weight)
    cues = [f for f in findings if f.label == "affirmation"]
    mechanical = sum(f.label == "affirmation:mechanical" for f in findings)
    rate = len(cues) / (customer_seconds / 60)
    variety = len({f.detail.get("cue") for f in cues}) / len(cues) if cues else 0.0
    base = min(1.0, rate / cfg["target_per_minute"]) * 100
    # A single repeated cue loses up to a quarter of the score.
    value = base * (0.75 + 0.25 * min(1.0, variety * 2)) if cues else 0.0
    value -= 10 * mechanical
    return CriterionScore(
        CRITERION, clamp_score(value),
        f"{len(cues)} listening cue(s), {rate:.1f} per minute of customer speech "
        f"(target {cfg['target_per_minute']:g}); {len({f.detail.get('cue') for f in cues})} "
        "different.", cfg.weight)
