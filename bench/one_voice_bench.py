"""One voice or two on a mono call: how alike qa/diarize.py finds the two "voices", measured
on real recordings (../shared/real_calls) and optionally the sample calls.

    .venv/bin/python bench/one_voice_bench.py            # real calls
    .venv/bin/python bench/one_voice_bench.py --samples  # and the sample calls

One voice: each channel of the two real stereo calls alone (agent only, caller only); two
voices: the same calls mixed down, and the real mono calls. Each case is transcribed once and
split by both methods; printed per case: words, the speaker model's similarity (cosine of the
two voices' centroids among voiced windows) and the spectral fallback's (share of spread left
within the voices), then the range of each group, the margins to the rubric's thresholds
(``[shared] one_voice_similarity`` / ``one_voice_spread``) and the gap between the groups.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from qa.audio import AUDIO_EXTENSIONS, load_call
from qa.diarize import split_mono, unavailable_reason
from qa.rubric import load_rubric
from qa.transcribe import get_transcriber

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real_calls"
SAMPLES = Path(__file__).resolve().parent.parent / "sample_calls"


def cases(samples: bool) -> list[tuple[str, str, int, np.ndarray]]:
    """(group, name, number of voices, 16 kHz mono samples) of every case."""
    out: list[tuple[str, str, int, np.ndarray]] = []
    for number in ("40", "49"):
        left, right = load_call(REAL / f"auto_repairs_{number}_stereo_agent-left.flac").channels
        out += [("real", f"auto_repairs_{number} agent only", 1, left),
                ("real", f"auto_repairs_{number} caller only", 1, right),
                ("real", f"auto_repairs_{number} mixed down", 2, (left + right) / 2)]
    for name in ("pyannote_sample_mono.wav", "insurance_mono_8bit.wav"):
        out.append(("real", name, 2, load_call(REAL / name).channels[0]))
    if samples:
        for path in sorted(p for p in SAMPLES.iterdir() if p.suffix in AUDIO_EXTENSIONS):
            left, right = load_call(path).channels
            out += [("sample", f"{path.stem} left", 1, left),
                    ("sample", f"{path.stem} mixed", 2, (left + right) / 2)]
    return out


def main(samples: bool) -> None:
    """Print one line per case and each method's ranges and margins."""
    if not (REAL / "README.md").is_file():
        sys.exit(f"real recordings not found at {REAL}")
    shared = load_rubric().shared
    transcriber = get_transcriber()
    methods = {"model": "one_voice_similarity", "spectral": "one_voice_spread"}
    if unavailable_reason():
        print(f"speaker model skipped: {unavailable_reason()}")
        methods.pop("model")
    values: dict[tuple[str, str], dict[int, list[float]]] = {}
    print(f"{'case':42s} voices words " + " ".join(f"{m:>9s}" for m in methods))
    for group, name, voices, audio in cases(samples):
        audio = np.asarray(audio, np.float32)
        utterances = transcriber._mono_utterances(audio)
        row = []
        for method in methods:
            metadata: dict = {}
            split_mono(audio, utterances, metadata, mode=method)
            similarity = float(metadata["diarization"].get("voice_similarity", float("nan")))
            values.setdefault((group, method), {1: [], 2: []})[voices].append(similarity)
            row.append(f"{similarity:9.3f}")
        words = sum(len(u.words) for u in utterances)
        print(f"{name:42s} {voices:6d} {words:5d} " + " ".join(row), flush=True)
    for (group, method), found in values.items():
        one, two = found[1], found[2]
        key = methods[method]
        threshold = shared[key]
        print(f"{group} calls, {method}: one voice {min(one):.3f}-{max(one):.3f}, two voices "
              f"{min(two):.3f}-{max(two):.3f}; {key} = {threshold}: margin "
              f"{min(one) - threshold:+.3f} below the most distinct single voice, "
              f"{threshold - max(two):+.3f} above the most alike pair "
              f"(gap {min(one) - max(two):+.3f})")


if __name__ == "__main__":
    main("--samples" in sys.argv[1:])
