"""Apology sincerity: a sincere apology names the problem and owns it; a scripted one is generic,
conditional ("if you feel"), or undone by an excuse, a policy or blame after "but".
"""

from __future__ import annotations

import re

from qa.detectors.blame import blame_of
from qa.detectors.common import (
    agent_finding,
    complaint_utterances,
    previous_customer,
    problem_phrase,
)
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable, missing_score_or_na
from qa.detectors.phrasing import sayable_problem, through_clause
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import INTEGER, NUMBER, PHRASES, CriterionConfig
from qa.text import content_stems, find_phrase, is_question, normalize, sentences, tokens
from qa.transcript import AGENT, Transcript, has_timing

CONTRACT = Criterion(
    "apology", "Apology",
    labels=(
        Label("apology:sincere", STRENGTH,
              "Sincere apologies that name the problem", evaluated=True,
              moment="Sincere apology"),
        Label("apology:scripted", PROBLEM,
              "Apologies that sound scripted, conditional or followed by an excuse",
              evaluated=True, practicable=True),
        Label("apology:late", PROBLEM, "Apologising late in the call"),
        Label("apology:missing", PROBLEM, "No apology for a real problem", practicable=True),
        Label("apology:excessive", PROBLEM, "Apologising so often it stops meaning anything"),
    )
)
CRITERION = CONTRACT.name
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
    "late_penalty": NUMBER,
    "excessive_penalty": NUMBER,
}


def classify(call: Transcript, index: int, sentence: str, following: list[str],
             cfg: CriterionConfig, preceding: list[str] | None = None) -> tuple[str, str] | None:
    """("sincere" | "scripted", reason) for an apology sentence, or None if it is not one.

    ``following`` are the sentences after it in the same utterance: "I'm so sorry. We sent
    the wrong size." names the problem in the second sentence; ``preceding`` the sentences
    before it, read when the apology points back ("... our old gateway. I apologise for that").
    """
    trigger = find_phrase(sentence, cfg["apology_phrases"])
    if trigger is None or find_phrase(sentence, cfg["not_apology_phrases"]) \
            or not_an_apology(sentence):
        return None
    excuse = _after_apology(sentence, trigger, cfg["excuse_phrases"])
    if excuse is None and following and _starts_with(following[0], cfg["excuse_phrases"]):
        excuse = _starts_with(following[0], cfg["excuse_phrases"])
    if excuse is not None:
        return "scripted", f"followed by an excuse, policy or blame (\"{excuse}\")"
    # Attached to a refusal, an excuse or blame anywhere around it: "..., so I can't refund
    # it, sorry", "sorry, the courier lost it", "Sorry for the delay. These things happen."
    attached = _REFUSAL_RE.search(normalize(sentence)) or _EXCUSE_RE.search(normalize(sentence))
    owned = find_phrase(" ".join([sentence, *following[:2]]), cfg["ownership_phrases"])
    if attached is None and not owned \
            and (blamed := blame_of(sentence, _blame_cfg(cfg))) is not None:
        return "scripted", f"tied to blame (\"{blamed[1]}\")"
    for after in following[:2]:
        if attached is None:
            attached = _EXCUSE_RE.search(normalize(after))
    if attached is not None:
        said = through_clause(attached.string, attached.start(), attached.end(), 6)
        return "scripted", f"tied to a refusal or an excuse (\"{said.strip(' ,.')}\")"
    conditional = find_phrase(sentence, cfg["conditional_phrases"]) or (
        match.group(0) if (match := _CONDITIONAL_RE.search(normalize(sentence))) else None)
    if conditional is not None:
        return "scripted", f"conditional (\"{conditional}\")"
    scope = " ".join([sentence, *following[:2]])
    if preceding and _BACK_REFERENCE_RE.search(normalize(sentence)):
        # "The codes came from our old gateway. I apologise for that.": "that" is named before.
        scope = " ".join([preceding[-1], scope])
    elif preceding and set(tokens(sentence)) <= _BARE_APOLOGY:
        # "It's our job to send the funds, and it hasn't happened. I'm very sorry.": a bare
        # sorry closes the sentences before it.
        scope = " ".join([*preceding[-2:], scope])
    owned = find_phrase(scope, cfg["ownership_phrases"]) or (
        match.group(0) if (match := _OWNERSHIP_RE.search(normalize(scope))) else None)
    # "Sorry about that, that's not good enough on our part" owns it despite the stock words.
    generic = find_phrase(sentence, cfg["generic_phrases"]) or (
        match.group(0) if (match := _ON_HOLD_RE.search(normalize(sentence))) else None)
    if generic is not None and not owned:
        return "scripted", f"generic (\"{generic}\")"
    if owned is not None:
        return "sincere", f"owns it (\"{owned}\")"
    named = _problem_words(call, index, scope, cfg)
    if len(named) >= cfg["min_problem_words"]:
        return "sincere", f"names the problem ({', '.join(sorted(named)[:4])})"
    return "scripted", "generic: does not say what went wrong"


# "Sorry" that asks for something or waves an apology away is not an apology for the problem.
_NOT_APOLOGY_RE = re.compile(
    r"\b(?:no\s+need\s+(?:to\s+be\s+sorry|to\s+apologi[sz]e|for\s+(?:an\s+)?apolog)|don't\s+be\s+"
    r"sorry|don't\s+(?:need\s+to\s+)?apologi[sz]e|nothing\s+to\s+(?:be\s+sorry|apologi[sz]e)|"
    r"(?:you\s+)?(?:don't|do\s+not)\s+have\s+to\s+(?:be\s+sorry|apologi[sz]e)|sorry\s*,?\s*"
    r"(?:(?:sorry|sir|madam|ma'am|mate|love|hun|dear)\s*,?\s*)*(?:go\s+(?:ahead|on)|you\s+first|"
    r"(?:but\s+)?(?:can|could|would|will)\s+you\b|(?:just\s+)?(?:confirm|spell|repeat)\b|after\s+you|please\s+(?:go\s+on|continue)|one\s+(?:moment|sec|"
    r"second)|bear\s+with\s+me|just\s+a\s+(?:moment|sec|second)|i\s+(?:didn't|missed|lost)|"
    r"(?:was|is|did)\s+(?:that|it)\b|"
    r"i\s+was\s+on\s+mute|(?:i'm|i\s+am)\s+(?:just\s+|still\s+)?(?:bringing|pulling|loading|looking|"
    r"checking|typing|reading|getting|searching)|what\s+was|say\s+again|(?:the\s+)?line|you\s+broke\s+up)|"
    r"sorry\s+to\s+(?:interrupt|cut\s+in|jump\s+in|hear|keep\s+asking|ask|bother)|"
    # Sorry for what a stranger did ("I'm sorry someone got hold of your card") sympathises;
    # there is nothing of ours to own.
    r"sorry\s+(?:that\s+)?(?:someone|somebody)\s+(?:has|had|got|stole|took|used|tried|was)\b|"
    r"(?:can|could|would)\s+you\s+(?:please\s+)?(?:repeat|say\s+(?:that|it)\s+again|spell|"
    r"speak\s+up))")
_APOLOGY_WORDS_RE = re.compile(r"\b(?:i'm|i\s+am|we're|we\s+are)?\s*(?:so\s+|very\s+|really\s+|"
                               r"terribly\s+|truly\s+)?(?:sorry|apologi[sz]e|apologies)\b")
# The agent will not or cannot do it: an apology attached to this is a refusal.
_REFUSAL_RE = re.compile(
    r"\b(?:i|we)\s*(?:can't|cannot|can\s+not|won't\s+be\s+able\s+to|'m\s+not\s+able\s+to|"
    r"am\s+not\s+able\s+to|'re\s+not\s+able\s+to|are\s+not\s+able\s+to|'m\s+unable\s+to|"
    r"am\s+unable\s+to|'re\s+unable\s+to|are\s+unable\s+to|don't|do\s+not|won't)\s+"
    r"(?:(?:just|really|actually|even|simply)\s+)?"
    # Any action but thinking, seeing and saying: "I can't imagine", "I can't find your
    # booking" and "I can't thank you enough" are not refusals.
    r"(?!(?:imagine|believe|see|find|hear|thank|wait|understand|blame|say|tell|stress|"
    r"apologi[sz]e|express|emphasi[sz]e|think|know|remember|recall|get\s+over|stand|seem|"
    r"want|mean|like|have\s+(?:a|any)\s+record)\b)[a-z]+\b"
    r"|\b(?:it's|it\s+is|that's|that\s+is)\s+not\s+possible\b|\bthere's\s+no\s+way\b"
    # Policy as a rule ("that's our policy", "the policy says"), not the customer's insurance
    # policy ("the policy you'd cancelled").
    r"|\b(?:our|company)\s+polic(?:y|ies)\b|\bthe\s+polic(?:y|ies)\s+(?:is|are|says|states|"
    r"doesn't|does\s+not|won't|only|requires|clearly)\b|\b(?:it's|that's|it\s+is|that\s+is)\s+"
    r"(?:just\s+)?(?:the\s+)?policy\b|\bas\s+per\s+(?:the\s+)?polic(?:y|ies)\b|\brules\s+are\b")
# Excuses that explain the problem away: "these things happen", "we're short-staffed".
_EXCUSE_RE = re.compile(
    r"\b(?:these\s+things\s+happen|it\s+happens|things\s+happen|(?:we're|we\s+are|it's\s+been|"
    r"we've\s+been)\s+(?:very\s+|really\s+|so\s+|extremely\s+)?(?:busy|short[\s-]staffed|"
    r"swamped|slammed)|took\s+longer\s+than|ran\s+(?:over|late)|out\s+of\s+our\s+control|"
    r"beyond\s+our\s+control|high\s+(?:call\s+)?volumes?|(?:it's|that's)\s+(?:just\s+)?how\s+"
    r"(?:it\s+is|it\s+works|things\s+are))\b")


# "I apologise if the process wasn't explained": sorry only on condition it was wrong.
_CONDITIONAL_RE = re.compile(r"\b(?:sorry|apologi[sz]e|apologies|regret)\s+(?:\w+\s+)?(?:if|"
                             r"that\s+you\s+(?:feel|felt|think|thought|believe))\b")
# Sorry for the wait on the line, and nothing more: "sorry about the hold".
_ON_HOLD_RE = re.compile(
    r"\b(?:sorry|apologi[sz]e|apologies)\s+(?:for|about)\s+(?:the|that|your|this|keeping\s+you\s+on)\s+"
    r"(?:long\s+|little\s+|short\s+)?(?:hold|wait|waiting|delay|holding)\b(?:\s+(?:there|sir|madam|"
    r"ma'am|mate))?(?=\s*(?:[,.!;]|$))")
# The company taking the fault: "we didn't call you back", "that's on our part".
_OWNERSHIP_RE = re.compile(
    r"\b(?:on\s+our\s+(?:part|side|end)|not\s+good\s+enough|(?:we|i)\s+(?:didn't|did\s+not|"
    r"failed\s+to|should\s+have|should've|forgot\s+to|never|haven't|hadn't|messed|screwed|"
    r"got\s+(?:it|that|this)\s+wrong|made\s+(?:a|an)\s+(?:\w+\s+)?(?:mistake|error)|dropped|"
    r"let\s+you\s+down|missed|lost|sent\s+(?:you\s+)?the\s+wrong|charged\s+you)|that\s+was\s+"
    r"(?:us|me|our\s+\w+|my\s+\w+)"
    # Our own people or systems at fault: "our team didn't remove it at checkout".
    r"|\bour\s+(?:\w+\s+)?(?:team|staff|engineer|engineers|technician|driver|system|agent|"
    r"colleague|colleagues|people|office|department|store|branch|advisor|adviser|rep|cashiers|"
    r"courier|website|app)\s+(?:didn't|did\s+not|failed\s+to|forgot\s+to|never|hasn't|haven't|"
    r"has\s+not|messed|got\s+(?:it|that|this)\s+wrong|made\s+(?:a|an)|sent|charged|lost|missed|"
    r"dropped|should\s+have|should've)\b"
    r"|\bnobody\s+(?:here|on\s+our\s+side|from\s+(?:us|our\s+\w+))\s+(?:has|had|did|ever)\b)")
_BARE_APOLOGY = frozenset({"i'm", "i", "am", "we're", "we", "are", "so", "very", "really",
                           "truly", "terribly", "deeply", "sincerely", "genuinely", "sorry",
                           "apologise", "apologize", "apologies", "again", "my", "our", "oh"})
_BACK_REFERENCE_RE = re.compile(r"\b(?:for|about)\s+(?:that|this|it|all\s+that)\b")


def not_an_apology(sentence: str) -> bool:
    """True for "sorry" that is not an apology for the problem: asking the customer to repeat
    ("sorry, can you repeat the last digit?"), yielding the floor ("sorry, go ahead"), waving
    an apology away ("no need to be sorry") or "sorry to hear that" (empathy)."""
    norm = normalize(sentence)
    if _NOT_APOLOGY_RE.search(norm):
        return True
    # A question that is only "sorry" plus the question: "Sorry, was that a B or a D?"
    rest = _APOLOGY_WORDS_RE.sub(" ", norm, count=1).strip(" ,.")
    return is_question(sentence) and _APOLOGY_WORDS_RE.match(norm.strip()) is not None \
        and not re.match(r"(?:for|about|that|we|i|if)\b", rest)


def _blame_cfg(cfg: CriterionConfig) -> CriterionConfig:
    """Blame's grammar needs its two phrase lists; apology's rubric section has none."""
    return CriterionConfig("blame", 1.0, {"blame_phrases": [], "not_blame_phrases": []})


def _starts_with(sentence: str, phrases: list[str]) -> str | None:
    first = " ".join(tokens(sentence)[:4])
    found = find_phrase(first, phrases)
    return found if found and first.startswith(" ".join(tokens(found))) else None


def _after_apology(sentence: str, trigger: str, phrases: list[str]) -> str | None:
    """An excuse phrase said after the apology word (the "sorry, but..." pattern)."""
    words = tokens(sentence)
    trigger_first = tokens(trigger)[0]
    position = words.index(trigger_first) if trigger_first in words else 0
    rest = words[position:]
    # "I'm sorry we sent your premium to the old policy": the apology's own clause owns the
    # fault, so a look-alike word inside it ("policy", "you didn't need") is no excuse; only a
    # contrast that follows ("..., but that's our policy") can undo it.
    if re.match(r"(?:sorry|apologi[sz]e|apologies)\s+(?:again\s+)?(?:that\s+)?(?:we|our|i|we've|"
                r"i've)\b", " ".join(rest)):
        turn = next((k for k, w in enumerate(rest) if w in {"but", "however", "though"}), None)
        if turn is None:
            return None
        rest = rest[turn:]
    return find_phrase(" ".join(rest), phrases)


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
            verdict = classify(call, i, sentence, said[position + 1:], cfg, said[:position])
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
        problem = sayable_problem(problem_phrase(call, ci + 1, cfg))
        findings.append(agent_finding(
            call, ci, CRITERION, "apology:missing", COACHING,
            "The customer raised a problem and never heard an apology.",
            suggestion=(f"\"I'm sorry that {problem}. Let me put that right.\"" if problem else
                        "Apologise for what went wrong, in your own words, and say you'll fix "
                        "it: \"I'm sorry this went wrong for you. Let me put it right.\"")))
    return findings


def _apology_finding(call: Transcript, i: int, sentence: str, kind: str, reason: str,
                     cfg: CriterionConfig) -> Finding:
    if kind == "sincere":
        return agent_finding(call, i, CRITERION, "apology:sincere", STRENGTH,
                             f"Sincere apology: {reason}.", quote=sentence, reason=reason)
    problem = sayable_problem(problem_phrase(call, i, cfg))
    apology = f"I'm sorry that {problem}." if problem else "I'm sorry we let you down on this."
    refusal_apology = apology if problem else "I'm sorry this has happened."
    if reason.startswith("tied to a refusal"):
        advice = ("Keep the apology apart from the \"no\" and lead with what you can do: "
                  f"\"{refusal_apology} I can't change that myself, but here's what I can do "
                  "for you today.\"")
    elif reason.startswith(("followed by", "tied to")):
        advice = (f"Drop the excuse and own it: \"{apology} That's on us, and here's what I'll "
                  "do to put it right.\"")
    elif reason.startswith("conditional"):
        advice = (f"Apologise for what happened, not for how they feel: \"{apology} That's on "
                  "us, and here's what I'll do to put it right.\"")
    else:
        advice = (f"Name what went wrong and own it: \"{apology} That's on us, and here's what "
                  "I'll do to put it right.\"")
    return agent_finding(call, i, CRITERION, "apology:scripted", COACHING,
                         f"Scripted apology: {reason}.", suggestion=advice,
                         quote=sentence, reason=reason)


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """Share of sincere apologies; not applicable when no apology was owed."""
    sincere = sum(f.label == "apology:sincere" for f in findings)
    scripted = sum(f.label == "apology:scripted" for f in findings)
    if sincere + scripted == 0:
        return missing_score_or_na(
            findings, "apology:missing", cfg,
            "The customer raised a problem; no apology followed.",
            "no apology was owed: the customer raised no problem")
    value = (sincere * 100 + scripted * cfg["scripted_score"]) / (sincere + scripted)
    value -= (cfg["excessive_penalty"] * sum(f.label == "apology:excessive" for f in findings)
              + cfg["late_penalty"] * sum(f.label == "apology:late" for f in findings))
    return CriterionScore(CRITERION, clamp_score(value),
                          f"{sincere} sincere and {scripted} scripted apolog"
                          f"{'y' if sincere + scripted == 1 else 'ies'}.", cfg.weight)
