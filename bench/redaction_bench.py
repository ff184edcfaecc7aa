"""Redaction quality: precision and recall per type on the labelled redaction sets.

Run: .venv/bin/python bench/redaction_bench.py [JSONL ...]

Default sets: ``tests/data/redaction.jsonl`` (the development set) and
``tests/data/redaction_holdout.jsonl`` (a second set, kept apart from the first) and
``tests/data/redaction_fresh.jsonl`` (written after the rules, never used to tune them). Each table
lists the misses and false alarms under it, and the time per utterance. A benchmark prints
figures; the bars (card recall 1.0, overall recall >= 0.95, precision >= 0.9) are asserted by
tests/test_redact.py.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from qa.redact import evaluate, format_table, load_cases

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [ROOT / "tests" / "data" / "redaction.jsonl",
                ROOT / "tests" / "data" / "redaction_holdout.jsonl",
                ROOT / "tests" / "data" / "redaction_fresh.jsonl"]


def main() -> None:
    """Evaluate the redactor on each set and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    args = parser.parse_args()
    for path in args.sets:
        cases = load_cases(path)
        started = time.perf_counter()
        result = evaluate(cases)
        per_case_ms = (time.perf_counter() - started) * 1000 / max(1, len(cases))
        clean = sum(1 for case in cases if not case["spans"])
        print(f"{path.name}: {len(cases)} utterances ({clean} with nothing to redact), "
              f"{per_case_ms:.2f} ms per utterance")
        print(format_table(result))
        print()


if __name__ == "__main__":
    main()
