"""Complaint themes against planted root causes, their stability, and the Themes page's speed.

    .venv/bin/python bench/themes_bench.py [--calls 2000] [--add 200] [--seed 1]
                                           [--big-db /tmp/qa-bench.db]

Generates ``--calls`` transcripts from 14 complaint scripts (``bench/themes_data.py``: each
root cause worded many ways), scores them with the real detectors into a temporary database,
computes the themes and prints the adjusted Rand index of the calls' themes against the
planted causes. Then adds ``--add`` new calls, updates the themes incrementally and prints
whether every existing theme kept its id and name, and how long the update took. With
``--big-db`` (the 50,000-call database of ``bench/make_dashboard_db.py``, built if missing),
computes its themes and times the Themes page's query on it, cold.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sklearn.metrics import adjusted_rand_score  # noqa: E402
from themes_data import PlantedCall, generate  # noqa: E402

from qa import queries, store, themes  # noqa: E402
from qa.auth import LEAD, Viewer  # noqa: E402
from qa.rubric import load_rubric  # noqa: E402
from qa.scoring import score_call  # noqa: E402

LEAD_VIEWER = Viewer("bench-lead", LEAD)


def save(db_path: Path, calls: list[PlantedCall]) -> float:
    """Score each call with the real detectors and store it; seconds taken."""
    rubric = load_rubric()
    db = store.open_db(db_path)
    started = time.perf_counter()
    for c in calls:
        scored = score_call(c.transcript, rubric)
        info = store.CallInfo(
            call_id=c.transcript.call_id, source_path=f"{c.transcript.call_id}.json",
            content_hash=c.transcript.call_id, agent=c.transcript.agent, customer=c.customer,
            call_time=c.when.replace(microsecond=0).isoformat(), origin="transcript",
            extra={"queue": c.queue})
        store.save_scored_call(db, info, scored, rubric.name)
    db.close()
    return time.perf_counter() - started


def ari(db_path: Path, calls: list[PlantedCall]) -> tuple[float, float, int, int]:
    """ARI over the calls with a theme, ARI over all calls (no theme: one group of its own),
    how many calls have a theme, and how many themes there are."""
    db = store.open_db(db_path)
    got = themes.assignments(db)
    n_themes = len(themes.theme_names(db))
    db.close()
    planted = [c.cause for c in calls]
    found = [got.get(c.transcript.call_id) for c in calls]
    themed = [(p, f) for p, f in zip(planted, found, strict=True) if f is not None]
    on_themed = adjusted_rand_score([p for p, _ in themed], [f for _, f in themed])
    on_all = adjusted_rand_score(planted, [-1 if f is None else f for f in found])
    return on_themed, on_all, len(themed), n_themes


def describe(db_path: Path, calls: list[PlantedCall]) -> None:
    """Each theme's name, size and the planted causes of its calls."""
    db = store.open_db(db_path)
    got = themes.assignments(db)
    names = themes.theme_names(db)
    db.close()
    by_theme: dict[int, Counter[str]] = {}
    for c in calls:
        t = got.get(c.transcript.call_id)
        if t is not None:
            by_theme.setdefault(t, Counter())[c.cause] += 1
    for t, name in names.items():
        counts = by_theme.get(t, Counter())
        print(f"  theme {t:>3} {name[:45]:<45} {sum(counts.values()):>5}  "
              + ", ".join(f"{k} {v}" for k, v in counts.most_common(3)))


def big_db(path: Path) -> None:
    """Themes on the 50,000-call bench database, and the Themes page query timed on it."""
    if not path.exists():
        print(f"building {path} with bench/make_dashboard_db.py (a few minutes)")
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_dashboard_db.py"),
                        str(path)], check=True)
    db = store.open_db(path)
    calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
    result = themes.update(db)
    print(f"big database: {calls} calls; themes update {result.seconds:.1f} s "
          f"({result.calls} calls looked at, {len(result.new_themes)} new themes, "
          f"{result.assigned} joined existing ones)")
    db.close()
    conn = queries.connect(path)
    last = queries.date_range(conn, LEAD_VIEWER)
    end = last[1] if last else date.today()
    for days in (90, 730):
        period = queries.Period(end - timedelta(days=days - 1), end)
        started = time.perf_counter()
        report = queries.themes(conn, LEAD_VIEWER, period)
        seconds = time.perf_counter() - started
        verdict = "ok" if seconds < 1 else "TOO SLOW"
        print(f"themes page query, last {days} days: {seconds * 1000:.0f} ms "
              f"({len(report.themes)} themes, {report.calls} calls) {verdict}", flush=True)
    first = queries.date_range(conn, LEAD_VIEWER)
    conn.close()
    # The whole page, as a browser session runs it (dashboard_bench.render: app.py, the
    # lead's navigation, the page script and every query), median of three cold renders.
    import os
    import statistics

    from dashboard_bench import render
    os.environ["QA_DB"] = str(path)
    render("qa/ui/themes.py", "lead", "", {}, {}, clear=True)  # warm the imports
    for label, state in (("last 90 days", {}),
                         ("two years", {"themes-period": first} if first else {})):
        seconds = statistics.median(render("qa/ui/themes.py", "lead", "", state, {},
                                           clear=True) for _ in range(3))
        print(f"themes page render (lead, {label}): {seconds:.3f} s "
              f"{'ok' if seconds < 1 else 'TOO SLOW'}", flush=True)


def main() -> None:
    """Generate, score, theme, measure; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--add", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big-db", type=Path)
    parser.add_argument("--show", action="store_true", help="list the themes found")
    parser.add_argument("--big-only", action="store_true", help="only the --big-db part")
    args = parser.parse_args()
    if args.big_only and args.big_db:
        big_db(args.big_db)
        return
    end = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "themes.db"
        first = generate(args.calls, args.seed, end - timedelta(weeks=1))
        seconds = save(db_path, first)
        print(f"{len(first)} calls from {len(set(c.cause for c in first))} planted causes "
              f"scored and stored in {seconds:.1f} s")
        db = store.open_db(db_path)
        result = themes.update(db)
        before = themes.theme_names(db)
        db.close()
        on_themed, on_all, themed, n = ari(db_path, first)
        print(f"themes computed in {result.seconds:.1f} s: {n} themes, {themed} of "
              f"{len(first)} calls themed")
        print(f"adjusted Rand index vs planted causes: {on_themed:.3f} on themed calls, "
              f"{on_all:.3f} on all calls (unthemed as one group)  "
              f"{'ok' if on_themed >= 0.8 else 'BELOW 0.8'}")
        if args.show:
            describe(db_path, first)
        more = generate(args.add, args.seed + 1000, end, weeks=1, prefix="new")
        save(db_path, more)
        db = store.open_db(db_path)
        result = themes.update(db)
        after = themes.theme_names(db)
        db.close()
        kept = all(after.get(k) == v for k, v in before.items())
        print(f"added {len(more)} calls: update took {result.seconds:.2f} s "
              f"({'ok' if result.seconds < 10 else 'TOO SLOW'}); {result.assigned} joined "
              f"existing themes, {len(result.new_themes)} new themes, {result.pending} "
              f"calls waiting; every existing theme kept its id and name: {kept}")
        on_themed, on_all, themed, n = ari(db_path, first + more)
        print(f"after the update: ARI {on_themed:.3f} on themed calls, {on_all:.3f} on all")
    if args.big_db:
        big_db(args.big_db)


if __name__ == "__main__":
    main()
