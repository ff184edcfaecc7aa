"""Genesys Cloud speech and text analytics transcripts (the JSON behind the transcript URL).

The shape: ``transcripts[]``, each with ``phrases[]``; a phrase has ``text`` (and often a
punctuated ``decoratedText``, used when present), ``startTimeMs``, ``duration.milliseconds``,
``participantPurpose`` and optionally ``words[]`` (``word``, ``startTimeMs``,
``duration.milliseconds``, ``confidence``). Top level: ``conversationId``,
``communicationId``, ``mediaType``, ``conversationStartTime``.

Speakers: ``participantPurpose`` ``internal`` (or ``agent`` / ``user``) is the agent,
``external`` (or ``customer``) the customer; IVR, ACD, voicemail and the like are neither (their
words stay in the transcript, counted for nobody).

Times: ``startTimeMs`` is an epoch time in Genesys's exports; it is measured from
``conversationStartTime`` (or from the first phrase when that is missing or later), and kept as
it is when it is already an offset. A phrase without ``duration`` ends when its words would be
said or the next phrase starts (``speaker_timing`` False, as for text with start times only). A
chat, message or e-mail (``mediaType``) gives no speech times: the phrases keep their order with
placeholder times and the call is judged by its words (``metadata["timing"]`` is
:data:`qa.transcript.NO_TIMING`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qa.importers.common import (
    MAX_FILE_SECONDS,
    MIN_SYNTHETIC_SECONDS,
    WORDS_PER_SECOND,
    Turn,
    build_transcript,
    file_word,
    map_speakers,
    objects,
    seconds_from,
    untimed_turns,
)
from qa.transcript import AGENT, CUSTOMER, NO_TIMING, UNKNOWN, Transcript, TranscriptError, Word

NAME = "Genesys Cloud transcript JSON"
MS = 0.001
PURPOSES = {"internal": AGENT, "agent": AGENT, "user": AGENT, "external": CUSTOMER,
            "customer": CUSTOMER}
# Media without speech: their times are when messages were sent, not how anyone spoke.
TEXT_MEDIA = frozenset({"chat", "message", "messaging", "email", "sms", "webmessaging"})
# Epoch milliseconds are above this (it is 1973); an offset into a call is far below it.
EPOCH_MS = 1e11
# Epoch times are read up to this many seconds (the year 5138), then made offsets into the
# call, which must be times in a call (MAX_FILE_SECONDS).
MAX_EPOCH_SECONDS = 1e11


def sniff(data: Any) -> bool:
    """True for parsed JSON with ``transcripts[].phrases``."""
    if not isinstance(data, dict) or not isinstance(data.get("transcripts"), list):
        return False
    return any(isinstance(t, dict) and isinstance(t.get("phrases"), list)
               for t in data["transcripts"])


def parse(data: dict[str, Any], call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from a parsed Genesys Cloud transcript file."""
    rows: list[tuple[str, float, float | None, str, list[Word]]] = []
    for place, part in objects(data["transcripts"], f"{NAME}: transcripts"):
        phrases = part.get("phrases")
        if not isinstance(phrases, list):
            raise TranscriptError(f"{place}.phrases must be a list")
        for where, phrase in objects(phrases, f"{place}.phrases"):
            text = phrase.get("decoratedText")
            if not isinstance(text, str) or not text.strip():
                text = phrase.get("text")
            if not isinstance(text, str):
                raise TranscriptError(f"{where}.text must be a string")
            purpose = phrase.get("participantPurpose")
            if not isinstance(purpose, str) or not purpose.strip():
                raise TranscriptError(f"{where} has no participantPurpose")
            start = seconds_from(phrase.get("startTimeMs"), MS, f"{where}.startTimeMs",
                                 MAX_EPOCH_SECONDS)
            length = _length(phrase.get("duration"), f"{where}.duration")
            rows.append((purpose.strip().lower(), start, length, text,
                         _words(phrase.get("words"), where)))
    if not rows:
        raise TranscriptError(f"{NAME}: no phrases")
    base = _base(data, [r[1] for r in rows])
    rows.sort(key=lambda r: r[1])
    media = str(data.get("mediaType") or "").strip().lower()
    timed = media not in TEXT_MEDIA
    exact = all(r[2] is not None for r in rows)
    turns: list[Turn] = []
    for k, (purpose, start, length, text, words) in enumerate(rows):
        start -= base
        if start > MAX_FILE_SECONDS:
            raise TranscriptError(f"{NAME}: a phrase starts {start:.0f} s into the call: "
                                  "startTimeMs must be epoch or offset milliseconds of one call")
        if length is None:  # estimated: when its words would be said, before the next phrase
            spoken = start + max(MIN_SYNTHETIC_SECONDS, len(text.split()) / WORDS_PER_SECOND)
            following = rows[k + 1][1] - base if k + 1 < len(rows) else spoken
            end = max(start, min(spoken, following))
        else:
            end = start + length
        shifted = [Word(round(max(0.0, w.start - base), 3), round(max(0.0, w.end - base), 3),
                        w.text, w.probability) for w in words]
        turns.append(Turn(purpose, round(start, 3), round(end, 3), text, shifted))
    order = list(dict.fromkeys(t.speaker for t in turns))
    roles = {p: PURPOSES.get(p, UNKNOWN) for p in order}
    mapping = map_speakers(order, {**roles, **dict(speaker_map or {})})
    meta: dict[str, Any] = {}
    if not timed:
        turns = untimed_turns(turns)
        meta["timing"] = NO_TIMING
    elif not exact:
        meta["timing"] = "ends estimated from start times"
    for key in ("conversationId", "communicationId"):
        if isinstance(data.get(key), str):
            meta[key] = data[key]
    return build_transcript(turns, call_id, NAME, roles=mapping,
                            speaker_timing=timed and exact, source=source, metadata=meta)


def _base(data: dict[str, Any], starts: list[float]) -> float:
    """Seconds to subtract from every start: the conversation's start when the phrases carry
    epoch times, else 0."""
    first = min(starts)
    if first * 1000 < EPOCH_MS:
        return 0.0  # already offsets into the call
    begun = data.get("conversationStartTime")
    if isinstance(begun, int | float) and not isinstance(begun, bool):
        begun_s = seconds_from(begun, MS, f"{NAME}: conversationStartTime",
                               MAX_EPOCH_SECONDS)
        if begun_s <= first:
            return begun_s
    return first


def _length(duration: Any, where: str) -> float | None:
    """Seconds in ``{"milliseconds": N}``; None when the phrase gives no duration."""
    if duration is None:
        return None
    if not isinstance(duration, dict):
        raise TranscriptError(f"{where} must be an object with milliseconds")
    if duration.get("milliseconds") is None:
        return None
    return seconds_from(duration.get("milliseconds"), MS, f"{where}.milliseconds")


def _words(raw: Any, where: str) -> list[Word]:
    """The phrase's words with their times (epoch or offset, as the phrase's); [] when it has
    none or any lacks a time."""
    if not isinstance(raw, list):
        return []
    words: list[Word] = []
    for here, item in objects(raw, f"{where}.words"):
        if item.get("startTimeMs") is None:
            return []
        start = seconds_from(item.get("startTimeMs"), MS, f"{here}.startTimeMs",
                             MAX_EPOCH_SECONDS)
        length = _length(item.get("duration"), f"{here}.duration") or 0.0
        words.append(file_word(start, start + length, item))
    words.sort(key=lambda w: (w.start, w.end))
    return words
