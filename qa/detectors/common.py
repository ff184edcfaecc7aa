"""Conversation helpers several detectors share: listening cues, context, the customer's problem."""

from __future__ import annotations

from qa.findings import Finding
from qa.params import CriterionConfig
from qa.text import (
    clauses,
    content_stems,
    find_phrase,
    sentences,
    shorten,
    to_second_person,
    tokens,
)
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance


def is_listening_cue(text: str, cfg: CriterionConfig) -> bool:
    """True if the whole utterance is a short listening cue ("mm-hmm", "I see, go on")."""
    words = tokens(text)
    if not words or len(words) > cfg["max_cue_words"]:
        return False
    remaining = " " + " ".join(words) + " "
    # Longest cues first so "i see" is consumed before "i".
    for cue in sorted(cfg["listening_cues"], key=len, reverse=True):
        remaining = remaining.replace(" " + " ".join(tokens(cue)) + " ", " ")
    return not remaining.strip()


def previous_customer(call: Transcript, index: int, window: float = 60.0,
                      limit: int = 6) -> list[tuple[int, Utterance]]:
    """Customer utterances that started before utterance ``index``, nearest last."""
    target = call.utterances[index]
    found = [
        (i, u) for i, u in enumerate(call.utterances[:index + 1])
        if u.speaker == CUSTOMER and u.start < target.start and target.start - u.end <= window
    ]
    return found[-limit:]


def last_customer_before(call: Transcript, index: int) -> tuple[int, Utterance] | None:
    """The customer utterance that most recently started before utterance ``index``."""
    previous = previous_customer(call, index, window=float("inf"), limit=1)
    return previous[0] if previous else None


def complaint_utterances(call: Transcript, cfg: CriterionConfig) -> list[tuple[int, Utterance]]:
    """Customer utterances that raise a problem (a complaint phrase from the rubric)."""
    return [(i, u) for i, u in call.by(CUSTOMER)
            if find_phrase(u.text, cfg["complaint_phrases"])]


def problem_clause(text: str, cfg: CriterionConfig) -> str | None:
    """The clause of ``text`` that states a complaint with the most content, as said."""
    best: tuple[int, str] | None = None
    for clause in clauses(text):
        if find_phrase(clause, cfg["complaint_phrases"]):
            weight = len(content_stems(clause))
            if best is None or weight > best[0]:
                best = (weight, clause)
    return best[1] if best else None


def problem_phrase(call: Transcript, before: int, cfg: CriterionConfig,
                   max_words: int = 12) -> str | None:
    """The customer's own words for the problem, turned to "you/your", for suggestions.

    Picks, among complaint clauses said before utterance ``before``, the one with the most
    content words: "I was charged twice for my March bill" -> "you were charged twice for
    your march bill".
    """
    best: tuple[int, str] | None = None
    for i, utt in complaint_utterances(call, cfg):
        if i >= before:
            break
        clause = problem_clause(utt.text, cfg)
        if clause:
            weight = len(content_stems(clause))
            if best is None or weight > best[0]:
                best = (weight, clause)
    if best is None:
        return None
    return shorten(to_second_person(best[1]), max_words)


def customer_topic(text: str, cfg: CriterionConfig, max_words: int = 10) -> str:
    """What a customer utterance is about, second person: its complaint clause or last clause."""
    clause = problem_clause(text, cfg) or (clauses(text) or [text])[-1]
    return shorten(to_second_person(clause), max_words)


def agent_finding(call: Transcript, index: int, criterion: str, label: str, polarity: str,
                  message: str, suggestion: str | None = None, quote: str | None = None,
                  **detail: object) -> Finding:
    """A finding anchored on utterance ``index`` (quote defaults to its text)."""
    utt = call.utterances[index]
    return Finding(criterion=criterion, label=label, utterance=index, speaker=utt.speaker,
                   start=utt.start, end=utt.end, quote=quote or utt.text, polarity=polarity,
                   message=message, suggestion=suggestion, detail=dict(detail))


def agent_sentences(call: Transcript) -> list[tuple[int, Utterance, str]]:
    """(index, utterance, sentence) for each sentence the agent said."""
    out = []
    for i, utt in call.by(AGENT):
        for sentence in sentences(utt.text):
            out.append((i, utt, sentence))
    return out
