"""What a batch is made of, shared by the writer (:mod:`qa.batch`) and wherever the heavy
work runs (this process, :mod:`qa.workers`, :mod:`qa.cluster`): the job, how it is worked
out, what comes back, and the shape of a place to run it. Nothing here imports those
modules, so they all depend on this one and not on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.transcribe import TranscriberConfig

if TYPE_CHECKING:  # for annotations only: the rubric and scoring load the detectors
    from qa import store
    from qa.rubric import Rubric, RubricSet
    from qa.scoring import ScoredCall
    from qa.transcript import Transcript


@dataclass
class Job:
    """One file to score, with whatever the manifest or file name says about it."""

    path: Path
    call_id: str | None = None
    agent: str | None = None
    call_time: str | None = None
    customer: str | None = None
    queue: str | None = None  # the manifest's queue column
    extra: dict[str, str] = field(default_factory=dict)
    missing: bool = False  # listed in the manifest but not on disk
    refused: str | None = None  # why the file is not read (a link out of the folder)


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
    agent_channel: int | None = 0  # None: decide the agent's channel from what is said
    rescore: bool = False
    # Redact personal data before scoring: True / False, or None for the rubric's
    # [shared] redact. With redacted_audio (a folder), a copy of each recording is written
    # there with the redacted spans silenced.
    redact: bool | None = None
    redacted_audio: Path | None = None
    # A rubric mapping (rubrics/queues.toml): each call is scored with its queue's rubric,
    # ``rubric`` being the mapping's default one. None: ``rubric`` for every call.
    rubrics: RubricSet | None = None

    def queue_of(self, job: Job) -> str | None:
        """The job's queue: the manifest's, else the rubric mapping's file patterns'."""
        return self.rubrics.queue_of(job.path, job.queue) if self.rubrics else job.queue

    def for_queue(self, queue: str | None) -> Settings:
        """These settings with the rubric of ``queue`` (themselves without a mapping)."""
        if self.rubrics is None:
            return self
        rubric = self.rubrics.for_queue(queue)
        return self if rubric is self.rubric else replace(self, rubric=rubric)

    @property
    def redacting(self) -> bool:
        """Whether calls are redacted: the explicit choice, else the rubric's default."""
        return bool(self.rubric.shared["redact"]) if self.redact is None else self.redact


@dataclass
class Result:
    """One job worked out, nothing stored yet: what :func:`compute` hands the single writer.

    ``scored`` set: store the scored call. ``reason`` set (and ``info``): store the call as
    unscorable. Neither: nothing to store (a failure, told by ``outcome``).
    """

    outcome: Outcome
    info: store.CallInfo | None = None
    scored: ScoredCall | None = None
    reason: str | None = None
    duration: float | None = None
    transcript: Transcript | None = None


# Where the heavy part of a batch runs: given (job, content hash) pairs and the settings, it
# yields each job's Result as soon as it is done. The caller (the CLI) chooses one and passes it
# to qa.batch.run_batch; None there means in the writer's own process.
Compute = Callable[[Iterable[tuple[Job, str]], Settings], Iterator[Result]]
