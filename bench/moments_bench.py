"""How fast the Good moments and Coaching sessions pages answer on a large database.

    .venv/bin/python bench/moments_bench.py --db /tmp/qa-bench.db

The database is one made by ``bench/make_dashboard_db.py`` (50,000 calls by default) and is
changed: a coach marks every tenth of the 300 newest moments shareable and pins three, and
prepares a session for the busiest agent. Prints the median of ``--repeat`` timings of each
query and of each page rendered again on the server (Streamlit's AppTest, after a first run
that imports the page's modules), as coach and as agent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import moments, queries, store  # noqa: E402
from qa.auth import Viewer  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """The median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store.open_db(args.db).conn.close()  # brings the schema up to date
    conn = queries.connect(args.db)
    calls = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    coach = Viewer("coach", "coach")
    agent_id = conn.execute("SELECT agent FROM users WHERE name = 'agent'").fetchone()[0]
    agent = Viewer("agent", "agent", agent_id)
    newest = moments.library(conn, coach, limit=300)
    for i, m in enumerate(newest):
        if i % 10 == 0:
            moments.curate(conn, coach, m["key"], "shareable", True)
        if i < 3:
            moments.curate(conn, coach, m["key"], "pinned", True)
    period = queries.Period(date(2000, 1, 1), date(2100, 1, 1))
    session = moments.create_session(conn, coach, agent_id, period)
    moments.add_goal(conn, coach, session, "apology", "Name the problem in the apology")
    point = conn.execute("SELECT fi.id FROM findings fi JOIN calls c ON c.id = fi.call_id "
                         "WHERE c.agent = ? AND fi.polarity = 'coaching' AND fi.criterion = "
                         "'apology' LIMIT 1", [agent_id]).fetchone()[0]
    print(f"{args.db}: {calls:,} calls; median of {args.repeat}")
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("library, coach, newest 40", lambda: moments.library(conn, coach, limit=40)),
        ("library, coach, apology", lambda: moments.library(conn, coach, "apology", limit=40)),
        ("library, coach, search", lambda: moments.library(
            conn, coach, situation="my parcel never arrived", limit=40)),
        ("library, agent, newest 40", lambda: moments.library(conn, agent, limit=40)),
        ("library, agent, search", lambda: moments.library(
            conn, agent, situation="charged twice for the same order", limit=40)),
        ("how a colleague handled this", lambda: moments.colleague_moment(conn, coach, point)),
        ("session with progress", lambda: moments.get_session(conn, coach, session)),
    ]
    for name, fn in checks:
        print(f"  {name:<34} {timed(fn, args.repeat) * 1000:8.0f} ms")

    from streamlit.testing.v1 import AppTest

    os.environ["QA_DB"] = str(args.db)
    for page, who in [("library", coach), ("library", agent), ("sessions", coach),
                      ("sessions", agent)]:
        at = AppTest.from_file(str(ROOT / "qa" / "ui" / f"{page}.py"), default_timeout=120)
        at.session_state["viewer"] = who
        at.run()  # the first run imports the page's modules, as a server does once

        def render(at: AppTest = at) -> None:
            at.run()
            assert not at.exception, at.exception
        print(f"  page {page} as {who.role:<22} {timed(render, args.repeat) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
