"""Scoring on a Dask distributed cluster, for when one machine is not enough.

``qa score PATH --cluster tcp://HOST:8786`` keeps the cheap part here (finding the files,
hashing them, skipping what is already scored) and sends decoding, transcription and scoring
to the cluster's workers. A worker plugin loads the Whisper model once per worker process, as
the local workers do. Results stream back as they complete and this process, the single
writer, stores each call in one transaction; the database never leaves this machine.

If a worker dies mid-call, the scheduler gives the call to another worker (Dask recomputes
tasks lost with a worker, up to ``distributed.scheduler.allowed-failures`` times); a call that
raises is retried ``RETRIES`` times. A call that still cannot be done is reported as failed
and the batch goes on.

Workers must see every recording at the path this process uses (same paths, or a shared mount
at the same place): only paths travel, never audio. See docs/cluster.md.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from distributed import Client, Future, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from qa.jobs import Job, Outcome, Result, Settings
from qa.transcribe import TranscriberConfig, get_transcriber
from qa.workers import IN_FLIGHT_PER_WORKER, compute_safely

# Retries for a call whose task raised (a worker lost mid-call is recomputed anyway).
RETRIES = 2
# How long to wait for the cluster to have a worker before giving up (seconds).
WORKER_WAIT_S = 120


class ModelPlugin(WorkerPlugin):
    """Loads the Whisper model into each worker process once, when the worker joins."""

    idempotent = True

    def __init__(self, config: TranscriberConfig) -> None:
        self.config = config
        # One plugin per model configuration: clients with different settings can share a
        # cluster without replacing each other's plugin.
        digest = hashlib.sha1(pickle.dumps(config)).hexdigest()[:12]
        self.name = f"call-qa-model-{digest}"

    def setup(self, worker: Any) -> None:
        """Load the model (cached process-wide by :func:`qa.transcribe.get_transcriber`)."""
        get_transcriber(self.config)


def cluster_settings(settings: Settings) -> Settings:
    """``settings`` for cluster workers: one CTranslate2 thread per task unless the caller
    chose, since a node runs one single-threaded worker process per core (docs/cluster.md)."""
    if settings.transcriber.cpu_threads:
        return settings
    return replace(settings, transcriber=replace(settings.transcriber, cpu_threads=1))


def compute_on_cluster(tasks: Iterable[tuple[Job, str]], settings: Settings,
                       address: str | Client) -> Iterator[Result]:
    """Compute ``tasks`` ((job, content hash) pairs) on the Dask cluster at ``address`` (or
    through a connected ``Client``); yield each result as it completes, keeping about two
    tasks per worker thread in flight so nothing piles up in memory on either side."""
    settings = cluster_settings(settings)
    own = not isinstance(address, Client)
    client = address if isinstance(address, Client) else Client(address)
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        client.register_plugin(ModelPlugin(settings.transcriber))
        threads = sum(client.nthreads().values()) or 1
        limit = max(2, threads * IN_FLIGHT_PER_WORKER)
        source = iter(tasks)
        sent: dict[Future, Job] = {}
        stream = as_completed()

        def top_up() -> None:
            while len(sent) < limit:
                task = next(source, None)
                if task is None:
                    return
                job, content_hash = task
                # Workers resolve paths in their own working directory: send absolute ones.
                remote = replace(job, path=job.path.resolve())
                future = client.submit(compute_safely, remote, settings, content_hash,
                                       retries=RETRIES, pure=False)
                sent[future] = job
                stream.add(future)

        top_up()
        while sent:
            future = next(stream)
            job = sent.pop(future)
            yield _result(future, job)
            future.release()
            top_up()
    finally:
        if own:
            client.close()


def _result(future: Future, job: Job) -> Result:
    """The task's result with the job's own path put back (the writer stores paths as given),
    or a failed outcome if the cluster could not compute it."""
    try:
        result: Result = future.result()
    except Exception as exc:  # e.g. KilledWorker: the call took down worker after worker
        return Result(Outcome(str(job.path), "failed", job.call_id, agent=job.agent,
                              error=f"cluster: {type(exc).__name__}: {exc}"))
    result.outcome.path = str(job.path)
    if result.info is not None:
        result.info.source_path = str(job.path)
    return result

