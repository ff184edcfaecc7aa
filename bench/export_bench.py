"""`qa export` on the 50,000-call bench database: time, peak memory, and final scores checked
against the dashboard's.

    .venv/bin/python bench/export_bench.py [--db /tmp/qa-bench.db] [--formats parquet,csv]
                                           [--tables calls] [--small 5000]

Builds the database with ``bench/make_dashboard_db.py`` if it is missing (a few minutes), then
runs ``qa export --format F --what T`` as a separate process for each format and table, once
on the latest ``--small`` calls (``--from`` the day that takes in that many) and once on all
of them, and prints the wall time, the rows written, the file size and the process's peak
resident memory (ru_maxrss). Memory is bounded when the two peaks are close: the export
streams rows instead of holding the set. The peak of ``qa export --help`` (the imports alone)
is printed as the floor. Finally it reads the Parquet calls table and checks that every
call's final overall equals the review page's (``queries.get_call``) for a sample of calls,
and that the mean of each criterion's final scores equals the Team overview's.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import queries  # noqa: E402
from qa.auth import LEAD, Viewer  # noqa: E402

LEAD_VIEWER = Viewer("bench-lead", LEAD)
# Runs a command and prints its exit code, wall seconds and peak RSS (KB): the one child's
# peak, since this wrapper has no other child.
_MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:]); "
            "print(r.returncode, time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def build(path: Path) -> None:
    """The 50,000-call database of ``bench/make_dashboard_db.py``, made if missing."""
    if path.exists():
        return
    print(f"building {path} with bench/make_dashboard_db.py (a few minutes)", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_dashboard_db.py"), str(path)],
                   check=True)


def measure(args: list[str]) -> tuple[float, float]:
    """Run ``qa`` with ``args`` in a process of its own: (seconds, peak RSS in MB)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "qa.cli",
                          *args], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    code, seconds, rss = out.stdout.split()[-3:]
    if code != "0":
        raise SystemExit(f"qa {' '.join(args)} failed: {out.stdout}")
    return float(seconds), int(rss) / 1024


def rows_in(path: Path, fmt: str) -> int:
    """How many rows the export file holds."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open(encoding="utf-8", newline="") as f:
        if fmt == "csv":
            return sum(1 for _ in csv.reader(f)) - 1
        return sum(1 for _ in f)


def small_start(db: Path, n: int) -> str:
    """The first day of the latest ``n`` calls."""
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT ts FROM call_facts ORDER BY ts DESC LIMIT 1 OFFSET ?",
                       [n - 1]).fetchone()
    conn.close()
    return str(row[0])[:10]


def check_final_scores(db: Path, parquet: Path, sample: int = 300) -> str:
    """Compare the exported final scores with the dashboard's; a one-line verdict."""
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    ids = table.column("id").to_pylist()
    finals = table.column("overall_final").to_pylist()
    conn = queries.connect(db)
    rng = random.Random(1)
    # The calls with an override first: those are where machine and final differ.
    overridden = {r[0] for r in conn.execute("SELECT DISTINCT call_id FROM overrides")}
    picks = [i for i, c in enumerate(ids) if c in overridden][:sample]
    picks += rng.sample(range(len(ids)), min(sample, len(ids)))
    wrong = 0
    for i in picks:
        call = queries.get_call(conn, LEAD_VIEWER, ids[i])
        wrong += call is None or call["effective_overall"] != finals[i]
    first, last = min(table.column("call_time").to_pylist()), max(
        table.column("call_time").to_pylist())
    period = queries.Period(date.fromisoformat(first[:10]), date.fromisoformat(last[:10]))
    worst = 0.0
    for avg in queries.criterion_averages(conn, LEAD_VIEWER, period):
        values = [v for v in table.column(f"{avg['criterion']}_final").to_pylist()
                  if v is not None]
        worst = max(worst, abs(sum(values) / len(values) - avg["average"]))
    conn.close()
    changed = sum(1 for i in picks if ids[i] in overridden)
    return (f"final overall vs review page: {len(picks) - wrong}/{len(picks)} equal "
            f"({changed} with overrides); per-criterion means vs Team overview: largest "
            f"difference {worst:.2e}")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/qa-bench.db"))
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--tables", default="calls",
                        help="comma-separated qa export --what tables (transcript: 1.7M rows)")
    parser.add_argument("--small", type=int, default=5000,
                        help="the smaller export: the latest this many calls")
    args = parser.parse_args()
    build(args.db)
    calls = sqlite3.connect(args.db).execute("SELECT count(*) FROM calls").fetchone()[0]
    start = small_start(args.db, args.small)
    _, floor = measure(["export", "--help"])
    print(f"{args.db}: {calls:,} calls; small = calls from {start} on; "
          f"floor (qa export --help) {floor:.0f} MB peak RSS")
    print(f"{'format':8} {'table':11} {'rows':>9} {'seconds':>8} {'peak MB':>8} {'file MB':>8}")
    with tempfile.TemporaryDirectory(prefix="qa-export-bench-") as tmp:
        for fmt in args.formats.split(","):
            for what in args.tables.split(","):
                for label, extra in (("small", ["--from", start]), ("all", [])):
                    out = Path(tmp) / f"{what}-{label}.{fmt}"
                    seconds, peak = measure(["export", "--db", str(args.db), "--format", fmt,
                                             "--what", what, "-o", str(out), *extra])
                    print(f"{fmt:8} {what:11} {rows_in(out, fmt):>9,} {seconds:>8.1f} "
                          f"{peak:>8.0f} {out.stat().st_size / 2**20:>8.1f}", flush=True)
        parquet = Path(tmp) / "calls-all.parquet"
        if parquet.exists():
            print(check_final_scores(args.db, parquet))


if __name__ == "__main__":
    main()
