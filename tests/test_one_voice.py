"""A mono recording of one person (one side of a call) is not scored as a two-party call.

Built from real recordings (../shared/real_calls): one channel of each real stereo call is
saved alone as a mono file (one voice); the real mono calls and a mixdown of a stereo call
are two voices. Each is scored by the real `qa score` with the real Whisper model and the
speaker model (or, in the second test, the spectral fallback, ``QA_DIARIZE=spectral``).
Values measured on these files: bench/one_voice_bench.py.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa import store
from qa.audio import load_call
from qa.cli import main

pytestmark = pytest.mark.audio
ONE_VOICE = "only one voice in the recording"

STEREO = ("auto_repairs_40_stereo_agent-left.flac", "auto_repairs_49_stereo_agent-left.flac")


def write_mono(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """A 16-bit mono WAV file of ``samples`` (floats in -1..1)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def recordings(real_calls: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Mono files by name: ``one_*`` hold one voice, ``two_*`` a two-party call."""
    folder = tmp_path_factory.mktemp("one_voice")
    files: dict[str, Path] = {}
    for name in STEREO:
        agent, caller = load_call(real_calls / name).channels  # agent left, caller right
        number = name.split("_")[2]
        files[f"one_agent_{number}"] = write_mono(folder / f"agent_only_{number}.wav", agent)
        if number == "49":
            files["two_mixdown_49"] = write_mono(folder / "mixdown_49.wav", (agent + caller) / 2)
    # The most alike real pair with both methods (insurance_mono_8bit.wav is further apart).
    files["two_pyannote"] = real_calls / "pyannote_sample_mono.wav"
    return files


def score(paths: list[Path], db_path: Path) -> dict[str, dict]:
    """Run `qa score` on ``paths``; the stored calls by source file name."""
    result = CliRunner().invoke(main, ["score", *map(str, paths), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    rows = store.open_db(db_path).query(
        "SELECT source_path, scorable, overall, unscorable_reason FROM calls")
    return {Path(r["source_path"]).name: r for r in rows}


def check(calls: dict[str, dict], files: dict[str, Path]) -> None:
    """One-voice files stored unscorable with the reason; two-voice files scored."""
    for name, path in files.items():
        call = calls[path.name]
        if name.startswith("one_"):
            assert call["scorable"] == 0 and call["overall"] is None, (name, call)
            assert call["unscorable_reason"].startswith(ONE_VOICE), (name, call)
        else:
            assert call["scorable"] == 1 and call["overall"] is not None, (name, call)


def test_one_side_of_a_real_call_is_unscorable_and_real_calls_are_scored(
        recordings: dict[str, Path], tmp_path: Path) -> None:
    # The default: the speaker model when the diarize extra is installed, else the fallback.
    check(score(list(recordings.values()), tmp_path / "qa.db"), recordings)


def test_spectral_fallback_tells_one_voice_from_two(
        recordings: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without torch: the agent alone (the least distinct single voice of the two) and the
    # pyannote call (the most alike pair of voices the fallback was measured on).
    monkeypatch.setenv("QA_DIARIZE", "spectral")
    chosen = {k: recordings[k] for k in ("one_agent_40", "two_pyannote")}
    calls = score(list(chosen.values()), tmp_path / "qa.db")
    check(calls, chosen)
    assert "spectral" in calls[chosen["one_agent_40"].name]["unscorable_reason"]
