"""How long each dashboard page takes to render on the server, on a big database.

    .venv/bin/python bench/dashboard_bench.py [--db /tmp/qa-bench.db] [--calls 50000]

Builds the database with ``bench/make_dashboard_db.py`` first if it does not exist (50,000
calls, 100 agents, two years). Each page is rendered through Streamlit's AppTest, the way a
browser session would run it (app.py, the signed-in viewer's navigation, the page script,
every query), first with empty caches ("cold": what the first person to open the page after
new data waits for) and then again ("warm": cached figures, keyed on the data version).
Prints one line per page and exits non-zero if a cold render takes 1 s or more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BUDGET = 1.0


def pages(agent_id: str, call_id: str, everything: tuple[date, date],
          shared: tuple[date, date]
          ) -> list[tuple[str, str, str, dict[str, object], dict[str, str]]]:
    """(name, role, page file, widget state, query parameters) for each page to time."""
    return [
        ("overview (lead, last 90 days)", "lead", "qa/ui/overview.py", {}, {}),
        ("overview (lead, two years)", "lead", "qa/ui/overview.py",
         {"overview-period": everything}, {}),
        ("batch scoring (lead)", "lead", "qa/ui/batch.py", {}, {}),
        ("calls (coach, last 30 days)", "coach", "qa/ui/calls.py", {}, {}),
        ("calls (search 'refund', empathy < 60)", "coach", "qa/ui/calls.py",
         {"calls-text": "refund", "calls-criterion": "empathy", "calls-below": 60}, {}),
        ("call review (coach)", "coach", "qa/ui/review.py", {}, {"call": call_id}),
        ("coaching points (coach, 90 days)", "coach", "qa/ui/coaching.py",
         {"coaching-agent": agent_id}, {}),
        ("coaching points (coach, two years)", "coach", "qa/ui/coaching.py",
         {"coaching-agent": agent_id,
          "coaching-period": everything}, {}),
        ("my feedback (agent, 180 days)", "agent", "qa/ui/feedback.py", {}, {}),
        ("my feedback (agent, all shared calls)", "agent", "qa/ui/feedback.py",
         {"feedback-period": shared}, {}),
    ]


def render(page: str, role: str, agent_id: str, state: dict[str, object],
           query: dict[str, str], clear: bool) -> float:
    """Seconds to run one page once, signed in as ``role``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from qa.auth import Viewer

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["viewer"] = Viewer(role, role, agent_id if role == "agent" else None)
    at.run()  # the role's landing page, so navigation knows the page files
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    if clear:
        st.cache_data.clear()
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    for key, value in state.items():  # the page really used the state asked for
        if at.session_state[key] != value:
            raise RuntimeError(f"{page}: {key} is {at.session_state[key]!r}, not {value!r}")
    return elapsed


def main() -> None:
    """Build the database if needed, time every page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/qa-bench.db"))
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="renders per page; median shown")
    args = parser.parse_args()
    if not args.db.exists():
        from make_dashboard_db import generate

        print(f"building {args.db} ({args.calls:,} calls)...", flush=True)
        counts = generate(args.db, args.calls, 100, 7, "bench-password", date.today())
        print(f"built in {counts['seconds']:.0f} s", flush=True)
    os.environ["QA_DB"] = str(args.db)
    os.environ.setdefault("QA_SCORE_ROOT", str(ROOT / "sample_calls"))

    import sqlite3

    conn = sqlite3.connect(args.db)
    calls = conn.execute("SELECT count(*), count(DISTINCT agent), min(call_time), "
                         "max(call_time) FROM calls").fetchone()
    agent_id = conn.execute("SELECT agent FROM users WHERE name = 'agent'").fetchone()[0]
    call_id = conn.execute("SELECT id FROM calls ORDER BY call_time DESC LIMIT 1").fetchone()[0]
    conn.close()
    print(f"{args.db}: {calls[0]:,} calls, {calls[1]} agents, {calls[2][:10]} to "
          f"{calls[3][:10]}, {args.db.stat().st_size / 2**20:,.0f} MiB")
    # Warm the process (imports, schema check) so the first page is not charged for them.
    render("qa/ui/calls.py", "coach", agent_id, {}, {}, clear=True)
    print(f"\n{'page':<40}{'cold (s)':>10}{'warm (s)':>10}")
    worst = 0.0
    everything = (date.fromisoformat(calls[2][:10]), date.fromisoformat(calls[3][:10]))
    from qa import queries
    from qa.auth import Viewer

    shared = queries.date_range(queries.connect(args.db), Viewer("agent", "agent", agent_id))
    assert shared is not None, "the bench agent has no shared calls"
    for name, role, page, state, query in pages(agent_id, call_id, everything, shared):
        cold = statistics.median(render(page, role, agent_id, state, query, clear=True)
                                 for _ in range(args.repeat))
        warm = statistics.median(render(page, role, agent_id, state, query, clear=False)
                                 for _ in range(args.repeat))
        worst = max(worst, cold)
        flag = "" if cold < BUDGET else "  OVER BUDGET"
        print(f"{name:<40}{cold:>10.3f}{warm:>10.3f}{flag}", flush=True)
    print(f"\nslowest cold render: {worst:.3f} s (budget {BUDGET:.1f} s)")
    sys.exit(0 if worst < BUDGET else 1)


if __name__ == "__main__":
    main()
