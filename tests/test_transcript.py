"""The transcript format: reading, writing, validation and word grouping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.transcript import Transcript, TranscriptError, Word, group_words


def test_round_trip_keeps_everything_detectors_use(tmp_path: Path) -> None:
    data = {"call_id": "c1", "agent": "ann", "future_field": {"x": 1}, "utterances": [
        {"speaker": "customer", "start": 2.0, "end": 4.5, "text": "My order never came.",
         "mood": "cross"},
        {"speaker": "agent", "start": 0.0, "end": 1.5, "text": "Hello, Acme.",
         "labels": ["greeting"], "words": [{"start": 0.0, "end": 0.6, "word": "Hello,"},
                                           {"start": 0.7, "end": 1.5, "word": "Acme."}]},
    ]}
    src = tmp_path / "c1.json"
    src.write_text(json.dumps(data))
    call = Transcript.load(src)
    assert [u.speaker for u in call.utterances] == ["agent", "customer"]  # sorted by time
    assert call.utterances[0].words[1] == Word(0.7, 1.5, "Acme.")
    out = tmp_path / "out.json"
    call.save(out)
    again = Transcript.load(out)
    assert again.to_dict() == call.to_dict()
    assert again.utterances[0].labels == ["greeting"]


def test_call_id_defaults_to_file_name(tmp_path: Path) -> None:
    src = tmp_path / "from-name.json"
    src.write_text(json.dumps({"utterances": []}))
    assert Transcript.load(src).call_id == "from-name"


@pytest.mark.parametrize(("content", "reason"), [
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"call_id": "x", "utterances": [', "malformed JSON"),
    (b'[1, 2]', "top level must be a JSON object"),
    (b'{"call_id": "x", "utterances": [{"speaker": "bot", "start": 0, "end": 1, "text": ""}]}',
     "utterances[0].speaker"),
    (b'{"call_id": "x", "utterances": [{"speaker": "agent", "start": 3, "end": 1, "text": ""}]}',
     "need 0 <= start <= end"),
    (b'{"call_id": "x", "utterances": [{"speaker": "agent", "end": 1, "text": ""}]}',
     "missing 'start'"),
])
def test_bad_transcripts_say_why(tmp_path: Path, content: bytes, reason: str) -> None:
    src = tmp_path / "bad.json"
    src.write_bytes(content)
    with pytest.raises(TranscriptError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        Transcript.load(src)


def test_group_words_splits_on_turns_and_pauses() -> None:
    words = [
        ("customer", Word(0.0, 0.4, "My")), ("customer", Word(0.5, 0.9, "router")),
        ("agent", Word(0.6, 0.9, "Mm-hmm.")),  # a backchannel inside the customer's turn
        ("customer", Word(1.0, 1.5, "died.")),
        ("agent", Word(2.0, 2.3, "Oh")), ("agent", Word(2.4, 2.8, "no.")),
        ("agent", Word(5.0, 5.4, "Okay.")),  # long pause: new utterance
    ]
    utts = group_words(words, max_gap=1.0)
    assert [(u.speaker, u.text) for u in utts] == [
        ("customer", "My router died."), ("agent", "Mm-hmm."), ("agent", "Oh no."),
        ("agent", "Okay."),
    ]
    assert utts[0].start == 0.0 and utts[0].end == 1.5


def test_bare_contractions_read_as_contractions() -> None:
    from qa.text import normalize, tokens
    assert normalize("i cant do that thats not right") == "i can't do that that's not right"
    assert normalize("you should of had it") == "you should have had it"
    # Ordinary words that look like bare contractions stay as they are.
    assert tokens("its ill lets wont") == ["its", "ill", "lets", "wont"]
