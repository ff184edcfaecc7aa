"""Transcripts from other systems, scored without audio.

:func:`load_any` reads a file in any supported format and returns a
:class:`~qa.transcript.Transcript`. The format is recognised from the content, not the file
name, in this order:

=========================================  ===================================================
native JSON                                a JSON object with ``utterances`` (qa transcribe's
                                           own format, README "Transcript format")
Amazon Transcribe JSON                     a JSON object with ``results``
                                           (:mod:`qa.importers.transcribe`)
Contact Lens Call Analytics JSON           a JSON object with a ``Transcript`` list and
                                           ``ParticipantRole`` (:mod:`qa.importers.call_analytics`)
WebVTT                                     first line ``WEBVTT`` (:mod:`qa.importers.webvtt`)
SRT                                        a cue number, then a ``-->`` timing line
                                           (:mod:`qa.importers.srt`)
CSV                                        a header naming speaker, start, end, text
                                           (:mod:`qa.importers.csvfile`)
plain text with Agent:/Customer: prefixes  ``Name: text`` lines (:mod:`qa.importers.text`)
=========================================  ===================================================

Speakers become ``agent`` / ``customer``: from the file's roles where it has them
(Call Analytics), by channel or diarization label for Transcribe (``ch_0`` / ``spk_0`` are the
agent unless told otherwise), and by name for captions, CSV and text (see
:func:`qa.importers.common.map_speakers`: role words first, else the first to speak is the
agent). ``metadata["speakers"]`` records the mapping used.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qa.importers import call_analytics, csvfile, srt, text, transcribe, webvtt
from qa.transcript import Transcript, TranscriptError, loads_json

NATIVE = "native JSON"
FORMATS: tuple[str, ...] = (NATIVE, transcribe.NAME, call_analytics.NAME, webvtt.NAME, srt.NAME,
                            csvfile.NAME, text.NAME)
# File extensions worth offering to load_any when searching folders; the format itself is
# still decided from the content.
EXTENSIONS = frozenset({".json", ".vtt", ".srt", ".csv", ".txt"})
_TRIED = ", ".join(FORMATS)


def decode(raw: bytes) -> str:
    """Text of a transcript file: UTF-8 (BOM optional), or UTF-16 with its BOM."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TranscriptError(f"not valid UTF-16 text (byte {exc.start})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
                              ) from None


def detect_format(content: str) -> str | None:
    """The name of the format ``content`` is in (one of :data:`FORMATS`), or None."""
    stripped = content.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            return _json_format(loads_json(stripped))
        except TranscriptError:  # malformed, nested too deeply, NaN
            if stripped.startswith("{"):
                return None  # "[00:00:01] Agent: ..." is text, "{..." can only be JSON
    for module in (webvtt, srt, csvfile, text):
        if module.sniff(stripped):
            return module.NAME
    return None


def _json_format(data: Any) -> str | None:
    if isinstance(data, dict) and "utterances" in data:
        return NATIVE
    if transcribe.sniff(data):
        return transcribe.NAME
    if call_analytics.sniff(data):
        return call_analytics.NAME
    return None


def looks_like_transcript(path: str | Path) -> bool:
    """True when the file's content is in a supported format (for folder discovery: a
    manifest CSV or a README.txt is not a call). Unreadable files count as transcripts so
    that scoring reports why they fail."""
    try:
        return detect_format(decode(Path(path).read_bytes())) is not None
    except (OSError, TranscriptError):
        return True


def load_any(path: str | Path, *, call_id: str | None = None, agent_channel: int | str = 0,
             agent_speaker: str = "spk_0",
             speaker_map: Mapping[str, str] | None = None) -> Transcript:
    """Read a transcript in any supported format (recognised from its content).

    ``call_id`` defaults to the native file's own, else the file name without extension.
    ``agent_channel`` (Transcribe channel output: 0 means ``ch_0``) and ``agent_speaker``
    (Transcribe diarization) say which label is the agent; ``speaker_map`` maps names or
    labels to roles explicitly (``{"Jordan": "agent"}``) for any format with names. Raises
    :class:`TranscriptError` saying what is wrong, or which formats were tried.
    """
    path = Path(path)
    content = decode(path.read_bytes())
    try:
        return _load(content, path, call_id, agent_channel, agent_speaker, speaker_map)
    except TranscriptError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
            csv.Error) as exc:
        # A shape no importer foresaw (a list where an object belongs, a number too large for
        # a float): still this file's problem, said as such, never an error escaping.
        raise TranscriptError(f"cannot read this transcript ({type(exc).__name__}: "
                              f"{str(exc)[:120]})") from None


def _load(content: str, path: Path, call_id: str | None, agent_channel: int | str,
          agent_speaker: str, speaker_map: Mapping[str, str] | None) -> Transcript:
    """:func:`load_any` on the decoded ``content`` of ``path``."""
    stripped = content.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise TranscriptError(f"empty file: not a recognised transcript (tried {_TRIED})")
    name = call_id or path.stem
    source = str(path)
    data, bad_json = None, None
    if stripped.startswith(("{", "[")):
        try:
            data = loads_json(stripped)
        except TranscriptError as exc:
            bad_json = exc
            if stripped.startswith("{"):
                raise bad_json from None
    if data is not None:
        fmt = _json_format(data)
        if fmt == NATIVE:
            transcript = Transcript.from_dict(data, default_call_id=name)
            if call_id:
                transcript.call_id = call_id
            return transcript
        if fmt == transcribe.NAME:
            return transcribe.parse(data, name, agent_channel=agent_channel,
                                    agent_speaker=agent_speaker, speaker_map=speaker_map,
                                    source=source)
        if fmt == call_analytics.NAME:
            return call_analytics.parse(data, name, source=source)
        keys = ", ".join(sorted(data)[:8]) if isinstance(data, dict) else type(data).__name__
        raise TranscriptError(f"JSON but not a recognised transcript (top level: {keys}): "
                              f"tried {_TRIED}")
    for module in (webvtt, srt, csvfile, text):
        if module.sniff(stripped):
            return module.parse(stripped, name, speaker_map=speaker_map, source=source)
    if bad_json is not None:  # "[..." that is neither JSON nor a timestamped text line
        raise bad_json
    raise TranscriptError(f"not a recognised transcript: tried {_TRIED}")
