"""Amazon Transcribe batch output (the ``results`` JSON of a transcription job).

Two shapes carry who spoke:

* channel identification: ``results.channel_labels.channels[]``, each with a
  ``channel_label`` (``ch_0``, ``ch_1``) and its own ``items``. ``ch_0`` is the agent by
  default (``agent_channel``), as stereo call recordings usually put the agent on the left.
* speaker diarization: ``results.speaker_labels.segments[]`` and ``results.items[]`` whose
  items carry a ``speaker_label`` (``spk_0``...; older output has the label only on the
  segment items, matched here by start time). ``spk_0`` is the agent by default
  (``agent_speaker``), since the agent usually speaks first.

Items are ``{"start_time": "4.86", "end_time": "5.01", "type": "pronunciation",
"alternatives": [{"confidence": "0.99", "content": "I've"}]}``; punctuation items have no
times and attach to the word before. Words become utterances with the same rule as our own
Whisper transcripts (:func:`qa.transcript.group_words`). Output with neither shape has no
speakers: its words are kept as ``unknown``, like a mono recording.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qa.importers.common import Turn, build_transcript
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, TranscriptError, Word, group_words

NAME = "Amazon Transcribe JSON"


def sniff(data: Any) -> bool:
    """True for a parsed Transcribe job output (a ``results`` object)."""
    return isinstance(data, dict) and isinstance(data.get("results"), dict)


def parse(data: dict[str, Any], call_id: str, *, agent_channel: int | str = 0,
          agent_speaker: str = "spk_0", speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from parsed Transcribe output."""
    results = data["results"]
    labelled: list[tuple[str, Word]]
    channels = (results.get("channel_labels") or {}).get("channels")
    if channels:
        labelled = []
        for c, channel in enumerate(channels):
            label = str(channel.get("channel_label", f"ch_{c}"))
            labelled.extend((label, w) for w in _words(channel.get("items") or [],
                                                       f"channel {label}"))
        agent = agent_channel if isinstance(agent_channel, str) else f"ch_{agent_channel}"
        kind = "channel"
    elif results.get("speaker_labels"):
        labelled = _diarized_words(results)
        agent, kind = agent_speaker, "speaker"
    else:
        labelled = [(UNKNOWN, w) for w in _words(results.get("items") or [], "results")]
        agent, kind = None, "none"
    if not labelled:
        raise TranscriptError(f"{NAME}: no timed words in 'results' (an empty or "
                              "text-only transcript)")
    names = list(dict.fromkeys(label for label, _ in sorted(labelled,
                                                           key=lambda lw: lw[1].start)))
    explicit = {k.lower(): v for k, v in (speaker_map or {}).items()}
    roles = {name: explicit.get(name.lower())
             or (UNKNOWN if agent is None else AGENT if name == agent else CUSTOMER)
             for name in names}
    utterances = group_words([(roles[label], w) for label, w in labelled])
    turns = [Turn(u.speaker, u.start, u.end, u.text, u.words) for u in utterances]
    meta: dict[str, Any] = {"speaker_source": kind, "speakers": roles}
    if isinstance(data.get("jobName"), str):
        meta["job_name"] = data["jobName"]
    return build_transcript(turns, call_id, NAME, roles={r: r for r in roles.values()},
                            speaker_timing=agent is not None, source=source, metadata=meta)


def _words(items: list[Any], where: str) -> list[Word]:
    """Words from Transcribe items, punctuation attached to the word before it."""
    words: list[Word] = []
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise TranscriptError(f"{NAME}: {where} item {k} is not an object")
        alternatives = item.get("alternatives") or [{}]
        content = str(alternatives[0].get("content", ""))
        if item.get("type") == "punctuation":
            if words:
                last = words[-1]
                words[-1] = Word(last.start, last.end, last.text + content, last.probability)
            continue
        try:
            start, end = float(item["start_time"]), float(item["end_time"])
        except (KeyError, TypeError, ValueError):
            raise TranscriptError(f"{NAME}: {where} item {k} ({content!r}) needs numeric "
                                  "start_time and end_time") from None
        confidence = alternatives[0].get("confidence")
        try:
            probability = float(confidence) if confidence is not None else None
        except (TypeError, ValueError):
            probability = None
        words.append(Word(start, end, content, probability))
    return words


def _diarized_words(results: dict[str, Any]) -> list[tuple[str, Word]]:
    """(speaker label, word) for diarized output, labels from items or from segments."""
    by_start: dict[str, str] = {}
    for segment in results["speaker_labels"].get("segments") or []:
        for item in segment.get("items") or []:
            if "start_time" in item:
                by_start[str(item["start_time"])] = str(item.get("speaker_label",
                                                                segment.get("speaker_label")))
    out: list[tuple[str, Word]] = []
    label = None
    items = results.get("items") or []
    for k, item in enumerate(items):
        if item.get("type") != "punctuation":
            label = item.get("speaker_label") or by_start.get(str(item.get("start_time")))
            if label is None:
                raise TranscriptError(f"{NAME}: item {k} has no speaker_label and no "
                                      "matching speaker segment")
        words = _words([item], f"item {k}") if item.get("type") != "punctuation" else []
        if words:
            out.append((str(label), words[0]))
        elif item.get("type") == "punctuation" and out:
            prev_label, prev = out[-1]
            content = str((item.get("alternatives") or [{}])[0].get("content", ""))
            out[-1] = (prev_label, Word(prev.start, prev.end, prev.text + content,
                                        prev.probability))
    return out
