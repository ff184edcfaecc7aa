"""Amazon Transcribe Call Analytics and Amazon Connect Contact Lens post-call output.

Both are turn-by-turn: a top-level ``Transcript`` list of segments, each with ``Content``,
``BeginOffsetMillis``, ``EndOffsetMillis`` and the speaker's role, given directly as
``ParticipantRole`` (``AGENT`` / ``CUSTOMER``, Transcribe Call Analytics) or as a
``ParticipantId`` looked up in the top-level ``Participants`` list (Contact Lens). Each segment
is one utterance, its ``Items`` (when present) its words. The roles come from the file, so
no guessing is needed. Chat transcripts (no millisecond offsets) are refused.
"""

from __future__ import annotations

from typing import Any

from qa.importers.common import Turn, build_transcript, objects
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, TranscriptError, Word

NAME = "Contact Lens Call Analytics JSON"
ROLES = {"AGENT": AGENT, "CUSTOMER": CUSTOMER}


def sniff(data: Any) -> bool:
    """True for a parsed Call Analytics / Contact Lens file: a ``Transcript`` list whose
    segments, or ``Participants``, carry a ``ParticipantRole``."""
    if not isinstance(data, dict) or not isinstance(data.get("Transcript"), list):
        return False
    segments = [s for s in data["Transcript"] if isinstance(s, dict)]
    raw = data.get("Participants")
    participants: list[Any] = raw if isinstance(raw, list) else []
    return any("ParticipantRole" in s for s in segments) or any(
        isinstance(p, dict) and "ParticipantRole" in p for p in participants)


def parse(data: dict[str, Any], call_id: str, *, source: str | None = None) -> Transcript:
    """Build a Transcript from parsed Call Analytics / Contact Lens output."""
    by_id = {str(p.get("ParticipantId")): str(p.get("ParticipantRole"))
             for p in data.get("Participants") or [] if isinstance(p, dict)}
    turns: list[Turn] = []
    names: dict[str, str] = {}
    for where, seg in objects(data["Transcript"], f"{NAME}: Transcript"):
        role_name = seg.get("ParticipantRole") or by_id.get(str(seg.get("ParticipantId")))
        if role_name is None:
            raise TranscriptError(f"{where} has no ParticipantRole (nor a ParticipantId "
                                  "listed in Participants)")
        role_name = str(role_name).upper()
        names[role_name] = ROLES.get(role_name, UNKNOWN)
        try:
            start = float(seg["BeginOffsetMillis"]) / 1000
            end = float(seg["EndOffsetMillis"]) / 1000
        except KeyError:
            raise TranscriptError(f"{where} has no BeginOffsetMillis/EndOffsetMillis "
                                  "(a chat transcript? only voice calls can be scored)") from None
        except (TypeError, ValueError):
            raise TranscriptError(f"{where}: the offsets must be numbers") from None
        text = seg.get("Content")
        if not isinstance(text, str):
            raise TranscriptError(f"{where}.Content must be a string")
        turns.append(Turn(role_name, start, end, text, _words(seg.get("Items") or [])))
    duration = (data.get("ConversationCharacteristics") or {}).get(
        "TotalConversationDurationMillis")
    meta: dict[str, Any] = {"speakers": names}
    contact = (data.get("CustomerMetadata") or {}).get("ContactId")
    if contact:
        meta["contact_id"] = contact
    return build_transcript(turns, call_id, NAME, roles=names, source=source,
                            duration=float(duration) / 1000 if isinstance(duration, int | float)
                            else None, metadata=meta)


def _words(items: list[Any]) -> list[Word]:
    words: list[Word] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        content = str(item.get("Content", ""))
        if str(item.get("Type", "")).lower() == "punctuation":
            if words:
                last = words[-1]
                words[-1] = Word(last.start, last.end, last.text + content, last.probability)
            continue
        try:
            start = float(item["BeginOffsetMillis"]) / 1000
            end = float(item["EndOffsetMillis"]) / 1000
        except (KeyError, TypeError, ValueError):
            return []  # words without times are no use; the segment times still are
        confidence = item.get("Confidence")
        words.append(Word(start, end, content,
                          float(confidence) if isinstance(confidence, int | float) else None))
    return words
