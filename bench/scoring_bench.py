"""How long scoring a transcript-only call takes (detectors + scores + summary, no audio).

Run: .venv/bin/python bench/scoring_bench.py [FOLDER] [--repeat N]
     .venv/bin/python bench/scoring_bench.py --sizes 1000 10000 100000

Prints the median, 90th percentile and slowest time per call over the labeled transcripts
(default: the dev set), and the slowest criteria. With ``--sizes``, instead scores one long
call of each size (the transcripts one after another, as many times as it takes) and prints
the time and the time per 1,000 utterances, which stays flat when scoring is linear. A
benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from qa.detectors import DETECTORS
from qa.evaluate import load_labeled
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call
from qa.text import clear_caches
from qa.transcript import Transcript, Utterance

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Time score_call on every transcript, several times, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT / "tests" / "devset"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", metavar="UTTERANCES",
                        help="score one long call of each size instead")
    args = parser.parse_args()
    rubric = load_rubric()
    calls = load_labeled(args.folder)
    if args.sizes:
        long_calls(calls, rubric, args.sizes)
        return
    score_call(calls[0], rubric)  # warm caches (stemmer, VADER lexicon) as a running batch has
    per_call: list[float] = []
    for _ in range(args.repeat):
        for call in calls:
            clear_caches()  # each call's text is new to the process, as in a real batch
            started = time.perf_counter()
            score_call(call, rubric)
            per_call.append((time.perf_counter() - started) * 1000)
    per_criterion: dict[str, float] = {}
    for call in calls:
        for name, cfg in rubric.criteria.items():
            started = time.perf_counter()
            DETECTORS[name].detect(call, cfg)
            per_criterion[name] = per_criterion.get(name, 0.0) + time.perf_counter() - started
    ordered = sorted(per_call)
    utterances = statistics.mean(len(c.utterances) for c in calls)
    print(f"calls                 {len(calls)} (mean {utterances:.0f} utterances), "
          f"{args.repeat} rounds")
    print(f"median per call       {statistics.median(ordered):.1f} ms")
    print(f"90th percentile       {ordered[int(len(ordered) * 0.9)]:.1f} ms")
    print(f"slowest               {ordered[-1]:.1f} ms")
    print("slowest criteria (mean ms per call):")
    for name, seconds in sorted(per_criterion.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {name:<22} {seconds / len(calls) * 1000:6.2f}")


def long_call(calls: list[Transcript], utterances: int) -> Transcript:
    """One call of ``utterances`` turns: ``calls`` one after another, repeated as needed."""
    turns: list[Utterance] = []
    offset = 0.0
    while len(turns) < utterances:
        for call in calls:
            turns.extend(Utterance(u.speaker, u.start + offset, u.end + offset, u.text)
                         for u in call.utterances)
            offset += (call.duration or 0) + 1
    return Transcript("long", turns[:utterances])


def long_calls(calls: list[Transcript], rubric: Rubric, sizes: list[int]) -> None:
    """Score one long call per size and print the time, in total and per 1,000 utterances."""
    score_call(calls[0], rubric)  # warm caches, as a running batch has them
    print(f"{'utterances':>10}  {'seconds':>8}  {'ms per 1,000':>12}  overall")
    for size in sizes:
        call = long_call(calls, size)
        clear_caches()
        started = time.perf_counter()
        scored = score_call(call, rubric)
        seconds = time.perf_counter() - started
        print(f"{size:>10,}  {seconds:>8.2f}  {seconds / size * 1e6:>12.0f}  {scored.overall}",
              flush=True)


if __name__ == "__main__":
    main()
