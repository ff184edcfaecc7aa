"""Facts the code keeps in one place (issue 11): each consumer sees the same answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from qa import queries, store
from qa.audio import AUDIO_EXTENSIONS
from qa.auth import COACH, Viewer
from qa.rubric import load_rubric
from qa.scoring import overall_score, score_call
from qa.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_calls"


@pytest.mark.parametrize("suffix", [".amr", ".wave", ".3gp"])
def test_a_call_from_any_scorable_recording_is_offered_for_playing(
        tmp_path: Path, suffix: str) -> None:
    """A call scored from a file type the scorer accepts gets a player in the dashboard."""
    assert suffix in AUDIO_EXTENSIONS
    recording = tmp_path / f"rec{suffix}"
    # Playing serves the stored bytes as they are; no decoding is involved.
    shutil.copy(SAMPLES / "call02_card_double_charge.mp3", recording)
    transcript = json.loads((SAMPLES / "call02_card_double_charge.json").read_text())
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    info = store.CallInfo("rec", str(recording), "hash", origin="audio")
    store.save_scored_call(db, info, score_call(Transcript.from_dict(transcript),
                                                load_rubric()), "default")
    served = queries.call_audio(queries.connect(db_path), Viewer("coach", COACH), "rec")
    assert served is not None
    data, mime = served
    assert data == recording.read_bytes() and mime.startswith("audio/")


def test_the_overall_with_coach_overrides_is_scorings_weighted_mean(tmp_path: Path) -> None:
    """The dashboard's overall after overrides is the mean scoring would give those scores."""
    transcript = json.loads((SAMPLES / "call02_card_double_charge.json").read_text())
    scored = score_call(Transcript.from_dict(transcript), load_rubric())
    db_path = tmp_path / "qa.db"
    store.save_scored_call(store.open_db(db_path),
                           store.CallInfo("rec", "rec.json", "hash"), scored, "default")
    conn = queries.connect(db_path)
    coach = Viewer("coach", COACH)
    applicable = [s for s in scored.scores if s.score is not None]
    assert len(applicable) >= 2
    overridden = {applicable[0].criterion: 3.0, applicable[1].criterion: 97.0}
    for criterion, value in overridden.items():
        queries.set_override(conn, coach, "rec", criterion, value, "listened to the call")
    call = queries.get_call(conn, coach, "rec")
    assert call is not None
    expected = overall_score([replace(s, score=overridden.get(s.criterion, s.score))
                              for s in scored.scores])
    assert expected is not None and expected != overall_score(scored.scores)
    assert call["effective_overall"] == expected


def test_store_and_batch_page_agree_on_which_processes_are_alive() -> None:
    """A running process is alive; an ended one is not, reaped or left a zombie."""
    from qa.ui import batch as batch_page

    assert store.process_alive(os.getpid()) and batch_page.running(os.getpid())
    reaped = subprocess.Popen([sys.executable, "-c", "pass"])
    reaped.wait()
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    # Wait for the child to exit without reaping it: it stays a zombie until waited on.
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)
    try:
        for pid in (reaped.pid, zombie.pid, 0):
            assert not store.process_alive(pid), pid
            assert not batch_page.running(pid), pid
    finally:
        zombie.wait()


@pytest.mark.parametrize(("said", "expected"), [
    ("forty two", {42}), ("forty-two", {42}), ("three hundred and five", {305}),
    ("two thousand twenty four", {2024}), ("six thousand dollars", {6000}),
    ("order 4111 for 59.99", {4111, 59.99}), ("four one one", {4, 1}),
    ("call me twice", {2}), ("a hundred", {100}), ("oh well", set()),
])
def test_spoken_numbers_read_as_one_amount(said: str, expected: set[float]) -> None:
    """Number words read as the amount a person means; digits stay as written."""
    from qa.text import numbers

    assert numbers(said) == expected


def test_the_sample_script_normalises_numbers_with_the_same_reader() -> None:
    """WER normalisation of the sample calls turns number words into the same amounts."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_sample_calls
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    said = "It was two thousand twenty four, then ninety nine dollars"
    words = make_sample_calls.normalize_words([(w, None) for w in said.split(" ")])
    assert [w for w, _ in words] == ["it", "was", "2024", "then", "99", "dollars"]


def test_role_cues_and_threshold_come_from_the_rubric(tmp_path: Path) -> None:
    """A team's own greeting and role_confidence in its rubric decide who is the agent."""
    from qa.roles import default_threshold, identify_agent

    default = (ROOT / "rubrics" / "default.toml").read_text()
    assert "role_confidence = 0.8" in default
    custom = default.replace("role_confidence = 0.8", "role_confidence = 0.99").replace(
        'greeting_phrases = ["thank you for calling"',
        'greeting_phrases = ["greetings from gadget world", "thank you for calling"')
    path = tmp_path / "team.toml"
    path.write_text(custom)
    team = load_rubric(path)
    assert default_threshold() == load_rubric().shared["role_confidence"] == 0.8
    assert default_threshold(team) == 0.99
    voices = [["It rained all day."],
              ["Greetings from Gadget World, Sam here."]]
    assert identify_agent(voices).agent == 0  # no cue either way: the first voice
    decision = identify_agent(voices, rubric=team)
    assert decision.agent == 1 and any("greetings from gadget world" in c
                                       for c in decision.cues[1])
    assert decision.needs_review  # below the team's 0.99
