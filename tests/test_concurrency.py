"""Several writers on one database: every call stored once, nobody fails on a lock, no run
left ``running`` (issue 12, defect 2)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from qa import queries, store
from qa.auth import LEAD, Viewer

ROOT = Path(__file__).parent.parent
DEVSET = Path(__file__).parent / "devset"


def _qa(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_three_writers_store_every_call_once(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for src in sorted(DEVSET.glob("*.json")):
        shutil.copy(src, folder / src.name)
    db_path = tmp_path / "qa.db"
    # Two batches over the same folder and a watcher on it, all started at once on a fresh
    # database (schema creation races too).
    procs = [_qa("score", str(folder), "--db", str(db_path)),
             _qa("score", str(folder), "--db", str(db_path), "--rescore"),
             _qa("watch", str(folder), "--db", str(db_path), "--once", "--settle", "0",
                 "--interval", "0.05")]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert "locked" not in out + err, err[-2000:]
        assert code == 0, err[-2000:]
    db = store.open_db(db_path)
    files = len(list(folder.glob("*.json")))
    assert db["calls"].count == files
    assert db.execute("SELECT count(DISTINCT content_hash) FROM calls").fetchone()[0] == files
    # Each call's rows were written once (a second writer replaces, never adds).
    assert db.execute("SELECT count(*) FROM (SELECT call_id, idx FROM utterances "
                      "GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0] == 0
    statuses = [r[0] for r in db.execute("SELECT status FROM runs")]
    assert statuses and set(statuses) == {"finished"}, statuses


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_died_is_shown_interrupted_everywhere(tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    run_id = store.start_run(db, [str(tmp_path / "drop")], "default@1", None)
    store.record_file(db, run_id, "a.json", "scored", "a")
    db["runs"].update(run_id, {"pid": _dead_pid()})  # the batch was killed (kill -9)
    conn = queries.connect(db_path)
    lead = Viewer("lead", LEAD)
    # The lead's overview and the batch page read the runs table directly.
    [run] = queries.recent_runs(conn, lead)
    assert run["status"] == "interrupted"
    assert run["scored"] == 1
    queries.record_launch(conn, lead, str(tmp_path / "drop"), None, 3, 0, None, None)
    launch = queries.latest_launch(conn, lead)
    assert launch is not None and launch["run"]["status"] == "interrupted"


def test_a_batch_that_raises_does_not_leave_its_run_running(tmp_path: Path) -> None:
    from qa.batch import Settings, run_batch
    from qa.rubric import load_rubric

    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(sorted(DEVSET.glob("*.json"))[0], folder)
    db = store.open_db(tmp_path / "qa.db")

    def boom(_outcome: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(KeyboardInterrupt):
        run_batch([str(folder)], Settings(load_rubric()), db, on_outcome=boom)
    assert [r[0] for r in db.execute("SELECT status FROM runs")] == ["interrupted"]


def test_writes_take_the_lock_first_and_wait_for_it(tmp_path: Path) -> None:
    """A writer that read before another committed still stores its call: the transaction
    takes the write lock at BEGIN (IMMEDIATE), where the busy timeout applies."""
    from qa.batch import Job, Settings, compute, prepare
    from qa.rubric import load_rubric

    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    src = sorted(DEVSET.glob("*.json"))[0]
    settings = Settings(load_rubric())
    job = Job(src)
    ready = prepare(job, settings, db)
    assert isinstance(ready, str)
    result = compute(job, settings, ready)
    assert result.info is not None and result.scored is not None
    other = sqlite3.connect(db_path, timeout=0, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process is writing...
    other.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    import threading

    timer = threading.Timer(0.5, other.commit)  # ...and commits half a second later
    timer.start()
    try:
        store.save_scored_call(db, result.info, result.scored, settings.rubric.name)
    finally:
        timer.join()
    assert db["calls"].count == 1
