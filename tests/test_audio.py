"""qa.audio: decoding real call audio in the formats recorders produce, and refusing bad files."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from qa.audio import (
    AUDIO_EXTENSIONS,
    AudioError,
    CallAudio,
    file_hash,
    is_silent,
    load_call,
    sound_regions,
    voiced_seconds,
)

CLIP_S = 6.0  # agent speaks 0-1.9 s, caller from 2.6 s: the two channels differ clearly


@pytest.fixture(scope="module")
def clip(real_calls: Path) -> np.ndarray:
    """First 6 s of a real stereo call (agent left), 16 kHz float32, shape (2, n)."""
    audio = load_call(real_calls / "auto_repairs_49_stereo_agent-left.flac")
    n = int(CLIP_S * audio.sample_rate)
    return np.stack([ch[:n] for ch in audio.channels])


def encode(path: Path, samples: np.ndarray, fmt: str, codec: str, rate: int,
           codec_options: dict[str, str] | None = None,
           container_options: dict[str, str] | None = None) -> Path:
    """Write (channels, n) float32 samples at 16 kHz with PyAV, resampled to ``rate``."""
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    with av.open(str(path), "w", format=fmt, options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        if codec_options:
            stream.codec_context.options = codec_options
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32),
                                           format="fltp", layout=layout)
        frame.rate = 16000
        resampler = av.AudioResampler(format=stream.codec_context.codec.audio_formats[0].name,
                                      layout=layout, rate=rate)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    """16-bit PCM WAV of (channels, n) float samples, with the standard library."""
    ints = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(ints.T.tobytes())
    return path


def envelope(x: np.ndarray) -> np.ndarray:
    """RMS per 20 ms frame: compares content across codecs without caring about small delays."""
    n = len(x) // 320 * 320
    return np.sqrt((x[:n].reshape(-1, 320) ** 2).mean(axis=1))


def similarity(a: np.ndarray, b: np.ndarray, max_lag: int = 10) -> float:
    """Best correlation of two signals' loudness envelopes within +-200 ms.

    The lag allowance is for encoder priming: AAC from PyAV's own muxer keeps its 1024
    priming samples (64 ms here), where files from phones carry an edit list that trims them.
    """
    ea, eb = envelope(a), envelope(b)
    best = -1.0
    for lag in range(max_lag + 1):
        x, y = ea[lag:], eb
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


FORMATS = [
    # file name, container, encoder, rate, codec options, decoder name PyAV reports
    ("mulaw.wav", "wav", "pcm_mulaw", 8000, None, "pcm_mulaw"),
    ("alaw.wav", "wav", "pcm_alaw", 8000, None, "pcm_alaw"),
    ("u8.wav", "wav", "pcm_u8", 8000, None, "pcm_u8"),
    ("call.mp3", "mp3", "libmp3lame", 16000, None, "mp3float"),
    ("call.ogg", "ogg", "vorbis", 16000, {"strict": "experimental"}, "vorbis"),
    ("call.opus", "ogg", "libopus", 48000, None, "opus"),
    ("call.m4a", "mp4", "aac", 16000, None, "aac"),
    ("call.flac", "flac", "flac", 8000, None, "flac"),
    ("call.webm", "webm", "libopus", 48000, None, "opus"),
]


@pytest.mark.parametrize(("name", "fmt", "encoder", "rate", "options", "decoder"), FORMATS,
                         ids=[f[0] for f in FORMATS])
def test_formats_decode_to_two_separate_channels(tmp_path, clip, name, fmt, encoder, rate,
                                                 options, decoder):
    path = encode(tmp_path / name, clip, fmt, encoder, rate, options)
    audio = load_call(path)
    assert isinstance(audio, CallAudio)
    assert audio.is_stereo and audio.source_channels == 2
    assert audio.codec == decoder
    assert audio.source_rate == rate
    assert audio.sample_rate == 16000
    # Codec framing adds at most a few tens of milliseconds.
    assert audio.duration == pytest.approx(CLIP_S, abs=0.1)
    for ch in audio.channels:
        assert ch.dtype == np.float32 and ch.ndim == 1
        assert len(ch) == pytest.approx(audio.duration * 16000, abs=1)
    left, right = audio.channels
    # Each channel is its own party: not swapped, not mixed down.
    assert similarity(left, clip[0]) > 0.9
    assert similarity(right, clip[1]) > 0.9
    assert similarity(left, clip[0]) > similarity(left, clip[1]) + 0.3


def test_mono_mulaw_is_one_channel(tmp_path, clip):
    audio = load_call(encode(tmp_path / "mono.wav", clip[1:], "wav", "pcm_mulaw", 8000))
    assert len(audio.channels) == 1 and not audio.is_stereo
    assert audio.duration == pytest.approx(CLIP_S, abs=0.01)


def test_real_stereo_flac(real_calls):
    audio = load_call(real_calls / "auto_repairs_40_stereo_agent-left.flac")
    assert audio.is_stereo
    assert (audio.codec, audio.source_rate, audio.source_channels) == ("flac", 8000, 2)
    assert audio.duration == pytest.approx(245.38, abs=0.01)


def test_insurance_mono_8bit(real_calls):
    audio = load_call(real_calls / "insurance_mono_8bit.wav")
    assert len(audio.channels) == 1
    assert (audio.codec, audio.source_rate, audio.source_channels) == ("pcm_u8", 8000, 1)
    assert audio.duration == pytest.approx(277.66, abs=0.01)
    assert not is_silent(audio)


def test_same_mix_on_both_channels_is_mono(tmp_path, clip):
    # A mono recording saved as stereo holds no speaker separation.
    audio = load_call(write_wav(tmp_path / "dual.wav", np.stack([clip[1], clip[1]]), 16000))
    assert audio.source_channels == 2
    assert len(audio.channels) == 1


def test_content_hash_and_file_hash(tmp_path, clip):
    path = write_wav(tmp_path / "a.wav", clip)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_hash(path) == expected
    assert load_call(path).content_hash == expected


def test_extensions():
    assert {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".webm"} <= AUDIO_EXTENSIONS
    assert ".txt" not in AUDIO_EXTENSIONS and ".json" not in AUDIO_EXTENSIONS


# --- files that must be refused, each with a reason a person can act on ---


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match=r"^empty file \(0 bytes\)$"):
        load_call(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_call(tmp_path / "nope.wav")


def test_text_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("Call notes: customer wants a refund.\n" * 20)
    with pytest.raises(AudioError, match=r"^not a recording PyAV can decode: ") as info:
        load_call(path)
    message = str(info.value)
    assert "\n" not in message and "notes.wav" not in message and "Errno" not in message


def test_image_has_no_audio_stream(tmp_path):
    path = tmp_path / "cover.png"
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 8, 8, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), np.uint8), format="rgb24")
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(AudioError, match=r"^no audio stream$"):
        load_call(path)


def test_truncated_mp3(tmp_path, clip):
    whole = encode(tmp_path / "whole.mp3", clip, "mp3", "libmp3lame", 16000)
    assert load_call(whole).duration == pytest.approx(CLIP_S, abs=0.05)
    cut = tmp_path / "cut.mp3"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    # PyAV decodes the first half without complaint; the Xing header says 6 s.
    with pytest.raises(AudioError, match=r"^truncated or corrupt audio: decoded 3\.\d s of the "
                                         r"6\.0 s the file declares$"):
        load_call(cut)


def test_truncated_wav(tmp_path, clip):
    whole = write_wav(tmp_path / "whole.wav", clip, 16000)
    cut = tmp_path / "cut.wav"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    expected = r"^truncated or corrupt audio: decoded 2\.0 s of the 6\.0 s the file declares$"
    with pytest.raises(AudioError, match=expected):
        load_call(cut)


def test_truncated_flac(tmp_path, clip):
    whole = encode(tmp_path / "whole.flac", clip, "flac", "flac", 8000)
    cut = tmp_path / "cut.flac"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match=r"^truncated or corrupt audio: "):
        load_call(cut)


def test_vbr_mp3_without_length_tag_is_not_called_truncated(tmp_path, clip):
    # Without a Xing tag FFmpeg guesses the length from the first frame's bitrate; after a
    # silent start that guess is several times too long. It must not read as truncation.
    samples = np.concatenate([np.zeros((2, 8 * 16000), np.float32), clip], axis=1)
    path = tmp_path / "vbr.mp3"
    with av.open(str(path), "w", format="mp3", options={"write_xing": "0"}) as out:
        stream = out.add_stream("libmp3lame", rate=16000)
        stream.layout = "stereo"
        stream.codec_context.qscale = 4
        stream.codec_context.flags |= av.codec.context.Flags.qscale  # VBR
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.rate = 16000
        resampler = av.AudioResampler(format="s16p", layout="stereo", rate=16000)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    with av.open(str(path)) as probe:
        guessed = probe.duration / av.time_base
    assert guessed > 1.5 * (8 + CLIP_S)  # the precondition that makes this test meaningful
    audio = load_call(path)
    assert audio.duration == pytest.approx(8 + CLIP_S, abs=0.1)


def test_three_channels_refused(tmp_path):
    path = write_wav(tmp_path / "three.wav", np.zeros((3, 8000), np.float32))
    with pytest.raises(AudioError) as info:
        load_call(path)
    assert str(info.value) == "3 channels: expected mono or stereo (one party per channel)"


def test_header_only_wav_has_no_samples(tmp_path):
    path = write_wav(tmp_path / "header.wav", np.zeros((1, 0), np.float32))
    with pytest.raises(AudioError, match="no audio"):
        load_call(path)


# --- silence ---


def test_all_silent_recording(tmp_path):
    audio = load_call(write_wav(tmp_path / "silence.wav", np.zeros((2, 5 * 8000), np.float32)))
    assert audio.is_stereo and is_silent(audio)


def test_line_hiss_is_silent(tmp_path):
    rng = np.random.default_rng(0)
    hiss = rng.normal(0, 10 ** (-70 / 20), (1, 5 * 8000)).astype(np.float32)
    assert is_silent(load_call(write_wav(tmp_path / "hiss.wav", hiss)))


def test_speech_is_not_silent(tmp_path, clip):
    audio = load_call(write_wav(tmp_path / "speech.wav", clip, 16000))
    assert not is_silent(audio)
    assert voiced_seconds(audio.channels[0]) > 1.0  # the agent's greeting
    assert voiced_seconds(audio.channels[1]) > 2.0  # the caller


def test_sound_regions_find_bursts():
    rate = 16000
    t = np.arange(rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 300 * t[: rate // 2])).astype(np.float32)
    x = np.zeros(4 * rate, np.float32)
    x[rate: rate + len(tone)] = tone  # 1.0-1.5 s
    x[3 * rate: 3 * rate + len(tone)] = tone  # 3.0-3.5 s
    x += np.random.default_rng(0).normal(0, 1e-4, len(x)).astype(np.float32)
    regions = sound_regions(x)
    assert regions is not None and len(regions) == 2
    for (start, end), truth in zip(regions, (1.0, 3.0), strict=True):
        assert start == pytest.approx(truth, abs=0.03)
        assert end == pytest.approx(truth + 0.5, abs=0.03)
    assert sound_regions(np.zeros(rate, np.float32)) == []


def test_long_call_decodes(tmp_path):
    # Ten minutes of 8 kHz stereo: 16 kHz float32 is 38 MB a channel.
    rng = np.random.default_rng(1)
    minutes = 10
    samples = (0.05 * rng.standard_normal((2, minutes * 60 * 8000))).astype(np.float32)
    audio = load_call(write_wav(tmp_path / "long.wav", samples, 8000))
    assert audio.duration == pytest.approx(minutes * 60, abs=0.01)
    assert sum(ch.nbytes for ch in audio.channels) == pytest.approx(2 * 38.4e6, rel=0.01)
