"""Parallel workers on one machine: N processes, each loading the Whisper model once.

The batch's own process stays the single writer (:func:`qa.batch.run_batch`): it hands jobs
out, and stores each result as it comes back, one call per transaction. At most a few jobs per
worker are in flight at any time, so memory stays flat however many files the batch has.

Transcription is nearly all of the cost and CTranslate2 scales poorly past one thread on a
small model, so a worker runs with ``cpu_threads`` = cores // workers (see docs/cluster.md
for the figures).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from qa.batch import compute, return_freed_memory
from qa.jobs import Job, Outcome, Result, Settings
from qa.transcribe import get_transcriber

# Jobs in flight per worker: one running, one queued so a worker never waits on the writer.
IN_FLIGHT_PER_WORKER = 2
# Thread counts the math libraries read once, when loaded. Their value changes the order of
# floating-point sums, and that can change a word (seen: "Fine. Send it" / "Fine, send it").
# Workers get them set to their CTranslate2 thread count, as Dask's nanny sets them to 1, so a
# call gives the same words in a local worker and on a cluster worker.
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def worker_settings(settings: Settings, workers: int) -> Settings:
    """``settings`` with the CPU threads split between ``workers`` processes, unless the
    caller chose a thread count."""
    if settings.transcriber.cpu_threads:
        return settings
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    return replace(settings, transcriber=replace(settings.transcriber, cpu_threads=threads))


def compute_safely(job: Job, settings: Settings, content_hash: str) -> Result:
    """:func:`qa.batch.compute` timed, with an unexpected error turned into a failed outcome:
    one bad file must not stop a batch of thousands."""
    started = time.perf_counter()
    try:
        result = compute(job, settings, content_hash)
    except Exception as exc:  # a bug or a resource error, reported per file
        result = Result(Outcome(str(job.path), "failed", job.call_id, agent=job.agent,
                                error=f"internal error: {type(exc).__name__}: {exc}"))
    finally:
        return_freed_memory()  # once per call, so a long-lived worker does not creep up
    result.outcome.seconds = round(time.perf_counter() - started, 3)
    return result


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _load_model(settings: Settings) -> None:
    """Worker initializer: load the model once, before the first job arrives."""
    # An initializer that raises breaks the pool, which would read as a worker crash on
    # every file; a model that cannot load is instead reported by each job as its failure.
    with contextlib.suppress(Exception):
        get_transcriber(settings.transcriber)


def _died(job: Job) -> Result:
    """The failed outcome of a file whose worker process died under it twice, the second
    time computing it alone: a crash in the decoder or the kernel's out-of-memory killer."""
    return Result(Outcome(str(job.path), "failed", job.call_id, agent=job.agent,
                          error="worker process died while computing this file (twice, "
                                "the second time alone): a crash or out of memory"))


def compute_in_workers(tasks: Iterable[tuple[Job, str]], settings: Settings, workers: int,
                       function: Callable[[Job, Settings, str], Result] = compute_safely,
                       ) -> Iterator[Result]:
    """Compute ``tasks`` ((job, content hash) pairs) in ``workers`` processes started for
    this batch alone and stopped after it (see :class:`WorkerPool`)."""
    with WorkerPool(workers, function) as pool:
        yield from pool(tasks, settings)


class WorkerPool:
    """``workers`` processes, each loading the model once, kept for as long as the pool is
    open: ``qa watch`` scores batch after batch without loading the model again for each.

    Called with (tasks, settings) it is a :data:`qa.jobs.Compute`: it yields each result as
    soon as it is done (completion order), pulling new tasks only as slots free.

    A worker that dies (a segfault, the out-of-memory killer) takes its pool down with it.
    The pool is started again and the files that were in flight are retried one at a time:
    a file whose worker dies again while computing it alone is reported failed, every other
    one is computed as usual, and the batch goes on."""

    def __init__(self, workers: int,
                 function: Callable[[Job, Settings, str], Result] = compute_safely) -> None:
        self.workers = workers
        self.function = function
        self._pool: ProcessPoolExecutor | None = None
        self._settings: Settings | None = None  # what the running processes were started for
        self._environment: contextlib.ExitStack | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (work still queued is dropped)."""
        self._stop()

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._environment is not None:
            self._environment.close()
            self._environment = None

    def _start(self, settings: Settings) -> ProcessPoolExecutor:
        """The running pool, started (again) when there is none or the model settings
        changed since it was started."""
        if self._pool is not None and self._settings is not None and (
                self._settings.transcriber == settings.transcriber):
            return self._pool
        self._stop()
        threads = str(settings.transcriber.cpu_threads)
        # Kept set while the pool is open: processes are spawned as work arrives. No
        # MALLOC_TRIM_THRESHOLD_ (Dask's nanny sets 64 KiB): setting it turns off glibc's
        # adaptive mmap threshold, so every large buffer of the decoder and the VAD was mapped
        # and faulted in afresh: on a real 4-minute call it doubled the page faults (1.6 to
        # 3.1 million) and the system time (4.1 to 8.5 s of 15 to 20 CPU seconds). Memory is
        # handed back once per call instead (compute_safely).
        self._environment = contextlib.ExitStack()
        self._environment.enter_context(_environment(dict.fromkeys(THREAD_ENV, threads)))
        # spawn, not fork: CTranslate2 and ONNX Runtime keep thread pools that do not survive
        # a fork, and a fresh interpreter holds nothing of the writer's (its database handle).
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                         initializer=_load_model, initargs=(settings,))
        self._settings = settings
        return self._pool

    def __call__(self, tasks: Iterable[tuple[Job, str]], settings: Settings) -> Iterator[Result]:
        """Compute ``tasks`` ((job, content hash) pairs); yield each result when done."""
        settings = worker_settings(settings, self.workers)
        function = self.function
        limit = self.workers * IN_FLIGHT_PER_WORKER
        source = iter(tasks)
        suspects: deque[tuple[Job, str]] = deque()  # in flight when a worker died
        exhausted = False
        while True:
            crashed: list[tuple[Job, str]] = []
            alone = False
            pool = self._start(settings)
            running: dict[Future[Result], tuple[Job, str]] = {}
            while not crashed:
                alone = bool(suspects)
                if alone and not running:  # by itself, so a second death names its file
                    task = suspects.popleft()
                    running[pool.submit(function, task[0], settings, task[1])] = task
                while not alone and not exhausted and len(running) < limit:
                    pulled = next(source, None)
                    if pulled is None:
                        exhausted = True
                    else:
                        running[pool.submit(function, pulled[0], settings, pulled[1])] = pulled
                if not running:
                    return
                done, _pending = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        crashed.append(task)
                    else:
                        yield result
                if crashed:  # every other job of the pool is lost with it
                    crashed.extend(running.values())
            self._stop()  # broken: the next round starts fresh processes
            if alone and len(crashed) == 1:
                yield _died(crashed[0][0])
            else:
                suspects.extend(crashed)
