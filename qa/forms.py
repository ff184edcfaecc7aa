"""Form items: criteria a QA lead writes in the rubric file alone, with no Python.

Three kinds, each a ``[criteria.NAME]`` table with ``kind = "..."`` (docs/forms.md):

``required_phrase``
    One of ``phrases`` must be said (by the agent, unless ``speaker`` says otherwise),
    optionally within the first ``within_seconds`` of the call and/or ``before`` another event
    (the first time any of the ``before`` phrases is said, e.g. identity verification before
    account details). With ``before`` and no such event on the call, it does not apply.
``forbidden_phrase``
    None of ``phrases`` may be said. Each time one is, a coaching finding quotes it.
``question``
    A yes / no / n.a. item only a person can answer ("did the agent follow the refund
    policy?"). It has no score, and the call's score shows it as pending, until a coach answers
    it on the call review page (stored in ``form_answers``, audit-logged).

Any criterion, built-in or form, may add ``auto_fail = true``: a score below its
``pass_mark`` (default 50; a form item scores 0 or 100) sets the call's overall to 0, with the
reason (:func:`qa.scoring.final_overall`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, not_applicable
from qa.params import BOOLEAN, NUMBER, PHRASES, TEXT, CriterionConfig
from qa.text import clock, phrase_position
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance, has_timing

DETECTOR = "detector"
REQUIRED = "required_phrase"
FORBIDDEN = "forbidden_phrase"
QUESTION = "question"
FORM_KINDS = (REQUIRED, FORBIDDEN, QUESTION)

# Who a phrase is listened for from.
SPEAKER_CHOICES = {"agent": (AGENT,), "customer": (CUSTOMER,), "anyone": (AGENT, CUSTOMER)}

# Keys any criterion table may hold besides its kind's own: key -> kind of value.
COMMON_KEYS: dict[str, str] = {"weight": NUMBER, "enabled": BOOLEAN, "description": TEXT,
                               "auto_fail": BOOLEAN, "pass_mark": NUMBER}
# Each form kind's own keys: key -> (kind of value, required).
FORM_KEYS: dict[str, dict[str, tuple[str, bool]]] = {
    REQUIRED: {"phrases": (PHRASES, True), "speaker": (TEXT, False),
               "within_seconds": (NUMBER, False), "before": (PHRASES, False),
               "before_speaker": (TEXT, False), "suggestion": (TEXT, False)},
    FORBIDDEN: {"phrases": (PHRASES, True), "speaker": (TEXT, False),
                "suggestion": (TEXT, False)},
    QUESTION: {"question": (TEXT, True)},
}
# Defaults of the optional keys.
DEFAULTS: dict[str, Any] = {"speaker": "agent", "before_speaker": "anyone", "within_seconds": None,
                            "before": None, "suggestion": None}

# A coach's answers to a question and the score each gives (None: does not apply).
ANSWERS: dict[str, float | None] = {"yes": 100.0, "no": 0.0, "na": None}
ANSWER_LABELS = {"yes": "yes", "no": "no", "na": "n.a."}


@dataclass(frozen=True)
class Mention:
    """A phrase said on the call: which utterance, which phrase, and about when."""

    index: int
    utterance: Utterance
    phrase: str
    at: float


def mentions(call: Transcript, phrases: list[str], speaker: str) -> list[Mention]:
    """Every utterance by ``speaker`` (agent, customer, anyone) holding one of ``phrases``,
    in order, with the time the phrase was said (from the words' times when the transcript
    has them, else by its place in the utterance)."""
    who = SPEAKER_CHOICES[speaker]
    found = []
    for i, utt in enumerate(call.utterances):
        if utt.speaker not in who:
            continue
        hit = phrase_position(utt.text, phrases)
        if hit is None:
            continue
        phrase, fraction = hit
        if utt.words:
            at = utt.words[min(len(utt.words) - 1, int(fraction * len(utt.words)))].start
        else:
            at = utt.start + fraction * max(0.0, utt.end - utt.start)
        found.append(Mention(i, utt, phrase, round(at, 2)))
    return found


def evaluate(call: Transcript, cfg: CriterionConfig) -> tuple[list[Finding], CriterionScore]:
    """A form item's findings and score on ``call``."""
    if cfg.kind == REQUIRED:
        findings, score = _required(call, cfg)
    elif cfg.kind == FORBIDDEN:
        findings, score = _forbidden(call, cfg)
    elif cfg.kind == QUESTION:
        findings, score = [], CriterionScore(
            cfg.name, None, pending_reason(cfg["question"]), cfg.weight, pending=True,
            question=cfg["question"])
    else:
        raise ValueError(f"{cfg.name}: not a form item ({cfg.kind})")
    return findings, mark(score, cfg)


def mark(score: CriterionScore, cfg: CriterionConfig) -> CriterionScore:
    """``score`` carrying the criterion's kind and auto-fail pass mark."""
    return replace(score, kind=cfg.kind,
                   auto_fail_below=cfg.pass_mark if cfg.auto_fail else None)


def pending_reason(question: str) -> str:
    """The reason a question's score gives until it is answered."""
    return f"pending: a coach answers \"{question}\" (yes, no or n.a.)"


def answered_reason(question: str, answer: str, author: str, comment: str | None) -> str:
    """The reason a question's score gives once answered."""
    why = f": {comment.strip()}" if comment and comment.strip() else ""
    return f"\"{question}\" answered {ANSWER_LABELS[answer]} by {author}{why}"


def _finding(call: Transcript, cfg: CriterionConfig, index: int, label: str, polarity: str,
             message: str, at: float | None = None, **detail: object) -> Finding:
    utt = call.utterances[index]
    return Finding(criterion=cfg.name, label=f"{cfg.name}:{label}", utterance=index,
                   speaker=utt.speaker, start=utt.start if at is None else at, end=utt.end,
                   quote=utt.text, polarity=polarity, message=message,
                   suggestion=cfg["suggestion"] if polarity == COACHING else None,
                   detail={"kind": cfg.kind, **detail})


def _listing(phrases: list[str], most: int = 3) -> str:
    shown = ", ".join(f"\"{p}\"" for p in phrases[:most])
    return shown + (f" (or {len(phrases) - most} more)" if len(phrases) > most else "")


def _required(call: Transcript, cfg: CriterionConfig) -> tuple[list[Finding], CriterionScore]:
    """Said, said in time, said before the event; or what was missing."""
    name, speaker = cfg.name, cfg["speaker"]
    said = mentions(call, cfg["phrases"], speaker)
    within = cfg["within_seconds"]
    timed = has_timing(call)
    note = ""
    if within is not None and not timed:
        note = f" (no times in this transcript: the {within:g} s limit was not checked)"
        within = None
    event = None
    if cfg["before"]:
        events = mentions(call, cfg["before"], cfg["before_speaker"])
        event = events[0] if events else None
        if event is None and not said:
            return [], not_applicable(
                name, f"nobody said {_listing(cfg['before'])}: nothing to come before",
                cfg.weight)
    who = "the agent" if speaker == "agent" else ("the customer" if speaker == "customer"
                                                  else "anyone")
    if not said:
        limit = f" in the first {within:g} s" if within is not None else ""
        message = f"Missing: {who} never said {_listing(cfg['phrases'])}{limit}{note}."
        anchor = event.index if event else _first_turn(call, speaker)
        if event:
            message = (f"Missing: {who} never said {_listing(cfg['phrases'])} before "
                       f"\"{event.phrase}\" at {clock(event.at)}{note}.")
        finding = _finding(call, cfg, anchor, "missing", COACHING, message,
                           at=event.at if event else None, missing=cfg["phrases"])
        return [finding], CriterionScore(name, 0.0, message, cfg.weight)
    first = said[0]
    problems = []
    if within is not None and first.at > within:
        problems.append(_finding(
            call, cfg, first.index, "late", COACHING,
            f"Said \"{first.phrase}\" at {clock(first.at)}, after the first {within:g} s.",
            at=first.at, said_at=first.at, within_seconds=within))
    if event is not None and (first.index, first.at) >= (event.index, event.at):
        problems.append(_finding(
            call, cfg, event.index, "out_of_order", COACHING,
            f"\"{event.phrase}\" came at {clock(event.at)}, before {who} said "
            f"\"{first.phrase}\" (at {clock(first.at)}).", at=event.at, event=event.phrase,
            said_at=first.at))
    if problems:
        reason = " ".join(f.message for f in problems) + note
        return problems, CriterionScore(name, 0.0, reason, cfg.weight)
    how = []
    if within is not None:
        how.append(f"within the first {within:g} s")
    if event is not None:
        how.append(f"before \"{event.phrase}\" at {clock(event.at)}")
    message = (f"Said \"{first.phrase}\" at {clock(first.at)}"
               + (f", {' and '.join(how)}" if how else "") + f".{note}")
    finding = _finding(call, cfg, first.index, "said", STRENGTH, message, at=first.at)
    return [finding], CriterionScore(name, 100.0, message, cfg.weight)


def _first_turn(call: Transcript, speaker: str) -> int:
    """Where a "never said" finding is anchored: the speaker's first turn (the agent's
    opening), else the call's first utterance."""
    who = SPEAKER_CHOICES[speaker]
    return next((i for i, u in enumerate(call.utterances) if u.speaker in who), 0)


def _forbidden(call: Transcript, cfg: CriterionConfig) -> tuple[list[Finding], CriterionScore]:
    """A coaching finding each time a forbidden phrase is said; 0 if any was, else 100."""
    said = mentions(call, cfg["phrases"], cfg["speaker"])
    findings = [_finding(call, cfg, m.index, "said", COACHING,
                         f"Said \"{m.phrase}\" at {clock(m.at)}: this form forbids it.",
                         at=m.at, phrase=m.phrase) for m in said]
    if not findings:
        return [], CriterionScore(
            cfg.name, 100.0, f"None of the {len(cfg['phrases'])} forbidden phrases was said.",
            cfg.weight)
    times = ", ".join(f"\"{m.phrase}\" at {clock(m.at)}" for m in said[:3])
    more = f" and {len(said) - 3} more" if len(said) > 3 else ""
    return findings, CriterionScore(cfg.name, 0.0, f"Said {times}{more}.", cfg.weight)


def answer_score(score: CriterionScore, question: str, answer: str, author: str,
                 comment: str | None = None) -> CriterionScore:
    """A question's score once a coach answered it: yes 100, no 0, n.a. not applicable."""
    if answer not in ANSWERS:
        raise ValueError(f"an answer is one of: {', '.join(ANSWERS)}")
    return replace(score, score=ANSWERS[answer], pending=False,
                   reason=answered_reason(question, answer, author, comment))
