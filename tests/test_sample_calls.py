"""The spine end to end on the sample calls: real audio, the real model, a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import store
from qa.cli import main
from qa.evaluate import transcript_text, word_error_rate
from qa.transcript import Transcript

SAMPLES = Path(__file__).parent.parent / "sample_calls"
SCRIPTS = sorted(SAMPLES.glob("*.json"))


def test_every_sample_call_is_scored_with_findings(scored_samples: Path) -> None:
    db = store.open_db(scored_samples)
    calls = list(store.iter_calls(db))
    assert len(calls) == len(SCRIPTS) >= 6
    assert {c["agent"] for c in calls} >= {"maria.lopez", "dan.okafor", "sam.chen"}
    for call in calls:
        assert call["scorable"] == 1 and call["overall"] is not None
        assert call["channels"] == 2 and call["origin"] == "audio"
        assert "tiny.en" in call["model"]
        assert 60 <= call["duration"] <= 240
        full = store.get_call(db, call["id"])
        assert full is not None and full["findings"] and full["summary"]["coaching"]
    # The good agent outscores the poor one on every call.
    by_agent: dict[str, list[float]] = {}
    for call in calls:
        by_agent.setdefault(call["agent"], []).append(call["overall"])
    assert min(by_agent["maria.lopez"]) > max(by_agent["dan.okafor"])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_word_error_rate_against_the_script(scored_samples: Path, script: Path) -> None:
    truth = Transcript.load(script)
    machine = store.load_transcript(store.open_db(scored_samples), truth.call_id)
    assert machine is not None
    assert word_error_rate(transcript_text(truth), transcript_text(machine)) <= 0.15


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_scripted_interruptions_found_at_their_time(scored_samples: Path, script: Path) -> None:
    truth = Transcript.load(script)
    expected = sorted(u.start for u in truth.utterances if "interruption" in u.labels)
    db = store.open_db(scored_samples)
    found = sorted(r["start"] for r in db.query(
        "SELECT start FROM findings WHERE call_id = ? AND label = 'interruption'",
        [truth.call_id]))
    assert len(found) == len(expected), (found, expected)
    for got, want in zip(found, expected, strict=True):
        assert abs(got - want) <= 0.3


def test_qa_transcribe_writes_the_transcript_format(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    recording = SAMPLES / "call03_parcel_missing.ogg"
    result = CliRunner().invoke(main, ["transcribe", str(recording), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["call_id"] == "call03_parcel_missing"
    assert {u["speaker"] for u in data["utterances"]} == {"agent", "customer"}
    assert all(u["words"] and u["start"] <= u["end"] for u in data["utterances"])
    truth = Transcript.load(SAMPLES / "call03_parcel_missing.json")
    assert word_error_rate(transcript_text(truth), transcript_text(Transcript.load(out))) <= 0.15


def test_scoring_the_folder_again_changes_nothing(scored_samples: Path) -> None:
    before = store.table_counts(store.open_db(scored_samples))
    result = CliRunner().invoke(main, ["score", str(SAMPLES), "--manifest",
                                       str(SAMPLES / "manifest.csv"), "--db", str(scored_samples)])
    assert result.exit_code == 0
    assert f"{len(SCRIPTS)} skipped" in result.output
    assert store.table_counts(store.open_db(scored_samples)) == before
