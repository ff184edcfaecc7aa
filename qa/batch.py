"""Batch scoring: find the files, read the manifest, score each file, record the run.

Every file ends in exactly one of four statuses: ``scored``, ``skipped`` (same content already
scored with the same rubric), ``unscorable`` (stored with the reason, no score) or ``failed``
(a one-line reason; nothing already stored is touched). A failure never stops the batch.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
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
from qa.diarize import one_voice_reason
from qa.importers import EXTENSIONS as IMPORT_EXTENSIONS
from qa.importers import decode, load_any, looks_like_transcript
from qa.jobs import Compute, Job, Outcome, Result, Settings
from qa.rubric import LIMIT_DEFAULTS, Rubric
from qa.scoring import score_call
from qa.text import tokens
from qa.transcribe import get_transcriber
from qa.transcript import Transcript, TranscriptError, has_timing, loads_json, word_count

# Transcript files (native JSON, Amazon Transcribe / Contact Lens JSON, WebVTT, SRT, CSV,
# text); in a folder each is also checked by content, so a manifest.csv is not a call.
TRANSCRIPT_EXTENSIONS = IMPORT_EXTENSIONS
MANIFEST_COLUMNS = ("file", "call_id", "agent", "call_time", "customer")


class ManifestError(ValueError):
    """A manifest that cannot be read; the message says which row or column."""


def discover(paths: Iterable[str | Path],
             outside: list[Path] | None = None) -> Iterator[Path]:
    """Audio and transcript files under ``paths`` (folders searched recursively), sorted.

    A symbolic link in a folder that leads out of that folder is not followed (a link in a
    shared drop folder must not read files from elsewhere on the server); such links are
    appended to ``outside`` when it is given, so the batch can report them."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        root = path.resolve() if path.is_dir() else None
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for candidate in candidates:
            suffix = candidate.suffix.lower()
            if path.is_dir() and (not candidate.is_file() or candidate.name.startswith(".")):
                continue
            if root is not None and not candidate.resolve().is_relative_to(root):
                if outside is not None:
                    outside.append(candidate)
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
    """Whether a transcript-like file found in a folder is a call (see :func:`_looks_like_call`);
    a file that cannot even be looked at, or too large to look at, is tried, so that scoring
    reports why it fails."""
    try:
        if path.stat().st_size > LIMIT_DEFAULTS["max_transcript_bytes"]:
            return True  # not read whole here; scoring refuses it by the rubric's limit
        return _looks_like_call(path)
    except Exception:  # discovery must never stop a batch (or `qa watch`) on one file
        return True


def _looks_like_call(path: Path) -> bool:
    """Its content is in a supported format (a manifest.csv or README.txt is not), or it is a
    ``.json`` file that is not even valid JSON, which is reported as a broken transcript
    rather than ignored."""
    if looks_like_transcript(path):
        return True
    if path.suffix.lower() != ".json":
        return False
    try:
        loads_json(decode(path.read_bytes()))
    except (OSError, TranscriptError):
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
    outside: list[Path] = []
    for path in discover(paths, outside):
        row = _manifest_row(rows, path, base)
        job = Job(path)
        if row is not None:
            used.add(row["file"])
            _apply(job, row)
        elif pattern and (match := pattern.search(path.stem)):
            _apply(job, {k: v for k, v in match.groupdict().items() if v})
        jobs.append(job)
    jobs += [Job(link, refused="refused: a symbolic link to a file outside the folder being "
                            "scored") for link in outside]
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
    job.queue = row.get("queue") or job.queue
    job.extra = {k: v for k, v in row.items() if k not in MANIFEST_COLUMNS and v}


# A failure reason is one line of at most this many characters (the console line, `qa runs`).
MAX_REASON_CHARS = 300


def failure_reason(exc: BaseException) -> str:
    """One clear line saying why a file failed: a bad-input error's own message, or, for
    anything unexpected (a bug, a resource error), the kind of error and its message."""
    if isinstance(exc, TranscriptError | AudioError | ManifestError):
        text = str(exc)
    elif isinstance(exc, RecursionError):
        text = "nested too deeply to process (RecursionError)"
    elif isinstance(exc, MemoryError):
        text = "out of memory while processing this file (MemoryError)"
    else:
        text = f"cannot be processed: {type(exc).__name__}: {exc}"
    return one_line(text)


def one_line(text: str) -> str:
    """``text`` on one line (control characters as spaces), cut to :data:`MAX_REASON_CHARS`."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= MAX_REASON_CHARS else flat[:MAX_REASON_CHARS - 3] + "..."


def process(job: Job, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    """Transcribe (if audio), score and store one job; never raises (an unexpected error is
    this file's failed outcome, and the batch goes on)."""
    started = time.perf_counter()
    try:
        outcome = _process(job, settings, db)
    except Exception as exc:
        outcome = Outcome(str(job.path), "failed", job.call_id, agent=job.agent,
                          error=failure_reason(exc))
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
    if job.refused:
        return Outcome(path, "failed", job.call_id, error=job.refused)
    try:
        content_hash = file_hash(job.path)
    except OSError as exc:
        return Outcome(path, "failed", job.call_id, error=f"cannot read file ({exc.strerror})")
    settings = settings.for_queue(settings.queue_of(job))
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
    a worker process or on a cluster node; bad input (or any error at all) gives a failed
    outcome, never raises."""
    try:
        return _compute(job, settings, content_hash)
    except Exception as exc:  # one file must not stop a batch of thousands
        return Result(Outcome(str(job.path), "failed", job.call_id, agent=job.agent,
                              error=failure_reason(exc)))


def _compute(job: Job, settings: Settings, content_hash: str) -> Result:
    path = str(job.path)
    queue = settings.queue_of(job)
    settings = settings.for_queue(queue)  # the queue's rubric (rubrics/queues.toml)
    rubric = settings.rubric
    is_transcript = is_transcript_file(job.path)

    def failed(reason: str) -> Result:
        return Result(Outcome(path, "failed", job.call_id, error=reason, agent=job.agent))

    try:
        if over := _over_size_limit(job.path, is_transcript, rubric):
            return failed(over)
        if is_transcript:
            transcript = load_any(job.path)
            channels, model, origin = None, None, "transcript"
            # A transcript without times has no length: only its utterances are counted.
            over = _over_call_limits(len(transcript.utterances), transcript.duration
                                     if has_timing(transcript) else None, rubric)
        else:
            audio = load_call(job.path)
            channels, origin = audio.source_channels, "audio"
            model = settings.transcriber.model_name
            over = _over_call_limits(0, audio.duration, rubric)
        if over:
            return failed(over)
    except (TranscriptError, AudioError) as exc:
        return failed(failure_reason(exc))
    call_id = job.call_id or (transcript.call_id if is_transcript else job.path.stem)
    agent = job.agent or (transcript.agent if is_transcript else None)
    customer, extra = job.customer, job.extra
    if settings.redacting:
        # What is stored about the call is redacted as well as what was said: its id and
        # file name (often a phone number), and the manifest's customer and extra columns.
        call_id = private_call_id(call_id, content_hash)
        path = redact.scrub(path)
        customer = redact.scrub(customer) if customer else customer
        extra = {key: redact.scrub(value) for key, value in extra.items()}
    info = store.CallInfo(call_id=call_id, source_path=path, content_hash=content_hash,
                          agent=agent, customer=customer, call_time=job.call_time,
                          channels=channels, model=model, origin=origin, extra=extra,
                          queue=queue, rubric_file=rubric.path)
    info.redacted = {} if settings.redacting else None  # {}: redacted, nothing found
    if not is_transcript:
        reason = _unscorable_audio(audio, settings)
        if reason:
            return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                          info, reason=reason, duration=audio.duration)
        transcriber = get_transcriber(settings.transcriber)
        transcript = transcriber.transcribe_call(audio, call_id, settings.agent_channel, agent)
        # A mono call whose two "voices" are one person's: each would be judged as the other.
        reason = ("no speech was recognised" if not transcript.utterances
                  else one_voice_reason(transcript.metadata, rubric.shared))
        if reason:
            return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                          info, reason=reason, duration=audio.duration,
                          # one person's "roles" mean nothing: not stored
                          transcript=transcript if not transcript.utterances else None)
    if not is_transcript and (over := _over_call_limits(len(transcript.utterances), None,
                                                        rubric)):
        return failed(over)
    transcript.call_id, transcript.agent = call_id, agent
    if not any(tokens(u.text) for u in transcript.utterances):
        # Timing alone would still score (talk ratio, dead air): 77.8 for a call with no words.
        reason = "no words to judge: every utterance of the transcript is empty"
        return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                      info, reason=reason, duration=transcript.duration, transcript=transcript)
    # Roles decided from the words (mono split by voice, or --agent-channel auto) below the
    # rubric's confidence are flagged for a person; their decision is applied in commit().
    roles.flag_review(transcript, rubric.shared["role_confidence"])
    if settings.redacting:
        # Before scoring, so that quotes, suggestions and commitments carry the tags and
        # nothing unredacted is ever handed to the store.
        transcript, counts = redact.redact_transcript(transcript)
        info.redacted = {kind: counts[kind] for kind in redact.TYPES if counts[kind]}
        # A copy even when nothing was found: the original is never played for a redacted
        # call (without a copy, the call has no audio to play).
        if not is_transcript and settings.redacted_audio is not None:
            try:
                info.redacted_audio = str(write_redacted_copy(
                    audio, transcript, settings.redacted_audio, call_id, content_hash))
            except OSError as exc:
                return Result(Outcome(path, "failed", call_id, agent=agent,
                                      error=f"cannot write the redacted audio ({exc})"))
    reason = _too_short(transcript, rubric) if is_transcript else None
    if reason:
        return Result(Outcome(path, "unscorable", call_id, error=reason, agent=agent),
                      info, reason=reason, duration=transcript.duration, transcript=transcript)
    scored = score_call(transcript, rubric)
    return Result(Outcome(path, "scored", call_id, scored.overall, agent=agent,
                          findings=len(scored.findings)), info, scored)


def _too_short(transcript: Transcript, rubric: Rubric) -> str | None:
    """Why an imported transcript is too short to judge fairly, or None.

    A transcript with times is measured in seconds (``min_call_seconds``); one without (a chat,
    a plain script) in words (``min_call_words``): its times are placeholders, and a four-turn
    chat with a real complaint is no "23 s call".
    """
    if not has_timing(transcript):
        words, least = word_count(transcript), rubric.shared["min_call_words"]
        if words < least:
            return (f"too short to judge fairly: {words} words (transcripts without times "
                    f"under {least} words are not scored)")
        return None
    minimum = rubric.shared["min_call_seconds"]
    if (transcript.duration or 0) < minimum:
        return (f"too short to judge fairly: {transcript.duration or 0:.0f} s (calls under "
                f"{minimum:.0f} s are not scored)")
    return None


def commit(result: Result, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    """Store a computed job, one transaction for the whole call; returns its outcome.

    Workers run side by side, so two files with the same content can both be computed: the
    second is reported as skipped here, as a one-by-one batch would have done.
    """
    info = result.info
    if info is None:
        return result.outcome
    settings = settings.for_queue(info.queue)
    rubric = settings.rubric
    if settings.redacting:  # a cluster puts the job's own path back after compute()
        info.source_path = redact.scrub(info.source_path)
    # The check and the save in one transaction that holds the write lock: another process
    # scoring the same folder cannot store the call between them.
    with store.transaction(db):
        if not settings.rescore and (done := already_scored(db, info.content_hash, settings)):
            return Outcome(result.outcome.path, "skipped", done, agent=info.agent,
                           seconds=result.outcome.seconds)
        if result.scored is not None:
            # A person's earlier decision on who is the agent outlives re-runs (cheap:
            # re-scoring a transcript takes milliseconds, and compute() has no database).
            scored = roles.apply_stored_decision(db, result.scored, rubric)
            stored = store.save_scored_call(db, info, scored, rubric.name,
                                            repeat_days=rubric.shared["repeat_contact_days"])
            result.outcome.overall = stored.overall  # a coach's earlier answers applied
        elif result.reason is not None:
            store.save_unscorable_call(db, info, result.reason, rubric.name, rubric.label,
                                       result.duration, result.transcript,
                                       repeat_days=rubric.shared["repeat_contact_days"])
    return result.outcome


def _size(count: int) -> str:
    """A byte count as people read it: "61.2 MB"."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _over_size_limit(path: Path, is_transcript: bool, rubric: Rubric) -> str | None:
    """Why the file is too large to read, naming the rubric's limit, or None."""
    key = "max_transcript_bytes" if is_transcript else "max_audio_bytes"
    size, limit = path.stat().st_size, rubric.limits[key]
    if size > limit:
        return (f"file is {_size(size)}, over the limit of {_size(limit)} for a "
                f"{'transcript' if is_transcript else 'recording'} (limits.{key} in the rubric)")
    return None


def _over_call_limits(utterances: int, duration: float | None, rubric: Rubric) -> str | None:
    """Why the call is too large to score, naming the rubric's limit, or None."""
    limits = rubric.limits
    if utterances > limits["max_utterances"]:
        return (f"{utterances:,} utterances, over the limit of {limits['max_utterances']:,} "
                "per call (limits.max_utterances in the rubric)")
    if duration is not None and duration > limits["max_call_seconds"]:
        return (f"call lasts {duration:,.0f} s, over the limit of "
                f"{limits['max_call_seconds']:,} s (limits.max_call_seconds in the rubric)")
    return None


def commit_safely(result: Result, settings: Settings, db: sqlite_utils.Database) -> Outcome:
    """:func:`commit`, with an error while storing turned into this file's failed outcome
    (the call's transaction is rolled back, so nothing half-stored remains)."""
    try:
        return commit(result, settings, db)
    except Exception as exc:
        return Outcome(result.outcome.path, "failed", result.outcome.call_id,
                       agent=result.outcome.agent, seconds=result.outcome.seconds,
                       error=f"cannot store the call: {failure_reason(exc)}")


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def private_call_id(call_id: str, content_hash: str) -> str:
    """A redacted call's id: the id with personal data masked (:func:`qa.redact.scrub`), and
    when that changed it, a piece of the content hash, so that two calls whose ids differ
    only in the masked part stay two calls (the same file always gets the same id)."""
    masked = redact.scrub(call_id)
    # Letters only (hex digits shifted to g-p): a run of digits would be masked again.
    suffix = content_hash[:10].translate(_HEX_TO_LETTERS)
    return call_id if masked == call_id else f"{masked}-{suffix}"


_HEX_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def write_redacted_copy(audio: CallAudio, transcript: Transcript, folder: Path,
                        call_id: str, content_hash: str = "") -> Path:
    """Write ``folder/<call id>[-<hash>].wav``: the recording with every redacted span of
    ``transcript`` silenced on all channels (see :func:`qa.redact.write_redacted_audio`).
    The content hash in the name keeps two calls whose ids reduce to one name apart."""
    name = _UNSAFE_NAME.sub("_", call_id).strip("._") or "call"  # ids can hold "/" or ".."
    if content_hash:
        name = f"{name[:80]}-{content_hash[:12]}"
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
    run_paths = [str(p) for p in paths]
    if settings.redacting:
        run_paths = [redact.scrub(p) for p in run_paths]
    run_id = store.start_run(db, run_paths, settings.rubric.label,
                             settings.transcriber.model_name)
    if on_start:
        on_start(len(jobs))
    outcomes = []

    def finish(outcome: Outcome) -> None:
        if outcome.error:
            outcome.error = one_line(outcome.error)
        if settings.redacting:
            # File names, ids and parse errors (which quote the file) go to the run's
            # record, the lead's overview and the batch log: masked like the transcript.
            outcome.path = redact.scrub(outcome.path)
            outcome.call_id = outcome.call_id and redact.scrub(outcome.call_id)
            outcome.error = outcome.error and redact.scrub(outcome.error, quoted=True)
        store.record_file(db, run_id, outcome.path, outcome.status, outcome.call_id,
                          error=outcome.error, seconds=outcome.seconds)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    try:
        _run_jobs(jobs, settings, db, finish, compute)
    except BaseException:
        # Ctrl-C, a lost database, a bug: the run is over, not "running" for ever.
        with contextlib.suppress(Exception):
            store.interrupt_run(db, run_id)
        raise
    store.finish_run(db, run_id)
    # Calls first stored unredacted and now redacted: purge their old words from the file
    # (once per batch, whoever runs it: qa score, qa watch, the dashboard's batch page).
    store.purge_replaced_text(db)
    return run_id, outcomes


def _run_jobs(jobs: list[Job], settings: Settings, db: sqlite_utils.Database,
              finish: Callable[[Outcome], None], compute: Compute | None) -> None:
    """Work every job, here or where ``compute`` runs it, handing each outcome to
    ``finish`` (in this process, the single writer)."""
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
            finish(commit_safely(result, settings, db))
