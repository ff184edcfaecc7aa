"""Redaction: the labelled set's precision and recall, transcripts, word lists and audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.redact import (
    TYPES,
    aba_ok,
    evaluate,
    format_table,
    iban_ok,
    load_cases,
    luhn_ok,
    main,
    redact_text,
    redact_transcript,
    redacted_spans,
    silence_spans,
)
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance, Word

DATA = Path(__file__).parent / "data"


# redaction_fresh.jsonl was written after the rules were finished and never used to tune them.
@pytest.mark.parametrize("name", ["redaction.jsonl", "redaction_holdout.jsonl",
                                  "redaction_fresh.jsonl"])
def test_labelled_set_precision_and_recall(name: str) -> None:
    cases = load_cases(DATA / name)
    result = evaluate(cases)
    print(f"\n{name} ({len(cases)} utterances)\n{format_table(result)}")
    rows = result["rows"]
    assert rows["CARD"]["recall"] == 1.0
    assert rows["overall"]["recall"] >= 0.95
    assert rows["overall"]["precision"] >= 0.9


def test_labelled_set_is_big_and_varied() -> None:
    cases = load_cases(DATA / "redaction.jsonl")
    assert len(cases) >= 60
    kinds = {kind for case in cases for kind, _ in case["spans"]}
    assert kinds == set(TYPES)
    assert sum(1 for case in cases if not case["spans"]) >= 20  # look-alikes that must stay


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert aba_ok("021000021") and not aba_ok("021000022")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


def test_redact_text_tags_and_counts() -> None:
    text, counts = redact_text(
        "Card 4111 1111 1111 1111, call me on 07700 900123, order 4471 2209.")
    assert text == "Card [CARD], call me on [PHONE], order 4471 2209."
    assert counts == {"CARD": 1, "PHONE": 1}


def test_spoken_forms() -> None:
    text, _ = redact_text("it's jane dot doe at gmail dot com and my cell is "
                          "oh seven seven double oh nine double oh one two three")
    assert text == "it's [EMAIL] and my cell is [PHONE]"


def test_look_alikes_stay() -> None:
    for text in ("Your order number is 4471 2209.", "The charge was $1,299.99 on March 3rd, 2024.",
                 "The technician comes on 12/05/2024 between 10:30 and 12:00.",
                 "the tracking number is 9400 1000 0000 0000 0000 00"):
        assert redact_text(text) == (text, {})


def test_previous_utterance_is_a_cue() -> None:
    assert redact_text("20 45 77.")[0] == "20 45 77."
    assert redact_text("20 45 77.", context="What's the sort code?")[0] == "[ROUTING]."


def _words(text: str, start: float, step: float = 0.4) -> list[Word]:
    return [Word(start + i * step, start + (i + 1) * step - 0.05, w)
            for i, w in enumerate(text.split())]


def _call() -> Transcript:
    agent = "Can I take the card number please?"
    customer = "Sure, it's 4111 1111 1111 1111 and my email is jane dot doe at gmail dot com."
    return Transcript("c1", [
        Utterance(AGENT, 0.0, 2.75, agent, _words(agent, 0.0)),
        Utterance(CUSTOMER, 3.0, 9.35, customer, _words(customer, 3.0)),
        Utterance(AGENT, 10.0, 12.0, "Thanks, my number is 555 0100 if you need it."),
    ])


def test_redact_transcript_text_and_words() -> None:
    call = _call()
    redacted, counts = redact_transcript(call)
    assert counts == {"CARD": 1, "EMAIL": 1, "PHONE": 1}
    customer = redacted.utterances[1]
    assert customer.text == "Sure, it's [CARD] and my email is [EMAIL]."
    texts = [w.text for w in customer.words]
    assert texts == ["Sure,", "it's", "[CARD]", "and", "my", "email", "is", "[EMAIL]."]
    # No word keeps any of the original digits or address, and each tag spans its words.
    assert not any(ch.isdigit() for w in customer.words for ch in w.text)
    assert "jane" not in " ".join(texts)
    card_words = call.utterances[1].words[2:6]
    card = customer.words[2]
    assert (card.start, card.end) == (card_words[0].start, card_words[-1].end)
    assert redacted.utterances[2].text == "Thanks, my number is [PHONE] if you need it."
    assert redacted.metadata["redacted"] == {"CARD": 1, "PHONE": 1, "EMAIL": 1}
    # The input is untouched, and redacting twice changes nothing more.
    assert "4111" in call.utterances[1].text
    again, more = redact_transcript(redacted)
    assert [u.text for u in again.utterances] == [u.text for u in redacted.utterances]
    assert not more


def test_redacted_spans_and_silence() -> None:
    call = _call()
    spans = redacted_spans(call)
    assert spans == redacted_spans(redact_transcript(call)[0])
    kinds = [kind for _, _, kind in spans]
    assert kinds == ["CARD", "EMAIL", "PHONE"]
    card_start, card_end, _ = spans[0]
    assert (card_start, card_end) == (call.utterances[1].words[2].start,
                                      call.utterances[1].words[5].end)
    # An utterance without word timings is silenced whole.
    assert spans[2][:2] == (10.0, 12.0)

    rate = 1000
    stereo = np.ones((2, 13 * rate), dtype=np.float32)
    quiet = silence_spans(stereo, rate, spans, pad=0.0)
    assert quiet.shape == stereo.shape and stereo.min() == 1.0  # a copy
    assert not quiet[:, int(card_start * rate) + 1:int(card_end * rate) - 1].any()
    assert quiet[:, int(card_start * rate) - 5].all()
    assert not quiet[0, 10 * rate:12 * rate].any() and quiet[0, 12 * rate + 5] == 1.0
    mono = silence_spans(np.ones(13 * rate), rate, [(1.0, 2.0, "CARD")], pad=0.1)
    assert not mono[900:2100].any() and mono[899] == 1.0 and mono[2100] == 1.0


def test_cli_eval_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--eval", str(DATA / "redaction.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["type", "support", "found", "predicted",
                                           "precision", "recall"]
    assert "overall" in out


def test_hyphenated_spoken_house_number() -> None:
    # Found on tests/heldout (detector held-out calls): "forty-two" is one ASR token.
    text = "It's forty-two Braeside Crescent, KA7 4PJ."
    assert redact_text(text)[0] == "It's [ADDRESS], [ADDRESS]."
    assert redact_text("I bought twenty-two boxes at the store")[1] == {}
