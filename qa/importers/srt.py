"""SubRip (.srt) subtitles with the speaker named on the cue: ``AGENT: Hello``.

Blocks are a cue number, ``00:00:01,500 --> 00:00:03,200`` and the text. A cue without a
``Name:`` prefix continues the previous speaker; consecutive cues by one speaker less than a
second apart are one utterance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from qa.importers.common import Turn, build_transcript, caption_turns, merge_consecutive, parse_time
from qa.transcript import Transcript, TranscriptError

NAME = "SRT"
_TIMING_RE = re.compile(r"\s*(\d+:\d{1,2}:\d{1,2}[,.]\d{1,3})\s*-->\s*"
                        r"(\d+:\d{1,2}:\d{1,2}[,.]\d{1,3})(?:\s.*)?$")


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def sniff(text: str) -> bool:
    """True when the first block is a cue number followed by a ``-->`` timing line."""
    lines = [ln for ln in _normalise(text).split("\n")[:20]]
    while lines and not lines[0].strip():
        lines.pop(0)
    return len(lines) >= 2 and lines[0].strip().isdigit() and bool(_TIMING_RE.match(lines[1]))


def parse(text: str, call_id: str, *, speaker_map: Mapping[str, str] | None = None,
          source: str | None = None) -> Transcript:
    """Build a Transcript from SRT text."""
    turns: list[Turn] = []
    previous: str | None = None
    for block in re.split(r"\n[ \t]*\n", _normalise(text).strip()):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        label = lines[0].strip()
        if len(lines) < 2 or not label.isdigit():
            raise TranscriptError(f"{NAME}: block {label[:30]!r} is not 'number, timing, "
                                  "text'")
        m = _TIMING_RE.match(lines[1])
        if not m:
            raise TranscriptError(f"{NAME}: cue {label}: bad timing line {lines[1]!r}")
        cue = caption_turns("\n".join(lines[2:]), parse_time(m.group(1)),
                            parse_time(m.group(2)), previous, f"{NAME}: cue {label}")
        if cue:
            previous = cue[-1].speaker
        turns.extend(cue)
    return build_transcript(merge_consecutive(turns), call_id, NAME, speaker_map=speaker_map,
                            source=source)
