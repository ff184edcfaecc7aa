"""The transcript: the hinge of the pipeline.

Everything after transcription works on a :class:`Transcript`, whether it came from our own
Whisper run, from a hand-written labeled script, or from another system. The JSON form is the
one documented in the README::

    {"call_id": str, "agent": str | null,
     "utterances": [{"speaker": "agent" | "customer", "start": float, "end": float,
                     "text": str, "words": [...]?, "labels": [str]?}]}

Unknown fields are ignored on reading, so files from newer versions or other tools still load.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AGENT = "agent"
CUSTOMER = "customer"
UNKNOWN = "unknown"
SPEAKERS = (AGENT, CUSTOMER, UNKNOWN)


class TranscriptError(ValueError):
    """A transcript file or object that cannot be read; the message says why."""


# No transcript format nests anywhere near this deep (Amazon Transcribe's is 5 levels); a file
# that does is refused before anything walks it recursively (the parser, the store's JSON
# writer), where 50,000 levels would raise RecursionError.
MAX_JSON_DEPTH = 64


# Larger than any time in a call (about 31 years); a bigger JSON integer (10**400) cannot even
# be made a float.
MAX_SECONDS = 1e9


def json_depth(data: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply lists and objects nest in ``data`` (a scalar is 0), counted without
    recursion; stops counting once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                break
            stack.extend((v, depth) for v in (value.values() if isinstance(value, dict)
                                              else value))
    return deepest


def loads_json(text: str) -> Any:
    """Parse JSON text as a transcript file holds it.

    Raises :class:`TranscriptError` for malformed JSON, for nesting deeper than
    :data:`MAX_JSON_DEPTH`, and for ``NaN`` / ``Infinity`` (not JSON, though Python's parser
    takes them). ``1e400`` parses to infinity and is caught where times are read.
    """
    def no_constant(name: str) -> Any:
        raise TranscriptError(f"{name} is not a JSON number")

    try:
        data = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise TranscriptError(f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels): "
                              "not a transcript") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise TranscriptError(f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels): "
                              "not a transcript")
    return data


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds from the start of the call."""

    start: float
    end: float
    text: str
    probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3),
                               "word": self.text}
        if self.probability is not None:
            out["probability"] = round(self.probability, 3)
        return out


@dataclass
class Utterance:
    """A stretch of speech by one party, as the transcript lists it."""

    speaker: str
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (words and labels only when present)."""
        out: dict[str, Any] = {"speaker": self.speaker, "start": round(self.start, 3),
                               "end": round(self.end, 3), "text": self.text}
        if self.words:
            out["words"] = [w.to_dict() for w in self.words]
        if self.labels:
            out["labels"] = list(self.labels)
        return out


@dataclass
class Transcript:
    """A whole call: who said what, when.

    ``speaker_timing`` is False when the speakers could not be told apart by channel (a mono
    recording): the text is there, but who-spoke-when is not, so timing criteria do not apply.
    """

    call_id: str
    utterances: list[Utterance]
    agent: str | None = None
    duration: float | None = None
    speaker_timing: bool = True
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.utterances.sort(key=lambda u: (u.start, u.end))
        if self.duration is None:
            self.duration = max((u.end for u in self.utterances), default=0.0)

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def by(self, speaker: str) -> list[tuple[int, Utterance]]:
        """The (index, utterance) pairs spoken by ``speaker``, in time order."""
        return [(i, u) for i, u in enumerate(self.utterances) if u.speaker == speaker]

    def speech_seconds(self, speaker: str) -> float:
        """Total seconds of speech by ``speaker`` (sum of utterance spans)."""
        return sum(u.duration for u in self.utterances if u.speaker == speaker)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the README's transcript format plus a few optional fields."""
        out: dict[str, Any] = {"call_id": self.call_id, "agent": self.agent}
        if self.duration is not None:
            out["duration"] = round(self.duration, 3)
        out["speaker_timing"] = self.speaker_timing
        if self.source:
            out["source"] = self.source
        if self.metadata:
            out["metadata"] = self.metadata
        out["utterances"] = [u.to_dict() for u in self.utterances]
        return out

    def to_json(self) -> str:
        """Pretty JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        """Write the transcript as UTF-8 JSON."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: Any, default_call_id: str | None = None) -> Transcript:
        """Build from parsed JSON, checking every field a detector relies on."""
        if not isinstance(data, dict):
            raise TranscriptError("top level must be a JSON object")
        call_id = data.get("call_id", default_call_id)
        if not isinstance(call_id, str) or not call_id.strip():
            raise TranscriptError("'call_id' must be a non-empty string")
        agent = data.get("agent")
        if agent is not None and not isinstance(agent, str):
            raise TranscriptError("'agent' must be a string or null")
        raw_utts = data.get("utterances")
        if not isinstance(raw_utts, list):
            raise TranscriptError("'utterances' must be a list")
        utterances = [_utterance_from_dict(u, i) for i, u in enumerate(raw_utts)]
        duration = data.get("duration")
        if duration is not None and (not isinstance(duration, int | float)
                                     or abs(duration) > MAX_SECONDS):
            raise TranscriptError("'duration' must be a number of seconds")
        raw_metadata = data.get("metadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        return check_numbers(cls(
            call_id=call_id.strip(),
            agent=agent,
            utterances=utterances,
            duration=float(duration) if duration is not None else None,
            speaker_timing=bool(data.get("speaker_timing", True)),
            source=data.get("source") if isinstance(data.get("source"), str) else None,
            metadata=metadata,
        ))

    @classmethod
    def load(cls, path: str | Path) -> Transcript:
        """Read a transcript JSON file; errors name the problem (the caller adds the file)."""
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TranscriptError(f"not UTF-8 text (byte {exc.start})") from None
        return cls.from_dict(loads_json(text), default_call_id=Path(path).stem)


def check_numbers(transcript: Transcript, prefix: str = "") -> Transcript:
    """``transcript`` itself when every time (utterances, words, the duration) and word
    probability is a finite number, times not negative and no utterance ending before it
    starts; else :class:`TranscriptError` naming the first bad value (``prefix`` leads the
    message, e.g. the format's name). NaN and infinity would be stored, then break every
    page and export that shows a time."""
    def bad(where: str, value: float) -> TranscriptError:
        return TranscriptError(f"{prefix}{where} is {value!r}: times must be finite numbers "
                               f"of seconds, from 0 to {MAX_SECONDS:g}")

    def ok(value: float) -> bool:
        return math.isfinite(value) and 0 <= value <= MAX_SECONDS

    if transcript.duration is not None and not ok(transcript.duration):
        raise bad("duration", transcript.duration)
    for i, utt in enumerate(transcript.utterances):
        for name in ("start", "end"):
            value = getattr(utt, name)
            if not ok(value):
                raise bad(f"utterances[{i}].{name}", value)
        if utt.end < utt.start:
            raise TranscriptError(f"{prefix}utterances[{i}] has start {utt.start} and end "
                                  f"{utt.end}: need 0 <= start <= end")
        for j, word in enumerate(utt.words):
            for name in ("start", "end"):
                value = getattr(word, name)
                if not ok(value):
                    raise bad(f"utterances[{i}].words[{j}].{name}", value)
            if word.probability is not None and not math.isfinite(word.probability):
                raise TranscriptError(f"{prefix}utterances[{i}].words[{j}].probability is "
                                      f"{word.probability!r}: must be a finite number")
    return transcript


def _utterance_from_dict(raw: Any, index: int) -> Utterance:
    where = f"utterances[{index}]"
    if not isinstance(raw, dict):
        raise TranscriptError(f"{where} must be an object")
    speaker = raw.get("speaker")
    if speaker not in SPEAKERS:
        raise TranscriptError(
            f"{where}.speaker must be 'agent', 'customer' or 'unknown', got {speaker!r}")
    try:
        start, end = float(raw["start"]), float(raw["end"])
    except KeyError as exc:
        raise TranscriptError(f"{where} is missing {exc.args[0]!r}") from None
    except (TypeError, ValueError, OverflowError):  # OverflowError: float(10**400)
        raise TranscriptError(f"{where}.start and .end must be numbers") from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise TranscriptError(f"{where} has start {start} and end {end}: times must be finite "
                              "numbers")
    if start < 0 or end < start:
        raise TranscriptError(f"{where} has start {start} and end {end}: need 0 <= start <= end")
    text = raw.get("text")
    if not isinstance(text, str):
        raise TranscriptError(f"{where}.text must be a string")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise TranscriptError(f"{where}.labels must be a list of strings")
    words: list[Word] = []
    for j, w in enumerate(raw.get("words") or []):
        try:
            words.append(Word(float(w["start"]), float(w["end"]),
                              str(w.get("word", w.get("text", ""))),
                              float(w["probability"]) if w.get("probability") is not None
                              else None))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise TranscriptError(f"{where}.words[{j}] needs numeric start and end") from None
    return Utterance(speaker, start, end, text.strip(), words, labels)


def group_words(words: list[tuple[str, Word]], max_gap: float = 1.0,
                short_turn_words: int = 3, short_turn_gap: float = 0.4,
                talked_through: float = 0.3, talked_over_gap: float = 0.6) -> list[Utterance]:
    """Group time-ordered (speaker, word) pairs into utterances.

    A new utterance starts when the same speaker pauses longer than ``max_gap`` seconds, or
    when the other party started speaking since this speaker's last word (so a backchannel
    during the customer's turn stays its own utterance, and turns alternate as they did), or
    when the other party talked for at least ``talked_through`` seconds in this speaker's
    pause and either the pause is longer than ``talked_over_gap`` or what came before it is a
    short interjection of at most ``short_turn_words`` words ("okay" over the customer, who
    goes on, and the agent answers later: merged, the interjection's time became the answer's
    start; a sentence, a pause while the customer talks, then another sentence over them is
    two turns).
    A short sentence (at most ``short_turn_words`` words, ending in . ! or ?) followed by a
    pause over ``short_turn_gap`` also stands alone: "Got it. [pause] Let me run a test" is a
    listening cue and then a new turn.
    """
    ordered = sorted(words, key=lambda sw: (sw[1].start, sw[1].end))
    utterances: list[Utterance] = []
    current: dict[str, Utterance] = {}
    latest_start: dict[str, float] = {}
    spoken: dict[str, list[Word]] = {}
    for speaker, word in ordered:
        utt = current.get(speaker)
        other_started = max(
            (t for s, t in latest_start.items() if s != speaker), default=float("-inf")
        )
        if utt is None or word.start - utt.end > max_gap or other_started >= utt.end or (
            word.start - utt.end > short_turn_gap and len(utt.words) <= short_turn_words
            and utt.words[-1].text.strip().endswith((".", "!", "?"))
        ) or ((len(utt.words) <= short_turn_words or word.start - utt.end > talked_over_gap)
             and _talk_between(spoken, speaker, utt.end, word.start) >= talked_through):
            utt = Utterance(speaker, word.start, word.end, "", [])
            utterances.append(utt)
            current[speaker] = utt
            latest_start[speaker] = word.start
        utt.words.append(word)
        utt.end = max(utt.end, word.end)
        spoken.setdefault(speaker, []).append(word)
    for utt in utterances:
        utt.text = _join_words(utt.words)
    return utterances


def _talk_between(spoken: dict[str, list[Word]], speaker: str, start: float,
                  end: float) -> float:
    """Seconds of other speakers' words inside [start, end] (their words in start order)."""
    if end - start <= 0:
        return 0.0
    total = 0.0
    for other, said in spoken.items():
        if other == speaker:
            continue
        # Newest first; a word that started over a minute before the pause cannot reach it.
        for w in reversed(said):
            if w.start < start - 60.0:
                break
            total += max(0.0, min(w.end, end) - max(w.start, start))
    return total


def _join_words(words: list[Word]) -> str:
    # Whisper words carry their own leading space; normalise to single spaces.
    return " ".join(w.text.strip() for w in words if w.text.strip())
