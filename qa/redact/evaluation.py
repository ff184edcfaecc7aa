"""Evaluation against a labelled set: precision and recall per type."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qa.redact.finders import find_pii
from qa.redact.kinds import TYPES, Span


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL test set: ``{"text": ..., "spans": [[TYPE, original text], ...]}``.

    A case may also give ``"context"``: what was said just before (cue words only).
    """
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            case.setdefault("id", f"line {n}")
            cases.append(case)
    return cases


def _expected_spans(case: dict[str, Any]) -> list[Span]:
    text, out = case["text"], []
    for kind, original in case["spans"]:
        start = text.find(original)
        if start < 0:
            raise ValueError(f"{case['id']}: {original!r} is not in the text")
        out.append(Span(start, start + len(original), kind))
    return out


def evaluate(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall per type and overall, plus the cases that went wrong.

    An expected span is found when predicted spans cover all its letters and digits and one
    of them has the right type (a partly redacted card number still leaks digits). A
    predicted span is correct when it overlaps an expected span of its type.
    """
    found: Counter[str] = Counter()
    support: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    mistakes = []
    for case in cases:
        text = case["text"]
        expected, got = _expected_spans(case), find_pii(text, case.get("context", ""))
        for e in expected:
            support[e.kind] += 1
            chars = [i for i in range(e.start, e.end) if text[i].isalnum()]
            covered = all(any(g.start <= i < g.end for g in got) for i in chars)
            typed = any(g.kind == e.kind and g.start < e.end and g.end > e.start for g in got)
            if covered and typed:
                found[e.kind] += 1
            else:
                mistakes.append((case["id"], "missed", e.kind, text[e.start:e.end]))
        for g in got:
            predicted[g.kind] += 1
            if any(e.kind == g.kind and g.start < e.end and g.end > e.start for e in expected):
                correct[g.kind] += 1
            else:
                mistakes.append((case["id"], "false", g.kind, text[g.start:g.end]))
    rows = {}
    for kind in (*TYPES, "overall"):
        if kind == "overall":
            s, f, p, c = (sum(x.values()) for x in (support, found, predicted, correct))
        else:
            s, f, p, c = support[kind], found[kind], predicted[kind], correct[kind]
        rows[kind] = {"support": s, "found": f, "predicted": p, "correct": c,
                      "recall": f / s if s else 1.0, "precision": c / p if p else 1.0}
    return {"rows": rows, "mistakes": mistakes}


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table, with the mistakes listed under it."""
    lines = [f"{'type':<13} {'support':>7} {'found':>6} {'predicted':>9} {'precision':>9} "
             f"{'recall':>7}"]
    for kind, r in result["rows"].items():
        lines.append(f"{kind:<13} {r['support']:>7} {r['found']:>6} {r['predicted']:>9} "
                     f"{r['precision']:>9.3f} {r['recall']:>7.3f}")
    for case_id, what, kind, original in result["mistakes"]:
        lines.append(f"  {case_id}: {what} {kind}: {original!r}")
    return "\n".join(lines)
