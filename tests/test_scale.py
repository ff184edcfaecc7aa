"""Batch scoring at scale: worker processes, a Dask cluster, kill -9 and rerun, watch mode.

All with the real model on real sample calls (the two shortest, to keep the suite quick), and
every parallel result checked against the one-process result row for row.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qa import store
from qa.batch import Job, Outcome, Result, Settings, run_batch
from qa.cli import main
from qa.rubric import load_rubric
from qa.transcribe import TranscriberConfig
from qa.watch import Watcher, watch
from qa.workers import THREAD_ENV, WorkerPool, compute_in_workers

SAMPLES = Path(__file__).parent.parent / "sample_calls"
# The two shortest sample calls (78 s and 83 s), both with interruptions and findings.
CALLS = [SAMPLES / "call08_rental_damage.mp3", SAMPLES / "call05_electric_bill.ogg"]
QA = Path(sys.executable).parent / "qa"

pytestmark = pytest.mark.audio


def _rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every stored row that a scoring run produces, without ids and wall-clock times, in a
    stable order: what must be equal whichever way the batch ran."""
    conn = sqlite3.connect(db_path)
    queries = {
        "calls": "SELECT id, content_hash, source_path, origin, agent, duration, channels, "
                 "speaker_timing, model, rubric_version, scorable, unscorable_reason, overall, "
                 "summary FROM calls ORDER BY id",
        "utterances": "SELECT call_id, idx, speaker, start, end, text, words FROM utterances "
                      "ORDER BY call_id, idx",
        "findings": "SELECT call_id, criterion, label, utterance_idx, speaker, start, end, "
                    "quote, polarity, message, suggestion, detail FROM findings "
                    "ORDER BY call_id, start, criterion, label, quote",
        "scores": "SELECT call_id, criterion, score, applicable, reason, weight FROM scores "
                  "ORDER BY call_id, criterion",
        "commitments": "SELECT call_id, utterance_idx, start, quote, kind, who, what, "
                       "when_text, channel, status FROM commitments ORDER BY call_id, start",
    }
    rows = {table: conn.execute(sql).fetchall() for table, sql in queries.items()}
    conn.close()
    return rows


def _settings() -> Settings:
    # One CTranslate2 thread everywhere, so every way of running does the same arithmetic.
    return Settings(load_rubric(), TranscriberConfig(cpu_threads=1))


@pytest.fixture(scope="module")
def single_process_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the sample calls scored one after another in one process, with the
    math libraries' thread counts pinned to one as a worker has them (see THREAD_ENV)."""
    db_path = tmp_path_factory.mktemp("single") / "qa.db"
    result = subprocess.run([str(QA), "score", *map(str, CALLS), "--db", str(db_path),
                             "--cpu-threads", "1"], capture_output=True, text=True,
                            env={**os.environ, **dict.fromkeys(THREAD_ENV, "1")}, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "2 scored" in result.stdout
    return db_path


def test_worker_processes_store_what_one_process_stores(single_process_db: Path,
                                                        tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", *map(str, CALLS), "--db", str(db_path),
                                       "--workers", "2", "--cpu-threads", "1"])
    assert result.exit_code == 0, result.output
    assert "2 scored" in result.output
    assert _rows(db_path) == _rows(single_process_db)
    # Run again: everything is skipped and nothing changes.
    again = CliRunner().invoke(main, ["score", *map(str, CALLS), "--db", str(db_path),
                                      "--workers", "2"])
    assert again.exit_code == 0 and "2 skipped" in again.output
    assert _rows(db_path) == _rows(single_process_db)


def _batch_in_thread(db_path: Path, compute: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Start scoring CALLS into ``db_path`` in a thread (``compute``: where run_batch sends
    the work), so the test can kill a worker meanwhile. The writer opens its own connection
    (SQLite's rule); the returned dict gets its ``outcomes``, or the ``error`` it raised."""
    done: dict[str, Any] = {}

    def batch() -> None:
        try:
            done["outcomes"] = run_batch([str(p) for p in CALLS], _settings(),
                                         store.open_db(db_path), compute=compute)[1]
        except BaseException as exc:  # reported by the main thread
            done["error"] = exc

    writer = threading.Thread(target=batch)
    writer.start()
    return writer, done


def test_local_dask_cluster_matches_one_process_even_when_a_worker_dies(
        single_process_db: Path, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from qa.cluster import compute_on_cluster

    db_path = tmp_path / "qa.db"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        writer, done = _batch_in_thread(db_path, partial(compute_on_cluster, address=client))
        # Kill a worker process that is in the middle of a call: its call must be redone
        # elsewhere (the nanny also starts a fresh worker, which loads the model again).
        killed, busy_since = None, None
        deadline = time.monotonic() + 120
        while killed is None and writer.is_alive() and time.monotonic() < deadline:
            busy = [addr for addr, keys in client.processing().items() if keys]
            if busy and busy_since is None:
                busy_since = time.monotonic()
            if busy and time.monotonic() - busy_since > 3:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed = busy[0]
            time.sleep(0.2)
        writer.join(timeout=600)
    assert "error" not in done, done.get("error")
    assert killed is not None, "no worker was seen busy with a call"
    assert [o.status for o in done["outcomes"]] == ["scored", "scored"]
    assert _rows(db_path) == _rows(single_process_db)


def test_a_worker_killed_mid_call_has_its_call_redone(single_process_db: Path,
                                                       tmp_path: Path) -> None:
    import psutil

    db_path = tmp_path / "qa.db"
    pool = WorkerPool(2)
    writer, done = _batch_in_thread(db_path, pool)
    # Kill one worker process (as the out-of-memory killer would) once both are busy.
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and writer.is_alive() and time.monotonic() < deadline:
        workers = [p for p in psutil.Process().children()
                   if "spawn_main" in " ".join(p.cmdline())]
        if len(workers) == 2 and min(w.cpu_times().user for w in workers) > 3:
            workers[0].send_signal(signal.SIGKILL)
            killed = workers[0].pid
        time.sleep(0.2)
    writer.join(timeout=600)
    pool.close()
    assert "error" not in done, done.get("error")
    assert killed is not None, "no worker was seen busy with a call"
    assert [o.status for o in done["outcomes"]] == ["scored", "scored"]
    assert _rows(db_path) == _rows(single_process_db)


def die_on_crash_file(job: Job, settings: Settings, content_hash: str) -> Result:
    """A stand-in for the real computation, run in the worker processes: the file named
    crash* kills its worker outright (as a segfault in the decoder would); any other is done."""
    if job.path.name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.5)
    return Result(Outcome(str(job.path), "scored", job.call_id))


def test_a_file_that_kills_its_worker_every_time_fails_alone_and_the_rest_go_on() -> None:
    names = ["a.wav", "b.wav", "crash.wav", "c.wav", "d.wav", "e.wav"]
    tasks = [(Job(Path(name), call_id=Path(name).stem), "hash") for name in names]
    results = list(compute_in_workers(tasks, _settings(), 2, function=die_on_crash_file))
    outcomes = {r.outcome.call_id: r.outcome for r in results}
    assert len(results) == len(names) and set(outcomes) == {Path(n).stem for n in names}
    assert outcomes["crash"].status == "failed"
    assert "worker process died" in (outcomes["crash"].error or "")
    assert all(o.status == "scored" for name, o in outcomes.items() if name != "crash")


def _count(db_path: Path, sql: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        conn.close()


def test_batch_killed_with_sigkill_then_rerun_finishes_with_no_duplicates(
        tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for path in [*CALLS, SAMPLES / "call06_claim_denied.flac"]:
        shutil.copy(path, folder)
    db_path = tmp_path / "qa.db"
    # A copy of the rubric, so that both runs surely score with the same one.
    rubric = tmp_path / "rubric.toml"
    shutil.copy(Path(__file__).parent.parent / "rubrics" / "default.toml", rubric)
    command = [str(QA), "score", str(folder), "--db", str(db_path), "--workers", "2",
               "--rubric", str(rubric)]
    # Its own process group, so the kill takes the workers too, as a crash or OOM kill would.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while _count(db_path, "SELECT count(*) FROM calls") < 1:
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "no call was stored in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = _count(db_path, "SELECT count(*) FROM calls")
    assert 1 <= stored_before < 3

    runs = CliRunner().invoke(main, ["runs", "--db", str(db_path)])
    assert runs.exit_code == 0 and "interrupted" in runs.output, runs.output

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{stored_before} skipped" in rerun.stdout
    assert f"{3 - stored_before} scored" in rerun.stdout

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # Each recording exactly once, each complete; nothing left of a half-stored call.
    assert conn.execute("SELECT count(*), count(DISTINCT content_hash) FROM calls"
                        ).fetchone() == (3, 3)
    for table in ("utterances", "findings", "scores", "commitments"):
        orphans = conn.execute(f"SELECT count(*) FROM {table} WHERE call_id NOT IN "
                               "(SELECT id FROM calls)").fetchone()[0]
        assert orphans == 0, table
    for call_id, utterances, scores in conn.execute(
            "SELECT c.id, (SELECT count(*) FROM utterances u WHERE u.call_id = c.id), "
            "(SELECT count(*) FROM scores s WHERE s.call_id = c.id) FROM calls c"):
        assert utterances > 10 and scores >= 5, call_id
    statuses = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert statuses == [("interrupted",), ("finished",)]
    conn.close()


def test_watcher_waits_until_a_file_stops_growing() -> None:
    now = [0.0]
    folder = Path(__file__).parent / "devset"
    watcher = Watcher(folder, settle=10.0, clock=lambda: now[0])
    assert watcher.poll() == []  # first sight: every file starts settling
    now[0] = 9.9
    assert watcher.poll() == []
    now[0] = 10.0
    ready = watcher.poll()
    assert ready and watcher.pending == len(ready)
    watcher.mark_done(ready)
    now[0] = 100.0
    assert watcher.poll() == [] and watcher.pending == 0  # done files are not taken again


def test_watch_scores_a_file_once_it_has_landed(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    source = SAMPLES / "call03_parcel_missing.json"  # a transcript: no model needed here
    data = source.read_bytes()
    target = folder / source.name

    def land() -> None:
        # Copied in slowly, in pieces, as a phone system's upload would.
        with target.open("wb") as out:
            for i in range(0, len(data), len(data) // 4 + 1):
                out.write(data[i:i + len(data) // 4 + 1])
                out.flush()
                time.sleep(0.3)

    writer = threading.Thread(target=land)
    writer.start()
    time.sleep(0.05)
    db = store.open_db(tmp_path / "qa.db")
    handled = watch(folder, Settings(load_rubric()), db, interval=0.1, settle=1.0, once=True)
    writer.join()
    assert handled == 1
    rows = db.execute("SELECT id, scorable FROM calls").fetchall()
    assert rows == [("call03_parcel_missing", 1)]
    assert db.execute("SELECT count(*), min(status) FROM run_files").fetchone() == (1, "scored")


def test_a_call_is_stored_all_or_nothing(tmp_path: Path) -> None:
    from qa.scoring import score_call
    from qa.transcript import Transcript

    db = store.open_db(tmp_path / "qa.db")
    scored = score_call(Transcript.load(SAMPLES / "call03_parcel_missing.json"), load_rubric())
    info = store.CallInfo(scored.transcript.call_id, "call03.json", "hash", origin="transcript")
    store.save_scored_call(db, info, scored, "default")
    before = store.table_counts(db)
    # Storing it again fails at the very end (a score row twice breaks the primary key): the
    # rows already replaced by then must come back, not leave a call with half its rows.
    scored.scores.append(scored.scores[0])
    with pytest.raises(sqlite3.IntegrityError):
        store.save_scored_call(db, info, scored, "default")
    assert store.table_counts(db) == before
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
