"""Redaction applied to audio: the redacted words' time spans silenced on every channel."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.redact.apply_text import redact_transcript
from qa.redact.kinds import TAG_RE
from qa.transcript import Transcript


def redacted_spans(t: Transcript) -> list[tuple[float, float, str]]:
    """Time spans (start, end, type) of the redacted words of ``t``, for silencing audio.

    Works on a transcript before or after :func:`redact_transcript`. An utterance with
    personal data but no word timings contributes its whole span (the data is somewhere in
    it), so silencing never leaves it audible.
    """
    redacted, _ = redact_transcript(t)  # idempotent: tags are never redacted again
    spans: list[tuple[float, float, str]] = []
    for utt in redacted.utterances:
        if utt.words:
            for w in utt.words:
                spans.extend((w.start, w.end, m.group(1)) for m in TAG_RE.finditer(w.text))
        else:
            spans.extend((utt.start, utt.end, m.group(1)) for m in TAG_RE.finditer(utt.text))
    return spans


def silence_spans(samples: np.ndarray, sample_rate: int,
                  spans: Iterable[tuple[float, float, Any]], pad: float = 0.1) -> np.ndarray:
    """A copy of ``samples`` with every span (seconds) set to silence.

    ``samples`` is 1-D, or 2-D with time on the last axis (``(channels, n)`` as qa.audio
    keeps them). ``pad`` seconds are added either side because word timestamps from ASR
    are only accurate to a tenth of a second or so.
    """
    out = np.array(samples, copy=True)
    n = out.shape[-1]
    for start, end, *_ in spans:
        i0 = max(0, math.floor((start - pad) * sample_rate))
        i1 = min(n, math.ceil((end + pad) * sample_rate))
        if i1 > i0:
            out[..., i0:i1] = 0
    return out


def write_redacted_audio(channels: Sequence[np.ndarray], sample_rate: int,
                         spans: Iterable[tuple[float, float, Any]], path: str | Path,
                         pad: float = 0.1) -> Path:
    """Write ``channels`` (float32 in [-1, 1], one array per channel, as qa.audio decodes
    them) to ``path`` as 16-bit PCM WAV with every span silenced on every channel.

    Every channel is silenced, not just the speaker's: on a real line each party is often
    faintly audible on the other's channel. WAV because it needs no encoder and plays in any
    browser; the copy is at the decoded rate (16 kHz), which is all the transcript came from.
    """
    import wave

    stacked = np.stack([np.asarray(c, dtype=np.float32) for c in channels])
    quiet = silence_spans(stacked, sample_rate, spans, pad=pad)
    pcm = (np.clip(quiet, -1.0, 1.0) * 32767.0).round().astype("<i2")
    path = Path(path)
    # A recording is personal data: its folder and file are for their owner only.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")  # never leave a half-written copy under the name
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw:
        os.chmod(tmp, 0o600)  # a left-over .part may have been made with another mode
        with wave.open(raw, "wb") as out:
            out.setnchannels(len(channels))
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm.T.tobytes())  # interleaved frames: (n, channels)
    tmp.replace(path)
    return path
