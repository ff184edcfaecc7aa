"""Apology sincerity: a sincere apology names the problem and owns it; a scripted one is generic,
conditional ("if you feel"), or undone by an excuse, a policy or blame after "but".
"""

from __future__ import annotations

from qa.detectors.common import (
    agent_finding,
    complaint_utterances,
    previous_customer,
    problem_phrase,
)
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score, not_applicable
from qa.rubric import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import content_stems, find_phrase, sentences, tokens
from qa.transcript import AGENT, Transcript, has_timing

CRITERION = "apology"
NEEDS_TIMING = False
PARAMS = {
    "apology_phrases": PHRASES,
    "not_apology_phrases": PHRASES,
    "generic_phrases": PHRASES,
    "conditional_phrases": PHRASES,
    "excuse_phrases": PHRASES,
    "ownership_phrases": PHRASES,
    "min_problem_words": INTEGER,
    "max_apologies": INTEGER,
    "late_after_seconds": NUMBER,
    "scripted_score": NUMBER,
    "missing_score": NUMBER,
}


def classify(call: Transcript, index: int, sentence: str, following: list[str],
             cfg: CriterionConfig) -> tuple[str, str] | None:
    """("sincere" | "scripted", reason) for an apology sentence, or None if it is not one.

    ``following`` are the sentences after it in the same utterance: "I'm so sorry. We sent
    the wrong size." names the problem in the second sentence.
    """
    trigger = find_phrase(sentence, cfg["apology_phrases"])
    if trigger is None or find_phrase(sentence, cfg["not_apology_phrases"]):
        return None
    excuse = _after_apology(sentence, trigger, cfg["excuse_phrases"])
    if excuse is None and following and _starts_with(following[0], cfg["excuse_phrases"]):
        excuse = _starts_with(following[0], cfg["excuse_phrases"])
    if excuse is not None:
        return "scripted", f"followed by an excuse, policy or blame (\"{excuse}\")"
    if (conditional := find_phrase(sentence, cfg["conditional_phrases"])) is not None:
        return "scripted", f"conditional (\"{conditional}\")"
    if (generic := find_phrase(sentence, cfg["generic_phrases"])) is not None:
        return "scripted", f"generic (\"{generic}\")"
    scope = " ".join([sentence, *following[:2]])
    if (owned := find_phrase(scope, cfg["ownership_phrases"])) is not None:
        return "sincere", f"owns it (\"{owned}\")"
    named = _problem_words(call, index, scope, cfg)
    if len(named) >= cfg["min_problem_words"]:
        return "sincere", f"names the problem ({', '.join(sorted(named)[:4])})"
    return "scripted", "generic: does not say what went wrong"


def _starts_with(sentence: str, phrases: list[str]) -> str | None:
    first = " ".join(tokens(sentence)[:4])
    found = find_phrase(first, phrases)
    return found if found and first.startswith(" ".join(tokens(found))) else None


def _after_apology(sentence: str, trigger: str, phrases: list[str]) -> str | None:
    """An excuse phrase said after the apology word (the "sorry, but..." pattern)."""
    words = tokens(sentence)
    trigger_first = tokens(trigger)[0]
    position = words.index(trigger_first) if trigger_first in words else 0
    return find_phrase(" ".join(words[position:]), phrases)


def _problem_words(call: Transcript, index: int, sentence: str,
                   cfg: CriterionConfig) -> set[str]:
    """Content words of the apology that the customer used for their problem."""
    context = previous_customer(call, index, window=float("inf"), limit=50)
    theirs: set[str] = set()
    for _, utt in context:
        theirs |= content_stems(utt.text, cfg.synonym_map)
    apology_words = set()
    for phrase in cfg["apology_phrases"]:
        apology_words |= content_stems(phrase, cfg.synonym_map)
    return (content_stems(sentence, cfg.synonym_map) - apology_words) & theirs


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A finding per apology, sincere (strength) or scripted (coaching with a rewrite)."""
    findings = []
    for i, utt in call.by(AGENT):
        said = sentences(utt.text)
        for position, sentence in enumerate(said):
            verdict = classify(call, i, sentence, said[position + 1:], cfg)
            if verdict is None:
                continue
            findings.append(_apology_finding(call, i, sentence, *verdict, cfg))
    complaints = complaint_utterances(call, cfg)
    apologies = [f for f in findings if f.label.startswith("apology:")]
    if len(apologies) > cfg["max_apologies"]:
        last = apologies[-1]
        findings.append(agent_finding(
            call, last.utterance, CRITERION, "apology:excessive", COACHING,
            f"{len(apologies)} apologies in one call: repeated sorries lose their meaning.",
            suggestion="Apologise once, sincerely, naming the problem; then spend the words on "
                       "the fix.", count=len(apologies)))
    # Without times in the file, "how long after" would be measured on placeholder times.
    if complaints and apologies and has_timing(call):
        delay = apologies[0].start - complaints[0][1].end
        if delay > cfg["late_after_seconds"]:
            first = apologies[0]
            findings.append(agent_finding(
                call, first.utterance, CRITERION, "apology:late", COACHING,
                f"The first apology came {delay:.0f} s after the customer raised the problem.",
                suggestion="Apologise as soon as the problem is clear, before the "
                           "troubleshooting.", quote=first.quote, delay_s=round(delay)))
    if complaints and not findings:
        ci, _ = complaints[0]
        problem = problem_phrase(call, ci + 1, cfg) or "this happened"
        findings.append(agent_finding(
            call, ci, CRITERION, "apology:missing", COACHING,
            "The customer raised a problem and never heard an apology.",
            suggestion=f"\"I'm sorry that {problem}. Let me put that right.\""))
    return findings


def _apology_finding(call: Transcript, i: int, sentence: str, kind: str, reason: str,
                     cfg: CriterionConfig) -> Finding:
    if kind == "sincere":
        return agent_finding(call, i, CRITERION, "apology:sincere", STRENGTH,
                             f"Sincere apology: {reason}.", quote=sentence, reason=reason)
    problem = problem_phrase(call, i, cfg)
    rewrite = (f"\"I'm sorry that {problem}. That's on us, and here's what I'll do to "
               "put it right.\"" if problem else
               "\"I'm sorry that happened. That's on us, and here's what I'll do to put it "
               "right.\" (name what went wrong)")
    return agent_finding(call, i, CRITERION, "apology:scripted", COACHING,
                         f"Scripted apology: {reason}.",
                         suggestion=f"Name the problem and own it: {rewrite}",
                         quote=sentence, reason=reason)


def score(findings: list[Finding], call: Transcript, cfg: CriterionConfig) -> CriterionScore:
    """Share of sincere apologies; not applicable when no apology was owed."""
    sincere = sum(f.label == "apology:sincere" for f in findings)
    scripted = sum(f.label == "apology:scripted" for f in findings)
    if sincere + scripted == 0:
        if any(f.label == "apology:missing" for f in findings):
            return CriterionScore(CRITERION, float(cfg["missing_score"]),
                                  "The customer raised a problem; no apology followed.",
                                  cfg.weight)
        return not_applicable(CRITERION, "no apology was owed: the customer raised no problem",
                              cfg.weight)
    value = (sincere * 100 + scripted * cfg["scripted_score"]) / (sincere + scripted)
    value -= 10 * sum(f.label in ("apology:excessive", "apology:late") for f in findings)
    return CriterionScore(CRITERION, clamp_score(value),
                          f"{sincere} sincere and {scripted} scripted apolog"
                          f"{'y' if sincere + scripted == 1 else 'ies'}.", cfg.weight)
