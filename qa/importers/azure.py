"""Azure AI Language conversation JSON (the input of conversation summarization / PII).

The shape: ``analysisInput.conversations[]``, each with ``conversationItems[]``; an item has
``participantId``, ``text`` and optionally ``role`` (``agent`` / ``customer`` / ``generic``,
any case) and ``audioTimings`` (``[{"word", "offset", "duration"}]`` in 100-nanosecond ticks,
as Azure speech-to-text gives them). The Speech SDK's call-center sample
(``scenarios/call-center/sampledata/Json_input_customer_support.json``) has no roles and no
timings: its ``participantId`` is ``Agent`` / ``Customer``.

Speakers: an item's ``role`` decides; a participant without one is placed by its id
(:func:`qa.importers.common.map_speakers`: ``Agent``, ``customer_2``..., else the first to
speak is the agent). A file with several conversations is read as one call, in order.

Times: when every item has ``audioTimings`` the words keep their times and each item spans
its words. Otherwise the file gives no times (a chat, or a transcript without word timings):
the items get placeholder times in order and the call is judged by its words
(``metadata["timing"]`` is :data:`qa.transcript.NO_TIMING`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qa.importers.common import (
    Turn,
    build_transcript,
    map_speakers,
    objects,
    seconds_from,
    untimed_turns,
)
from qa.transcript import AGENT, CUSTOMER, NO_TIMING, UNKNOWN, Transcript, TranscriptError, Word

NAME = "Azure AI Language conversation JSON"
# Azure's speech timings count 100-nanosecond ticks.
TICK = 1e-7
ROLES = {"agent": AGENT, "customer": CUSTOMER}


def _conversations(data: Any) -> list[Any] | None:
    """``analysisInput.conversations`` when ``data`` has that shape, else None."""
    if not isinstance(data, dict):
        return None
    analysis = data.get("analysisInput")
    if not isinstance(analysis, dict):
        return None
    conversations = analysis.get("conversations")
    return conversations if isinstance(conversations, list) else None


def sniff(data: Any) -> bool:
    """True for parsed JSON with ``analysisInput.conversations[].conversationItems``."""
    conversations = _conversations(data)
    return bool(conversations) and any(
        isinstance(c, dict) and isinstance(c.get("conversationItems"), list)
        for c in conversations or [])


def parse(data: dict[str, Any], call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from a parsed Azure AI Language conversation file."""
    turns: list[Turn] = []
    roles: dict[str, str] = {}
    all_timed = True
    for place, conversation in objects(_conversations(data) or [], f"{NAME}: conversations"):
        items = conversation.get("conversationItems")
        if not isinstance(items, list):
            raise TranscriptError(f"{place}.conversationItems must be a list")
        for where, item in objects(items, f"{place}.conversationItems"):
            text = item.get("text")
            if not isinstance(text, str):
                raise TranscriptError(f"{where}.text must be a string")
            speaker = item.get("participantId")
            if not isinstance(speaker, str | int) or isinstance(speaker, bool) or not str(
                    speaker).strip():
                raise TranscriptError(f"{where} has no participantId")
            speaker = str(speaker).strip()
            role = item.get("role")
            if isinstance(role, str) and role.strip():
                # "generic" (or anything else) is a participant that is neither side.
                roles.setdefault(speaker, ROLES.get(role.strip().lower(), UNKNOWN))
            words = _words(item.get("audioTimings"), where)
            all_timed = all_timed and bool(words)
            start, end = (words[0].start, words[-1].end) if words else (0.0, 0.0)
            turns.append(Turn(speaker, start, max(start, end), text, words))
    if not turns:
        raise TranscriptError(f"{NAME}: no conversationItems")
    # The file's roles first (a --speaker-map entry overrides them), then the ids: a role the
    # file states is taken, so an unnamed participant gets the other side.
    order = list(dict.fromkeys(t.speaker for t in turns))
    mapping = map_speakers(order, {**roles, **dict(speaker_map or {})})
    meta: dict[str, Any] = {}
    if all_timed:
        timed_turns = turns
    else:
        timed_turns = untimed_turns(turns)
        meta["timing"] = NO_TIMING
    conversation_id = next((c.get("id") for c in _conversations(data) or []
                            if isinstance(c, dict) and isinstance(c.get("id"), str)), None)
    if conversation_id:
        meta["conversation_id"] = conversation_id
    return build_transcript(timed_turns, call_id, NAME, roles=mapping,
                            speaker_timing=all_timed, source=source, metadata=meta)


def _words(timings: Any, where: str) -> list[Word]:
    """The item's words with times from ``audioTimings``; [] when it has none."""
    if not isinstance(timings, list) or not timings:
        return []
    words: list[Word] = []
    for here, timing in objects(timings, f"{where}.audioTimings"):
        start = seconds_from(timing.get("offset"), TICK, f"{here}.offset")
        length = seconds_from(timing.get("duration", 0), TICK, f"{here}.duration")
        word = timing.get("word")
        words.append(Word(round(start, 3), round(start + length, 3),
                          word if isinstance(word, str) else ""))
    words.sort(key=lambda w: (w.start, w.end))
    return words
