"""Batch scoring: find the files, read the manifest, score each file, record the run.

Every file ends in exactly one of four statuses: ``scored``, ``skipped`` (same content already
scored with the same rubric), ``unscorable`` (stored with the reason, no score) or ``failed``
(a one-line reason; nothing already stored is touched). A failure never stops the batch.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import sqlite_utils

from qa import redact, roles, store
from qa.audio import (
    AUDIO_EXTENSIONS,
    AudioError,
    CallAudio,
    fairness_problem,
    file_hash,
    is_silent,
    load_call,
)
from qa.importers import EXTENSIONS as IMPORT_EXTENSIONS
from qa.importers import decode, load_any, looks_like_transcript
from qa.jobs import Compute, Job, Outcome, Result, Settings
from qa.scoring import score_call
from qa.transcribe import get_transcriber
from qa.transcript import Transcript, TranscriptError

# Transcript files (native JSON, Amazon Transcribe / Contact Lens JSON, WebVTT, SRT, CSV,
# text); in a folder each is also checked by content, so a manifest.csv is not a call.
TRANSCRIPT_EXTENSIONS = IMPORT_EXTENSIONS
MANIFEST_COLUMNS = ("file", "call_id", "agent", "call_time", "customer")


class ManifestError(ValueError):
    """A manifest that cannot be read; the message says which row or column."""


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
            if path.is_dir() and suffix in TRANSCRIPT_EXTENSIONS and (
                    _is_sidecar(candidate) or not _worth_trying(candidate)):
                continue
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield candidate


def _is_sidecar(path: Path) -> bool:
    """A ``call.json`` beside ``call.flac`` is that recording's script, not another call."""
    return any(path.with_suffix(ext).exists() for ext in AUDIO_EXTENSIONS)


def _worth_trying(path: Path) -> bool:
    """Whether a transcript-like file found in a folder is a call: its content is in a
    supported format (a manifest.csv or README.txt is not), or it is a ``.json`` file that
    is not even valid JSON, which is reported as a broken transcript rather than ignored."""
    if looks_like_transcript(path):
        return True
    if path.suffix.lower() != ".json":
        return False
    try:
        json.loads(decode(path.read_bytes()))
    except (OSError, ValueError):  # TranscriptError is a ValueError too
        return True
    return False


def is_transcript_file(path: Path) -> bool:
    """Whether ``path`` is read as a transcript (else decoded as audio): a transcript
    extension, or an unknown extension and text content (so that a text file in no known
    format fails with the list of formats tried, not with an audio decoder's error)."""
    suffix = path.suffix.lower()
    if suffix in TRANSCRIPT_EXTENSIONS:
        return True
    if suffix in AUDIO_EXTENSIONS:
        return False
    try:  # recordings are binary: they are not valid UTF-8 and hold NUL bytes
        if path.stat().st_size > 50_000_000:
            return False
        return "\x00" not in decode(path.read_bytes())
    except (OSError, TranscriptError):
        return False


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
    ready = prepare(job, settings, db)
    if isinstance(ready, Outcome):
        return ready
    return commit(compute(job, settings, ready), settings, db)


def prepare(job: Job, settings: Settings, db: sqlite_utils.Database) -> Outcome | str:
    """The cheap checks before any work, in the writer: a final :class:`Outcome` (missing,
    unreadable, already scored), else the file's content hash for :func:`compute`."""
    path = str(job.path)
    if job.missing:
        return Outcome(path, "failed", job.call_id, error="listed in the manifest but not found")
    try:
        content_hash = file_hash(job.path)
    except OSError as exc:
        return Outcome(path, "failed", job.call_id, error=f"cannot read file ({exc.strerror})")
    if not settings.rescore and (done := already_scored(db, content_hash, settings)):
        return Outcome(path, "skipped", done, agent=job.agent)
    return content_hash


def already_scored(db: sqlite_utils.Database, content_hash: str,
                   settings: Settings) -> str | None:
    """The id of a call already stored from this content with this rubric, if any, unless
    redaction is now asked for and that call was stored unredacted: then it is scored again,
    so that its original text is replaced."""
    done = store.is_scored(db, content_hash, settings.rubric.label)
    if done and settings.redacting and store.redaction_of(db, done)[0] is None:
        return None
    return done


def compute(job: Job, settings: Settings, content_hash: str) -> Result:
    """Decode, transcribe and score one job without touching the database, so it can run in
    a worker process or on a cluster node; bad input gives a failed outcome, never raises."""
    path = str(job.path)
    rubric = settings.rubric
    is_transcript = is_transcript_file(job.path)
    try:
        if is_transcript:
            transcript = load_any(job.path)
            channels, model, origin = None, None, "transcript"
        else:
            audio = load_call(job.path)
            channels, origin = audio.source_channels, "audio"
            model = settings.transcriber.model_name
    except (TranscriptError, AudioError) as exc:
        return Result(Outcome(path, "failed", job.call_id, error=str(exc), agent=job.agent))
    call_id = job.call_id or (transcript.call_id if is_transcript else job.path.stem)
    agent = job.agent or (transcript.agent if is_transcript else None)
    info = store.CallInfo(call_id=call_id, source_path=path, content_hash=content_hash,
                          agent=agent, customer=job.customer, call_time=job.call_time,
                          channels=channels, model=model, origin=origin, extra=job.extra)
    info.redacted = {} if settings.redacting else None  # {}: redacted, nothing found
    if not is_transcript:
        reason = _unscorable_audio(audio, settings)
        if reason:
            return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                          info, reason=reason, duration=audio.duration)
        transcriber = get_transcriber(settings.transcriber)
        transcript = transcriber.transcribe_call(audio, call_id, settings.agent_channel, agent)
        if not transcript.utterances:
            reason = "no speech was recognised"
            return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                          info, reason=reason, duration=audio.duration, transcript=transcript)
    transcript.call_id, transcript.agent = call_id, agent
    # Roles decided from the words (mono split by voice, or --agent-channel auto) below the
    # rubric's confidence are flagged for a person; their decision is applied in commit().
    roles.flag_review(transcript, rubric.shared["role_confidence"])
    if settings.redacting:
        # Before scoring, so that quotes, suggestions and commitments carry the tags and
        # nothing unredacted is ever handed to the store.
        transcript, counts = redact.redact_transcript(transcript)
        info.redacted = {kind: counts[kind] for kind in redact.TYPES if counts[kind]}
        if not is_transcript and settings.redacted_audio is not None and info.redacted:
            try:
                info.redacted_audio = str(write_redacted_copy(
                    audio, transcript, settings.redacted_audio, call_id))
            except OSError as exc:
                return Result(Outcome(path, "failed", call_id, agent=agent,
                                      error=f"cannot write the redacted audio ({exc})"))
    minimum = rubric.shared["min_call_seconds"]
    if is_transcript and (transcript.duration or 0) < minimum:
        reason = (f"too short to judge fairly: {transcript.duration or 0:.0f} s (calls under "
                  f"{minimum:.0f} s are not scored)")
        return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                      info, reason=reason, duration=transcript.duration, transcript=transcript)
    scored = score_call(transcript, rubric)
    return Result(Outcome(path, "scored", call_id, scored.overall, agent=agent,
                          findings=len(scored.findings)), info, scored)


def commit(result: Result, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    """Store a computed job, one transaction for the whole call; returns its outcome.

    Workers run side by side, so two files with the same content can both be computed: the
    second is reported as skipped here, as a one-by-one batch would have done.
    """
    info, rubric = result.info, settings.rubric
    if info is None:
        return result.outcome
    if not settings.rescore and (done := already_scored(db, info.content_hash, settings)):
        return Outcome(result.outcome.path, "skipped", done, agent=info.agent,
                       seconds=result.outcome.seconds)
    if result.scored is not None:
        # A person's earlier decision on who is the agent outlives re-runs (cheap: re-scoring
        # a transcript takes milliseconds, and compute() has no database to look it up in).
        scored = roles.apply_stored_decision(db, result.scored, rubric)
        store.save_scored_call(db, info, scored, rubric.name)
    elif result.reason is not None:
        store.save_unscorable_call(db, info, result.reason, rubric.name, rubric.label,
                                   result.duration, result.transcript)
    return result.outcome


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def write_redacted_copy(audio: CallAudio, transcript: Transcript, folder: Path,
                        call_id: str) -> Path:
    """Write ``folder/<call id>.wav``: the recording with every redacted span of
    ``transcript`` silenced on all channels (see :func:`qa.redact.write_redacted_audio`)."""
    name = _UNSAFE_NAME.sub("_", call_id).strip("._") or "call"  # ids can hold "/" or ".."
    return redact.write_redacted_audio(audio.channels, audio.sample_rate,
                                       redact.redacted_spans(transcript),
                                       Path(folder) / f"{name}.wav")


def _unscorable_audio(audio: CallAudio, settings: Settings) -> str | None:
    if is_silent(audio):
        return "the recording is silent: no speech on any channel"
    return fairness_problem(audio, settings.rubric.shared["min_call_seconds"])


def return_freed_memory() -> None:
    """Hand the memory freed by the last call back to the system (glibc's ``malloc_trim``; a
    no-op elsewhere). A long batch in one process grows its resident size call after call;
    trimming after each call lowered the 60-call peak (843 to 753 MiB) but did not stop the
    growth, and a lower trim threshold (what worker processes get) cost this process a fifth
    of its speed. Large batches belong in workers (docs/cluster.md)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run_batch(paths: list[str], settings: Settings, db: sqlite_utils.Database,
              manifest: str | None = None, filename_pattern: str | None = None,
              on_start: Callable[[int], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None,
              compute: Compute | None = None) -> tuple[int, list[Outcome]]:
    """Score every file under ``paths``, recording the run; returns (run id, outcomes).

    ``compute`` is where transcription and scoring run: None for this process, else e.g. a
    :class:`qa.workers.WorkerPool` or :func:`qa.cluster.compute_on_cluster` bound to a
    cluster (the caller chooses). Either way this process is the single writer: each result
    is stored as it arrives, one call per transaction, and recorded in the run.
    """
    jobs = plan_jobs(paths, manifest, filename_pattern)
    run_id = store.start_run(db, [str(p) for p in paths], settings.rubric.label,
                             settings.transcriber.model_name)
    if on_start:
        on_start(len(jobs))
    outcomes = []

    def finish(outcome: Outcome) -> None:
        store.record_file(db, run_id, outcome.path, outcome.status, outcome.call_id,
                          error=outcome.error, seconds=outcome.seconds)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    if compute is None:
        for job in jobs:
            finish(process(job, settings, db))
            return_freed_memory()
    else:
        def tasks() -> Iterator[tuple[Job, str]]:
            # Pulled lazily by the executor, in this process: the cheap checks (and their
            # outcomes) stay with the writer, only real work goes out.
            for job in jobs:
                ready = prepare(job, settings, db)
                if isinstance(ready, Outcome):
                    finish(ready)
                else:
                    yield job, ready

        for result in compute(tasks(), settings):
            finish(commit(result, settings, db))
    store.finish_run(db, run_id)
    # Calls first stored unredacted and now redacted: purge their old words from the file
    # (once per batch, whoever runs it: qa score, qa watch, the dashboard's batch page).
    store.purge_replaced_text(db)
    return run_id, outcomes
