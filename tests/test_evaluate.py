"""How `qa eval --from-audio` moves a script's labels onto a machine transcript."""

from __future__ import annotations

from qa.evaluate import carry_labels
from qa.transcript import Transcript, Utterance


def call(*rows: tuple[str, float, float, str, list[str]]) -> Transcript:
    """A transcript from (speaker, start, end, text, labels) rows."""
    return Transcript(call_id="c", agent=None,
                      utterances=[Utterance(s, a, b, t, labels=list(ls))
                                  for s, a, b, t, ls in rows])


def test_label_goes_to_the_machine_turn_that_overlaps_most() -> None:
    script = call(("customer", 0.0, 5.0, "My bill doubled.", []),
                  ("agent", 5.2, 9.0, "So your bill doubled this month.", ["paraphrase"]))
    machine = call(("customer", 0.0, 5.1, "my bill doubled", []),
                   ("agent", 5.3, 5.6, "So", []), ("agent", 5.9, 9.0, "your bill doubled", []))
    carried = carry_labels(script, machine)
    assert [u.labels for u in carried.utterances] == [[], [], ["paraphrase"]]


def test_interruption_goes_to_the_piece_where_the_turn_starts() -> None:
    script = call(("customer", 0.0, 6.0, "How long does that take? It's due next week.", []),
                  ("agent", 4.0, 7.0, "It depends. It usually gets sorted out eventually.",
                   ["interruption", "expectation:vague"]))
    machine = call(("customer", 0.0, 6.0, "How long does that take? It's due next week.", []),
                   ("agent", 4.1, 4.6, "It depends.", []),
                   ("agent", 5.1, 7.0, "It usually gets sorted out eventually.", []))
    carried = carry_labels(script, machine)
    assert carried.utterances[1].labels == ["interruption"]
    assert carried.utterances[2].labels == ["expectation:vague"]
