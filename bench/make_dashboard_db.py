"""Fill a database with realistic scored calls for the dashboard benchmark.

    .venv/bin/python bench/make_dashboard_db.py /tmp/bench.db [--calls 50000] [--agents 100]

Each call is built from one of the labeled dev-set transcripts (``tests/devset``), scored by
the real detectors once: its utterances and findings are the template's, so transcript text,
finding labels, quotes and counts are what the pipeline really produces. Scores are drawn per
agent (skill, weak and strong criteria, improvement over time) around the dev set's means,
and findings that contradict the drawn score are dropped. Calls fall on weekday business
hours over two years ending today; about 6% are reviewed, most of those shared with the
agent, some with overrides, notes and acknowledgements. Accounts ``lead``, ``coach`` and
``agent`` (the busiest agent) are created with the password given by ``--password``.

Rows are written with bulk inserts (indexes and the full-text index are dropped during the
load and rebuilt by ``store.ensure_schema`` afterwards), so 50,000 calls take a few minutes.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import store  # noqa: E402
from qa.auth import hash_password  # noqa: E402
from qa.detectors import COMMITMENT_LABELS  # noqa: E402
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding  # noqa: E402
from qa.rubric import Rubric, load_rubric  # noqa: E402
from qa.scoring import coaching_summary, overall_score, score_call  # noqa: E402
from qa.transcript import Transcript  # noqa: E402

FIRST = ["maria", "dan", "sam", "priya", "lena", "omar", "kofi", "ines", "tom", "yuki",
         "nina", "raj", "eva", "luis", "amara", "jon", "mei", "ali", "sara", "ben"]
LAST = ["lopez", "okafor", "chen", "sharma", "moreau", "haddad", "mensah", "silva", "brennan",
        "tanaka", "novak", "patel", "berg", "garcia", "diallo", "walsh", "wong", "khan",
        "hughes", "whitfield"]
TEAMS = ["North", "South", "East", "West", "Billing", "Travel", "Claims", "Retention"]


@dataclass
class Template:
    """A dev-set call scored once by the real pipeline."""

    call_id: str
    transcript: Transcript
    findings: list[Finding]
    scores: list[CriterionScore]


@dataclass
class Agent:
    """A simulated agent: overall skill, per-criterion bias, improvement per year, volume."""

    name: str
    team: str
    skill: float
    bias: dict[str, float] = field(default_factory=dict)
    slope: float = 0.0
    volume: float = 1.0


def load_templates(rubric: Rubric) -> list[Template]:
    """Score every dev-set transcript once; these are the calls' shapes."""
    templates = []
    for path in sorted((ROOT / "tests" / "devset").glob("*.json")):
        transcript = Transcript.load(path)
        scored = score_call(transcript, rubric)
        templates.append(Template(transcript.call_id, transcript, scored.findings,
                                  scored.scores))
    return templates


def make_agents(n: int, criteria: list[str], rng: random.Random) -> list[Agent]:
    """``n`` agents with distinct names, in teams, with varied skill and habits."""
    names = [f"{f}.{last}" for last in LAST for f in FIRST]
    rng.shuffle(names)
    agents = []
    for i, name in enumerate(names[:n]):
        bias = {c: rng.gauss(0, 9) for c in criteria}
        for weak in rng.sample(criteria, 2):  # most agents have a couple of habits to work on
            bias[weak] -= rng.uniform(10, 25)
        agents.append(Agent(name, TEAMS[i % len(TEAMS)], rng.gauss(0, 7), bias,
                            rng.gauss(3, 5), rng.lognormvariate(0, 0.35)))
    return agents


def call_time(start: date, days: int, rng: random.Random) -> datetime:
    """A random weekday (sometimes Saturday) business-hours moment in the period."""
    while True:
        day = start + timedelta(days=rng.randrange(days))
        if day.weekday() < 5 or (day.weekday() == 5 and rng.random() < 0.3):
            break
    minutes = int(rng.triangular(8 * 60, 19 * 60, 11 * 60))
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60,
                    rng.randrange(60))


def draw_scores(template: Template, agent: Agent, years: float, means: dict[str, float],
                rng: random.Random) -> list[CriterionScore]:
    """Scores for this agent on this call: skill and habits around the criterion's mean."""
    out = []
    for s in template.scores:
        if s.score is None:
            out.append(s)
            continue
        mean = means[s.criterion] + agent.skill + agent.bias[s.criterion] + agent.slope * years
        value = round(max(0.0, min(100.0, rng.gauss(mean, 14))), 1)
        if means[s.criterion] > 95 and rng.random() < 0.85:
            value = 100.0  # timing criteria are nearly always fine
        out.append(CriterionScore(s.criterion, value, s.reason, s.weight))
    return out


def keep_finding(f: Finding, scores: dict[str, float | None], rng: random.Random) -> bool:
    """Drop findings that contradict the drawn score (no coaching on a perfect criterion)."""
    score = scores.get(f.criterion)
    if score is None:
        return f.polarity not in (COACHING, STRENGTH)
    if f.polarity == COACHING:
        return score < 97 and rng.random() < 0.35 + (100 - score) / 100
    if f.polarity == STRENGTH:
        return rng.random() < score / 100
    return True


_CALL_COLUMNS = ("id", "content_hash", "source_path", "origin", "agent", "customer", "call_time",
                 "duration", "channels", "speaker_timing", "model", "rubric_name",
                 "rubric_version", "scorable", "unscorable_reason", "overall", "summary", "extra",
                 "scored_at")


def generate(path: Path, n_calls: int, n_agents: int, seed: int, password: str,
             end: date) -> dict[str, float]:
    """Write the whole database; returns row counts and the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    rubric = load_rubric()
    templates = load_templates(rubric)
    criteria = list(rubric.criteria)
    means = {c: sum(s.score for t in templates for s in t.scores
                    if s.criterion == c and s.score is not None)
             / max(1, sum(1 for t in templates for s in t.scores
                          if s.criterion == c and s.score is not None)) for c in criteria}
    agents = make_agents(n_agents, criteria, rng)
    start = end - timedelta(days=730)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store.open_db(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    # Bulk load without secondary indexes, triggers or the full-text index; ensure_schema
    # puts them all back (and fills the full-text index) at the end.
    for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND sql IS NOT NULL").fetchall():
        conn.execute(f"DROP {kind.upper()} IF EXISTS [{name}]")
    fts = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'utterances_fts%'")]
    conn.execute("DROP TABLE IF EXISTS utterances_fts")
    for name in [*fts, "call_facts", "score_facts", "agent_week", "agent_month"]:
        conn.execute(f"DROP TABLE IF EXISTS [{name}]")
    conn.execute("DELETE FROM meta WHERE key = 'fact_triggers'")

    weights = [a.volume for a in agents]
    calls, utterances, findings, scores = [], [], [], []
    reviews, overrides, notes, acks, promises = [], [], [], [], []
    scored_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    cutoff_shared = end - timedelta(days=120)
    for i in range(n_calls):
        agent = rng.choices(agents, weights)[0]
        template = rng.choice(templates)
        when = call_time(start, 730, rng)
        years = (when.date() - start).days / 365.0
        drawn = draw_scores(template, agent, years, means, rng)
        by_name = {s.criterion: s.score for s in drawn}
        kept = [f for f in template.findings if keep_finding(f, by_name, rng)]
        call_id = f"c{i:06d}"
        overall = overall_score(drawn)
        summary = coaching_summary(kept, drawn)
        calls.append((call_id, f"h{i:06d}", f"/recordings/{when:%Y/%m}/{call_id}.flac", "audio",
                      agent.name, None, when.isoformat(), template.transcript.duration or
                      template.transcript.utterances[-1].end, 2, 1, "tiny.en", rubric.name,
                      rubric.label, 1, None, overall, json.dumps(summary),
                      json.dumps({"team": agent.team}), scored_at))
        utterances.extend((call_id, k, u.speaker, u.start, u.end, u.text, None)
                          for k, u in enumerate(template.transcript.utterances))
        findings.extend((call_id, f.criterion, f.label, f.utterance, f.speaker, f.start, f.end,
                         f.quote, f.polarity, f.message, f.suggestion, json.dumps(f.detail))
                        for f in kept)
        scores.extend((call_id, s.criterion, s.score, int(s.score is not None), s.reason,
                       s.weight) for s in drawn)
        for f in kept:
            if f.label in COMMITMENT_LABELS:
                old = (end - when.date()).days > 14
                status = rng.choices(["done", "broken", "open"], [85, 5, 10])[0] if old \
                    else "open"
                promises.append((call_id, f.utterance, f.start, f.quote, f.label.split(":")[1],
                                 f.detail.get("who"), f.detail.get("what"),
                                 f.detail.get("when"), f.detail.get("channel"), status))
        if rng.random() < 0.06:
            reviewed = (when + timedelta(days=rng.randint(1, 6))).isoformat()
            shared = reviewed if rng.random() < 0.7 else None
            reviews.append((call_id, "coach", reviewed, "coach" if shared else None, shared))
            if rng.random() < 0.3:
                crit = rng.choice([s for s in drawn if s.score is not None])
                overrides.append((call_id, crit.criterion, min(100.0, (crit.score or 0) + 20),
                                  crit.score, "The customer asked for this; fair in context.",
                                  "coach", reviewed))
            if kept and rng.random() < 0.5:
                notes.append((call_id, None, kept[0].label, "coach",
                              "Good example to go through in the one-to-one.", 1, reviewed))
            if shared and when.date() < cutoff_shared and rng.random() < 0.6:
                acks.append((call_id, agent.name, "Thanks, I'll work on it.", reviewed))
    with conn:
        # Named columns: the calls table grows (redaction, roles) and those stay NULL here.
        conn.executemany(f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) "
                         f"VALUES ({','.join('?' * len(_CALL_COLUMNS))})", calls)
        conn.executemany("INSERT INTO utterances (call_id, idx, speaker, start, end, text, "
                         "words) VALUES (?,?,?,?,?,?,?)", utterances)
        conn.executemany("INSERT INTO findings (call_id, criterion, label, utterance_idx, "
                         "speaker, start, end, quote, polarity, message, suggestion, detail) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", findings)
        conn.executemany("INSERT INTO scores VALUES (?,?,?,?,?,?)", scores)
        conn.executemany("INSERT INTO reviews VALUES (?,?,?,?,?)", reviews)
        conn.executemany("INSERT INTO overrides VALUES (?,?,?,?,?,?,?)", overrides)
        conn.executemany("INSERT INTO notes (call_id, finding_id, finding_ref, author, body, "
                         "for_agent, created_at) VALUES (?,?,?,?,?,?,?)", notes)
        conn.executemany("INSERT INTO acknowledgements (call_id, user, comment, created_at) "
                         "VALUES (?,?,?,?)", acks)
        conn.executemany("INSERT INTO commitments (call_id, utterance_idx, start, quote, kind, "
                         "who, what, when_text, channel, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         promises)
        _runs(conn, rng, end)
    conn.close()
    db = store.open_db(path)
    store.ensure_schema(db)  # indexes, triggers and the full-text index come back here
    busiest = db.execute("SELECT agent FROM calls GROUP BY agent ORDER BY count(*) DESC "
                         "LIMIT 1").fetchone()[0]
    for name, role, agent_id in [("lead", "lead", None), ("coach", "coach", None),
                                 ("agent", "agent", busiest)]:
        db.execute("INSERT OR REPLACE INTO users (name, role, agent, password_hash, created_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [name, role, agent_id, hash_password(password), store.now()])
    db.execute("ANALYZE")
    db.conn.commit()
    counts = {k: float(v) for k, v in store.table_counts(db).items()}
    db.conn.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _runs(conn: sqlite3.Connection, rng: random.Random, end: date) -> None:
    """A nightly batch run for the last 60 days, a few files failing with real reasons."""
    reasons = ["cannot decode audio: Invalid data found when processing input",
               "3 channels: only mono or stereo recordings are supported",
               "listed in the manifest but not found", "the recording is empty (0 bytes)"]
    for back in range(60, 0, -1):
        day = end - timedelta(days=back)
        started = f"{day.isoformat()}T02:00:00+00:00"
        files = rng.randint(40, 90)
        failed = rng.choices([0, 1, 2], [0.7, 0.2, 0.1])[0]
        cur = conn.execute(
            "INSERT INTO runs (started_at, finished_at, status, paths, rubric_version, model, "
            "files, scored, skipped, failed, unscorable) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [started, f"{day.isoformat()}T02:41:00+00:00", "finished",
             json.dumps([f"/recordings/{day:%Y/%m/%d}"]), "bench", "tiny.en", files,
             files - failed, 0, failed, 0])
        for k in range(failed):
            conn.execute("INSERT INTO run_files (run_id, path, status, error, seconds, "
                         "finished_at) VALUES (?,?,?,?,?,?)",
                         [cur.lastrowid, f"/recordings/{day:%Y/%m/%d}/bad_{k}.wav", "failed",
                          rng.choice(reasons), 0.1, started])


def main() -> None:
    """Command line: where to write and how much."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--password", default="bench-password",
                        help="password of the lead, coach and agent accounts")
    parser.add_argument("--end", type=date.fromisoformat, default=date.today(),
                        help="last day of the two years [default: today]")
    args = parser.parse_args()
    counts = generate(args.db, args.calls, args.agents, args.seed, args.password, args.end)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
