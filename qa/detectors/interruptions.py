"""Interruptions: the agent starts talking while the customer is still mid-utterance.

Listening cues ("mm-hmm", "right") said over the customer are support, not interruptions.
The customer talking over the agent is noted separately and never held against the agent.
"""

from __future__ import annotations

import bisect

from qa.detectors.common import agent_finding, customer_topic, is_listening_cue
from qa.detectors.contract import PROBLEM, Criterion, Label
from qa.findings import COACHING, INFO, CriterionScore, Finding, clamp_score
from qa.params import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import find_phrase, tail, tokens
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance

CONTRACT = Criterion(
    "interruptions", "Interruptions",
    labels=(
        Label("interruption", PROBLEM,
              "Cutting in while the customer is still talking",
              evaluated=True, turn_start=True),
        Label("customer_interruption", INFO,
              "The customer talking over the agent (not counted against the agent)"),
    ),
    needs_timing=True, needs_customer=True,
)
CRITERION = CONTRACT.name
PARAMS = {
    "min_overlap_ms": INTEGER,
    "max_pause_ms": INTEGER,
    "points_per_interruption": NUMBER,
    "recovery_phrases": PHRASES,
    "cooperative_factor": NUMBER,
    "recovered_factor": NUMBER,
    "kept_talking_seconds": NUMBER,
    "recovery_seconds": NUMBER,
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
    """Seconds the other party keeps talking after ``moment``, if they were already talking.

    ``spans`` are :func:`speech_spans`: in time order and apart, so only the last one that
    started before ``moment`` can hold it (found by bisection, not a scan per turn)."""
    k = bisect.bisect_left(spans, moment, key=lambda span: span[0]) - 1
    if k >= 0 and spans[k][0] < moment < spans[k][1]:
        return spans[k][1] - moment
    return 0.0


# Turns looked at after an interruption for the agent's "sorry, go ahead" (within
# ``recovery_seconds``, in practice one or two); a bound, so a pile of turns at one moment
# cannot make it quadratic.
RECOVERY_LOOKAHEAD = 50


# With word times, the other party counts as still talking at a moment only within their words,
# across gaps up to this long (a breath between words, not a pause after a sentence).
_VOICED_BRIDGE_S = 0.25
# With word times, the other party must have held the floor alone this long before this
# speaker's start: since their own start, or since this speaker last stopped if they came in
# while this speaker was talking. Shorter is a simultaneous start or a resumption after a
# breath, not one party cutting the other off.
_MIN_FLOOR_S = 0.5


# A listening cue followed this closely by the same speaker's sentence opens that sentence:
# "Okay, [pause] I have found the order" said over the customer cuts in at "Okay".
_CUE_OPENS_S = 0.6
# A turn this short that the other party talks straight through, with nothing more from this
# speaker until they stop, is a reaction or a cue misheard ("okay" heard as "I", or as a few
# invented words), not a bid for the floor.
_LONE_WORD_S = 0.6


def _talked_over(call: Transcript, speaker: str, other: str,
                 cfg: CriterionConfig) -> list[tuple[int, Utterance, float, bool, float]]:
    """(index, utterance, overlap seconds, whether the other party kept going, start) for each
    turn that starts while the other party is talking.

    With word times (a per-channel transcript, whose words are fitted to each channel's voice),
    a turn counts only if it starts while the other party's voice is on (inside their words,
    not in a pause after them) and the other party had held the floor alone for a moment
    (``_MIN_FLOOR_S``): a caller's "okay" said into the agent's pause does not make the agent,
    going on with the sentence, the one who interrupted. A listening cue right before the turn
    opens it (the start is the cue's), and a turn under 0.6 s talked through, the speaker
    silent until the other stops, is not one.
    A text-only transcript has utterance times alone and is judged on them.
    """
    spans = speech_spans(call, other, cfg["max_pause_ms"] / 1000)
    timed = any(u.words for u in call.utterances)
    voiced = speech_spans(call, other, _VOICED_BRIDGE_S) if timed else spans
    own = speech_spans(call, speaker, _VOICED_BRIDGE_S) if timed else []
    turns = call.by(speaker)
    found = []
    for n, (i, utt) in enumerate(turns):
        if is_listening_cue(utt.text, cfg) or _only_recovery(utt.text, cfg):
            continue
        start = utt.start
        if timed:
            if _span_at(voiced, utt.start) is None:
                continue
            k = n
            while k > 0 and is_listening_cue(turns[k - 1][1].text, cfg) and \
                    turns[k][1].start - turns[k - 1][1].end <= _CUE_OPENS_S:
                k -= 1
            start = turns[k][1].start
            if _floor_held(spans, own, start) < _MIN_FLOOR_S:
                continue
        remaining = overlap_at(spans, start)
        overlap = min(remaining, utt.end - start)
        if timed and start == utt.start and \
                utt.duration <= _LONE_WORD_S and \
                remaining > utt.duration + cfg["kept_talking_seconds"] and \
                not _goes_on(turns, n, start + remaining):
            continue
        if overlap * 1000 >= cfg["min_overlap_ms"]:
            # The other party talking on past the end of this turn did not yield the floor.
            kept_going = remaining > utt.end - start + cfg["kept_talking_seconds"]
            found.append((i, utt, overlap, kept_going, start))
    return found


def _goes_on(turns: list[tuple[int, Utterance]], n: int, until: float) -> bool:
    """Whether the speaker of ``turns[n]`` speaks again before ``until`` (the other party's
    end): "It depends. [pause] It usually ..." over the customer is a bid for the floor."""
    return n + 1 < len(turns) and turns[n + 1][1].start < until


def _span_at(spans: list[tuple[float, float]], moment: float) -> tuple[float, float] | None:
    """The span strictly around ``moment``, if any (``spans`` sorted and disjoint)."""
    k = bisect.bisect_left(spans, (moment, float("-inf"))) - 1
    if k >= 0 and spans[k][0] < moment < spans[k][1]:
        return spans[k]
    return None


def _span_index(spans: list[tuple[float, float]], moment: float) -> int | None:
    """Index of the span holding ``moment``, edges included (``spans`` sorted and disjoint)."""
    k = bisect.bisect_right(spans, (moment, float("inf"))) - 1
    return k if k >= 0 and spans[k][0] <= moment <= spans[k][1] else None


def _floor_held(other: list[tuple[float, float]], own: list[tuple[float, float]],
                moment: float) -> float:
    """Seconds the other party had been talking alone when this speaker started at ``moment``:
    from the start of their current span, or from the end of this speaker's previous speech
    if that came later; negative when the other party started after this speaker."""
    k = _span_index(other, moment)
    other_start = other[k][0] if k is not None else moment
    j = _span_index(own, moment)
    own_start = own[j][0] if j is not None else moment
    # The last own span ending before own_start: the one before j, or before where moment goes.
    before = (j if j is not None else bisect.bisect_right(own, (moment, float("inf")))) - 1
    own_end = own[before][1] if before >= 0 else float("-inf")
    return own_start - max(other_start, own_end)


def _only_recovery(text: str, cfg: CriterionConfig) -> bool:
    """ "Sorry, go ahead." hands the floor back; it is not an interruption."""
    phrase = find_phrase(text, cfg["recovery_phrases"])
    return bool(phrase) and len(tokens(text)) <= len(tokens(phrase or "")) + 2


def _recovered(call: Transcript, index: int, cfg: CriterionConfig) -> str | None:
    """A recovery phrase in the interrupting turn or the agent's next turn within
    ``recovery_seconds``."""
    utt = call.utterances[index]
    # Utterances are in time order: past the first one starting too late, none is near.
    for other in call.utterances[index:index + RECOVERY_LOOKAHEAD]:
        if other.start - utt.end > cfg["recovery_seconds"]:
            break
        if other.speaker == utt.speaker:
            phrase = find_phrase(other.text, cfg["recovery_phrases"])
            if phrase:
                return phrase
    return None


def _talked_over_utterance(turns: list[tuple[int, Utterance]], starts: list[float],
                           moment: float) -> Utterance | None:
    """The other party's last turn that started before ``moment`` (``turns`` in time order,
    ``starts`` their start times)."""
    k = bisect.bisect_left(starts, moment) - 1
    return turns[k][1] if k >= 0 else None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """Agent interruptions (coaching) and customer interruptions (info)."""
    if not call.speaker_timing:
        return []
    findings = []
    customer_turns = call.by(CUSTOMER)
    customer_starts = [u.start for _, u in customer_turns]
    for i, utt, overlap, kept_going, start in _talked_over(call, AGENT, CUSTOMER, cfg):
        over = _talked_over_utterance(customer_turns, customer_starts, utt.start)
        cut_words = tail(over.text, 8) if over else ""
        topic = customer_topic(over.text, cfg) if over else None
        kind = "cooperative" if kept_going else "competitive"
        recovery = _recovered(call, i, cfg)
        how = ("the customer kept going" if kept_going else "the customer stopped and the agent "
               "took the floor")
        if recovery:
            how += f"; the agent handed it back (\"{recovery}\")"
        finding = agent_finding(
            call, i, CRITERION, "interruption", COACHING,
            f"Started talking {overlap:.1f} s before the customer finished "
            f"(\"{cut_words}\"): {how}.",
            suggestion=(
                "Let the customer finish, then acknowledge before answering: "
                # Not the agent's own opening: it may be the very thing to coach (blame, an
                # excuse), and the point here is the acknowledgement.
                + (f"\"Thanks for explaining. So {topic}.\"" if topic
                   else "\"Thanks for explaining, I've got that.\"")
            ),
            overlap_ms=round(overlap * 1000), kind=kind, recovered=recovery,
            customer_quote=over.text if over else None,
        )
        finding.start = start  # a cue that opened the turn ("Okay, ...") is where it began
        findings.append(finding)
    for i, _utt, overlap, _kept_going, _start in _talked_over(call, CUSTOMER, AGENT, cfg):
        findings.append(agent_finding(
            call, i, CRITERION, "customer_interruption", INFO,
            f"The customer talked over the agent for {overlap:.1f} s (not counted against "
            "the agent).",
            overlap_ms=round(overlap * 1000),
        ))
    return findings


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 minus a fixed number of points per agent interruption."""
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
