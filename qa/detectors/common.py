"""Conversation helpers several detectors share: listening cues, context, the customer's problem."""

from __future__ import annotations

import math
from bisect import bisect_left

from qa.findings import Finding
from qa.rubric import CriterionConfig
from qa.text import (
    clauses,
    content_stems,
    find_phrase,
    normalize,
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


class _LatestEnds:
    """Customer utterances (time order) and a max-tree over their end times, to find the
    latest one that started before a moment and ended after another in O(log n)."""

    def __init__(self, picked: list[tuple[int, Utterance]]) -> None:
        self.picked = picked
        self.starts = [u.start for _, u in picked]
        size = 1
        while size < len(picked):
            size *= 2
        self.size = size
        self.tree = [-math.inf] * (2 * size)
        for k, (_, u) in enumerate(picked):
            self.tree[size + k] = u.end
        for node in range(size - 1, 0, -1):
            self.tree[node] = max(self.tree[2 * node], self.tree[2 * node + 1])

    def rightmost(self, below: int, threshold: float) -> int:
        """The largest position ``k < below`` whose end is >= ``threshold``, or -1."""
        if below <= 0:
            return -1
        if threshold == -math.inf:
            return below - 1
        return self._rightmost(1, 0, self.size, below, threshold)

    def _rightmost(self, node: int, lo: int, hi: int, below: int, threshold: float) -> int:
        if lo >= below or self.tree[node] < threshold:
            return -1
        if hi - lo == 1:
            return lo
        mid = (lo + hi) // 2
        found = self._rightmost(2 * node + 1, mid, hi, below, threshold)
        return found if found >= 0 else self._rightmost(2 * node, lo, mid, below, threshold)


class CallIndex:
    """What detectors ask about a call at every utterance, worked out once per detector run.

    Scanning the whole call for each utterance ("the customer's turns before this one", "the
    problem as said so far") made scoring quadratic: 20,000 utterances took 38 s. Built in
    one pass, each of these questions costs O(log n). The call must not change while an index
    of it is in use (a :class:`Transcript` keeps its utterances in time order).
    """

    def __init__(self, call: Transcript, cfg: CriterionConfig) -> None:
        self.call = call
        self.cfg = cfg
        self._customers: dict[int, _LatestEnds] = {}
        self._complaints: list[tuple[int, Utterance]] | None = None
        self._problem_at: list[int] = []
        self._problem_best: list[tuple[int, str] | None] = []
        # Per-utterance facts a detector works out once and asks for again (the stems of a
        # customer turn that is context for several agent turns), keyed as it likes.
        self.memo: dict[object, object] = {}

    def _customer_turns(self, min_words: int) -> _LatestEnds:
        if min_words not in self._customers:
            self._customers[min_words] = _LatestEnds([
                (i, u) for i, u in enumerate(self.call.utterances)
                if u.speaker == CUSTOMER and (not min_words or len(u.text.split()) >= min_words)])
        return self._customers[min_words]

    def previous_customer(self, index: int, window: float = 60.0, limit: int = 6,
                          min_words: int = 0) -> list[tuple[int, Utterance]]:
        """Customer utterances (of at least ``min_words`` words) that started before
        utterance ``index`` and ended at most ``window`` seconds before it started, the
        ``limit`` nearest, nearest last."""
        turns = self._customer_turns(min_words)
        target = self.call.utterances[index]
        below = bisect_left(turns.starts, target.start)  # started strictly before it
        # A hair under the bound, then the exact test: the same floating-point comparison as
        # ever decides an utterance right on the edge of the window.
        threshold = target.start - window - 1e-9 if math.isfinite(window) else -math.inf
        found: list[tuple[int, Utterance]] = []
        while len(found) < limit:
            k = turns.rightmost(below, threshold)
            if k < 0:
                break
            i, utt = turns.picked[k]
            if target.start - utt.end <= window:
                found.append((i, utt))
            below = k
        found.reverse()
        return found

    def last_customer_before(self, index: int) -> tuple[int, Utterance] | None:
        """The customer utterance that most recently started before utterance ``index``."""
        previous = self.previous_customer(index, window=math.inf, limit=1)
        return previous[0] if previous else None

    @property
    def complaints(self) -> list[tuple[int, Utterance]]:
        """Customer utterances that raise a problem (a complaint phrase from the rubric)."""
        if self._complaints is None:
            self._complaints = [(i, u) for i, u in self.call.by(CUSTOMER)
                                if find_phrase(u.text, self.cfg["complaint_phrases"])]
        return self._complaints

    def problem_phrase(self, before: int, max_words: int = 12) -> str | None:
        """:func:`problem_phrase`: the weightiest complaint clause said before utterance
        ``before``, from a running best over the complaints (computed once)."""
        if not self._problem_at and self.complaints:
            best: tuple[int, str] | None = None
            for i, utt in self.complaints:
                clause = problem_clause(utt.text, self.cfg)
                if clause:
                    weight = len(content_stems(clause))
                    if best is None or weight > best[0]:
                        best = (weight, clause)
                self._problem_at.append(i)
                self._problem_best.append(best)
        count = bisect_left(self._problem_at, before)
        best = self._problem_best[count - 1] if count else None
        if best is None:
            return None
        return shorten(to_second_person(best[1]), max_words)


def previous_customer(call: Transcript, index: int, window: float = 60.0,
                      limit: int = 6) -> list[tuple[int, Utterance]]:
    """Customer utterances that started before utterance ``index``, nearest last (one
    question; a detector asking at every utterance uses one :class:`CallIndex`)."""
    cfg = CriterionConfig("", 0.0, {})
    return CallIndex(call, cfg).previous_customer(index, window, limit)


def last_customer_before(call: Transcript, index: int) -> tuple[int, Utterance] | None:
    """The customer utterance that most recently started before utterance ``index``."""
    previous = previous_customer(call, index, window=float("inf"), limit=1)
    return previous[0] if previous else None


def complaint_utterances(call: Transcript, cfg: CriterionConfig) -> list[tuple[int, Utterance]]:
    """Customer utterances that raise a problem (a complaint phrase from the rubric)."""
    return CallIndex(call, cfg).complaints


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
    your march bill". (One question; a detector asking per utterance uses a
    :class:`CallIndex`.)
    """
    return CallIndex(call, cfg).problem_phrase(before, max_words)


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


def plain(text: str) -> str:
    """Normalised text with punctuation kept (for messages)."""
    return normalize(text)
