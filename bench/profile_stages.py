"""Where our time goes, per stage, on real files: decode, resample, VAD, Whisper's features,
encoder and decoder, word alignment, fitting words to sound, scoring, storing.

Run: .venv/bin/python bench/profile_stages.py [FILES...] [--threads N] [--batch-size B]
     [--beam-size K]

Each file goes through the same path as ``qa score`` in one process (``qa.batch.process``:
hash, decode, transcribe both channels, score, store into a temporary database) under
cProfile; the model is loaded first and not counted. The split is read from the cumulative
time of the functions that make each stage (cProfile sees only this thread; faster-whisper and
CTranslate2 calls are made from it). The profiler's clock is the process's CPU time (all its
threads), so waiting for a core on a shared machine is charged to no stage. Prints CPU seconds
and share of the total per stage, wall and CPU seconds, and the load average.
Without FILES: the two real stereo calls in ../shared/real_calls.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real_calls"

# Stage -> (file suffix, function name) pairs whose cumulative times add up to it. A stage
# listed with a minus sign is subtracted (a function that contains another stage).
STAGES: dict[str, list[tuple[str, str, int]]] = {
    "decode (PyAV, incl. resample)": [("qa/audio.py", "load_call", 1)],
    "  of which resample": [("", "resample", 1)],
    "VAD: Silero": [("faster_whisper/vad.py", "get_speech_timestamps", 1)],
    "VAD: level-based regions": [("qa/audio.py", "sound_regions", 1)],
    "Whisper features (mel)": [("faster_whisper/feature_extractor.py", "__call__", 1)],
    "Whisper encoder": [("faster_whisper/transcribe.py", "encode", 1)],
    "Whisper decoder": [("faster_whisper/transcribe.py", "generate_segment_batched", 1),
                        ("faster_whisper/transcribe.py", "generate_with_fallback", 1),
                        ("faster_whisper/transcribe.py", "encode", -1)],
    "word alignment": [("faster_whisper/transcribe.py", "add_word_timestamps", 1)],
    "fit words to sound": [("qa/transcribe.py", "_fitted", 1)],
    "roles, grouping": [("qa/transcript.py", "group_words", 1)],
    "scoring": [("qa/scoring.py", "score_call", 1)],
    "storing": [("qa/batch.py", "commit", 1)],
    "file hash": [("qa/audio.py", "file_hash", 1)],
}


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    """Cumulative seconds of every profiled function called ``name`` in a file ending in
    ``suffix`` (any file when empty), not counting recursive re-entries twice."""
    total = 0.0
    for (filename, _line, func), row in stats.stats.items():  # type: ignore[attr-defined]
        if func == name or func.endswith(f".{name}") or func == f"<method '{name}' of":
            if filename.endswith(suffix) or not suffix:
                total += row[3]
        elif not suffix and f"'{name}'" in func:
            total += row[3]
    return total


def main() -> None:
    """Profile each file, then print the stage split over all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--threads", type=int, default=1, help="CTranslate2 threads "
                        "(1: what each of two workers gets on a 2-core machine)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--beam-size", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))  # as a worker gets it

    from dataclasses import replace

    from qa import store
    from qa.batch import process
    from qa.jobs import Job, Settings
    from qa.rubric import load_rubric
    from qa.transcribe import TranscriberConfig, get_transcriber

    files = [Path(f) for f in args.files] or sorted(REAL.glob("auto_repairs_*_stereo_*.flac"))
    config = TranscriberConfig(cpu_threads=args.threads)
    if args.batch_size is not None:
        config = replace(config, batch_size=args.batch_size)
    if args.beam_size is not None:
        config = replace(config, beam_size=args.beam_size)
    settings = Settings(load_rubric(None), config)
    get_transcriber(config)  # the model load is not a per-call stage
    load = os.getloadavg()[0]
    # CPU time of the whole process (every thread) as the clock: on a shared machine wall time
    # is mostly waiting for a core, and that would be charged to whichever stage was running.
    profiler = cProfile.Profile(time.process_time)
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(str(Path(tmp) / "profile.db"))
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for path in files:
            profiler.enable()
            outcome = process(Job(path), settings, db)
            profiler.disable()
            print(f"{path.name}: {outcome.status} in {outcome.seconds:.1f} s")
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    stats = pstats.Stats(profiler)
    total = _cumulative(stats, "qa/batch.py", "process")
    print(f"\n{len(files)} file(s), {config}\nload average {load:.2f} at the start; wall "
          f"{wall:.1f} s, CPU {cpu:.1f} s (all threads of this process)\n")
    print(f"{'stage':<34}{'CPU s':>9}{'share':>8}")
    counted = 0.0
    for stage, parts in STAGES.items():
        seconds = sum(sign * _cumulative(stats, suffix, name) for suffix, name, sign in parts)
        if not stage.startswith("  "):
            counted += seconds
        print(f"{stage:<34}{seconds:9.2f}{seconds / total:8.1%}")
    print(f"{'everything else':<34}{total - counted:9.2f}{(total - counted) / total:8.1%}")
    print(f"{'total (qa.batch.process)':<34}{total:9.2f}{1:8.1%}")


if __name__ == "__main__":
    main()
