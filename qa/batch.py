"""Batch scoring: find the files, read the manifest, score each file, record the run.

Every file ends in exactly one of four statuses: ``scored``, ``skipped`` (same content already
scored with the same rubric), ``unscorable`` (stored with the reason, no score) or ``failed``
(a one-line reason; nothing already stored is touched). A failure never stops the batch.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from qa import store
from qa.audio import (
    AUDIO_EXTENSIONS,
    AudioError,
    CallAudio,
    fairness_problem,
    file_hash,
    is_silent,
    load_call,
)
from qa.rubric import Rubric
from qa.scoring import score_call
from qa.transcribe import TranscriberConfig, get_transcriber
from qa.transcript import Transcript, TranscriptError

TRANSCRIPT_EXTENSIONS = frozenset({".json"})
MANIFEST_COLUMNS = ("file", "call_id", "agent", "call_time", "customer")


class ManifestError(ValueError):
    """A manifest that cannot be read; the message says which row or column."""


@dataclass
class Job:
    """One file to score, with whatever the manifest or file name says about it."""

    path: Path
    call_id: str | None = None
    agent: str | None = None
    call_time: str | None = None
    customer: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    missing: bool = False  # listed in the manifest but not on disk


@dataclass
class Outcome:
    """What happened to one job."""

    path: str
    status: str
    call_id: str | None = None
    overall: float | None = None
    error: str | None = None
    seconds: float = 0.0
    agent: str | None = None
    findings: int = 0


@dataclass
class Settings:
    """How a batch transcribes and scores."""

    rubric: Rubric
    transcriber: TranscriberConfig = field(default_factory=TranscriberConfig)
    agent_channel: int = 0
    rescore: bool = False


def discover(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Audio and transcript files under ``paths`` (folders searched recursively), sorted."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for candidate in candidates:
            suffix = candidate.suffix.lower()
            if path.is_dir() and (not candidate.is_file() or candidate.name.startswith(".")):
                continue
            if path.is_dir() and suffix not in AUDIO_EXTENSIONS | TRANSCRIPT_EXTENSIONS:
                continue
            if path.is_dir() and suffix == ".json" and _is_sidecar(candidate):
                continue
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield candidate


def _is_sidecar(path: Path) -> bool:
    """A ``call.json`` beside ``call.flac`` is that recording's script, not another call."""
    return any(path.with_suffix(ext).exists() for ext in AUDIO_EXTENSIONS)


def read_manifest(path: str | Path) -> dict[str, dict[str, str]]:
    """Manifest rows keyed by file name (as written in the ``file`` column)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "file" not in reader.fieldnames:
        raise ManifestError(f"{path}: needs a header row with a 'file' column "
                            f"(optional: {', '.join(MANIFEST_COLUMNS[1:])})")
    rows: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            raise ManifestError(f"{path}: row {line} has an empty 'file'")
        rows[name] = {k: (v or "").strip() for k, v in row.items() if k}
    return rows


def plan_jobs(paths: list[str], manifest: str | None = None,
              filename_pattern: str | None = None) -> list[Job]:
    """Jobs for every discovered file, with metadata from the manifest or the file name.

    Manifest rows are matched by file name relative to the manifest's folder (or by bare
    name); a row whose file does not exist becomes a job that fails with that reason.
    """
    rows = read_manifest(manifest) if manifest else {}
    base = Path(manifest).parent if manifest else Path(".")
    pattern = re.compile(filename_pattern) if filename_pattern else None
    jobs: list[Job] = []
    used: set[str] = set()
    for path in discover(paths):
        row = _manifest_row(rows, path, base)
        job = Job(path)
        if row is not None:
            used.add(row["file"])
            _apply(job, row)
        elif pattern and (match := pattern.search(path.stem)):
            _apply(job, {k: v for k, v in match.groupdict().items() if v})
        jobs.append(job)
    for name, row in rows.items():
        if name not in used and not (base / name).exists():
            job = Job(base / name, missing=True)
            _apply(job, row)
            jobs.append(job)
    return jobs


def _manifest_row(rows: dict[str, dict[str, str]], path: Path,
                  base: Path) -> dict[str, str] | None:
    try:
        relative = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        relative = None
    return rows.get(relative or "") or rows.get(path.name)


def _apply(job: Job, row: dict[str, str]) -> None:
    job.call_id = row.get("call_id") or job.call_id
    job.agent = row.get("agent") or job.agent
    job.call_time = row.get("call_time") or job.call_time
    job.customer = row.get("customer") or job.customer
    job.extra = {k: v for k, v in row.items() if k not in MANIFEST_COLUMNS and v}


def process(job: Job, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    """Transcribe (if audio), score and store one job; never raises for bad input."""
    started = time.perf_counter()
    outcome = _process(job, settings, db)
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def _process(job: Job, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    path = str(job.path)
    if job.missing:
        return Outcome(path, "failed", job.call_id, error="listed in the manifest but not found")
    try:
        content_hash = file_hash(job.path)
    except OSError as exc:
        return Outcome(path, "failed", job.call_id, error=f"cannot read file ({exc.strerror})")
    rubric = settings.rubric
    if not settings.rescore and (done := store.is_scored(db, content_hash, rubric.label)):
        return Outcome(path, "skipped", done, agent=job.agent)
    is_transcript = job.path.suffix.lower() in TRANSCRIPT_EXTENSIONS
    try:
        if is_transcript:
            transcript = Transcript.load(job.path)
            channels, model, origin = None, None, "transcript"
        else:
            audio = load_call(job.path)
            channels, origin = audio.source_channels, "audio"
            model = settings.transcriber.model_name
    except (TranscriptError, AudioError) as exc:
        return Outcome(path, "failed", job.call_id, error=str(exc), agent=job.agent)
    call_id = job.call_id or (transcript.call_id if is_transcript else job.path.stem)
    agent = job.agent or (transcript.agent if is_transcript else None)
    info = store.CallInfo(call_id=call_id, source_path=path, content_hash=content_hash,
                          agent=agent, customer=job.customer, call_time=job.call_time,
                          channels=channels, model=model, origin=origin, extra=job.extra)
    if not is_transcript:
        reason = _unscorable_audio(audio, settings)
        if reason:
            store.save_unscorable_call(db, info, reason, rubric.name, rubric.label,
                                       audio.duration)
            return Outcome(path, "unscorable", call_id, error=reason, agent=agent)
        transcriber = get_transcriber(settings.transcriber)
        transcript = transcriber.transcribe_call(audio, call_id, settings.agent_channel, agent)
        if not transcript.utterances:
            reason = "no speech was recognised"
            store.save_unscorable_call(db, info, reason, rubric.name, rubric.label,
                                       audio.duration, transcript)
            return Outcome(path, "unscorable", call_id, error=reason, agent=agent)
    transcript.call_id, transcript.agent = call_id, agent
    minimum = rubric.shared["min_call_seconds"]
    if is_transcript and (transcript.duration or 0) < minimum:
        reason = (f"too short to judge fairly: {transcript.duration or 0:.0f} s (calls under "
                  f"{minimum:.0f} s are not scored)")
        store.save_unscorable_call(db, info, reason, rubric.name, rubric.label,
                                   transcript.duration, transcript)
        return Outcome(path, "unscorable", call_id, error=reason, agent=agent)
    scored = score_call(transcript, rubric)
    store.save_scored_call(db, info, scored, rubric.name)
    return Outcome(path, "scored", call_id, scored.overall, agent=agent,
                   findings=len(scored.findings))


def _unscorable_audio(audio: CallAudio, settings: Settings) -> str | None:
    if is_silent(audio):
        return "the recording is silent: no speech on any channel"
    return fairness_problem(audio, settings.rubric.shared["min_call_seconds"])


def run_batch(paths: list[str], settings: Settings, db: sqlite_utils.Database,
              manifest: str | None = None, filename_pattern: str | None = None,
              on_start: Callable[[int], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None) -> tuple[int, list[Outcome]]:
    """Score every file under ``paths``, recording the run; returns (run id, outcomes)."""
    jobs = plan_jobs(paths, manifest, filename_pattern)
    run_id = store.start_run(db, [str(p) for p in paths], settings.rubric.label,
                             settings.transcriber.model_name)
    if on_start:
        on_start(len(jobs))
    outcomes = []
    for job in jobs:
        outcome = process(job, settings, db)
        store.record_file(db, run_id, outcome.path, outcome.status, outcome.call_id,
                          error=outcome.error, seconds=outcome.seconds)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    store.finish_run(db, run_id)
    return run_id, outcomes
