"""Transcripts from other systems: each format scores exactly like the native transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.detectors import CONTRACTS
from qa.importers import (
    EXTENSIONS,
    FORMATS,
    detect_format,
    load_any,
    looks_like_transcript,
)
from qa.importers.common import map_speakers, parse_time
from qa.rubric import load_rubric
from qa.scoring import score_call
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, TranscriptError

DATA = Path(__file__).parent / "data" / "imports"
RUBRIC = load_rubric()

# file -> the format it must be recognised as
EXAMPLES = {
    "native.json": "native JSON",
    "transcribe_channels.json": "Amazon Transcribe JSON",
    "transcribe_speakers.json": "Amazon Transcribe JSON",
    "call_analytics.json": "Contact Lens Call Analytics JSON",
    "contact_lens.json": "Contact Lens Call Analytics JSON",
    "call.vtt": "WebVTT",
    "call.srt": "SRT",
    "call.csv": "CSV",
    "call_timed.txt": "plain text with Agent:/Customer: prefixes",
    "call_plain.txt": "plain text with Agent:/Customer: prefixes",
}


def findings(call: Transcript, timing: bool = True) -> list[tuple[str, str, str]]:
    """(criterion, label, utterance text) of every finding, optionally without the criteria
    that need timing (or separate channels: listening cues are not judged without times)."""
    scored = score_call(call, RUBRIC)
    return sorted((f.criterion, f.label, call.utterances[f.utterance].text)
                  for f in scored.findings
                  if timing or not (CONTRACTS[f.criterion].needs_timing
                                    or CONTRACTS[f.criterion].needs_separate_channels))


NATIVE = load_any(DATA / "native.json")


def test_native_example_has_the_findings_the_imports_must_reproduce() -> None:
    labels = {(c, label) for c, label, _ in findings(NATIVE)}
    assert ("interruptions", "interruption") in labels
    assert ("apology", "apology:sincere") in labels
    assert ("expectations", "expectation:vague") in labels
    assert len(NATIVE.utterances) == 11


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_format_is_recognised_from_content(name: str) -> None:
    assert detect_format((DATA / name).read_text(encoding="utf-8")) == EXAMPLES[name]


@pytest.mark.parametrize("name", sorted(n for n in EXAMPLES if n != "call_plain.txt"))
def test_import_scores_like_native(name: str) -> None:
    call = load_any(DATA / name)
    assert call.speaker_timing
    assert [u.text for u in call.utterances] == [u.text for u in NATIVE.utterances]
    assert [u.speaker for u in call.utterances] == [u.speaker for u in NATIVE.utterances]
    assert findings(call) == findings(NATIVE)


def test_plain_text_without_times() -> None:
    call = load_any(DATA / "call_plain.txt")
    assert not call.speaker_timing
    assert [u.text for u in call.utterances] == [u.text for u in NATIVE.utterances]
    starts = [u.start for u in call.utterances]
    assert starts == sorted(starts) and all(u.end > u.start for u in call.utterances)
    assert all(a.end < b.start for a, b in zip(call.utterances, call.utterances[1:], strict=False))
    assert findings(call, timing=False) == findings(NATIVE, timing=False)
    scores = {s.criterion: s for s in score_call(call, RUBRIC).scores}
    for name, contract in CONTRACTS.items():
        if contract.needs_timing and name in scores:
            assert scores[name].score is None, name


def test_content_decides_not_the_extension(tmp_path: Path) -> None:
    for source, fake in (("call.vtt", "a.txt"), ("call.csv", "b.txt"), ("call.srt", "c.json"),
                         ("transcribe_channels.json", "d.txt")):
        target = tmp_path / fake
        target.write_bytes((DATA / source).read_bytes())
        assert findings(load_any(target)) == findings(NATIVE), source


def test_transcribe_words_keep_punctuation_and_times() -> None:
    call = load_any(DATA / "transcribe_channels.json")
    first = call.utterances[0]
    assert first.words[0].text == "Thanks" and first.words[4].text == "Internet,"
    assert (first.start, first.end) == (0.5, 4.1)
    assert 0.9 < (first.words[0].probability or 0) <= 1.0
    assert call.metadata["speakers"] == {"ch_0": AGENT, "ch_1": CUSTOMER}
    assert call.metadata["job_name"] == "brightline-0517-stereo"
    assert call.call_id == "transcribe_channels"


def test_transcribe_agent_channel_and_speaker_can_be_swapped() -> None:
    swapped = load_any(DATA / "transcribe_channels.json", agent_channel=1)
    assert [u.speaker for u in swapped.utterances][:2] == [CUSTOMER, AGENT]
    swapped = load_any(DATA / "transcribe_speakers.json", agent_speaker="spk_1")
    assert swapped.metadata["speakers"] == {"spk_0": CUSTOMER, "spk_1": AGENT}


def test_older_diarization_output_labels_items_through_segments(tmp_path: Path) -> None:
    data = json.loads((DATA / "transcribe_speakers.json").read_text())
    for item in data["results"]["items"]:
        item.pop("speaker_label", None)
        item.pop("id", None)
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert findings(load_any(tmp_path / "old.json")) == findings(NATIVE)


def test_transcribe_without_speakers_is_like_a_mono_recording(tmp_path: Path) -> None:
    data = json.loads((DATA / "transcribe_speakers.json").read_text())
    del data["results"]["speaker_labels"]
    for item in data["results"]["items"]:
        item.pop("speaker_label", None)
    (tmp_path / "mono.json").write_text(json.dumps(data))
    call = load_any(tmp_path / "mono.json")
    assert not call.speaker_timing
    assert {u.speaker for u in call.utterances} == {UNKNOWN}


def test_contact_lens_roles_come_from_participants() -> None:
    call = load_any(DATA / "contact_lens.json")
    assert call.metadata["contact_id"] == "6d2f0a4e-91b3-4c57-a0f1-5e8b7c2d9a13"
    assert call.duration == 43.3


def test_chat_contact_lens_is_refused(tmp_path: Path) -> None:
    chat = {"Participants": [{"ParticipantId": "a1", "ParticipantRole": "AGENT"}],
            "Transcript": [{"ParticipantId": "a1", "Id": "m1", "Content": "Hi",
                            "AbsoluteTime": "2024-05-17T14:02:00.000Z"}]}
    (tmp_path / "chat.json").write_text(json.dumps(chat))
    with pytest.raises(TranscriptError, match="chat transcript"):
        load_any(tmp_path / "chat.json")


def test_speaker_mapping_rules() -> None:
    assert map_speakers(["Jordan", "Sam"]) == {"Jordan": AGENT, "Sam": CUSTOMER}
    assert map_speakers(["Jordan", "Agent Sam"]) == {"Jordan": CUSTOMER, "Agent Sam": AGENT}
    assert map_speakers(["CALLER", "Customer Support"]) == {"CALLER": CUSTOMER,
                                                            "Customer Support": AGENT}
    assert map_speakers(["Rep", "Client", "Supervisor"]) == {
        "Rep": AGENT, "Client": CUSTOMER, "Supervisor": UNKNOWN}
    assert map_speakers(["A", "B"], {"b": "agent"}) == {"A": CUSTOMER, "B": AGENT}
    with pytest.raises(TranscriptError, match="role must be"):
        map_speakers(["A"], {"A": "boss"})


def test_speaker_map_overrides_first_speaker_rule() -> None:
    call = load_any(DATA / "call.vtt", speaker_map={"Jordan Lee": "agent"})
    assert call.metadata["speakers"] == {"Sam Patel": CUSTOMER, "Jordan Lee": AGENT}


def test_parse_time() -> None:
    assert parse_time("12.5") == 12.5
    assert parse_time("00:00:12.500") == 12.5
    assert parse_time("01:02:03,250") == 3723.25
    assert parse_time("02:03.5") == 123.5
    for bad in ("12s", "1:75:00", "", "-3"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_vtt_cue_with_two_voices_shares_its_time(tmp_path: Path) -> None:
    (tmp_path / "two.vtt").write_text(
        "WEBVTT\n\n00:01.000 --> 00:04.000 align:start\n"
        "<v.loud Agent>Hello there, &amp; welcome.</v> <v Caller>Hi.</v>\n")
    call = load_any(tmp_path / "two.vtt")
    (a, b) = call.utterances
    assert (a.speaker, a.text, a.start, a.end) == (AGENT, "Hello there, & welcome.", 1.0, 3.4)
    assert (b.speaker, b.text, b.start, b.end) == (CUSTOMER, "Hi.", 3.4, 4.0)


def test_srt_first_cue_needs_a_speaker(tmp_path: Path) -> None:
    (tmp_path / "bad.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    with pytest.raises(TranscriptError, match="cue 1: no speaker"):
        load_any(tmp_path / "bad.srt")


def test_csv_seconds_semicolons_and_row_errors(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("TEXT;Speaker;START;End\nHello, how can I help?;agent;0;2.5\n"
                                    "My bill is wrong.;customer;3;4.75\n")
    call = load_any(tmp_path / "a.csv")
    assert [(u.speaker, u.start, u.end) for u in call.utterances] == [
        (AGENT, 0.0, 2.5), (CUSTOMER, 3.0, 4.75)]
    (tmp_path / "b.csv").write_text("speaker,start,end,text\nagent,0,soon,Hi\n")
    with pytest.raises(TranscriptError, match="row 2: end 'soon'"):
        load_any(tmp_path / "b.csv")


def test_text_with_start_times_only(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("[00:00:01] Agent: Thanks for calling.\n"
                                    "[00:00:03] Customer: My order never arrived and I am upset.\n")
    call = load_any(tmp_path / "s.txt")
    assert not call.speaker_timing
    assert [(u.start, u.end) for u in call.utterances] == [(1.0, 2.2), (3.0, 6.2)]


def test_unknown_format_lists_what_was_tried(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Meeting notes\nCall the supplier on Monday.\n")
    with pytest.raises(TranscriptError) as err:
        load_any(tmp_path / "notes.txt")
    message = str(err.value)
    assert message.startswith("not a recognised transcript: tried ")
    for name in FORMATS:
        assert name in message
    (tmp_path / "other.json").write_text('{"segments": []}')
    with pytest.raises(TranscriptError, match=r"JSON but not a recognised transcript .*segments"):
        load_any(tmp_path / "other.json")


def test_bad_bytes_and_empty_and_malformed(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Agent: Ol\xe1\nCustomer: Ol\xe1\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match=r"not UTF-8 text \(byte 9\)"):
        load_any(tmp_path / "latin1.txt")
    (tmp_path / "empty.vtt").write_text("  \n")
    with pytest.raises(TranscriptError, match="empty file"):
        load_any(tmp_path / "empty.vtt")
    (tmp_path / "broken.json").write_text('{"results": ')
    with pytest.raises(TranscriptError, match="malformed JSON"):
        load_any(tmp_path / "broken.json")


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "w.vtt").write_bytes((DATA / "call.vtt").read_text().encode("utf-16"))
    assert findings(load_any(tmp_path / "w.vtt")) == findings(NATIVE)


def test_discovery_helpers(tmp_path: Path) -> None:
    assert {".json", ".vtt", ".srt", ".csv", ".txt"} == set(EXTENSIONS)
    (tmp_path / "manifest.csv").write_text("file,call_id,agent\ncall1.wav,c1,maria\n")
    (tmp_path / "README.txt").write_text("These are the March calls.\n")
    assert not looks_like_transcript(tmp_path / "manifest.csv")
    assert not looks_like_transcript(tmp_path / "README.txt")
    assert all(looks_like_transcript(DATA / name) for name in EXAMPLES)


def _stored_findings(db_path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """(criterion, label, quote) of every stored finding, per call id."""
    import sqlite3

    out: dict[str, list[tuple[str, str, str]]] = {}
    conn = sqlite3.connect(db_path)
    for call_id, criterion, label, quote in conn.execute(
            "SELECT call_id, criterion, label, quote FROM findings ORDER BY 1, 2, 3, 4"):
        out.setdefault(call_id, []).append((criterion, label, quote))
    return out


def test_qa_score_folder_scores_every_format_like_native(tmp_path: Path) -> None:
    """`qa score FOLDER`: each import scored and stored with the native file's findings; the
    manifest, a README and a recording's script beside it are not calls."""
    import wave

    from click.testing import CliRunner

    from qa.cli import main

    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    timed = [n for n in EXAMPLES if n != "call_plain.txt"]
    for name in timed:  # distinct file names: the call id comes from the file name
        (folder / "sub" / f"x_{name.replace('.', '_')}{Path(name).suffix}").write_bytes(
            (DATA / name).read_bytes())
    (folder / "manifest.csv").write_text("file,call_id,agent\nsub/x_call_vtt.vtt,vtt-1,jordan\n")
    (folder / "README.txt").write_text("These are the May calls from the Brightline queue.\n")
    # A recording with its script beside it: the script is not a second call.
    with wave.open(str(folder / "recorded.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000 * 35)
    (folder / "recorded.json").write_bytes((DATA / "native.json").read_bytes())
    db = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db), "--manifest",
                                       str(folder / "manifest.csv")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{len(timed) + 1} file(s): {len(timed)} scored, 0 skipped, 1 unscorable" in (
        result.stdout)
    stored = _stored_findings(db)
    native = stored.pop("brightline-0517")
    assert set(stored) == {"vtt-1"} | {f"x_{n.replace('.', '_')}" for n in timed
                                       if n not in ("native.json", "call.vtt")}
    for call_id, found in stored.items():
        assert found == native, call_id
    assert native == sorted((f.criterion, f.label, f.quote) for f in score_call(
        NATIVE, RUBRIC).findings)


def test_qa_score_explicit_file_in_no_format_lists_formats(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qa.cli import main

    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes\nCall the supplier on Monday.\n")
    odd = tmp_path / "call.transcript"  # unknown extension, text in a known format: tried
    odd.write_bytes((DATA / "call.srt").read_bytes())
    result = CliRunner().invoke(main, ["score", str(notes), str(odd), "--db",
                                       str(tmp_path / "qa.db")], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"notes.txt: failed: not a recognised transcript: tried {', '.join(FORMATS)}" in (
        result.stderr)
    assert "1 scored" in result.stdout and "1 failed" in result.stdout
