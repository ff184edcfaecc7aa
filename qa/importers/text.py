"""Plain text, one turn per line with the speaker first: ``Agent: Hello, how can I help?``.

A line may start with its times, ``[00:00:01.2 - 00:00:03.4] Agent: ...`` (or ``-->``
between them), or its start only, ``[00:01:02] Agent: ...``. A line without a speaker
continues the turn above it; lines before the first speaker are a header and skipped.

Without times the utterances get placeholder, increasing times from their length (2.5 words
a second, 0.5 s apart) for order and display only: ``metadata["timing"]`` is
:data:`qa.transcript.NO_TIMING`, so the call is judged by its words (``min_call_words``, not
``min_call_seconds``) and criteria that measure time are not applicable ("no timing in this
transcript"). With start times only, each turn ends at the next one's start or when its words
would be said, whichever is first. Either way the transcript is marked
``speaker_timing = False``: who said what is known, but not exactly when (overlaps cannot be
seen), so criteria that need timing (interruptions, dead air, talk ratio, speaking rate) do
not apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from qa.importers.common import (
    MIN_SYNTHETIC_SECONDS,
    WORDS_PER_SECOND,
    Turn,
    build_transcript,
    parse_time,
    role_from_name,
    speaker_prefix,
    synthetic_times,
)
from qa.transcript import NO_TIMING, Transcript, TranscriptError

NAME = "plain text with Agent:/Customer: prefixes"
_TIME = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMES_RE = re.compile(rf"\s*\[?\s*({_TIME})\s*(?:(?:-|–|-->|to)\s*({_TIME}))?\s*\]?\s*(.*)$")


def _split(line: str) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """(start, end, (speaker, text)) of one line; parts missing are None."""
    start = end = None
    rest = line
    m = _TIMES_RE.match(line)
    if m and m.group(3) and speaker_prefix(m.group(3)):
        start, end, rest = m.group(1), m.group(2), m.group(3)
    return start, end, speaker_prefix(rest)


def _from_starts(rows: list[list]) -> list[tuple[float, float]]:
    starts = []
    for r in rows:
        try:
            starts.append(parse_time(r[2]))
        except ValueError as exc:
            raise TranscriptError(f"{NAME}: line {r[4]}: {exc}") from None
    spans = []
    for k, (r, start) in enumerate(zip(rows, starts, strict=True)):
        spoken = start + max(MIN_SYNTHETIC_SECONDS, len(r[1].split()) / WORDS_PER_SECOND)
        following = starts[k + 1] if k + 1 < len(starts) else spoken
        spans.append((start, max(start, min(spoken, following))))
    return spans


def sniff(text: str) -> bool:
    """True when at least two lines start with a speaker, and either a name says agent or
    customer (or caller, rep...) or two different names take turns (A, B, A)."""
    named = [found[0] for line in text.splitlines()[:400]
             if line.strip() and (found := _split(line)[2])]
    if len(named) < 2:
        return False
    if any(role_from_name(n) for n in named):
        return True
    # Without role words, speakers must take turns (a name comes back after another one):
    # "From: / To: / Subject:" is an e-mail header, not a call.
    return any(named[k] in named[:j] and named[j - 1] != named[k]
               for j in range(1, len(named)) for k in range(j, len(named)))


def parse(text: str, call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from plain text."""
    rows: list[list] = []  # [speaker, text, start, end, line number]
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        start, end, named = _split(line)
        if named:
            rows.append([named[0], named[1], start, end, number])
        elif rows:
            rows[-1][1] = f"{rows[-1][1]} {line.strip()}"
    if not rows:
        raise TranscriptError(f"{NAME}: no 'Speaker: text' lines")
    timed = [r[2] is not None for r in rows]
    if any(timed) and not all(timed):
        missing = next(r[4] for r in rows if r[2] is None)
        raise TranscriptError(f"{NAME}: line {missing} has no time but other lines do")
    ranges = all(r[3] is not None for r in rows)
    if ranges:
        spans = []
        for r in rows:
            try:
                spans.append((parse_time(r[2]), parse_time(r[3])))
            except ValueError as exc:
                raise TranscriptError(f"{NAME}: line {r[4]}: {exc}") from None
    elif all(timed):
        spans = _from_starts(rows)
    else:
        spans = synthetic_times([r[1] for r in rows])
    turns = [Turn(r[0], s, e, r[1]) for r, (s, e) in zip(rows, spans, strict=True)]
    meta = {} if ranges else {"timing": "ends estimated from start times" if all(timed)
                              else NO_TIMING}
    return build_transcript(turns, call_id, NAME, speaker_map=speaker_map,
                            speaker_timing=ranges, source=source, metadata=meta)
