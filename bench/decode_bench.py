"""Decoding settings by quality and speed: word error rate on real and sample speech,
interruption timing on the sample calls, CPU seconds.

Run: .venv/bin/python bench/decode_bench.py [--calls N] [--only NAME,NAME] [--threads T]

For each setting, in this process (model load not counted):

- the real 30 s two-speaker telephone clip ``../shared/real_calls/pyannote_sample_mono.wav``
  against its reference ``pyannote_sample.stm`` and the real stereo overlap clip
  ``fw_stereo_overlap.wav`` against the sentences its README gives (lower case, punctuation
  stripped, as ``qa.evaluate.word_error_rate`` does);
- the first N sample calls (both channels) against their scripts: mean word error rate, and
  the scripted interruptions the rubric's detector flags within 0.3 s of the scripted start
  (each flagged start matched to at most one scripted one), with the flags that match none.

Prints one row per setting with wall and CPU seconds (CPU: all threads; less sensitive to other
load on the machine than wall) and the load average. A benchmark prints figures; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from qa.audio import load_call
from qa.evaluate import predicted_labels, transcript_text, word_error_rate
from qa.rubric import load_rubric
from qa.transcribe import Transcriber, TranscriberConfig
from qa.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real_calls"
# fw_stereo_overlap.wav, per its README: left channel, right channel.
OVERLAP_TEXT = ("He began a confused complaint against the wizard, who had vanished behind the "
                "curtain on the left. The horizon seems extremely distant.")
TOLERANCE_S = 0.3


def settings(threads: int) -> dict[str, TranscriberConfig]:
    """The settings compared, each with ``threads`` CTranslate2 threads."""
    return {
        "batched 4, beam 2 (default)": TranscriberConfig(cpu_threads=threads),
        "batched 8, beam 2": TranscriberConfig(cpu_threads=threads, batch_size=8),
        "batched 2, beam 2": TranscriberConfig(cpu_threads=threads, batch_size=2),
        "batched 4, beam 1": TranscriberConfig(cpu_threads=threads, beam_size=1),
        "batched 4, beam 5": TranscriberConfig(cpu_threads=threads, beam_size=5),
        "sequential, beam 5": TranscriberConfig(cpu_threads=threads, batch_size=0,
                                                beam_size=5),
        "batched 4, beam 2, whole channel": TranscriberConfig(cpu_threads=threads, vad="off"),
    }


def stm_text(path: Path) -> str:
    """The words of a NIST .stm reference, utterances in time order."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and not line.startswith(";;"):
            rows.append((float(parts[3]), parts[5]))
    return " ".join(text for _start, text in sorted(rows))


def interruption_hits(script: Transcript, machine: Transcript,
                      rubric: object) -> tuple[int, int, int]:
    """(scripted interruptions, flagged within ``TOLERANCE_S``, flags matching none)."""
    expected = [u.start for u in script.utterances if "interruption" in u.labels]
    flagged = sorted(machine.utterances[i].start
                     for i, labels in predicted_labels(machine, rubric).items()  # type: ignore[arg-type]
                     if "interruption" in labels)
    pairs = sorted((abs(f - e), fi, ei) for fi, f in enumerate(flagged)
                   for ei, e in enumerate(expected) if abs(f - e) <= TOLERANCE_S)
    used_f: set[int] = set()
    used_e: set[int] = set()
    for _gap, fi, ei in pairs:
        if fi not in used_f and ei not in used_e:
            used_f.add(fi)
            used_e.add(ei)
    return len(expected), len(used_e), len(flagged) - len(used_f)


def main() -> None:
    """Run every setting over the same audio and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default=None, help="setting names separated by semicolons")
    args = parser.parse_args()
    rubric = load_rubric()
    scripts = sorted((ROOT / "sample_calls").glob("*.json"))[:args.calls]
    calls = []
    for script in scripts:
        recording = next(p for p in script.parent.iterdir()
                         if p.stem == script.stem and p.suffix != ".json")
        calls.append((load_call(recording), Transcript.load(script)))
    pyannote = load_call(REAL / "pyannote_sample_mono.wav")
    pyannote_ref = stm_text(REAL / "pyannote_sample.stm")
    overlap = load_call(REAL / "fw_stereo_overlap.wav")
    audio = sum(a.duration for a, _ in calls)
    print(f"{len(calls)} sample calls ({audio:.0f} s), pyannote clip ({pyannote.duration:.0f} s),"
          f" overlap clip ({overlap.duration:.0f} s); {os.cpu_count()} CPU(s), "
          f"{args.threads} thread(s)")
    print(f"{'setting':<34}{'wall s':>8}{'cpu s':>8}{'sample WER':>11}{'pyannote':>9}"
          f"{'overlap':>8}{'interr. ≤0.3 s':>15}{'extra':>6}  load")
    table = settings(args.threads)
    for name in args.only.split(";") if args.only else list(table):
        transcriber = Transcriber(table[name])
        load = os.getloadavg()[0]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        machine = [transcriber.transcribe_call(a, t.call_id) for a, t in calls]
        mono = transcriber.transcribe_call(pyannote, "pyannote", diarize=False)
        both = transcriber.transcribe_call(overlap, "overlap")
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        wer = sum(word_error_rate(transcript_text(t), transcript_text(m))
                  for (_a, t), m in zip(calls, machine, strict=True)) / len(calls)
        expected = hits = extra = 0
        for (_a, script), call in zip(calls, machine, strict=True):
            e, h, x = interruption_hits(script, call, rubric)
            expected, hits, extra = expected + e, hits + h, extra + x
        # The overlap clip's channels talk at once: compare the words in channel order.
        heard = " ".join(" ".join(w.text for w in u.words) for u in sorted(
            both.utterances, key=lambda u: (u.speaker != "agent", u.start)))
        print(f"{name:<34}{wall:8.1f}{cpu:8.1f}{wer:11.3f}"
              f"{word_error_rate(pyannote_ref, transcript_text(mono)):9.3f}"
              f"{word_error_rate(OVERLAP_TEXT, heard):8.3f}{f'{hits}/{expected}':>15}"
              f"{extra:6d}  {load:.1f}", flush=True)


if __name__ == "__main__":
    main()
