"""Greeting and closing: the agent opens with a greeting and its own name and an offer to help,
and closes by offering further help and thanking the customer.
"""

from __future__ import annotations

import re

from qa.detectors.common import agent_finding
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import INTEGER, PHRASES, CriterionConfig
from qa.text import find_phrase
from qa.transcript import AGENT, Transcript

CONTRACT = Criterion(
    "greeting_closing", "Greeting & closing",
    labels=(
        Label("greeting", STRENGTH, "A complete opening"),
        Label("greeting:incomplete", PROBLEM, "An incomplete opening"),
        Label("closing", STRENGTH, "A complete close"),
        Label("closing:incomplete", PROBLEM, "An incomplete close"),
    )
)
CRITERION = CONTRACT.name
PARAMS = {
    "greeting_phrases": PHRASES,
    "own_name_patterns": PHRASES,
    "help_offer_phrases": PHRASES,
    "further_help_phrases": PHRASES,
    "farewell_phrases": PHRASES,
    "opening_utterances": INTEGER,
    "closing_utterances": INTEGER,
}

# "this is Maria", "my name is Dan", "Sam speaking": the word after the pattern is the name.
# The phrase in any case, the name capitalised: "i'm gonna" holds no name.
_NAME_AFTER = re.compile(r"\b(?i:this is|my name is|my name's|i'm|you're speaking with|"
                         r"you've reached)\s+([A-Z][a-z]+)")
_NAME_BEFORE = re.compile(r"\b([A-Z][a-z]+)\s+(?:speaking|here)\b")


def agent_name(call: Transcript, cfg: CriterionConfig) -> str | None:
    """The name the agent gave in its opening, if any."""
    for _, utt in call.by(AGENT)[:cfg["opening_utterances"]]:
        if not find_phrase(utt.text, cfg["own_name_patterns"]):
            continue
        for pattern in (_NAME_AFTER, _NAME_BEFORE):
            match = pattern.search(utt.text)
            if match and match.group(1).lower() not in {"sorry", "calling", "happy", "here"}:
                return match.group(1)
    return None


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """Strengths for a complete opening and closing; coaching points for what is missing."""
    agent_turns = call.by(AGENT)
    if not agent_turns:
        return []
    findings = []
    opening = agent_turns[:cfg["opening_utterances"]]
    opening_text = " ".join(u.text for _, u in opening)
    parts = {
        "greeting": find_phrase(opening_text, cfg["greeting_phrases"]),
        "own name": find_phrase(opening_text, cfg["own_name_patterns"]),
        "offer to help": find_phrase(opening_text, cfg["help_offer_phrases"]),
    }
    missing = [k for k, v in parts.items() if not v]
    first = opening[0][0]
    # "k.patel" gives only an initial: no name to put in the agent's mouth.
    from_id = (call.agent or "").split(".")[0].title()
    name = agent_name(call, cfg) or (from_id if len(from_id) > 1 else None)
    if missing:
        findings.append(agent_finding(
            call, first, CRITERION, "greeting:incomplete", COACHING,
            f"The opening has no {' and no '.join(missing)}.",
            suggestion=(f"\"Thanks for calling, this is {name}. How can I help you today?\""
                        if name else "Open with a greeting, your first name and an offer to "
                        "help, as in \"Thanks for calling, this is Sam. How can I help you "
                        "today?\" with your own name."),
            missing=missing))
    else:
        findings.append(agent_finding(call, first, CRITERION, "greeting", STRENGTH,
                                      "Warm, complete opening: greeting, own name, offer to help."))
    closing = agent_turns[-cfg["closing_utterances"]:]
    closing_text = " ".join(u.text for _, u in closing)
    ends = {"offer of further help": find_phrase(closing_text, cfg["further_help_phrases"]),
            "thanks or farewell": find_phrase(closing_text, cfg["farewell_phrases"])}
    gaps = [k for k, v in ends.items() if not v]
    last = closing[-1][0]
    if gaps:
        findings.append(agent_finding(
            call, last, CRITERION, "closing:incomplete", COACHING,
            f"The call ends with no {' and no '.join(gaps)}.",
            suggestion="\"Is there anything else I can help you with today? Thanks for calling, "
                       "and have a good day.\"", missing=gaps))
    else:
        findings.append(agent_finding(call, last, CRITERION, "closing", STRENGTH,
                                      "Closed by offering more help and thanking the customer."))
    return findings


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """Share of the five parts present: greeting, own name, offer; further help, farewell."""
    if len(call.by(AGENT)) < 2:
        return NotApplicable("too few agent turns to judge an opening and closing")
    missing = sum(len(f.detail.get("missing", [])) for f in findings)
    present = 5 - missing
    return CriterionScore(CRITERION, clamp_score(present / 5 * 100),
                          f"{present} of 5 opening and closing parts present.", cfg.weight)
