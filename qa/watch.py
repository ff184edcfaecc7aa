"""Watch mode: score recordings as they land in a folder (a phone system's daily drop).

A file is scored only once it has stopped growing: its size and modification time unchanged
for ``settle`` seconds, so a recording still being copied in is never read half-written. Each
poll that finds settled files scores them as one batch run (``qa runs`` lists them); files
already scored (same content, same rubric) are skipped, so restarting the watcher, or a
watcher killed mid-batch, loses nothing and stores nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from qa.batch import discover, run_batch
from qa.jobs import Compute, Outcome, Settings

# A file's identity for "has it changed": (size in bytes, modification time in ns).
Signature = tuple[int, int]


@dataclass
class Watcher:
    """The state of one watch: which files are settling and which are done at which version.

    ``clock`` is injectable so the settle logic can be checked without waiting.
    """

    folder: Path
    settle: float = 10.0
    clock: Callable[[], float] = time.monotonic
    # path -> (signature last seen, clock time it was first seen with that signature)
    settling: dict[Path, tuple[Signature, float]] = field(default_factory=dict)
    # path -> signature it had when it was handed to a batch
    done: dict[Path, Signature] = field(default_factory=dict)

    def poll(self) -> list[Path]:
        """Files that have settled since they last changed and were not yet scored as they
        are now (a file rewritten later is scored again; the content hash decides)."""
        now = self.clock()
        ready = []
        present = set()
        for path in discover([self.folder]):
            try:
                stat = path.stat()
            except OSError:  # moved or deleted between listing and stat
                continue
            present.add(path)
            sig = (stat.st_size, stat.st_mtime_ns)
            if self.done.get(path) == sig:
                continue
            seen = self.settling.get(path)
            if seen is None or seen[0] != sig:
                self.settling[path] = (sig, now)
            elif now - seen[1] >= self.settle:
                ready.append(path)
        for gone in set(self.settling) - present:
            del self.settling[gone]
        return ready

    def mark_done(self, paths: list[Path]) -> None:
        """Record that ``paths`` were handed to a batch at their settled version."""
        for path in paths:
            sig, _since = self.settling.pop(path)
            self.done[path] = sig

    @property
    def pending(self) -> int:
        """Files seen but not yet settled and scored."""
        return len(self.settling)


def watch(folder: str | Path, settings: Settings, db: sqlite_utils.Database, *,
          interval: float = 5.0, settle: float = 10.0, once: bool = False,
          compute: Compute | None = None, filename_pattern: str | None = None,
          on_batch: Callable[[int, list[Outcome]], None] | None = None,
          on_outcome: Callable[[Outcome], None] | None = None) -> int:
    """Poll ``folder`` every ``interval`` seconds and score files once they have settled.

    With ``once``, return when every file present has been scored (for a cron job or a
    test); otherwise run until interrupted. ``on_batch`` gets each run's id and outcomes.
    ``compute`` is where the work runs (see :func:`qa.batch.run_batch`): the same one for
    every batch, so a :class:`qa.workers.WorkerPool` keeps its processes, and their loaded
    model, for the whole watch. Returns the number of files handed to batches.
    """
    watcher = Watcher(Path(folder), settle)
    handled = 0
    while True:
        ready = watcher.poll()
        if ready:
            run_id, outcomes = run_batch([str(p) for p in ready], settings, db,
                                         filename_pattern=filename_pattern,
                                         on_outcome=on_outcome, compute=compute)
            watcher.mark_done(ready)
            handled += len(ready)
            if on_batch:
                on_batch(run_id, outcomes)
        elif once and not watcher.pending:
            return handled
        time.sleep(interval)
