"""Calls that cannot be scored fairly are marked so with the reason, built from real audio."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa import store
from qa.audio import fairness_problem, load_call
from qa.cli import main

REAL = "auto_repairs_49_stereo_agent-left.flac"


def write_wav(path: Path, channels: np.ndarray, rate: int = 16000) -> Path:
    ints = (np.clip(channels, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(ints.T.tobytes())
    return path


@pytest.fixture(scope="module")
def stereo(real_calls: Path) -> np.ndarray:
    """The first 60 s of a real two-party call, agent left, caller right."""
    audio = load_call(real_calls / REAL)
    return np.stack([ch[: 16000 * 60] for ch in audio.channels])


@pytest.fixture(scope="module")
def cases(stereo: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("unfair")
    left, right = stereo
    mixed = (left + right) / 2
    return {
        "fair": write_wav(folder / "fair.wav", stereo),
        "mono_as_stereo": write_wav(folder / "mono_as_stereo.wav", np.stack([mixed, mixed])),
        "silent_channel": write_wav(folder / "silent_channel.wav",
                                    np.stack([left, np.zeros_like(right)])),
        "crosstalk": write_wav(folder / "crosstalk.wav", np.stack([left, right + 0.3 * left])),
        "short": write_wav(folder / "short.wav", stereo[:, : 16000 * 20]),
    }


@pytest.mark.parametrize(("case", "reason"), [
    ("fair", None),
    ("mono_as_stereo", "same signal"),
    ("silent_channel", "right channel is silent"),
    ("crosstalk", "crosstalk"),
    ("short", "too short"),
])
def test_fairness_problem(cases: dict[str, Path], case: str, reason: str | None) -> None:
    problem = fairness_problem(load_call(cases[case]))
    if reason is None:
        assert problem is None
    else:
        assert problem is not None and reason in problem


def test_unfair_calls_are_stored_as_not_scorable(cases: dict[str, Path], tmp_path: Path) -> None:
    db_path = tmp_path / "qa.db"
    unfair = [str(cases[c]) for c in ("mono_as_stereo", "silent_channel", "crosstalk", "short")]
    result = CliRunner().invoke(main, ["score", *unfair, "--db", str(db_path)])
    assert result.exit_code == 0  # not a failure: recorded, with the reason
    assert "4 unscorable" in result.output
    db = store.open_db(db_path)
    rows = list(db.query("SELECT id, scorable, overall, unscorable_reason FROM calls"))
    assert len(rows) == 4
    assert all(r["scorable"] == 0 and r["overall"] is None and r["unscorable_reason"]
               for r in rows)
    assert db["scores"].count == 0
