"""Bad recordings in a batch: each gets one clear line and a status; the batch goes on."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import av
import numpy as np
import sqlite_utils
from click.testing import CliRunner

from qa import store
from qa.audio import load_call
from qa.cli import main

SAMPLES = Path(__file__).parent.parent / "sample_calls"
GOOD = SAMPLES / "call03_parcel_missing.ogg"


def write_wav(path: Path, channels: np.ndarray, rate: int = 16000) -> Path:
    ints = (np.clip(channels, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(ints.T.tobytes())
    return path


def write_mp3(path: Path, channels: np.ndarray) -> Path:
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=16000)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(channels, dtype=np.float32),
                                           format="fltp", layout="stereo")
        frame.rate = 16000
        for packet in stream.encode(frame):
            out.mux(packet)
        out.mux(stream.encode(None))
    return path


def test_a_batch_of_bad_recordings(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    audio = load_call(GOOD)
    speech = np.stack(audio.channels)
    shutil.copy(GOOD, drop / "good.ogg")
    (drop / "empty.wav").write_bytes(b"")
    (drop / "notes.wav").write_text("this is not a recording\n")
    mp3 = write_mp3(tmp_path / "whole.mp3", speech[:, : 16000 * 20])
    (drop / "cut.mp3").write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    write_wav(drop / "silence.wav", np.zeros((2, 16000 * 40)))
    write_wav(drop / "three.wav", np.zeros((3, 16000 * 5)) + speech[:1, : 16000 * 5])
    # A ten-minute call: a real conversation, then a long stretch of near-silence.
    long_call = np.zeros((2, 16000 * 600))
    long_call[:, : speech.shape[1]] = speech
    write_wav(drop / "ten_minutes.wav", long_call)

    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(drop), "--db", str(db_path)])
    assert result.exit_code == 1  # something failed
    err = result.stderr
    assert "empty.wav: failed: empty file" in err
    assert "notes.wav: failed: not a recording" in err
    assert "cut.mp3: failed: truncated" in err
    assert "three.wav: failed: 3 channels" in err
    assert "silence.wav: unscorable: the recording is silent" in err
    for name in ("empty.wav", "notes.wav", "cut.mp3", "three.wav", "silence.wav"):
        assert sum(name in line for line in err.splitlines()) == 1  # one line each

    db = sqlite_utils.Database(db_path)
    status = {Path(r["path"]).name: r["status"] for r in db.query("SELECT * FROM run_files")}
    assert status == {"good.ogg": "scored", "ten_minutes.wav": "scored", "empty.wav": "failed",
                      "notes.wav": "failed", "cut.mp3": "failed", "three.wav": "failed",
                      "silence.wav": "unscorable"}
    long = store.get_call(store.open_db(db_path), "ten_minutes")
    assert long is not None and long["duration"] == 600 and long["overall"] is not None
    silent = store.get_call(store.open_db(db_path), "silence")
    assert silent is not None and silent["scorable"] == 0
    assert "silent" in silent["unscorable_reason"]
    run = next(db.query("SELECT * FROM runs"))
    assert (run["scored"], run["failed"], run["unscorable"]) == (2, 4, 1)

    # Re-running changes nothing already stored and adds no duplicates.
    before = store.table_counts(store.open_db(db_path))
    result = CliRunner().invoke(main, ["score", str(drop), "--db", str(db_path)])
    assert result.exit_code == 1
    assert store.table_counts(store.open_db(db_path)) == before
    assert "3 skipped" in result.output
