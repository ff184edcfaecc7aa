"""Mono speaker separation, measured: each stereo sample call mixed down to mono, split by
voice (qa/diarize.py), agent picked from the words (qa/roles.py), scored, and compared with
the stereo original.

    .venv/bin/python bench/diarize_bench.py [sample_calls/*.flac ...]
    QA_DIARIZE=spectral .venv/bin/python bench/diarize_bench.py   # the no-torch fallback

Per call: share of words given the script's speaker, whether the agent was found and how
sure, seconds spent on diarization, and each text-only criterion's score mono vs stereo.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from qa.audio import AUDIO_EXTENSIONS, load_call
from qa.detectors import CONTRACTS
from qa.diarize import speaker_accuracy
from qa.rubric import load_rubric
from qa.scoring import overall_score, score_call
from qa.transcribe import get_transcriber
from qa.transcript import Transcript


def main(paths: list[str]) -> None:
    """Print one line per call and a summary."""
    rubric = load_rubric()
    transcriber = get_transcriber()
    files = [Path(p) for p in paths] or sorted(
        p for p in Path("sample_calls").iterdir() if p.suffix in AUDIO_EXTENSIONS)
    worst = 0.0
    for path in files:
        audio = load_call(path)
        script = Transcript.load(path.with_suffix(".json"))
        mono = dataclasses.replace(audio, channels=[
            ((audio.channels[0] + audio.channels[1]) / 2).astype(np.float32)])
        started = time.perf_counter()
        stereo_t = transcriber.transcribe_call(audio, path.stem)
        mid = time.perf_counter()
        mono_t = transcriber.transcribe_call(mono, path.stem)
        done = time.perf_counter()
        accuracy, words = speaker_accuracy(mono_t.utterances, script.utterances)
        roles = mono_t.metadata.get("roles", {})
        stereo_all = score_call(stereo_t, rubric).scores
        mono_all = score_call(mono_t, rubric).scores
        stereo_s = {s.criterion: s.score for s in stereo_all}
        mono_s = {s.criterion: s.score for s in mono_all}
        # The text-only criteria's weighted score (as the overall weighs them), each side on
        # its own applicable criteria.
        text = {n for n in rubric.criteria if not CONTRACTS[n].needs_timing}
        text_stereo = overall_score([s for s in stereo_all if s.criterion in text])
        text_mono = overall_score([s for s in mono_all if s.criterion in text])
        diffs = {}
        for name in rubric.criteria:
            if CONTRACTS[name].needs_timing:
                continue
            a, b = stereo_s.get(name), mono_s.get(name)
            diffs[name] = None if a is None or b is None else round(b - a, 1)
            if a is not None and b is not None:
                worst = max(worst, abs(b - a))
            elif a is not None or b is not None:
                diffs[name] = f"{a}->{b}"
        print(f"{path.stem}: words {words} right {accuracy:.1%}  agent first-voice="
              f"{roles.get('agent_voice')} conf {roles.get('confidence')} "
              f"agent_ok={_agent_ok(mono_t, script)}  stereo {mid - started:.1f}s "
              f"mono+diarize {done - mid:.1f}s\n    text-only score stereo {text_stereo} mono "
              f"{text_mono}; per criterion mono-stereo: {diffs}", flush=True)
    print(f"largest text-only criterion difference: {worst:.1f} points")


def _agent_ok(mono: Transcript, script: Transcript) -> bool:
    """The agent's first words in the mono split come from the script's agent."""
    accuracy, _ = speaker_accuracy([u for u in mono.utterances if u.speaker == "agent"],
                                   script.utterances)
    return accuracy > 0.5


if __name__ == "__main__":
    main(sys.argv[1:])
