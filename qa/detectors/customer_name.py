"""Use of the customer's name: once the customer gives it, the agent uses it (personalises the
call, as the practice recommends).
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding
from qa.params import NUMBER, PHRASES, CriterionConfig
from qa.text import tokens
from qa.transcript import AGENT, CUSTOMER, Transcript

CONTRACT = Criterion(
    "customer_name", "Customer's name",
    labels=(
        Label("customer_name", STRENGTH, "Using the customer's name"),
        Label("customer_name:unused", PROBLEM, "Not using the customer's name"),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "not_names": PHRASES,
    "unused_score": NUMBER,
    "name_intro_phrases": PHRASES,
    "name_titles": PHRASES,
}


@lru_cache(maxsize=16)
def _patterns(intros: tuple[str, ...], titles: tuple[str, ...]) -> tuple[re.Pattern[str],
                                                                          re.Pattern[str]]:
    """The rubric's introductions ("my name is") and titles ("mrs") as the two patterns a name
    is read from: an introduction, then a name; a title, then a capitalised name."""
    def either_case(phrase: str) -> str:
        # "My name is" opens a sentence and "my name is" goes on one: a phrase written in lower
        # case matches either at its first letter. One written with a capital ("I'm") matches
        # only as written. The rest of the phrase is matched as written.
        first = phrase[0]
        return (f"[{first.upper()}{first}]" if first.islower() else re.escape(first)) \
            + re.escape(phrase[1:])
    title = "(?:" + "|".join(re.escape(t.capitalize()) for t in titles) + ")"
    intro = re.compile(r"\b(?:" + "|".join(either_case(p) for p in intros) + r")\s+"
                       r"(" + title + r"\.?\s+)?([A-Za-z][a-z'-]+)")
    return intro, re.compile(r"\b(" + title + r")\.?\s+([A-Z][a-z'-]+)")


def customer_names(call: Transcript, cfg: CriterionConfig) -> set[str]:
    """Names the customer gave for themselves, or the agent used with a title ("Mrs Clarke")."""
    blocked = {w.lower() for w in cfg["not_names"]}
    intro, titled = _patterns(tuple(cfg["name_intro_phrases"]), tuple(cfg["name_titles"]))
    names: set[str] = set()
    for _, utt in call.by(CUSTOMER):
        for match in intro.finditer(utt.text):
            name = match.group(2).lower()
            # Only a capitalised word, or any word after a title, reads as a name.
            raw = match.group(2)
            if name not in blocked and (raw[0].isupper() or match.group(1)):
                names.add(name)
    for _, utt in call.by(AGENT):
        for match in titled.finditer(utt.text):
            if match.group(2).lower() not in blocked:
                names.add(match.group(2).lower())
    return names


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """A strength for each agent turn using the customer's name; a coaching point if never."""
    names = customer_names(call, cfg)
    if not names:
        return []
    findings = []
    for i, utt in call.by(AGENT):
        used = names & set(tokens(utt.text))
        if used:
            findings.append(agent_finding(
                call, i, CRITERION, "customer_name", STRENGTH,
                f"Used the customer's name ({', '.join(sorted(used)).title()}).",
                name=sorted(used)[0]))
    if not findings:
        name = sorted(names)[0].title()
        agent_turns = call.by(AGENT)
        anchor = agent_turns[min(2, len(agent_turns) - 1)][0] if agent_turns else 0
        findings.append(agent_finding(
            call, anchor, CRITERION, "customer_name:unused", COACHING,
            f"The customer gave their name ({name}) and the agent never used it.",
            suggestion=f"Use it once or twice: \"Thanks, {name}, let me sort this out for you.\"",
            name=name))
    return findings


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """100 if the name was used; ``unused_score`` if known and never used."""
    if not findings:
        return NotApplicable("the customer's name never came up")
    uses = sum(f.label == "customer_name" for f in findings)
    if uses:
        return CriterionScore(CRITERION, 100.0, f"The customer's name was used {uses} time(s).",
                              cfg.weight)
    return CriterionScore(CRITERION, float(cfg["unused_score"]),
                          "The customer's name was known but never used.", cfg.weight)
