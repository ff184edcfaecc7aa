"""``qa watch``: one pool of worker processes for the whole watch, and what it reports."""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path

from qa import store
from qa.jobs import Job, Outcome, Result, Settings
from qa.rubric import load_rubric
from qa.watch import watch
from qa.workers import WorkerPool

SAMPLES = Path(__file__).resolve().parent.parent / "sample_calls"


def stand_in(job: Job, settings: Settings, content_hash: str) -> Result:
    """Run in the worker processes instead of the real work: a quick result (nothing to
    store), so the test measures the pool, not the model."""
    time.sleep(0.1)
    return Result(Outcome(str(job.path), "scored", job.call_id))


def test_watch_keeps_one_pool_of_workers_across_batches(tmp_path: Path) -> None:
    """A new pool per poll would start new processes (and load the model again) each time."""
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(SAMPLES / "call01_internet_outage.json", folder / "first.json")
    workers_seen: list[set[int]] = []

    def on_batch(run_id: int, outcomes: list[Outcome]) -> None:
        workers_seen.append({p.pid for p in multiprocessing.active_children()})
        if len(workers_seen) == 1:  # a second call lands after the first batch
            shutil.copy(SAMPLES / "call03_parcel_missing.json", folder / "second.json")

    db = store.open_db(tmp_path / "qa.db")
    with WorkerPool(2, stand_in) as pool:
        handled = watch(folder, Settings(load_rubric()), db, interval=0.05, settle=0.2,
                        once=True, compute=pool, on_batch=on_batch)
    assert handled == 2 and len(workers_seen) == 2
    assert workers_seen[0], "no worker process was running during the first batch"
    assert workers_seen[1] == workers_seen[0]
