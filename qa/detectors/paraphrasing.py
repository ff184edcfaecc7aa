"""Paraphrasing: the agent restates the customer's problem in its own words.

Judged by content, not by a marker phrase: the agent's words must carry over the substance
(stemmed content words, synonyms, numbers) of what the customer said just before. A marker
("so what I'm hearing is") lowers the bar; a marker with nothing restated does not count.
"""

from __future__ import annotations

from typing import Any

from qa.detectors.common import (
    agent_finding,
    complaint_utterances,
    customer_topic,
    previous_customer,
)
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, not_applicable
from qa.params import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import content_stems, find_phrase, numbers, sentences, tokens
from qa.transcript import AGENT, Transcript, Utterance

CRITERION = "paraphrasing"
NEEDS_TIMING = False
PARAMS = {
    "marker_phrases": PHRASES,
    "not_paraphrase_phrases": PHRASES,
    "not_restatement_openers": PHRASES,
    "marker_openers": PHRASES,
    "min_context_words": INTEGER,
    "min_shared": INTEGER,
    "min_shared_with_marker": INTEGER,
    "min_share_of_words": NUMBER,
    "context_utterances": INTEGER,
    "context_seconds": NUMBER,
    "acting_phrases": PHRASES,
    "missing_score": NUMBER,
    "late_score": NUMBER,
}


def restatement(call: Transcript, index: int, cfg: CriterionConfig) -> dict[str, Any] | None:
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
    said = sentences(text)
    opener_excluded = bool(said) and _opens_with(said[0], cfg["not_restatement_openers"])
    earlier_marker = None  # "Let me make sure I have it right. The adjuster..." carries over
    for position, sentence in enumerate(said):
        found = _restates(sentence, context, cfg, allow_unmarked=not opener_excluded,
                          marker=earlier_marker)
        if found:
            return found
        marker = find_phrase(sentence, cfg["marker_phrases"]) or (
            "so" if _opens_with(sentence, cfg["marker_openers"]) else None)
        if marker:
            # A restatement can run over a few short sentences: "So you cancelled in January.
            # You have the email. And we still charged you $99."
            run = " ".join(said[position:position + 3])
            found = _restates(run, context, cfg, allow_unmarked=False, marker=marker)
            if found:
                return found
        earlier_marker = earlier_marker or marker
    return None


def _opens_with(sentence: str, phrases: list[str]) -> bool:
    words = " ".join(tokens(sentence))
    return any(words == p or words.startswith(p + " ") for p in (" ".join(tokens(x))
                                                                 for x in phrases))


def _addresses_customer(sentence: str) -> bool:
    """An unmarked restatement is about the customer ("you", "your") and not about the agent:
    an apology or a promise that echoes the details ("I'm sorry we charged you twice") is not.
    """
    words = set(tokens(sentence))
    return bool(words & _SECOND_PERSON) and not words & _FIRST_PERSON


_SECOND_PERSON = frozenset({"you", "your", "you're", "you've", "you'd", "yours", "yourself"})
_AGENT_SINGULAR = frozenset({"i", "i'm", "i've", "i'll", "i'd", "me", "my"})
_FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'll", "i'd", "me", "my", "we", "we're",
                           "we've", "we'll", "we'd", "our", "us"})


def _restates(sentence: str, context: list[tuple[int, Utterance]], cfg: CriterionConfig,
              allow_unmarked: bool, marker: str | None = None) -> dict[str, object] | None:
    mine = content_stems(sentence, cfg.synonym_map, skip_numbers=True)
    if not mine:
        return None
    theirs: set[str] = set()
    best: tuple[int, int] | None = None
    for ci, cu in context:
        stems = content_stems(cu.text, cfg.synonym_map)
        theirs |= stems
        overlap = len(mine & stems)
        if best is None or overlap >= best[1]:
            best = (ci, overlap)
    their_numbers = set().union(*(numbers(cu.text) for _, cu in context))
    shared = sorted(mine & theirs)
    # Numbers carried over help, but a read-back of digits alone is not a restatement.
    shared_numbers = {n for n in numbers(sentence) & their_numbers if n not in (0, 1)}
    carried = len(shared) + min(1, len(shared_numbers))
    marker = (find_phrase(sentence, cfg["marker_phrases"]) or marker
              or ("so" if _opens_with(sentence, cfg["marker_openers"]) else None))
    share = carried / len(mine)
    if marker and marker != "so":
        ok = carried >= cfg["min_shared_with_marker"] and len(shared) >= 1
    elif marker:  # "so ..." restates only about the customer and with plenty carried over
        words = set(tokens(sentence))
        ok = (carried >= cfg["min_shared"] and len(shared) >= cfg["min_shared"] - 1
              and bool(words & _SECOND_PERSON) and not words & _AGENT_SINGULAR)
    else:
        ok = (allow_unmarked and _addresses_customer(sentence)
              and len(shared) >= cfg["min_shared"] - 1
              and carried >= cfg["min_shared"] and share >= cfg["min_share_of_words"])
    if not ok or best is None:
        return None
    return {"restates": best[0], "shared": shared, "marker": marker,
            "numbers": sorted(str(n) for n in shared_numbers), "share": round(share, 2)}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength for each restatement; a coaching point if a problem was never restated."""
    findings = []
    for i, _utt in call.by(AGENT):
        found = restatement(call, i, cfg)
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
        ci, cu = complaints[0]
        problem = customer_topic(cu.text, cfg, max_words=14)
        findings.append(agent_finding(
            call, acted, CRITERION, "paraphrase:late", COACHING,
            "The agent started fixing the problem before restating it, so the customer never "
            "heard it had been understood first.",
            suggestion=f"Restate it before acting: \"So {problem}. Have I got that right?\"",
            restated_at=findings[0].utterance))
    if complaints and not findings:
        ci, cu = complaints[0]
        problem = customer_topic(cu.text, cfg, max_words=14)
        findings.append(agent_finding(
            call, ci, CRITERION, "paraphrase:missing", COACHING,
            "The customer described a problem and the agent never restated it.",
            suggestion=f"Before solving, show you heard it: \"So if I've got this right, "
                       f"{problem}. Is that right?\""))
    return findings


def _first_action(call: Transcript, after: int, cfg: CriterionConfig) -> int | None:
    """The first agent utterance after ``after`` that starts solving ("I'll refund...")."""
    for i, utt in call.by(AGENT):
        if i > after and find_phrase(utt.text, cfg["acting_phrases"]):
            return i
    return None


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """100 if the agent restated the customer's problem; low if a problem went unrestated."""
    if not call.by(AGENT):
        return not_applicable(CRITERION, "the agent said nothing", cfg.weight)
    hits = [f for f in findings if f.label == "paraphrase"]
    if hits and any(f.label == "paraphrase:late" for f in findings):
        return CriterionScore(CRITERION, float(cfg["late_score"]),
                              "The problem was restated only after the agent started acting on "
                              "it.", cfg.weight)
    if hits:
        return CriterionScore(CRITERION, 100.0,
                              f"{len(hits)} restatement(s) of what the customer said.", cfg.weight)
    if any(f.label == "paraphrase:missing" for f in findings):
        return CriterionScore(CRITERION, float(cfg["missing_score"]),
                              "The customer's problem was never restated.", cfg.weight)
    return not_applicable(CRITERION, "the customer raised no problem to restate", cfg.weight)
