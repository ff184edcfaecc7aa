"""What every importer shares: speaker mapping, time stamps, building the Transcript."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.transcript import (
    AGENT,
    CUSTOMER,
    MAX_SECONDS,
    SPEAKERS,
    UNKNOWN,
    Transcript,
    TranscriptError,
    Utterance,
    Word,
    check_numbers,
)

# Names that say which side of the call a speaker is on. Agent words are checked first, so
# "Customer Support" is the agent and "Customer" the customer.
AGENT_WORDS = frozenset({"agent", "rep", "representative", "advisor", "adviser", "support"})
CUSTOMER_WORDS = frozenset({"customer", "caller", "client"})

# Synthetic timing for transcripts without times: speech at about 2.5 words a second (the
# rate docs/labels.md uses), half a second between turns.
WORDS_PER_SECOND = 2.5
SYNTHETIC_GAP = 0.5
MIN_SYNTHETIC_SECONDS = 0.5

# Consecutive caption cues by one speaker this close together are one utterance: subtitle
# files cut long turns into display-sized pieces.
MERGE_GAP = 1.0


def objects(items: Sequence[Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each element of a list read from a file, with its place for messages (``where[k]``);
    TranscriptError at the first element that is not an object."""
    for k, item in enumerate(items):
        here = f"{where}[{k}]"
        if not isinstance(item, dict):
            raise TranscriptError(f"{here} is not an object")
        yield here, item


def file_word(start: float, end: float, item: Mapping[str, Any]) -> Word:
    """A word from a file's word object: its ``word`` text ("" when missing) and its
    ``confidence`` when that is a probability (a number from 0 to 1)."""
    confidence = item.get("confidence")
    word = item.get("word")
    return Word(start, end, word if isinstance(word, str) else "",
                float(confidence) if isinstance(confidence, int | float)
                and not isinstance(confidence, bool) and 0 <= confidence <= 1 else None)


@dataclass
class Turn:
    """One utterance as a foreign file gives it, before speakers are mapped to roles."""

    speaker: str
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


def role_from_name(name: str) -> str | None:
    """``agent`` or ``customer`` when the name says so ("Agent 2", "CALLER"), else None."""
    parts = set(re.findall(r"[a-z]+", name.lower()))
    if parts & AGENT_WORDS:
        return AGENT
    if parts & CUSTOMER_WORDS:
        return CUSTOMER
    return None


def map_speakers(names: Sequence[str],
                 speaker_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role for each speaker name, ``names`` in order of first speaking.

    1. ``speaker_map`` (case-insensitive names) decides first.
    2. A name containing agent/rep/representative/advisor/support is the agent; one
       containing customer/caller/client is the customer.
    3. Of the names left, in order of first speaking: the first is the agent if no name
       said agent, the next the customer if no name said customer. Anyone further is kept
       as ``unknown``: their words stay in the transcript but count for neither party.
    """
    explicit = {k.lower(): _check_role(v, k) for k, v in (speaker_map or {}).items()}
    roles: dict[str, str] = {}
    for name in names:
        role = explicit.get(name.lower()) or role_from_name(name)
        if role:
            roles[name] = role
    taken = set(roles.values())
    for name in names:
        if name in roles:
            continue
        for role in (AGENT, CUSTOMER):
            if role not in taken:
                roles[name] = role
                taken.add(role)
                break
        else:
            roles[name] = UNKNOWN
    return roles


def _check_role(role: str, name: str) -> str:
    if role not in SPEAKERS:
        raise TranscriptError(f"speaker map: {name!r} -> {role!r}: role must be one of "
                              f"{', '.join(SPEAKERS)}")
    return role


_CLOCK_RE = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)")


def parse_time(value: str) -> float:
    """Seconds from "12.5", "00:00:12.500", "00:12.5" or SRT's "00:00:12,500".

    Raises ValueError for anything else, including a time too large to be a finite number.
    """
    text = value.strip()
    if len(text) > MAX_TIME_CHARS:
        raise ValueError(f"not a time: {value[:MAX_TIME_CHARS]!r}...")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _finite(float(text), value)
    m = _CLOCK_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a time: {value!r}")
    hours, minutes, seconds = m.group(1), m.group(2), m.group(3).replace(",", ".")
    if int(minutes) > 59 or float(seconds) >= 60:
        raise ValueError(f"not a time: {value!r}")
    return _finite(int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), value)


# A time written with more characters than this is not a time in a call ("00:00:12.500" has
# 12); the bound keeps float() and int() off digit strings thousands of characters long.
MAX_TIME_CHARS = 40


def _finite(seconds: float, value: str) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"not a time: {value!r} (too large)")
    return seconds


def merge_consecutive(turns: list[Turn], max_gap: float = MERGE_GAP) -> list[Turn]:
    """Join a speaker's consecutive turns (nobody else starting in between) split by a pause
    of at most ``max_gap`` seconds: caption cues cut long turns into pieces."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    out: list[Turn] = []
    for turn in ordered:
        prev = out[-1] if out else None
        if prev and prev.speaker == turn.speaker and 0 <= turn.start - prev.end <= max_gap:
            prev.text = f"{prev.text} {turn.text}".strip()
            prev.end = max(prev.end, turn.end)
            prev.words.extend(turn.words)
        else:
            out.append(Turn(turn.speaker, turn.start, turn.end, turn.text, list(turn.words)))
    return out


def synthetic_times(texts: Sequence[str]) -> list[tuple[float, float]]:
    """Monotonically increasing (start, end) for turns with no times, from their length."""
    spans, clock = [], 0.0
    for text in texts:
        seconds = max(MIN_SYNTHETIC_SECONDS, len(text.split()) / WORDS_PER_SECOND)
        spans.append((round(clock, 3), round(clock + seconds, 3)))
        clock += seconds + SYNTHETIC_GAP
    return spans


def build_transcript(turns: list[Turn], call_id: str, fmt: str, *,
                     speaker_map: Mapping[str, str] | None = None,
                     roles: Mapping[str, str] | None = None, speaker_timing: bool = True,
                     duration: float | None = None, source: str | None = None,
                     metadata: dict[str, Any] | None = None) -> Transcript:
    """A Transcript from ``turns``, speakers mapped to roles (``roles`` if given, else
    :func:`map_speakers`); the mapping is kept in ``metadata["speakers"]`` so it can be
    checked (``metadata`` given here is merged over it)."""
    turns = [t for t in turns if t.text.strip()]
    if not turns:
        raise TranscriptError(f"{fmt}: no utterances with text")
    for k, t in enumerate(turns):
        if not (math.isfinite(t.start) and math.isfinite(t.end)):
            raise TranscriptError(f"{fmt}: utterance {k + 1} runs from {t.start} to {t.end} s: "
                                  "times must be finite numbers")
        if t.start < 0 or t.end < t.start:
            raise TranscriptError(f"{fmt}: utterance {k + 1} runs from {t.start} to {t.end} s: "
                                  "need 0 <= start <= end")
    order = list(dict.fromkeys(t.speaker for t in sorted(turns, key=lambda t: t.start)))
    mapping = dict(roles) if roles is not None else map_speakers(order, speaker_map)
    utterances = [Utterance(mapping.get(t.speaker, UNKNOWN), t.start, t.end,
                            " ".join(t.text.split()), list(t.words)) for t in turns]
    meta = {"format": fmt, "speakers": {name: mapping.get(name, UNKNOWN) for name in order}}
    meta.update(metadata or {})
    return check_numbers(Transcript(call_id=call_id, utterances=utterances, duration=duration,
                                    speaker_timing=speaker_timing, source=source,
                                    metadata=meta), f"{fmt}: ")


def speaker_prefix(line: str) -> tuple[str, str] | None:
    """("Agent", "Hello") for "Agent: Hello" or "[Agent] Hello"; None when no name leads."""
    m = re.match(r"\s*(?:\[([^\]\d][^\]]{0,40})\]|([A-Za-z][\w .'’()-]{0,40}?))\s*:\s*(.*)$",
                 line)
    if not m and (b := re.match(r"\s*\[([A-Za-z][^\]]{0,40})\]\s+(.*)$", line)):
        return b.group(1).strip(), b.group(2).strip()
    if not m:
        return None
    name = (m.group(1) or m.group(2)).strip()
    if len(name.split()) > 4 or re.search(r"https?$", name, re.IGNORECASE):
        return None
    return name, m.group(3).strip()


_VOICE_RE = re.compile(r"<v(?:\.[\w.-]+)*(?:\s+([^>]*))?>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[^>]*>")


def clean_caption(text: str) -> str:
    """Caption text without markup (<i>, <c.x>, <00:00:01.000>) or entities, on one line."""
    return " ".join(html.unescape(_TAG_RE.sub("", text)).split())


def caption_turns(payload: str, start: float, end: float, previous: str | None,
                  where: str) -> list[Turn]:
    """The turns in one caption cue.

    Speakers come from WebVTT voice tags (``<v Sam>``) or a leading ``Name:`` on a line.
    A cue (or line) without either continues the previous speaker: subtitles split one
    person's turn across cues. Several speakers in one cue share its time in proportion to
    their words, in order.
    """
    pieces: list[tuple[str | None, str]] = []
    voices = list(_VOICE_RE.finditer(payload))
    if voices:
        head = payload[:voices[0].start()]
        if clean_caption(head):
            pieces.append((None, head))
        for k, m in enumerate(voices):
            stop = voices[k + 1].start() if k + 1 < len(voices) else len(payload)
            pieces.append(((m.group(1) or "").strip() or None, payload[m.end():stop]))
    else:
        for line in payload.splitlines():
            named = speaker_prefix(clean_caption(line))
            if named:
                pieces.append(named)
            elif pieces:
                pieces[-1] = (pieces[-1][0], f"{pieces[-1][1]} {line}")
            else:
                pieces.append((None, line))
    turns: list[Turn] = []
    for name, text in pieces:
        speaker = name or (turns[-1].speaker if turns else previous)
        if speaker is None:
            raise TranscriptError(f"{where}: no speaker (a <v Name> tag or 'Name:' prefix) and "
                                  "no earlier cue to continue")
        if clean_caption(text):
            turns.append(Turn(speaker, start, end, clean_caption(text)))
    total = sum(len(t.text.split()) for t in turns)
    if len(turns) > 1 and total:
        clock = start
        for t in turns:
            share = (end - start) * len(t.text.split()) / total
            t.start, t.end = round(clock, 3), round(clock + share, 3)
            clock += share
    return turns


# Larger than any time in a call (qa.transcript.MAX_SECONDS, about 31 years): a bigger number
# in a file is an error, not a time (and 1e400 in JSON is infinity).
MAX_FILE_SECONDS = MAX_SECONDS


def seconds_from(value: Any, unit: float, where: str, most: float = MAX_FILE_SECONDS) -> float:
    """Seconds from a JSON number counted in units of ``unit`` seconds (0.001 for
    milliseconds, 1e-7 for 100-nanosecond ticks), or from such a number written as a string
    (Google's int64 fields are strings). Raises :class:`TranscriptError` naming ``where`` for
    anything that is not a finite number of seconds from 0 to ``most`` (larger for an epoch
    time, which is made an offset into the call afterwards)."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e300 else math.inf
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,20}(?:\.\d{1,12})?\s*", value):
        number = float(value)
    if number is None:
        raise TranscriptError(f"{where} must be a number, got {str(value)[:40]!r}")
    seconds = number * unit
    if not (math.isfinite(seconds) and 0 <= seconds <= most):
        raise TranscriptError(f"{where} is {str(value)[:40]}: not a time in a call (times must "
                              f"be finite, from 0 to {most:g} s)")
    return seconds


def untimed_turns(turns: list[Turn]) -> list[Turn]:
    """``turns`` in their order with placeholder times from their length
    (:func:`synthetic_times`) and no word times: for a file that gives no times, whose
    transcript is then marked ``metadata["timing"] = NO_TIMING``."""
    spans = synthetic_times([t.text for t in turns])
    return [Turn(t.speaker, start, end, t.text) for t, (start, end) in zip(turns, spans,
                                                                            strict=True)]
