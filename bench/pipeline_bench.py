"""Speed of the whole pipeline on the sample calls, stage by stage, against bare faster-whisper.

Run: .venv/bin/python bench/pipeline_bench.py [FOLDER] [--model NAME]

Prints audio seconds, wall seconds, real-time factor, the time spent in each stage (decode,
transcribe, score, store) and the same audio through bare faster-whisper with the same
settings, and the ratio of the two. A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio

from qa import store
from qa.audio import file_hash, load_call
from qa.batch import discover
from qa.rubric import load_rubric
from qa.scoring import score_call
from qa.transcribe import TranscriberConfig, get_transcriber

ROOT = Path(__file__).resolve().parent.parent


def ours(files: list[Path], config: TranscriberConfig) -> dict[str, float]:
    """Decode, transcribe, score and store every file; seconds per stage."""
    rubric = load_rubric()
    transcriber = get_transcriber(config)  # loaded before timing, as a batch does once
    stages = dict.fromkeys(("decode", "transcribe", "score", "store"), 0.0)
    audio_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "bench.db")
        for path in files:
            t0 = time.perf_counter()
            audio = load_call(path)
            content_hash = file_hash(path)
            t1 = time.perf_counter()
            transcript = transcriber.transcribe_call(audio, path.stem)
            t2 = time.perf_counter()
            scored = score_call(transcript, rubric)
            t3 = time.perf_counter()
            info = store.CallInfo(path.stem, str(path), content_hash, channels=2,
                                  model=config.model_name)
            store.save_scored_call(db, info, scored, rubric.name)
            t4 = time.perf_counter()
            stages["decode"] += t1 - t0
            stages["transcribe"] += t2 - t1
            stages["score"] += t3 - t2
            stages["store"] += t4 - t3
            audio_seconds += audio.duration
    stages["audio"] = audio_seconds
    return stages


def bare(files: list[Path], config: TranscriberConfig) -> float:
    """Seconds for plain faster-whisper to transcribe both channels of every file, with our
    settings (model, compute type, threads, beam, batched or not) and its own Silero VAD."""
    model = WhisperModel(config.model_source(), device="cpu", compute_type=config.compute_type,
                         cpu_threads=config.cpu_threads or os.cpu_count() or 1)
    batched = BatchedInferencePipeline(model) if config.batch_size else None
    started = time.perf_counter()
    for path in files:
        for channel in decode_audio(str(path), sampling_rate=16000, split_stereo=True):
            if batched is not None:
                segments, _ = batched.transcribe(channel, language=config.language,
                                                 beam_size=config.beam_size,
                                                 word_timestamps=True, vad_filter=True,
                                                 batch_size=config.batch_size)
            else:
                segments, _ = model.transcribe(channel, language=config.language,
                                               beam_size=config.beam_size,
                                               word_timestamps=True, vad_filter=True)
            for _ in segments:
                pass
    return time.perf_counter() - started


def main() -> None:
    """Run both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT / "sample_calls"))
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    files = [p for p in discover([args.folder]) if p.suffix != ".json"]
    config = TranscriberConfig(model=args.model)
    figures = ours(files, config)
    total = sum(v for k, v in figures.items() if k != "audio")
    audio = figures["audio"]
    baseline = bare(files, config)
    print(f"files                 {len(files)}")
    print(f"model                 {config.model_name} ({config.compute_type}, "
          f"beam {config.beam_size}, batch {config.batch_size}, vad {config.vad})")
    print(f"audio seconds         {audio:.1f}")
    print(f"wall seconds          {total:.1f}")
    print(f"real-time factor      {total / audio:.3f}  ({audio / total:.1f}x real time)")
    for stage in ("decode", "transcribe", "score", "store"):
        print(f"  {stage:<10}          {figures[stage]:7.2f} s  {figures[stage] / total:6.1%}")
    print(f"bare faster-whisper   {baseline:.1f} s  (real-time factor {baseline / audio:.3f})")
    print(f"ratio ours / bare     {total / baseline:.2f}")


if __name__ == "__main__":
    main()
