"""Score interruption detection on audio: precision and recall against a rendered reference.

Transcribes every call of a set made by ``bench/make_interruption_set.py`` (per channel, the
default transcriber), runs the rubric's interruption detector and matches each flagged agent
interruption to a reference start within the tolerance (one to one, nearest first). Prints
per-call counts, what was missed and wrongly flagged (with the nearest reference event), recall
per overlap length, and the totals.

Usage::

    python bench/make_interruption_set.py /tmp/intset
    python bench/interruption_bench.py /tmp/intset [--tolerance 0.5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TOLERANCE_S = 0.5


@dataclass
class CallResult:
    """One call's matches."""

    call_id: str
    found: list[float]
    expected: list[float]
    hits: list[tuple[float, float]] = field(default_factory=list)
    misses: list[float] = field(default_factory=list)
    false: list[float] = field(default_factory=list)


def match(found: list[float], expected: list[float], tolerance: float) -> CallResult:
    """Pair flagged starts with reference starts within ``tolerance``, closest pairs first."""
    pairs = sorted((abs(f - e), i, j) for i, f in enumerate(found)
                   for j, e in enumerate(expected) if abs(f - e) <= tolerance)
    used_f: set[int] = set()
    used_e: set[int] = set()
    result = CallResult("", found, expected)
    for _d, i, j in pairs:
        if i not in used_f and j not in used_e:
            used_f.add(i)
            used_e.add(j)
            result.hits.append((found[i], expected[j]))
    result.misses = [e for j, e in enumerate(expected) if j not in used_e]
    result.false = [f for i, f in enumerate(found) if i not in used_f]
    return result


def flagged_starts(path: Path, agent_channel: int = 0,
                   transcripts: Path | None = None) -> list[float]:
    """Starts of the agent interruptions the pipeline flags on one recording.

    With ``transcripts``, a transcript already saved there is scored again instead of
    transcribing (for changes to the detector alone); a new one is saved there."""
    from qa.audio import load_call
    from qa.rubric import load_rubric
    from qa.scoring import score_call
    from qa.transcribe import get_transcriber
    from qa.transcript import Transcript

    saved = transcripts / f"{path.stem}.json" if transcripts else None
    if saved is not None and saved.is_file():
        transcript = Transcript.load(saved)
    else:
        transcript = get_transcriber().transcribe_call(load_call(path), path.stem,
                                                       agent_channel=agent_channel)
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            transcript.save(saved)
    return sorted(f.start for f in score_call(transcript, load_rubric()).findings
                  if f.label == "interruption")


def run(folder: Path, tolerance: float = TOLERANCE_S, verbose: bool = True,
        transcripts: Path | None = None) -> tuple[float, float, list[CallResult]]:
    """(precision, recall, per-call results) over every call listed in the folder."""
    ids = json.loads((folder / "manifest.json").read_text())["calls"]
    results = []
    for call_id in ids:
        reference = json.loads((folder / f"{call_id}.json").read_text())
        began = time.monotonic()
        found = flagged_starts(folder / f"{call_id}.wav", reference.get("agent_channel", 0),
                               transcripts)
        result = match(found, reference["interruptions"], tolerance)
        result.call_id = call_id
        results.append(result)
        if verbose:
            events = reference["events"]

            def nearest(t: float, events: list[dict] = events) -> str:
                e = min(events, key=lambda e: min(abs(t - float(v)) for k, v in e.items()
                                                  if k.endswith(("start", "end"))))
                return json.dumps(e)

            print(f"{call_id}: {len(result.hits)}/{len(result.expected)} found, "
                  f"{len(result.false)} wrong ({time.monotonic() - began:.0f} s)", flush=True)
            for t in result.misses:
                print(f"    missed {t:7.2f}  {nearest(t)}")
            for t in result.false:
                print(f"    wrong  {t:7.2f}  near {nearest(t)}")
    hits = sum(len(r.hits) for r in results)
    found = sum(len(r.found) for r in results)
    expected = sum(len(r.expected) for r in results)
    precision = hits / found if found else 1.0
    recall = hits / expected if expected else 1.0
    return precision, recall, results


def overlap_recall(folder: Path, results: list[CallResult]) -> list[str]:
    """Recall per overlap bucket, as printable lines."""
    buckets = [(0.2, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 3.01)]
    lines = []
    missed = {(r.call_id, t) for r in results for t in r.misses}
    counts = {b: [0, 0] for b in buckets}
    for r in results:
        for e in json.loads((folder / f"{r.call_id}.json").read_text())["events"]:
            if e["kind"] != "interruption":
                continue
            for lo, hi in buckets:
                if lo <= e["overlap"] < hi:
                    counts[(lo, hi)][1] += 1
                    counts[(lo, hi)][0] += (r.call_id, e["agent_start"]) not in missed
    for (lo, hi), (ok, n) in counts.items():
        if n:
            lines.append(f"  overlap {lo:.1f}-{min(hi, 3.0):.1f} s: {ok}/{n}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE_S)
    parser.add_argument("--transcripts", type=Path, default=None,
                        help="reuse transcripts saved in this folder, save new ones there")
    args = parser.parse_args(argv)
    precision, recall, results = run(args.folder, args.tolerance, transcripts=args.transcripts)
    print("recall by overlap:")
    print("\n".join(overlap_recall(args.folder, results)))
    hits = sum(len(r.hits) for r in results)
    print(f"{len(results)} calls, {sum(len(r.expected) for r in results)} interruptions, "
          f"{sum(len(r.found) for r in results)} flagged, {hits} matched within "
          f"{args.tolerance:g} s: precision {precision:.3f}, recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
