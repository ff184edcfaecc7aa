"""Conversation helpers several detectors share: listening cues, context, the customer's problem."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from qa.findings import Finding
from qa.params import CriterionConfig
from qa.text import (
    clauses,
    content_stems,
    find_phrase,
    sentences,
    stem,
    tokens,
)
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance


def _word_set(text: str) -> frozenset[str]:
    """The white-space separated words of ``text`` (long word lists read better as text)."""
    return frozenset(text.split())


# The general shape of a listening cue: a short utterance made only of acknowledgement tokens
# (interjections and agreement words), said in any order or repeated ("oh yeah", "mm, right,
# right", "huh", "yeah, sure"), besides the rubric's own cue phrases. Multi-word cues whose words
# mean nothing alone as a cue ("i see", "go on") stay phrases.
_ACK_TOKENS = _word_set("""
mm mmm mhm mm-hmm mm-hm mhmm hmm hm uh-huh uh-hum uh um huh ah aha oh ooh ohh yeah yea yah
yeh ya yes yep yup okay ok 'kay kay alright right sure wow exactly indeed
absolutely definitely certainly totally noted understood gotcha really dear sir ma'am
madam yeah-yeah okey-dokey righto right-o roger ja
""")
# Polite words that ride along with a cue ("Got it, thank you.", "Okay, lovely.") but do not make
# one alone: a bare "Thank you." closes an exchange rather than signalling listening.
_COMPANIONS = _word_set("thank thanks you cheers")
# Approval said on its own after the customer gave what was asked ("Perfect.", "Lovely.",
# "Very good.", "Grand."): it acknowledges, as "okay" does. Writers outside the team label these
# as listening cues (two of two new hands, unprompted).
_APPROVALS = _word_set("lovely perfect great brilliant cool nice super grand sweet excellent "
                       "wonderful fantastic good fine fab marvellous splendid terrific awesome")
_ACK_SHAPE = re.compile(r"^(?:m+|h?m+h?m*|u+h+|u+h-?h?u+h+|a+h+|o+h+|hu+h+|h+m+|mm+-?h+m+)$")
_CUE_PHRASES = (
    "i see", "got it", "go on", "go ahead", "i hear you", "i understand", "of course",
    "all right", "sure thing", "makes sense", "that makes sense", "fair enough",
    "is that right", "is that so", "oh no", "oh dear", "i get it", "i see what you mean",
    "please go on", "please continue", "uh oh", "i hear ya", "i'm with you", "sure sure",
    "oh okay", "all right then", "okay then", "right then", "that's understandable",
    "fair point", "good point", "that's fair", "point taken", "makes sense", "yeah no",
    "very good", "very well", "quite so", "no problem", "no worries", "that's great",
    "that's fine", "that's good", "that's lovely", "that's perfect", "totally fair",
    "that's reasonable", "that's entirely reasonable", "that's totally fair", "fair dos",
    "that's helpful", "that's very helpful", "oh my goodness", "oh my gosh", "oh my god",
    "my goodness", "goodness me", "oh gosh",
)
# Hesitation sounds alone ("um,", "uh") hold the floor; they acknowledge nothing.
# Exclamations and intensifiers that ride along with approval ("Oh gosh.", "Very good.").
_EXCLAIMS = _word_set("oh my gosh goodness god me very quite that's so really")
_HESITATIONS = frozenset({"um", "uh", "er", "erm", "uhm"})
# Stage directions a transcriber writes inside a line ("<laughter>", "[noise]", "{F uh}").
_NOISE_RE = re.compile(r"<[^>]*>|\[[^\]]*\]|\{[A-Z] |\}|/|--|#")


@lru_cache(maxsize=16)
def _cue_phrases(extra: tuple[str, ...]) -> tuple[str, ...]:
    """Built-in and rubric cue phrases, tokenised, longest first so "i see what you mean" is
    consumed before "i see"."""
    return tuple(sorted({" ".join(tokens(c)) for c in (*_CUE_PHRASES, *extra)}, key=len,
                        reverse=True))


def is_listening_cue(text: str, cfg: CriterionConfig | None = None) -> bool:
    """True if the whole utterance is a short listening cue ("mm-hmm", "oh, I see, go on").

    The interruption detector calls this too: a cue said over the customer is not an
    interruption. ``cfg`` adds the rubric's own cues and its word limit; without it the built-in
    shape and five words apply.
    """
    words = tokens(_NOISE_RE.sub(" ", text))
    limit = cfg["max_cue_words"] if cfg is not None else 5
    if not words or len(words) > limit:
        return False
    remaining = " " + " ".join(words) + " "
    extra = tuple(cfg["listening_cues"]) if cfg is not None else ()
    for cue in _cue_phrases(extra):
        while " " + cue + " " in remaining:
            remaining = remaining.replace(" " + cue + " ", " ")
    if all(w in _HESITATIONS for w in words):
        return False
    left = remaining.split()
    core = [w for w in left if w not in _COMPANIONS]
    if not core and len(left) == len(words):
        return False  # only thanks ("thank you", "cheers"): it closes an exchange
    return all(w in _ACK_TOKENS or w in _APPROVALS or _ACK_SHAPE.match(w) for w in core)


def opening_cue(text: str, cfg: CriterionConfig | None = None) -> str | None:
    """The listening cue that opens a longer turn as its own sentence ("Right. So the refund
    went to the old card?" -> "Right."), else None.

    Only a cue closed by a full stop, "!" or "?" counts: "Okay, let me pull up your account"
    uses the word to start a sentence that does something else.
    """
    match = re.match(r"\s*([^.!?]+[.!?]+)\s+(\S.*)$", text, re.DOTALL)
    unmarked = leading_cue(text)
    if unmarked is not None and (not match or len(tokens(match.group(1))) > len(
            tokens(unmarked)) + 1):
        return unmarked
    if not match:
        return None
    first, rest = match.group(1), match.group(2)
    if not tokens(rest) or first.rstrip().endswith("?"):
        return None
    said = tokens(first)
    if said == ["of", "course"] or all(w in _APPROVALS or w in _COMPANIONS or w in _EXCLAIMS
                                       for w in said):
        # "Of course. So ..." grants before the answer; "Lovely. I've booked ..." and "Oh gosh.
        # Okay, ..." react before moving on: writers split on these, so only a cue word opens.
        return None
    return first.strip() if is_listening_cue(first, cfg) else None


# Cues that never start a sentence doing something else: "okay", "right" or "so" may open
# "Okay let me pull up your account", but "mm-hmm" or "I see" only ever acknowledge.
_PURE_CUES = ("mm-hmm", "mm hmm", "mhm", "mmm", "mm", "uh-huh", "uh huh", "i see", "got it",
              "gotcha", "understood", "i hear you", "i hear ya", "makes sense",
              "that makes sense", "fair enough", "fair point", "i get it", "noted")
_PURE_RE = re.compile(r"^\s*((?:(?:" + "|".join(re.escape(c) for c in sorted(
    _PURE_CUES, key=len, reverse=True)) + r"|yeah|yes|okay|ok|right|oh|ah|no)\b[\s,]*)+)",
    re.IGNORECASE)

_OBJECT_STARTS = _word_set("what how why where when if whether it that the your you this a an to "
                           "from on in about now there them him her his their")


def leading_cue(text: str) -> str | None:
    """The listening cue that opens a turn whose sentence ends are not written ("mm-hmm so
    you're losing the connection every night" -> "mm-hmm"), else None.

    Transcripts without punctuation do not mark the cue as its own sentence, so only cues that
    cannot begin a sentence doing something else count, followed by at least three words.
    """
    match = _PURE_RE.match(text)
    if match is None:
        return None
    cue = match.group(1).strip(" ,")
    rest = text[match.end():]
    following = tokens(rest)
    if re.search(r"[.!?]", cue) or len(following) < 3 or following[0] in _OBJECT_STARTS:
        return None  # "I see what you mean about the fees": the cue's verb has an object
    lowered = " " + " ".join(tokens(cue)) + " "
    if not any(" " + c + " " in lowered for c in _PURE_CUES):
        return None
    return cue


# Facts about a call that several detectors ask for at many utterances, worked out once per
# scoring run (:func:`one_scoring_run`): asked at every utterance, a scan of the whole call
# made scoring quadratic. Outside a run nothing is kept, so a call edited in place between two
# runs (roles swapped) is always read afresh.
_RUN: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("detector_run", default=None)
_T = TypeVar("_T")


@contextmanager
def one_scoring_run() -> Iterator[None]:
    """Within this block, per-call facts are worked out once and shared by the detectors."""
    token = _RUN.set({})
    try:
        yield
    finally:
        _RUN.reset(token)


def _per_run(key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
    memo = _RUN.get()
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _customer_turns(call: Transcript) -> tuple[list[int], list[float], float]:
    """Indexes and starts of the customer's utterances, and the longest utterance's length."""
    def make() -> tuple[list[int], list[float], float]:
        picked = [i for i, u in enumerate(call.utterances) if u.speaker == CUSTOMER]
        longest = max((u.end - u.start for u in call.utterances), default=0.0)
        return picked, [call.utterances[i].start for i in picked], longest
    return _per_run(("customer_turns", id(call)), make)


def previous_customer(call: Transcript, index: int, window: float = 60.0,
                      limit: int = 6) -> list[tuple[int, Utterance]]:
    """Customer utterances that started before utterance ``index`` and ended at most
    ``window`` seconds before it started, the ``limit`` nearest, nearest last."""
    target = call.utterances[index]
    picked, starts, longest = _customer_turns(call)
    # Utterances are in time order: walk back from the last customer turn that started
    # before this one, and stop once even the longest utterance could not reach the window.
    k = min(bisect_left(starts, target.start), bisect_left(picked, index + 1)) - 1
    found: list[tuple[int, Utterance]] = []
    while k >= 0 and len(found) < limit:
        utt = call.utterances[picked[k]]
        if utt.start + longest < target.start - window:
            break
        if utt.start < target.start and target.start - utt.end <= window:
            found.append((picked[k], utt))
        k -= 1
    found.reverse()
    return found


def last_customer_before(call: Transcript, index: int) -> tuple[int, Utterance] | None:
    """The customer utterance that most recently started before utterance ``index``."""
    previous = previous_customer(call, index, window=float("inf"), limit=1)
    return previous[0] if previous else None


def complaint_utterances(call: Transcript, cfg: CriterionConfig) -> list[tuple[int, Utterance]]:
    """Customer utterances that raise a problem: a sentence with a complaint phrase from the
    rubric that is not a plan, a wish or a request ("now I'm going to turn it off and on
    again, see what happens" names no problem)."""
    return [(i, u) for i, u in call.by(CUSTOMER)
            if any(find_phrase(sentence, cfg["complaint_phrases"])
                   and not find_phrase(sentence, _PLAN_OR_REQUEST)
                   for sentence in sentences(u.text))]


# A sentence that is the customer's plan, wish or request, or says all is fine, raises no
# problem even when it holds a complaint word ("turn it off and on again, see what happens").
_PLAN_OR_REQUEST = (
    "going to", "gonna", "i'll", "i will", "let me", "want to", "wanna", "i'd like",
    "i would like", "see what happens", "i hope", "let's", "can you", "could you",
    "would you", "not a big deal", "not really a big deal", "no big deal", "not a problem",
    "no problem", "no worries",
)


@dataclass(frozen=True)
class Problem:
    """The customer's problem as one clean statement, ready to say back to them."""

    index: int  # the customer utterance it comes from
    said: str  # the clause as the customer said it ("my order never came")
    clause: str  # turned to the customer's side ("your order never came")
    subject: str | None  # its noun subject when it has one ("your order")


# A complaint statement opens with its subject: a pronoun, a possessive or a determiner.
_SUBJECTS = _word_set("""
i i'm i've i'd it it's its my our we we're we've they they're they've their the this
that that's there there's these those he she his her he's she's nobody nothing no someone
somebody everything every all both a an you you've you're your one none mine
""")
# A statement has a finite verb: an auxiliary, a negation or a past form.
_FINITE = _word_set("""
is isn't was wasn't are aren't were weren't has hasn't have haven't had hadn't did didn't does
doesn't do don't won't can't cannot couldn't wouldn't shouldn't keeps kept keep never still
came went broke sent got took left said told gave put lost paid showed arrived stopped
charged i'm i've it's that's there's they're they've we're we've you've you're he's she's
""")
# Plans, wishes and requests are not the problem ("I'm going to turn it off and on again").
_NOT_PROBLEM = (
    "going to", "gonna", "i'll", "i will", "let me", "want to", "wanna", "i'd like",
    "i would like", "see what happens", "i need", "i was wondering", "can you", "could you",
    "would you", "i'm calling", "i am calling", "calling about", "calling to", "i hope",
    "i think", "i guess", "maybe", "i suppose", "you know what", "can't wait", "cannot wait",
    "i don't know", "i'm not sure", "let's", "please", "thank", "thanks",
    # Downplaying: a negation that says something is fine is not a complaint.
    "not a big deal", "not really a big deal", "no big deal", "not a problem", "no problem",
    "not too bad", "not that bad", "not urgent", "no worries", "no rush", "no hurry",
    "doesn't matter", "not the end of the world",
    # What was fine before is the history, not the problem: "he's never had a problem with
    # that knee".
    "never had a problem", "never had any problem", "never had any problems", "never had an issue",
    "never had any issue", "never had any issues", "never had any trouble", "never been a problem",
    "never been an issue",
)
# Evaluations that carry feeling but no facts ("this is ridiculous") are not the problem.
_VERDICT_WORDS = _word_set("""
ridiculous unacceptable frustrated frustrating annoyed annoying upset angry terrible awful fed
disappointed disappointing joke crazy insane mess nightmare rubbish useless pathetic sick tired
shocking appalling horrible bad worse worst happy pleased fine seems seem sounds looks feels
feel
""")
_FILLERS = frozenset({"um", "uh", "erm", "er", "uhm", "hmm", "mm"})
_DANGLING = _word_set("""
the a an to of my our your and or but with for in at from is was are were that like um uh
because so then just really very this these those it's i'm has have had be been by as
""")
_QUESTION_OPENERS = _word_set("""
what when where which who why how could can would do does did is are was were have has may
shall should will
""")
# The customer speaks of the company as "you": said back by the agent, that is "we".
_TO_AGENT_SIDE = {
    "i": "you", "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll",
    "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "we": "you",
    "we're": "you're", "we've": "you've", "we'd": "you'd", "we'll": "you'll", "our": "your",
    "ours": "yours", "us": "you", "ourselves": "yourselves",
    "you": "we", "you're": "we're", "you've": "we've", "you'd": "we'd", "you'll": "we'll",
    "your": "our", "yours": "ours", "yourself": "ourselves",
}
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*|[^\sA-Za-z0-9]+")
_SUBJECT_END = _word_set("""
is isn't was wasn't are aren't were weren't has hasn't have haven't had hadn't did didn't does
doesn't won't can't cannot couldn't never still keeps kept just has been not
""")


_TAGS = ("you know", "right", "okay", "ok", "yeah", "you see", "like")


def _is_question(sentence: str) -> bool:
    words = tokens(sentence)
    asked = sentence.rstrip().endswith("?")
    # "... never showed up, you know?" is a statement with a tag, not a question.
    if asked and any(" ".join(words).endswith(" " + tag) for tag in _TAGS):
        asked = False
    return asked or bool(words and words[0] in _QUESTION_OPENERS and len(words) > 1
                         and words[1] not in {"i", "we", "it"})


def _clean_words(clause: str) -> list[str]:
    """The clause's words with fillers, stray punctuation and restarts ("at the... at the")
    left out."""
    words = [w.replace("’", "'") for w in _WORD_RE.findall(clause)]
    words = [w for w in words if w.lower() not in _FILLERS and re.search(r"[A-Za-z0-9]", w)]
    for size in (3, 2, 1):  # a repeated run of one to three words is a restart
        pos = 0
        while pos + 2 * size <= len(words):
            if [w.lower() for w in words[pos:pos + size]] == \
                    [w.lower() for w in words[pos + size:pos + 2 * size]]:
                del words[pos + size:pos + 2 * size]
            else:
                pos += 1
    # "you know", "I mean", "sort of" and "kind of" are fillers mid-clause.
    out: list[str] = []
    for w in words:
        out.append(w)
        if len(out) > 2 and " ".join(x.lower() for x in out[-2:]) in {
                "you know", "i mean", "sort of", "kind of"}:
            del out[-2:]
    return out


def _statement(clause: str, cfg: CriterionConfig) -> list[str] | None:
    """The clause's words if it states a complaint as a whole clause, else None."""
    words = _clean_words(clause)
    # "today I got a charge...", "the thing is my card...": what leads up to the subject goes.
    lead = True
    while lead and len(words) > 3:
        lead = False
        if words[0].lower() in _LEADING_ADVERBS:
            words, lead = words[1:], True
        for phrase in _LEADING_PHRASES:
            size = len(phrase)
            if [w.lower() for w in words[:size]] == list(phrase) and len(words) > size + 2:
                words, lead = words[size:], True
    lowered = [w.lower() for w in words]
    if not 3 <= len(words) <= 16 or lowered[0] in _SUBORDINATORS:
        return None
    if lowered[0] not in _SUBJECTS or lowered[-1] in _DANGLING:
        return None
    if lowered[-2] in _DETERMINERS and lowered[-1] in _NEEDS_NOUN:
        return None  # "it was left at the wrong": cut before its noun
    if not any(w in _FINITE or (w.endswith("ed") and len(w) > 4) or w.endswith("'s")
               or w in {"broken", "been", "gone"} for w in lowered) and not _present_verb(lowered):
        return None
    text = " ".join(lowered)
    if find_phrase(text, _NOT_PROBLEM):
        return None
    negated = any(w in {"never", "not", "no", "nobody", "nothing"} or w.endswith("n't")
                  for w in lowered)
    complaint = find_phrase(text, cfg["complaint_phrases"])
    if not complaint and (not negated or " ".join(lowered[:2]) in _OWN_DOINGS
                          or " ".join(lowered[:3]) in _OWN_DOINGS):
        # A negation alone makes a complaint ("the engineer never came"), but not the
        # customer's account of their own doing ("no, I did not take photos").
        return None
    facts = [w for w in content_stems(text) if w not in {stem(v) for v in _VERDICT_WORDS}]
    if not facts:
        return None  # "this is ridiculous": a feeling, not what went wrong
    return words


_DETERMINERS = frozenset({"the", "a", "an", "my", "our", "your", "their", "this", "that", "his",
                          "her"})
_NEEDS_NOUN = frozenset({"wrong", "same", "other", "new", "old", "right", "first", "last", "next",
                         "whole", "entire", "second", "third"})


_LEADING_PHRASES = (("the", "thing", "is"), ("the", "problem", "is"), ("the", "issue", "is"),
                    ("what", "happened", "is"), ("it's", "just", "that"), ("it's", "that"),
                    ("the", "problem", "is", "that"), ("the", "issue", "is", "that"))
_LEADING_ADVERBS = frozenset({"today", "yesterday", "tonight", "now", "then", "also", "still",
                              "and", "but", "plus", "basically", "honestly", "apparently"})
# A clause that opens with these depends on another one ("when I try to log in").
_SUBORDINATORS = frozenset({"if", "when", "whenever", "once", "after", "before", "unless",
                            "because", "since", "while", "until", "although", "though"})
_OWN_DOINGS = frozenset({
    "i didn't", "i did not", "i don't", "i do not", "i haven't", "i have not", "i never",
    "i wasn't", "i was not", "i can't remember", "we didn't", "we did not", "we don't",
    "we haven't", "i'm not", "i am not", "we never", "i won't", "i will not",
})


def _present_verb(lowered: list[str]) -> bool:
    """A present-tense verb right after a short subject: "the app crashes", "it keeps"."""
    at = 1 if lowered[0] in {"it", "he", "she", "this", "that", "everything", "nothing"} else 2
    if lowered[0] in {"it", "he", "she", "this", "that"} or lowered[0] in _DETERMINERS:
        verb = lowered[at] if at < len(lowered) else ""
        return len(verb) > 3 and verb.endswith("s") and not verb.endswith(("ss", "us", "is"))
    return False


def _agent_side(words: list[str]) -> list[str]:
    """The customer's words as the agent says them back: "my order" -> "your order",
    "you charged me" -> "we charged you", "I was" -> "you were"."""
    out = []
    for pos, word in enumerate(words):
        low = word.lower()
        swapped = _TO_AGENT_SIDE.get(low)
        previous = words[pos - 1].lower() if pos else ""
        if low in {"am", "was", "wasn't"} and previous == "i":
            swapped = {"am": "are", "was": "were", "wasn't": "weren't"}[low]
        elif low in {"was", "wasn't"} and previous == "you":
            swapped = low  # the company "you was" stays rare; keep the customer's verb
        if swapped is None:
            out.append(word)
        elif word[:1].isupper() and pos and low != "i":
            out.append(swapped.capitalize())
        else:
            out.append(swapped)
    # "me" after a preposition became "you"; after a verb the object "you" is right too.
    if out and out[0][:1].isupper() and out[0].lower() in _SUBJECTS | set(_TO_AGENT_SIDE.values()):
        out[0] = out[0][0].lower() + out[0][1:]
    return out


_RESTART_RE = re.compile(r"\b(\w+(?:\s+\w+){0,2})\s*(?:\.\.\.|…|-|—)\s+\1\b", re.IGNORECASE)


def complaint_statements(text: str, cfg: CriterionConfig) -> list[str]:
    """Clauses of ``text`` that state a complaint whole, as said (questions and plans left out)."""
    out = []
    # "declined at the... at the shop": the restart is dropped before splitting sentences.
    text = _RESTART_RE.sub(r"\1", text)
    said = sentences(text)
    for position, sentence in enumerate(said):
        if _is_question(sentence):
            continue
        parts = clauses(sentence)
        if position == len(said) - 1 and re.search(r"(?:…|\.\.\.|-|—)\s*$", text):
            parts = parts[:-1]  # the speaker was cut off: the last clause is unfinished
        for clause in parts:
            words = _statement(clause, cfg)
            if words:
                out.append(" ".join(words))
    return out


def _first_statements(call: Transcript, cfg: CriterionConfig,
                      count: int = 4) -> list[tuple[int, list[str]]]:
    """The first ``count`` customer utterances that state a complaint, with their clauses."""
    def make() -> list[tuple[int, list[str]]]:
        out: list[tuple[int, list[str]]] = []
        for i, utt in enumerate(call.utterances):
            if utt.speaker != CUSTOMER:
                continue
            found = complaint_statements(utt.text, cfg)
            if found:
                out.append((i, found))
                if len(out) >= count:
                    break
        return out
    return _per_run(("first_statements", id(call), tuple(cfg["complaint_phrases"]), count),
                    make)


def find_problem(call: Transcript, before: int, cfg: CriterionConfig) -> Problem | None:
    """The customer's problem stated before utterance ``before``, or None if none was found.

    Looks at the first few customer utterances that state a complaint as a whole clause (a
    subject, a verb, a complaint word or a negation; not a question, a plan or a bare verdict)
    and keeps the one with the most facts, preferring earlier ones: the problem is usually
    told first. Never a fragment: a clause that does not stand as a sentence is skipped.
    """
    best: tuple[float, int, str] | None = None
    for seen, (i, found) in enumerate(_first_statements(call, cfg)):
        if i >= before:
            break
        for clause in found:
            weight = (len(content_stems(clause))
                      + (2 if find_phrase(clause, cfg["complaint_phrases"]) else 0) - seen)
            if best is None or weight > best[0]:
                best = (weight, i, clause)
    if best is None:
        return None
    _, index, said = best
    words = _agent_side(said.split())
    subject = None
    if words[0].lower() in {"your", "the", "our"}:
        head: list[str] = []
        for word in words:
            low = word.lower()
            if head and low.endswith("'s") and low not in _FINITE:
                head.append(word[:-2])  # "your boiler's broken": the subject is "your boiler"
                break
            if low in _SUBJECT_END or low in _FINITE or (head and low.endswith("ed")):
                break
            head.append(word)
        if 2 <= len(head) <= 4 and head[-1].lower() not in _DANGLING:
            subject = " ".join(head)
    return Problem(index=index, said=said, clause=" ".join(words), subject=subject)


def problem_phrase(call: Transcript, before: int, cfg: CriterionConfig,
                   max_words: int = 16) -> str | None:
    """The customer's problem as a clause said back to them, or None if none was found.

    "I was charged twice for my March bill" -> "you were charged twice for your March bill".
    Never cut and never a fragment: a problem longer than ``max_words`` words gives None.
    """
    problem = find_problem(call, before, cfg)
    if problem is None or len(problem.clause.split()) > max_words:
        return None
    return problem.clause


def problem_noun_phrase(call: Transcript, before: int, cfg: CriterionConfig) -> str | None:
    """The problem as a noun phrase ("the problem with your order"), or None."""
    problem = find_problem(call, before, cfg)
    if problem is None or problem.subject is None:
        return None
    return f"the problem with {problem.subject}"


def customer_topic(text: str, cfg: CriterionConfig, max_words: int = 14) -> str | None:
    """What one customer utterance complains of, said back to them ("your order never came"),
    or None when it states no complaint as a whole clause."""
    found = complaint_statements(text, cfg)
    if not found:
        return None
    best = max(found, key=lambda c: len(content_stems(c)))
    clause = " ".join(_agent_side(best.split()))
    return clause if len(clause.split()) <= max_words else None


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
