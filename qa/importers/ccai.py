"""Google Contact Center AI Insights conversation JSON (a ``Conversation`` resource).

The shape: ``transcript.transcriptSegments[]``, each with ``text``, ``words[]`` (``word``,
``startOffset`` / ``endOffset`` as protobuf durations such as ``"1.500s"``, ``confidence``),
``channelTag`` and ``segmentParticipant.role`` (``HUMAN_AGENT``, ``END_USER``,
``AUTOMATED_AGENT``, ``ANY_AGENT``). The proto's snake_case names (``transcript_segments``,
``start_offset``...) are read too.

Speakers: ``HUMAN_AGENT`` / ``ANY_AGENT`` are the agent, ``END_USER`` the customer, a virtual
agent (``AUTOMATED_AGENT``) neither (its words stay in the transcript, counted for nobody:
the person coached is the human agent). A segment without a role is placed by its
``channelTag`` through ``callMetadata.agentChannel`` / ``customerChannel``, else by
:func:`qa.importers.common.map_speakers` (the first channel to speak is the agent).

Times: each segment spans its words. A chat (``medium`` ``CHAT``) or a file whose segments
lack word times gives no speech times: the segments get placeholder times in order and the
call is judged by its words (``metadata["timing"]`` is :data:`qa.transcript.NO_TIMING`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from qa.importers.common import (
    Turn,
    build_transcript,
    file_word,
    map_speakers,
    objects,
    seconds_from,
    untimed_turns,
)
from qa.transcript import AGENT, CUSTOMER, NO_TIMING, UNKNOWN, Transcript, TranscriptError, Word

NAME = "Google CCAI Insights conversation JSON"
ROLES = {"HUMAN_AGENT": AGENT, "ANY_AGENT": AGENT, "END_USER": CUSTOMER,
         "AUTOMATED_AGENT": UNKNOWN}
_DURATION_RE = re.compile(r"\s*(\d{1,12}(?:\.\d{1,9})?)s\s*")


def _get(data: dict[str, Any], camel: str) -> Any:
    """``data[camel]``, else the proto's snake_case name for it."""
    if camel in data:
        return data[camel]
    return data.get(re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower())


def _segments(data: Any) -> list[Any] | None:
    """The transcript segments when ``data`` is a conversation (or its transcript)."""
    if not isinstance(data, dict):
        return None
    transcript = _get(data, "transcript")
    holder = transcript if isinstance(transcript, dict) else data
    segments = _get(holder, "transcriptSegments")
    return segments if isinstance(segments, list) else None


def sniff(data: Any) -> bool:
    """True for parsed JSON with ``transcript.transcriptSegments`` (or the transcript object
    itself)."""
    return _segments(data) is not None


def duration_seconds(value: Any, where: str) -> float:
    """Seconds from a protobuf JSON duration (``"12.5s"``); also a plain number of seconds."""
    if isinstance(value, str):
        m = _DURATION_RE.fullmatch(value)
        if not m:
            raise TranscriptError(f"{where} is {value[:40]!r}: not a duration like \"1.5s\"")
        return seconds_from(m.group(1), 1.0, where)
    return seconds_from(value, 1.0, where)


def parse(data: dict[str, Any], call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from a parsed CCAI Insights conversation."""
    segments = _segments(data) or []
    metadata = _get(data, "callMetadata")
    channels: dict[str, str] = {}
    if isinstance(metadata, dict):
        for key, side in (("agentChannel", AGENT), ("customerChannel", CUSTOMER)):
            if isinstance(_get(metadata, key), int | str):
                channels[f"channel {_get(metadata, key)}"] = side
    turns: list[Turn] = []
    roles: dict[str, str] = {}
    all_timed = str(_get(data, "medium") or "").upper() != "CHAT"
    for where, segment in objects(segments, f"{NAME}: transcriptSegments"):
        text = segment.get("text")
        if not isinstance(text, str):
            raise TranscriptError(f"{where}.text must be a string")
        participant = _get(segment, "segmentParticipant")
        role = participant.get("role") if isinstance(participant, dict) else None
        tag = _get(segment, "channelTag")
        if isinstance(role, str) and role.upper() in ROLES:
            speaker = role.upper()
            roles[speaker] = ROLES[speaker]
        elif isinstance(tag, int | str) and not isinstance(tag, bool):
            speaker = f"channel {tag}"
            if speaker in channels:
                roles[speaker] = channels[speaker]
        else:
            raise TranscriptError(f"{where} has neither segmentParticipant.role nor channelTag")
        words = _words(segment.get("words"), where)
        all_timed = all_timed and bool(words)
        start, end = (words[0].start, max(w.end for w in words)) if words else (0.0, 0.0)
        turns.append(Turn(speaker, start, end, text, words))
    if not turns:
        raise TranscriptError(f"{NAME}: no transcriptSegments")
    order = list(dict.fromkeys(t.speaker for t in turns))
    mapping = map_speakers(order, {**roles, **dict(speaker_map or {})})
    meta: dict[str, Any] = {}
    duration = None
    if all_timed:
        raw = _get(data, "duration")
        if raw is not None:
            duration = max(duration_seconds(raw, f"{NAME}: duration"),
                           max(t.end for t in turns))
    else:
        turns = untimed_turns(turns)
        meta["timing"] = NO_TIMING
    name = data.get("name")
    if isinstance(name, str):
        meta["conversation"] = name
    return build_transcript(turns, call_id, NAME, roles=mapping, speaker_timing=all_timed,
                            duration=duration, source=source, metadata=meta)


def _words(raw: Any, where: str) -> list[Word]:
    """The segment's words with their times; [] when it has none (or any lacks a time)."""
    if not isinstance(raw, list) or not raw:
        return []
    words: list[Word] = []
    for here, item in objects(raw, f"{where}.words"):
        start, end = _get(item, "startOffset"), _get(item, "endOffset")
        if start is None or end is None:
            return []  # words without times are no use; the text still is
        start_s = duration_seconds(start, f"{here}.startOffset")
        end_s = duration_seconds(end, f"{here}.endOffset")
        words.append(file_word(round(start_s, 3), round(max(start_s, end_s), 3), item))
    words.sort(key=lambda w: (w.start, w.end))
    return words
