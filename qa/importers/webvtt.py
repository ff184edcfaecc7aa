"""WebVTT captions (Microsoft Teams, Zoom, most meeting and call recorders).

Speakers come from voice tags, ``<v Sam Patel>Hello</v>`` (Teams), or a ``Name:`` prefix on
the cue text (Zoom). ``NOTE``, ``STYLE`` and ``REGION`` blocks and cue settings are skipped;
consecutive cues by one speaker less than a second apart are one utterance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from qa.importers.common import Turn, build_transcript, caption_turns, merge_consecutive, parse_time
from qa.transcript import Transcript, TranscriptError

NAME = "WebVTT"
_TIMING_RE = re.compile(r"\s*((?:\d+:)?\d{1,2}:\d{2}\.\d{1,3})\s+-->\s+"
                        r"((?:\d+:)?\d{1,2}:\d{2}\.\d{1,3})(?:\s.*)?$")


def sniff(text: str) -> bool:
    """True when the file starts with the ``WEBVTT`` signature."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))


def parse(text: str, call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from WebVTT text."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n[ \t]*\n", text)
    turns: list[Turn] = []
    previous: str | None = None
    for number, block in enumerate(blocks[1:], start=1):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines or lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing = next((k for k, ln in enumerate(lines[:2]) if "-->" in ln), None)
        if timing is None:
            raise TranscriptError(f"{NAME}: block {number} ({lines[0][:40]!r}) has no "
                                  "'start --> end' line")
        m = _TIMING_RE.match(lines[timing])
        if not m:
            raise TranscriptError(f"{NAME}: block {number}: bad timing line {lines[timing]!r}")
        start, end = parse_time(m.group(1)), parse_time(m.group(2))
        cue = caption_turns("\n".join(lines[timing + 1:]), start, end, previous,
                            f"{NAME}: cue {number}")
        if cue:
            previous = cue[-1].speaker
        turns.extend(cue)
    return build_transcript(merge_consecutive(turns), call_id, NAME, speaker_map=speaker_map,
                            source=source)
