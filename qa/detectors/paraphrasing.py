"""Paraphrasing: the agent restates the customer's problem in its own words.

Judged by content, not by a marker phrase: the agent's words must carry over the substance
(stemmed content words, synonyms, numbers) of what the customer said just before. A marker
("so what I'm hearing is") lowers the bar; a marker with nothing restated does not count.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from qa.detectors.common import (
    agent_finding,
    complaint_utterances,
    leading_cue,
    previous_customer,
    problem_phrase,
)
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable, missing_score_or_na
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding
from qa.params import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import content_stems, find_phrase, numbers, sentences, stem, tokens
from qa.transcript import AGENT, Transcript

CONTRACT = Criterion(
    "paraphrasing", "Paraphrasing",
    labels=(
        Label("paraphrase", STRENGTH,
              "Playing the customer's problem back to them", evaluated=True,
              moment="Restating the problem"),
        Label("paraphrase:late", PROBLEM,
              "Restating the problem only late in the call", practicable=True),
        Label("paraphrase:missing", PROBLEM,
              "Not playing the customer's problem back to them", practicable=True),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "marker_phrases": PHRASES,
    "not_paraphrase_phrases": PHRASES,
    "not_restatement_openers": PHRASES,
    "marker_openers": PHRASES,
    "min_context_words": INTEGER,
    "min_shared": INTEGER,
    "min_shared_with_marker": INTEGER,
    "reflective_markers": PHRASES,
    "check_back_phrases": PHRASES,
    "min_shared_reflective": INTEGER,
    "min_share_of_words": NUMBER,
    "context_utterances": INTEGER,
    "context_seconds": NUMBER,
    "acting_phrases": PHRASES,
    "missing_score": NUMBER,
    "late_score": NUMBER,
}


def restatement(call: Transcript, index: int, cfg: CriterionConfig,
                memo: dict[int, tuple[set[str], set[int | float]]] | None = None,
                ) -> dict[str, Any] | None:
    """How utterance ``index`` restates the customer, or None if it does not.

    Each sentence is judged on its own: "It is. So what you need is..." restates in its
    second sentence. Sympathy and apologies that happen to echo details ("I'm sorry we sent
    the wrong size") count only with a marker.
    """
    text = call.utterances[index].text
    if find_phrase(text, cfg["not_paraphrase_phrases"]):
        return None
    context = [(i, u) for i, u in previous_customer(call, index, cfg["context_seconds"], 10_000)
               if len(u.text.split()) >= cfg["min_context_words"]][-cfg["context_utterances"]:]
    if not context:
        return None
    # Each customer utterance's stems and numbers once, not once per agent sentence.
    memo = {} if memo is None else memo  # one call's detect passes one memo for all turns
    for ci, cu in context:
        if ci not in memo:
            memo[ci] = (content_stems(cu.text, cfg.synonym_map), numbers(cu.text))
    prepared = [(ci, *memo[ci]) for ci, _cu in context]
    said = sentences(text)
    opener_excluded = bool(said) and _opens_with(said[0], cfg["not_restatement_openers"])
    # "..., is that right?" checks a restatement back with the customer: the strongest marker.
    earlier_marker = "check" if find_phrase(text, cfg["check_back_phrases"]) else None
    for position, sentence in enumerate(said):
        # "i see i see so the boiler's been banging ...": the cue opens the turn, the
        # restatement follows it.
        cue = leading_cue(sentence)
        if cue is not None:
            sentence = sentence[sentence.lower().find(cue.lower()) + len(cue):].lstrip(" ,")
        found = _restates(sentence, prepared, cfg, allow_unmarked=not opener_excluded,
                          marker=earlier_marker)
        if found:
            return found
        marker = _marker_in(sentence, cfg) or (
            "so" if _opens_with(sentence, cfg["marker_openers"]) else None)
        if marker:
            # A restatement can run over a few short sentences: "So you cancelled in January.
            # You have the email. And we still charged you $99."
            run = " ".join(said[position:position + 3])
            found = _restates(run, prepared, cfg, allow_unmarked=False, marker=marker)
            if found:
                return found
        earlier_marker = earlier_marker or marker
    return None


_HEARD = re.compile(r"\b(?:sounds?|seems?|hear|feel)\b")
# Markers as grammar rather than a list: the agent checking its own understanding ("just so
# I've got it straight", "to make sure I understand", "what I understand is", "if I follow"),
# or naming the customer's concern ("the real worry is", "the main thing for you is").
_MARKER_RE = re.compile(
    r"\b(?:(?:just\s+)?so|to\s+make\s+sure|let\s+me\s+make\s+sure|making\s+sure)\s+(?:that\s+)?"
    r"i(?:'ve|\s+have|'m|\s+am)?\s+(?:got|get|understand|understood|have|clear|straight|on\s+the\s+same)"
    r"\b|\b(?:so\s+)?what\s+i\s+(?:understand|gather|'m\s+getting|am\s+getting|take\s+from\s+that)\s+"
    r"(?:is|here)\b|\bif\s+i\s+(?:follow|gather|heard)\s+(?:you|that|correctly|right)\b"
    r"|\bthe\s+(?:real|main|big|biggest|key|important)\s+(?:worry|concern|issue|problem|thing|"
    r"priority|headache)\s+(?:for\s+you\s+|here\s+)?(?:is|being)\b")


# Reading out what the records show is a look-up, not a restatement: "so it's showing
# delivered at two oh six", "the system says it was left in a safe place".
_LOOKUP_RE = re.compile(
    r"^(?:(?:so|and|okay|ok|right|yeah|well|now|alright|uh|um)\s+)*(?:it|it's|it\s+is|that's|that|"
    r"this|the\s+\w+|your\s+account|the\s+system|i\s+can\s+see\s+(?:it|that|here))\s+"
    r"(?:'s\s+)?(?:is\s+)?(?:showing|shows|says|saying|states|reads|has\s+it)\b")


# The agent reading the record aloud, anywhere in the sentence.
_READOUT_RE = re.compile(
    r"\b(?:(?:it's|it\s+is|it|that's|that\s+is|which\s+is|they're|they\s+are)\s+(?:now\s+|still\s+)?"
    r"(?:showing|shown|listed|marked|flagged)\s+as|i\s+(?:have|'ve\s+got)\s+you\s+(?:in|down|"
    r"booked)|on\s+(?:the|our|your)\s+(?:system|folio|screen|file|records?)\b|i\s+can\s+see\s+"
    r"(?:here|on\s+(?:the|my)\s+screen))")


_HEARD_FROM_THEM_RE = re.compile(r"\b(?:you\s+(?:said|mentioned|told|explained)|i'm\s+hearing|"
                                 r"if\s+i\s+(?:understand|heard)|what\s+you're\s+saying)\b")


def _marker_in(sentence: str, cfg: CriterionConfig) -> str | None:
    """The restatement marker a sentence uses: a rubric phrase or the marker grammar."""
    found = find_phrase(sentence, cfg["marker_phrases"])
    if found and tokens(found)[0] == "so" and not _opens_with(
            sentence, [found, *(f"{w} {found}" for w in _INTERJECTIONS)]):
        # "I'm placing a hold, so your payment stays the same": a mid-sentence "so your" is a
        # consequence, not a marker.
        found = None
    if found:
        return found
    match = _MARKER_RE.search(" ".join(tokens(sentence)))
    return match.group(0) if match else None
# "So your engineer will come on Friday" announces an outcome; it restates nothing.
_OUTCOME_WORDS = frozenset({"will", "you'll", "it'll", "they'll", "we'll", "gonna", "shall"})
_INTERJECTIONS = frozenset({"oh", "ah", "ok", "okay", "well", "right", "yeah", "ooh", "hmm", "and",
                            "so", "alright", "i", "see", "mm", "wow", "ouch", "yes"})


def _reflective_opener(sentence: str, cfg: CriterionConfig) -> str | None:
    """The reflective frame a sentence opens with ("it sounds like you", "so you feel"), after
    interjections ("Oh, so it's the public speaking..."), else None."""
    words = tokens(sentence)
    for start in range(min(4, len(words))):
        if start and words[start - 1] not in _INTERJECTIONS:
            break
        rest = " ".join(words[start:])
        for phrase in cfg["reflective_markers"]:
            bare = " ".join(tokens(phrase))
            if rest == bare or rest.startswith(bare + " "):
                return phrase
    return None


def _reflects(sentence: str, cfg: CriterionConfig) -> bool:
    """True if the word right after a "so" opener is the customer ("so you", "so your")."""
    words = tokens(sentence)
    for opener in sorted((" ".join(tokens(p)) for p in cfg["marker_openers"]), key=len,
                         reverse=True):
        size = len(opener.split())
        if " ".join(words[:size]) == opener:
            return words[size:size + 1] in (["you"], ["your"], ["you're"], ["you've"],
                                            ["you'd"])
    return False


def _opens_with(sentence: str, phrases: list[str]) -> bool:
    words = " ".join(tokens(sentence))
    return any(words == p or words.startswith(p + " ") for p in (" ".join(tokens(x))
                                                                 for x in phrases))


def _addresses_customer(sentence: str) -> bool:
    """An unmarked restatement is about the customer ("you", "your") and not about the agent:
    an apology or a promise that echoes the details ("I'm sorry we charged you twice") is not.
    """
    said = tokens(sentence)
    words = set(said)
    if not words & _SECOND_PERSON or words & _AGENT_SINGULAR or words & _APOLOGY_WORDS:
        return False
    if not words & _FIRST_PERSON:
        return True
    # "You paid for a flight we cancelled, and you want the money back": the customer is the
    # subject of the sentence and of another clause; "we" only names what happened to them.
    lead = [w for w in said[:3] if w not in _INTERJECTIONS]
    return bool(lead) and lead[0] in {"you", "you've", "you're", "your"} \
        and said.count("you") + said.count("you've") + said.count("you're") >= 2


_APOLOGY_WORDS = frozenset({"sorry", "apologise", "apologize", "apologies", "apology"})
_SECOND_PERSON = frozenset({"you", "your", "you're", "you've", "you'd", "yours", "yourself"})
_AGENT_SINGULAR = frozenset({"i", "i'm", "i've", "i'll", "i'd", "me", "my"})
_FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'll", "i'd", "me", "my", "we", "we're",
                           "we've", "we'll", "we'd", "our", "us"})


# Sentences that ask, advise or announce are not restatements even when they echo the
# customer's words: "Have you talked to your manager about the schedule?", "You could ask your
# bank", "You'll get a text when the engineer is on the way".
_ASKS_OR_ADVISES = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|right|oh|yeah|alright|also|then|now)\s+)*(?:"
    r"(?:do|does|did|is|are|was|were|have|has|had|can|could|would|will|should|shall|may|might"
    r"|how|what|when|where|which|who|why)\b(?! you're saying| i'm hearing| you need is"
    r"| you want is| you mean| matters)"
    r"|you(?: just| only| simply| really| still| also)?(?:'ll| will| could| should| can| might"
    r"| may want| may wish| need to| have to"
    r"| must)\b"
    r"|(?:maybe|perhaps|try|why don't|it might help|it may help|sometimes|don't|please|let's"
    r"|i (?:think|suggest|recommend|would|'d) (?:you|that you|trying)|next time|if you"
    r"|you're (?:booked|all set|welcome|right)|it(?:'s| is) (?:good|great|nice) (?:that|to))\b)")
# Words that name one thing for sure: days, months, and numbers. One of them carried over counts
# as much as two ordinary words ("the main thing for you is having it before Monday").
_ENTITY_NAMES = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december", "weekend", "tomorrow", "tonight")


@cache
def _entity_words() -> frozenset[str]:
    """The stems of ``_ENTITY_NAMES`` (stemmed on first use: the stemmer loads lazily)."""
    return frozenset(stem(w) for w in _ENTITY_NAMES)


def _asks_or_advises(sentence: str) -> bool:
    """True for a question, a suggestion or an announcement (see ``_ASKS_OR_ADVISES``)."""
    return bool(_ASKS_OR_ADVISES.match(" ".join(tokens(sentence))))


Context = list[tuple[int, set[str], set[int | float]]]  # utterance, its stems, its numbers


def _restates(sentence: str, context: Context, cfg: CriterionConfig,
              allow_unmarked: bool, marker: str | None = None) -> dict[str, object] | None:
    mine = content_stems(sentence, cfg.synonym_map, skip_numbers=True)
    if not mine:
        return None
    phrase_marker = _marker_in(sentence, cfg)
    if not phrase_marker and _asks_or_advises(sentence):
        return None
    if _LOOKUP_RE.match(" ".join(tokens(sentence))):
        return None
    said = " ".join(tokens(sentence))
    if _READOUT_RE.search(said) and not _HEARD_FROM_THEM_RE.search(said):
        return None  # "so your payout was created on the 15th and it's showing as sent" reads
        # the record back; it does not restate what the customer said
    theirs: set[str] = set()
    best: tuple[int, int] | None = None
    for ci, stems, _numbers in context:
        theirs |= stems
        overlap = len(mine & stems)
        if best is None or overlap >= best[1]:
            best = (ci, overlap)
    their_numbers = set().union(*(found for _, _, found in context))
    shared = sorted(mine & theirs)
    entities = {w for w in shared if w in _entity_words()}
    # Numbers carried over help, but a read-back of digits alone is not a restatement.
    shared_numbers = {n for n in numbers(sentence) & their_numbers if n not in (0, 1)}
    carried = len(shared) + min(1, len(shared_numbers)) + min(1, len(entities))
    marker = (phrase_marker or marker
              or ("so" if _opens_with(sentence, cfg["marker_openers"]) else None))
    if marker == "so" and _reflects(sentence, cfg):
        marker = "so you"  # "So you were charged twice": the opener addresses the customer
    reflective = _reflective_opener(sentence, cfg)
    if reflective or marker in ("so you", "check"):
        marker = reflective or marker
    share = carried / len(mine)
    if marker and (reflective or marker in ("so you", "check")):
        # "It sounds like you didn't feel heard" or "So you're nervous about ...": the frame
        # itself says "this is what I heard you say"; one word of theirs carried over suffices.
        # After the frame the sentence is about the customer: "it sounds like I need to ..."
        # describes the agent's own next step.
        after = tokens(sentence)[len(tokens(reflective)):] if reflective else tokens(sentence)
        # Only its first clause says whether it announces an outcome: "so your flight was
        # cancelled, and the app will not let you change it" is still a restatement.
        first = tokens(re.split(r",|;|\band\b|\bbut\b", sentence)[0])
        # "It sounds like you didn't feel heard" reflects in new words: a frame that names
        # hearing or feeling needs no word of theirs; "so your ..." needs one.
        # "So you ..." about the customer themself is a restatement in form too.
        needed = (0 if (reflective and _HEARD.search(reflective)) or marker == "so you"
                  else cfg["min_shared_reflective"])
        ok = (carried >= needed and len(shared) >= min(1, needed)
              and not set(after) & _AGENT_SINGULAR and not set(first) & _OUTCOME_WORDS)
    elif marker and marker != "so":
        ok = carried >= cfg["min_shared_with_marker"] and len(shared) >= 1
    elif marker:  # "so ..." restates only about the customer and with plenty carried over
        words = set(tokens(sentence))
        ok = (carried >= cfg["min_shared"] and len(shared) >= cfg["min_shared"] - 1
              and bool(words & _SECOND_PERSON) and not words & _AGENT_SINGULAR)
    else:
        # "The full amount will be refunded to your card" announces an outcome.
        ok = (allow_unmarked and _addresses_customer(sentence)
              and not set(tokens(sentence)) & _OUTCOME_WORDS
              and len(shared) >= cfg["min_shared"] - 1
              and carried >= cfg["min_shared"] and share >= cfg["min_share_of_words"])
    if not ok or best is None:
        return None
    return {"restates": best[0], "shared": shared, "marker": marker,
            "numbers": sorted(str(n) for n in shared_numbers), "share": round(share, 2)}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength for each restatement; a coaching point if a problem was never restated."""
    findings = []
    memo: dict[int, tuple[set[str], set[int | float]]] = {}
    for i, _utt in call.by(AGENT):
        found = restatement(call, i, cfg, memo)
        if found is None:
            continue
        shared = ", ".join(found["shared"][:5])
        findings.append(agent_finding(
            call, i, CRITERION, "paraphrase", STRENGTH,
            f"Restated the customer's words in its own (carried over: {shared}).",
            **found))
    complaints = complaint_utterances(call, cfg)
    acted = _first_action(call, complaints[0][0], cfg) if complaints else None
    if complaints and findings and acted is not None and findings[0].utterance > acted:
        problem = problem_phrase(call, acted, cfg)
        findings.append(agent_finding(
            call, acted, CRITERION, "paraphrase:late", COACHING,
            "The agent started fixing the problem before restating it, so the customer never "
            "heard it had been understood first.",
            suggestion=(f"Restate it before acting: \"So {problem}. Have I got that right?\""
                        if problem else "Restate the problem in your own words before acting "
                        "on it, and check you have it right."),
            restated_at=findings[0].utterance))
    if complaints and not findings:
        ci, _cu = complaints[0]
        problem = problem_phrase(call, _next_agent(call, ci), cfg)
        findings.append(agent_finding(
            call, ci, CRITERION, "paraphrase:missing", COACHING,
            "The customer described a problem and the agent never restated it.",
            suggestion=(f"Before solving, show you heard it: \"So if I've got this right, "
                        f"{problem}. Is that right?\"" if problem else
                        "Before solving, say the problem back in your own words and ask "
                        "\"Have I got that right?\"")))
    return findings


def _next_agent(call: Transcript, index: int) -> int:
    """The first agent utterance after ``index`` (the end of the call if none)."""
    return next((i for i, _ in call.by(AGENT) if i > index), len(call.utterances))


def _first_action(call: Transcript, after: int, cfg: CriterionConfig) -> int | None:
    """The first agent utterance after ``after`` that starts solving ("I'll refund...")."""
    for i, utt in call.by(AGENT):
        if i > after and find_phrase(utt.text, cfg["acting_phrases"]):
            return i
    return None


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 if the agent restated the customer's problem; low if a problem went unrestated."""
    hits = [f for f in findings if f.label == "paraphrase"]
    if hits and any(f.label == "paraphrase:late" for f in findings):
        return CriterionScore(CRITERION, float(cfg["late_score"]),
                              "The problem was restated only after the agent started acting on "
                              "it.", cfg.weight)
    if hits:
        return CriterionScore(CRITERION, 100.0,
                              f"{len(hits)} restatement(s) of what the customer said.", cfg.weight)
    return missing_score_or_na(
        findings, "paraphrase:missing", cfg, "The customer's problem was never restated.",
        "the customer raised no problem to restate")
