"""The dashboard benchmark's generator keeps up with the schema: a small generated database
opens, its summary tables agree with the raw rows, and it holds what the bench signs in as."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from qa import store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from make_dashboard_db import generate


def test_generated_database_is_consistent(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    counts = generate(path, 300, 6, 7, "bench-password", date(2026, 11, 30))
    db = store.open_db(path)
    calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
    assert calls == 300 and counts["calls"] == 300
    agents = db.execute("SELECT count(DISTINCT agent) FROM calls").fetchone()[0]
    assert 2 <= agents <= 6
    # The trigger-kept fact table matches the scores it summarises.
    raw = db.execute("SELECT count(*) FROM scores JOIN calls ON calls.id = scores.call_id "
                     "WHERE scores.score IS NOT NULL").fetchone()[0]
    summed = db.execute("SELECT sum(n) FROM agent_week").fetchone()[0]
    assert summed == raw
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] >= 3
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
