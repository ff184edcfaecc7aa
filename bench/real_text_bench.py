"""The detectors on real dialogues written by many other people: ESConv and Switchboard.

Run: .venv/bin/python bench/real_text_bench.py --esconv DIR --swda DIR [--split test|dev]

``--esconv DIR`` holds ESConv's ``{train,dev,test}WithStrategy_short.tsv`` (from the public
repository thu-coai/Emotional-Support-Conversation, ``codes/dataset/``); ``--swda DIR`` holds
Switchboard dialog acts ``{train,val,test}/*.txt`` (NathanDuran/Switchboard-Corpus,
``swda_data/``). Fetch them yourself: neither is committed (ESConv is CC BY-NC 4.0), and nothing
here is trained on them. Tune on ``--split dev`` (ESConv dev, Switchboard val); report
``--split test`` once a change is done.

Labels carried over (on the supporter's / one speaker's turns, who plays the agent):
ESConv "Restatement or Paraphrasing" -> paraphrase, "Reflection of feelings" -> empathy;
Switchboard backchannels b, bk, bh -> affirmation. Only those labels are counted for each
corpus: the corpora say nothing about the others. Times are synthesized (2.5 words a second,
0.4 s gaps, no overlap), so interruptions are never measured here.

A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa.evaluate import Evaluation, evaluate_calls
from qa.rubric import load_rubric
from qa.transcript import Transcript

ESCONV_LABELS = {"Restatement or Paraphrasing": "paraphrase", "Reflection of feelings": "empathy"}
SWDA_LABELS = {"b": "affirmation", "bk": "affirmation", "bh": "affirmation"}
# Which split a person may tune on and which one is reported, per corpus.
SPLITS = {"dev": {"esconv": "dev", "swda": "val"}, "test": {"esconv": "test", "swda": "test"}}

Turn = tuple[str, str, list[str]]  # speaker, text, labels


def timed_call(call_id: str, turns: Iterable[Turn]) -> Transcript:
    """A transcript with synthesized times: 2.5 words a second, 0.4 s between turns."""
    t, utterances = 0.0, []
    for speaker, text, labels in turns:
        duration = max(0.6, len(text.split()) / 2.5)
        utterances.append({"speaker": speaker, "start": round(t, 2),
                           "end": round(t + duration, 2), "text": text, "labels": labels})
        t += duration + 0.4
    return Transcript.from_dict({"call_id": call_id, "agent": None, "utterances": utterances})


def esconv_calls(folder: Path, split: str) -> Iterator[Transcript]:
    """Whole ESConv dialogues rebuilt from the sliding windows of one split's TSV file."""
    dialogues: list[dict[int, tuple[str, str | None, str]]] = []
    last: int | None = None
    with open(folder / f"{split}WithStrategy_short.tsv", encoding="utf-8") as rows:
        for line in rows:
            turns: dict[int, tuple[str, str | None, str]] = {}
            for part in line.rstrip("\n").split(" EOS "):
                _flag, role, index, text = part.strip().split(" ", 3)
                strategy = None
                if text.startswith("["):
                    strategy, text = text[1:].split("] ", 1)
                turns[int(index)] = (role, strategy, text.strip())
            top = max(turns)
            # Each line is a window ending one turn later; a lower end means a new dialogue.
            if last is None or top <= last:
                dialogues.append({})
            dialogues[-1].update(turns)
            last = top
    for number, dialogue in enumerate(dialogues):
        turns_out: list[Turn] = []
        for index in sorted(dialogue):
            role, strategy, text = dialogue[index]
            supporter = role == "1"
            label = ESCONV_LABELS.get(strategy or "") if supporter else None
            turns_out.append(("agent" if supporter else "customer", text,
                              [label] if label else []))
        yield timed_call(f"esconv-{split}-{number:04d}", turns_out)


def swda_calls(folder: Path, split: str) -> Iterator[Transcript]:
    """Each Switchboard conversation twice, once with each speaker as the agent."""
    for path in sorted((folder / split).glob("*.txt")):
        lines = [line.rstrip("\n").split("|") for line in path.open(encoding="utf-8")
                 if line.count("|") == 2]
        for agent in ("A", "B"):
            turns: list[Turn] = []
            for speaker, text, tag in lines:
                label = SWDA_LABELS.get(tag) if speaker == agent else None
                turns.append(("agent" if speaker == agent else "customer", text,
                              [label] if label else []))
            yield timed_call(f"swda-{path.stem}-{agent}", turns)


def print_table(title: str, result: Evaluation, labels: Iterable[str]) -> None:
    """P/R/F1 and support for the labels the corpus annotates."""
    print(f"\n{title} ({result.calls} dialogues)")
    print(f"{'label':<14} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for label in labels:
        s = result.labels[label]
        print(f"{label:<14} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:8d}")


def main() -> None:
    """Convert the fetched corpora in memory, score them and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esconv", type=Path, help="folder with *WithStrategy_short.tsv")
    parser.add_argument("--swda", type=Path, help="folder with train/ val/ test/ *.txt")
    parser.add_argument("--split", choices=sorted(SPLITS), default="test")
    parser.add_argument("--rubric", default=None, help="rubric file (default: the packaged one)")
    parser.add_argument("--mistakes", type=int, default=0,
                        help="print this many disagreements per corpus (only with --split dev)")
    args = parser.parse_args()
    if not args.esconv and not args.swda:
        parser.error("give --esconv and/or --swda")
    if args.mistakes and args.split == "test":
        parser.error("--mistakes reads the tuning split only: use --split dev")
    rubric = load_rubric(args.rubric)
    if args.esconv:
        split = SPLITS[args.split]["esconv"]
        result = evaluate_calls(list(esconv_calls(args.esconv, split)), rubric)
        print_table(f"ESConv {split}", result, ["paraphrase", "empathy"])
        show_mistakes(result, {"paraphrase", "empathy"}, args.mistakes)
    if args.swda:
        split = SPLITS[args.split]["swda"]
        result = evaluate_calls(list(swda_calls(args.swda, split)), rubric)
        print_table(f"Switchboard {split}", result, ["affirmation"])
        show_mistakes(result, {"affirmation"}, args.mistakes)


def show_mistakes(result: Evaluation, labels: set[str], limit: int) -> None:
    """A sample of the disagreements on the annotated labels (tuning split only)."""
    shown = [m for m in result.mistakes if m.label in labels][:limit]
    for m in shown:
        print(f"  {m.kind:<6} {m.label:<12} {m.call_id}#{m.utterance}: {m.text[:110]}")


if __name__ == "__main__":
    main()
