"""How to decode: which part of each channel, sequential or batched, how many CPU threads.

Run: .venv/bin/python bench/decode_bench.py [--calls N]

Transcribes the first N sample calls (both channels) in this process with each setting and
prints wall seconds, CPU seconds (all threads; less sensitive to other load on the machine)
and word error rate against the scripts. The settings:

- ``off``: the whole of each channel decoded (no VAD);
- ``voiced``: only each channel's voiced regions, packed and decoded in one pass (the default);
- ``batched``: voiced regions through faster-whisper's ``BatchedInferencePipeline``;
- each with 2 CTranslate2 threads (one process using the machine) or 1 (one of two workers).

A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from qa.audio import load_call
from qa.evaluate import transcript_text, word_error_rate
from qa.transcribe import Transcriber, TranscriberConfig
from qa.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent

SETTINGS = {
    "off, 2 threads": TranscriberConfig(vad="off", cpu_threads=2),
    "voiced, 2 threads": TranscriberConfig(cpu_threads=2),
    "voiced, 1 thread": TranscriberConfig(cpu_threads=1),
    "batched 8, voiced, 2 threads": TranscriberConfig(cpu_threads=2, batch_size=8),
    "batched 4, voiced, 1 thread": TranscriberConfig(cpu_threads=1, batch_size=4),
}


def main() -> None:
    """Run every setting over the same calls and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--only", default=None, help="comma-separated setting names")
    args = parser.parse_args()
    scripts = sorted((ROOT / "sample_calls").glob("*.json"))[:args.calls]
    calls = []
    for script in scripts:
        recording = next(p for p in script.parent.iterdir()
                         if p.stem == script.stem and p.suffix != ".json")
        calls.append((load_call(recording), Transcript.load(script)))
    audio = sum(a.duration for a, _ in calls)
    print(f"{len(calls)} sample calls, {audio:.0f} s of audio, {os.cpu_count()} CPU(s)")
    print(f"{'setting':<30}{'wall s':>8}{'cpu s':>8}{'RTF':>8}{'WER':>7}  load")
    wanted = args.only.split(",") if args.only else list(SETTINGS)
    for name in wanted:
        transcriber = Transcriber(SETTINGS[name])
        load = os.getloadavg()[0]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        machine = [transcriber.transcribe_call(a, t.call_id) for a, t in calls]
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        wer = sum(word_error_rate(transcript_text(t), transcript_text(m))
                  for (_a, t), m in zip(calls, machine, strict=True)) / len(calls)
        print(f"{name:<30}{wall:8.1f}{cpu:8.1f}{wall / audio:8.3f}{wer:7.3f}  {load:.1f}")


if __name__ == "__main__":
    main()
