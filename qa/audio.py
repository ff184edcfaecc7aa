"""Call recordings in, one 16 kHz float32 array per channel out.

Call-centre recorders usually put the agent on one channel and the customer on the other, so a
stereo file is kept as two separate channels: that separation is what lets later stages say who
spoke when. Anything PyAV (FFmpeg) can decode is accepted; anything it cannot, or a file that is
empty, cut short or not audio at all, raises :class:`AudioError` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # PyAV is imported where audio is decoded: `qa --help` need not load it
    import av

SAMPLE_RATE = 16000

# Every recording suffix the tool reads, with the MIME type a browser is told when the
# dashboard plays it: one table, so a file that can be scored can also be played.
AUDIO_MIME_TYPES: dict[str, str] = {
    ".wav": "audio/wav", ".wave": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
    ".mp4": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm", ".wma": "audio/x-ms-wma",
    ".amr": "audio/amr", ".aif": "audio/aiff", ".aiff": "audio/aiff", ".au": "audio/basic",
    ".caf": "audio/x-caf", ".mka": "audio/x-matroska", ".3gp": "audio/3gpp",
    ".gsm": "audio/x-gsm", ".w64": "audio/x-w64",
}
AUDIO_EXTENSIONS: frozenset[str] = frozenset(AUDIO_MIME_TYPES)

# A decoded stream more than this far short of the duration its header declares was cut off
# (an interrupted copy or upload): max(1 s, 5 %), so encoder padding never trips it.
_TRUNCATION_SLACK_S = 1.0
_TRUNCATION_SLACK_FRACTION = 0.05
# Above this share of undecodable packets the file is corrupt, not just frayed at one end.
_MAX_BAD_PACKET_FRACTION = 0.05
# Containers whose header states the true length (sample count, data size, index). Others
# (raw AAC, AMR, MP3 without a Xing/Info/VBRI tag) have it estimated from the bitrate, which
# for VBR can be several times off, so their declared length cannot prove truncation.
_EXACT_LENGTH_FORMATS = ("wav", "w64", "flac", "mov", "mp4", "m4a", "asf", "aiff", "caf",
                         "matroska", "webm", "ogg")
# Two channels whose difference is this far below their level carry one mono mix twice.
_DUPLICATE_CHANNEL_DB = -40.0
# Silence: a 30 ms frame counts as voiced when its peak reaches -50 dBFS.
_FRAME_S = 0.03
_VOICED_PEAK_DBFS = -50.0
_MIN_VOICED_S = 0.3
# Sound regions (for tightening word timings): 20 ms frames, threshold 30 % of the way from
# the channel's floor to its speech level, gaps up to 0.2 s bridged.
_REGION_FRAME_S = 0.02
_REGION_THRESHOLD_FRACTION = 0.3
_REGION_MERGE_GAP_S = 0.2
_MIN_DYNAMIC_RANGE_DB = 15.0
_REGION_MAX_DEPTH_DB = 40.0
_SILENT_CHANNEL_DBFS = -55.0


class AudioError(ValueError):
    """A recording that cannot be used; the message is a one-line reason (no file name)."""


@dataclass
class CallAudio:
    """A decoded call: one float32 array at ``sample_rate`` per channel (agent/customer).

    ``channels`` has two arrays for a stereo recording and one for mono. A stereo file whose two
    channels are the same mix is given one channel (``source_channels`` still says 2): it holds
    no speaker separation, and transcribing it twice would double every word.
    ``skipped_packets`` counts damaged packets left out (at most 5 % of the file).
    """

    path: Path
    channels: list[np.ndarray]
    source_channels: int
    source_rate: int
    codec: str
    duration: float
    content_hash: str
    sample_rate: int = SAMPLE_RATE
    skipped_packets: int = 0

    @property
    def is_stereo(self) -> bool:
        """True when each party has a channel of its own."""
        return len(self.channels) == 2


def file_hash(path: str | Path) -> str:
    """SHA-256 hex digest of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_call(path: str | Path) -> CallAudio:
    """Decode a recording into separate 16 kHz float32 channels.

    Raises :class:`AudioError` for a missing, empty, non-audio, truncated or corrupt file, a
    file with no audio stream or no samples, and one with more than two channels.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError("no such file") from None
    except OSError as exc:
        raise AudioError(f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise AudioError("not a file")
    if size == 0:
        raise AudioError("empty file (0 bytes)")

    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.EOFError:
        raise AudioError("truncated or corrupt audio: the file ends inside its header") from None
    except av.error.FFmpegError as exc:
        raise AudioError(f"not a recording PyAV can decode: {_reason(exc)}") from None
    except OSError as exc:
        raise AudioError(f"cannot read: {exc.strerror or exc}") from None

    with container:
        if not container.streams.audio:
            raise AudioError("no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        n_channels = ctx.channels
        if n_channels < 1:
            raise AudioError("not a recording PyAV can decode: unknown channel layout")
        if n_channels > 2:
            raise AudioError(
                f"{n_channels} channels: expected mono or stereo (one party per channel)")
        codec = ctx.name
        source_rate = ctx.sample_rate
        declared = _declared_duration(container, stream, path)
        samples, bad, total = _decode(container, stream, n_channels, declared)

    decoded = samples.shape[1] / SAMPLE_RATE
    if samples.shape[1] == 0:
        if declared:
            raise AudioError(f"truncated or corrupt audio: no samples decode of the "
                             f"{declared:.1f} s the file declares")
        raise AudioError("no audio: the stream decodes to 0 samples")
    if declared and declared - decoded > max(_TRUNCATION_SLACK_S,
                                             _TRUNCATION_SLACK_FRACTION * declared):
        raise AudioError(f"truncated or corrupt audio: decoded {decoded:.1f} s of the "
                         f"{declared:.1f} s the file declares")
    if total and bad / total > _MAX_BAD_PACKET_FRACTION:
        raise AudioError(f"truncated or corrupt audio: {bad} of {total} packets undecodable")

    channels = list(samples)
    if len(channels) == 2 and _same_mix(channels[0], channels[1]):
        channels = channels[:1]
    return CallAudio(path=path, channels=channels, source_channels=n_channels,
                     source_rate=source_rate, codec=codec, duration=decoded,
                     content_hash=file_hash(path), skipped_packets=bad)


def voiced_seconds(samples: np.ndarray, sample_rate: int = SAMPLE_RATE,
                   peak_dbfs: float = _VOICED_PEAK_DBFS) -> float:
    """Seconds of 30 ms frames whose peak reaches ``peak_dbfs`` (anything louder than hiss)."""
    frame = max(1, int(sample_rate * _FRAME_S))
    usable = (len(samples) // frame) * frame
    if usable == 0:
        return 0.0
    threshold = 10.0 ** (peak_dbfs / 20.0)
    peaks = np.abs(samples[:usable]).reshape(-1, frame).max(axis=1)
    return float(np.count_nonzero(peaks >= threshold)) * frame / sample_rate


def is_silent(audio: CallAudio) -> bool:
    """True when no channel has even a third of a second above -50 dBFS: nothing to transcribe."""
    return all(voiced_seconds(ch, audio.sample_rate) < _MIN_VOICED_S for ch in audio.channels)


def frame_levels(samples: np.ndarray, sample_rate: int = SAMPLE_RATE,
                 frame_s: float = _REGION_FRAME_S) -> np.ndarray:
    """RMS level in dBFS of consecutive ``frame_s`` frames (the tail shorter than a frame is
    dropped)."""
    frame = max(1, int(sample_rate * frame_s))
    usable = (len(samples) // frame) * frame
    out = np.empty(usable // frame, dtype=np.float32)
    step = frame * 4096  # in blocks: no channel-sized float64 temporaries on a long call
    for i in range(0, usable, step):
        block = samples[i:min(i + step, usable)].reshape(-1, frame).astype(np.float64)
        out[i // frame:i // frame + len(block)] = 10 * np.log10(np.mean(block * block, axis=1)
                                                                 + 1e-12)
    return out


def sound_regions(samples: np.ndarray, sample_rate: int = SAMPLE_RATE
                  ) -> list[tuple[float, float]] | None:
    """Spans (seconds) where a channel is clearly above its own background.

    The threshold sits 30 % of the way from the channel's noise floor (10th percentile of 20 ms
    frame levels) to its speech level (95th percentile), so a quiet caller and a loud agent
    are judged alike. Returns [] when even the loudest frames are below -55 dBFS, and None
    when the channel has too little dynamic range for the split to mean anything (continuous
    noise, or speech from end to end).
    """
    levels = frame_levels(samples, sample_rate)
    if len(levels) == 0:
        return []
    floor, loud = np.percentile(levels, [10, 95])
    if loud < _SILENT_CHANNEL_DBFS:
        return []  # nothing but hiss or digital silence: there is no sound to find
    if loud - floor < _MIN_DYNAMIC_RANGE_DB:
        return None
    # Never below 40 dB under the speech level: over digital silence the floor is -120 dBFS,
    # and a 30 % step from there would count a reverberant tail at -80 dBFS as sound.
    threshold = max(floor + _REGION_THRESHOLD_FRACTION * (loud - floor),
                    loud - _REGION_MAX_DEPTH_DB)
    active = levels > threshold
    # Edges of runs of active frames: +1 where a run starts, -1 just after it ends.
    edges = np.diff(np.concatenate(([0], active.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1) * _REGION_FRAME_S
    ends = np.flatnonzero(edges == -1) * _REGION_FRAME_S
    regions: list[tuple[float, float]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if regions and start - regions[-1][1] <= _REGION_MERGE_GAP_S:
            regions[-1] = (regions[-1][0], end)  # a stop consonant, not a pause
        else:
            regions.append((start, end))
    return regions


def _decode(container: av.container.InputContainer, stream: av.AudioStream, n_channels: int,
            declared: float | None) -> tuple[np.ndarray, int, int]:
    """Decode and resample packet by packet; returns (samples, bad packets, packets).

    Decoding each packet separately (rather than ``container.decode``, whose generator dies on
    the first error) lets one damaged packet be skipped while the rest of the call survives.
    """
    import av

    layout = "stereo" if n_channels == 2 else "mono"
    # Preallocate from the declared length so a long call is not copied as it grows.
    capacity = int(((declared or 60.0) * 1.02 + 1.0) * SAMPLE_RATE)
    buf = np.empty((n_channels, capacity), dtype=np.float32)
    filled = 0
    bad = total = 0
    resampler: av.AudioResampler | None = None
    source_key: tuple[str, str, int] | None = None

    def append(frames: list[av.AudioFrame]) -> None:
        nonlocal buf, filled
        for out in frames:
            arr = out.to_ndarray()
            need = filled + arr.shape[1]
            if need > buf.shape[1]:
                grown = np.empty((n_channels, max(need, buf.shape[1] * 2)), dtype=np.float32)
                grown[:, :filled] = buf[:, :filled]
                buf = grown
            buf[:, filled:need] = arr
            filled = need

    try:
        for packet in container.demux(stream):
            if packet.size:
                total += 1
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                bad += 1
                continue
            for frame in frames:
                key = (frame.format.name, frame.layout.name, frame.sample_rate)
                if key != source_key:
                    # Some streams change rate or layout midway; PyAV's resampler refuses a
                    # frame unlike the first, so flush it and start a fresh one.
                    if resampler is not None:
                        append(resampler.resample(None))
                    resampler = av.AudioResampler(format="fltp", layout=layout,
                                                  rate=SAMPLE_RATE)
                    source_key = key
                frame.pts = None  # timestamps of damaged streams jump; order is all we need
                assert resampler is not None  # made for the first frame (its key is new)
                append(resampler.resample(frame))
    except av.error.FFmpegError:
        # The demuxer gave up (typically a cut-off file): keep what decoded, and let the
        # duration check decide whether that is the whole call.
        bad += 1
    if resampler is not None:
        append(resampler.resample(None))

    kept = buf[:, :filled]
    # Hand back an over-estimated preallocation rather than hold it as long as the call lives.
    return (kept.copy() if filled < 0.9 * buf.shape[1] else kept), bad, total


def _declared_duration(container: av.container.InputContainer, stream: av.AudioStream,
                       path: Path) -> float | None:
    """The length the file's header states, or None when it is only a bitrate estimate."""
    import av

    fmt = container.format.name
    if fmt == "wav" and (riff := _riff_data_duration(path)) is not None:
        return riff
    exact = any(name in _EXACT_LENGTH_FORMATS for name in fmt.split(","))
    if fmt == "mp3":
        exact = _has_mp3_length_tag(path)
    if not exact:
        return None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _riff_data_duration(path: Path) -> float | None:
    """Seconds the WAV's ``data`` chunk size promises (FFmpeg clamps it to the file size)."""
    with open(path, "rb") as fh:
        if fh.read(12)[:4] != b"RIFF":
            return None  # RF64/BW64 and friends: leave them to FFmpeg
        byte_rate = 0
        while len(header := fh.read(8)) == 8:
            name, size = header[:4], int.from_bytes(header[4:], "little")
            if name == b"fmt ":
                fmt = fh.read(size)
                byte_rate = int.from_bytes(fmt[8:12], "little") if len(fmt) >= 12 else 0
                size -= len(fmt)
            elif name == b"data":
                # 0 and 0xFFFFFFFF are what streaming recorders write before they know.
                if not byte_rate or size in (0, 0xFFFFFFFF):
                    return None
                return size / byte_rate
            fh.seek(size + (size & 1), 1)  # chunks are padded to even length
    return None


def _has_mp3_length_tag(path: Path) -> bool:
    """Whether an MP3 starts with a Xing/Info/VBRI frame, which records the frame count."""
    with open(path, "rb") as fh:
        head = fh.read(10)
        offset = 0
        if head[:3] == b"ID3" and len(head) == 10:
            # ID3v2 size is "syncsafe": 7 bits per byte; album art can make it large.
            offset = 10 + ((head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9])
            if head[5] & 0x10:
                offset += 10  # footer present
        fh.seek(offset)
        first_frame = fh.read(4096)
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


def _same_mix(left: np.ndarray, right: np.ndarray) -> bool:
    """True when the two channels are one recording copied (mono saved as stereo)."""
    signal = diff = 0.0
    step = SAMPLE_RATE * 30  # in blocks, to avoid channel-sized temporaries on long calls
    for i in range(0, len(left), step):
        a, b = left[i:i + step], right[i:i + step]
        signal += float(np.dot(a, a) + np.dot(b, b)) / 2
        d = a - b
        diff += float(np.dot(d, d))
    if signal == 0.0:
        return False  # digital silence on both: keep the layout the file has
    return 10 * math.log10(max(diff, 1e-20) / signal) < _DUPLICATE_CHANNEL_DB


def _reason(exc: av.error.FFmpegError) -> str:
    """FFmpeg's message without errno or file name, lower-cased like the other reasons."""
    text = (exc.strerror or str(exc) or type(exc).__name__).strip().rstrip(".")
    return text[:1].lower() + text[1:]


# --- calls that cannot be scored fairly -------------------------------------------------------

# Correlation between the channels above this (a leak about 20 dB down) means one party is
# heard on the other's channel (crosstalk or echo): separate speech correlates near zero.
_CROSSTALK_CORRELATION = 0.12
# Lags searched for the leak, in samples at 16 kHz (a line echo arrives within ~20 ms).
_CROSSTALK_LAGS = range(-320, 321, 16)


def channel_correlation(left: np.ndarray, right: np.ndarray) -> float:
    """The largest absolute normalised correlation of the two channels over small lags."""
    n = min(len(left), len(right))
    a = left[:n].astype(np.float64)
    b = right[:n].astype(np.float64)
    a -= a.mean()
    b -= b.mean()
    norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if norm == 0.0:
        return 0.0
    best = 0.0
    for lag in _CROSSTALK_LAGS:
        x, y = (a[lag:], b[:n - lag]) if lag >= 0 else (a[:n + lag], b[-lag:])
        best = max(best, abs(float(np.dot(x, y))) / norm)
    return best


def fairness_problem(audio: CallAudio, min_duration: float = 30.0) -> str | None:
    """Why a call cannot be scored fairly, or None: too short, mono saved as stereo, one silent
    channel, or one party leaking strongly into the other's channel."""
    if audio.duration < min_duration:
        return (f"too short to judge fairly: {audio.duration:.0f} s (calls under "
                f"{min_duration:.0f} s are not scored)")
    if audio.source_channels == 2 and len(audio.channels) == 1:
        return ("both channels carry the same signal (mono saved as stereo): who spoke when "
                "cannot be told")
    if len(audio.channels) == 2:
        voiced = [voiced_seconds(ch, audio.sample_rate) for ch in audio.channels]
        for side, seconds in zip(("left", "right"), voiced, strict=True):
            if seconds < _MIN_VOICED_S * 3:
                return f"the {side} channel is silent: only one party was recorded"
        correlation = channel_correlation(*audio.channels)
        if correlation > _CROSSTALK_CORRELATION:
            return (f"strong crosstalk between the channels (correlation {correlation:.2f}): one "
                    "party is heard on the other's channel, so overlaps would be misread")
    return None
