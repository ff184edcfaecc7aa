"""Interruptions judged from word times: word ends held to the channel's sound, interjections
kept apart, and an agent turn flagged only when the customer's voice is on at its start."""

from __future__ import annotations

import numpy as np
import pytest

from qa.findings import Finding
from qa.rubric import Rubric, load_rubric
from qa.scoring import score_call
from qa.transcribe import tighten_words
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance, Word, group_words


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def spoken(text: str, start: float, end: float) -> list[Word]:
    """The words of ``text`` spread evenly over [start, end], touching each other."""
    parts = text.split()
    step = (end - start) / len(parts)
    return [Word(round(start + k * step, 3), round(start + (k + 1) * step, 3), " " + p)
            for k, p in enumerate(parts)]


def timed_call(*turns: tuple[str, list[Word]]) -> Transcript:
    """A per-channel transcript: (speaker, words) grouped as the transcriber groups them."""
    return Transcript("t", group_words([(speaker, w) for speaker, words in turns
                                        for w in words]))


def interruptions(call: Transcript, rubric: Rubric) -> list[Finding]:
    return [f for f in score_call(call, rubric).findings if f.label == "interruption"]


def bursts(spans: list[tuple[float, float]], total: float = 10.0) -> np.ndarray:
    """A quiet channel with a 300 Hz tone in each (start, end) span."""
    rate = 16000
    x = np.random.default_rng(0).normal(0, 1e-4, int(total * rate)).astype(np.float32)
    for start, end in spans:
        t = np.arange(int((end - start) * rate)) / rate
        x[int(start * rate): int(start * rate) + len(t)] += 0.3 * np.sin(2 * np.pi * 300 * t)
    return x


def test_last_word_is_not_stretched_to_faint_sound_seconds_later() -> None:
    # A real call: " call." at 42.3-46.3 s while the voice ends at 42.7 s; a breath or a faint
    # leak of the other line at 46.2 s used to hold the word's end there.
    x = bursts([(1.0, 2.0), (5.0, 5.1)])
    words = tighten_words([Word(1.0, 1.5, " a"), Word(1.5, 5.1, " call.")], x)
    assert words[1].start == pytest.approx(1.5)
    assert words[1].end == pytest.approx(2.0, abs=0.05)


def test_first_word_starts_where_its_sound_does() -> None:
    # Whisper started the phrase 0.4 s late (or dropped its first word).
    x = bursts([(1.0, 2.0)])
    words = tighten_words([Word(1.4, 1.7, " you"), Word(1.7, 2.0, " know")], x)
    assert words[0].start == pytest.approx(1.0, abs=0.05)
    assert words[1].start == pytest.approx(1.7)


def test_word_just_after_its_sound_is_put_on_the_sound_edge() -> None:
    x = bursts([(1.0, 2.0)])
    [word] = tighten_words([Word(2.05, 4.0, " okay.")], x)
    assert word.end <= 2.0 + 0.05


def test_interjection_over_the_customer_stays_its_own_utterance(rubric: Rubric) -> None:
    call = timed_call(
        (CUSTOMER, spoken("so the router keeps dropping every evening around seven and it "
                          "has been two weeks now", 0.0, 5.6)),
        (AGENT, spoken("Okay,", 4.5, 4.8)),
        (AGENT, spoken("let me run a test on your line.", 5.8, 7.6)),
    )
    agent = [u for u in call.utterances if u.speaker == AGENT]
    assert [u.text for u in agent] == ["Okay,", "let me run a test on your line."]
    # The cue over the customer is a listening cue; the answer came after they stopped.
    assert not interruptions(call, rubric)


def test_agent_starting_in_the_customers_pause_is_not_an_interruption(rubric: Rubric) -> None:
    # The customer pauses 0.5 s (their words bridge it for the turn); the agent starts in the
    # silence: no voice on the customer's line when the agent began.
    call = timed_call(
        (CUSTOMER, spoken("I was charged twice for the same laptop", 0.0, 3.0)),
        (CUSTOMER, spoken("and the store sent me to you", 3.5, 6.0)),
        (AGENT, spoken("Let me look at both charges for you now.", 3.1, 5.5)),
    )
    assert not interruptions(call, rubric)


def test_agent_starting_inside_the_customers_words_is_an_interruption(rubric: Rubric) -> None:
    call = timed_call(
        (CUSTOMER, spoken("I was charged twice for the same laptop and the store sent me "
                          "to you", 0.0, 6.0)),
        (AGENT, spoken("Let me look at both charges for you now.", 4.0, 6.5)),
    )
    [found] = interruptions(call, rubric)
    assert found.start == pytest.approx(4.0)


def test_customer_coming_in_on_the_agents_turn_is_not_the_agents_interruption(
        rubric: Rubric) -> None:
    # The agent pauses 0.7 s mid-explanation; the caller's "okay so what about" starts in the
    # pause and the agent goes on: the caller came in on the agent, not the other way round.
    call = timed_call(
        (AGENT, spoken("The reset button is under the dashboard on the left.", 10.0, 12.0)),
        (CUSTOMER, spoken("okay so what about", 12.4, 13.6)),
        (AGENT, spoken("Press it for five seconds and wait.", 12.7, 15.0)),
    )
    assert not interruptions(call, rubric)


def test_text_only_transcript_keeps_utterance_timing(rubric: Rubric) -> None:
    # No word times: the same pause is judged on utterance times as before.
    call = Transcript("t", [
        Utterance(CUSTOMER, 0.0, 6.0, "I was charged twice for the same laptop and the store "
                                      "sent me to you"),
        Utterance(AGENT, 3.1, 5.5, "Let me look at both charges for you now."),
    ])
    [found] = interruptions(call, rubric)
    assert found.start == pytest.approx(3.1)


def test_a_bare_punctuation_piece_is_not_a_word() -> None:
    from faster_whisper.transcribe import Word as WhisperWord

    from qa.transcribe import _whole_words

    pieces = [WhisperWord(0.96, 1.72, " .", 0.2), WhisperWord(2.0, 2.4, " Hello", 0.9),
              WhisperWord(2.4, 2.5, "!", 0.9)]
    assert [(w.text, w.start, w.end) for w in _whole_words(pieces)] == [(" Hello!", 2.0, 2.4)]


def test_a_short_turn_the_customer_talks_through_is_not_an_interruption(
        rubric: Rubric) -> None:
    # A cue misheard as "I'd be" (0.4 s); the customer goes straight on and the agent says
    # nothing more until they stop.
    call = timed_call(
        (CUSTOMER, spoken("I was charged twice for the same laptop and the store sent me "
                          "to you", 0.0, 6.0)),
        (AGENT, spoken("I'd be", 3.0, 3.4)),
        (AGENT, spoken("Let me look at both charges for you now.", 6.5, 8.5)),
    )
    assert not interruptions(call, rubric)


def test_a_short_statement_followed_by_more_over_the_customer_is_an_interruption(
        rubric: Rubric) -> None:
    call = timed_call(
        (CUSTOMER, spoken("how long does that take the payment is due next week and I do not "
                          "want to pay for something I never bought", 0.0, 5.0)),
        (AGENT, spoken("It depends.", 3.3, 3.9)),
        (AGENT, spoken("It usually gets sorted out eventually.", 4.9, 6.5)),
    )
    [found] = interruptions(call, rubric)
    assert found.start == pytest.approx(3.3)
