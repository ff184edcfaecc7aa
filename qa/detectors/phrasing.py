"""Checks that keep coaching suggestions sayable: a piece of the call is used in a "try:" line
only when it reads as a whole clause, never as a fragment or a cut-off quote."""

from __future__ import annotations

import re

_SUBJECT_START = re.compile(
    r"^(?:you|your|the|it|its|it's|there|they|their|a|an|this|that|nobody|no\s+one|someone|"
    r"somebody|we|our|nothing|none)\b")
_FINITE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|hasn't|haven't|hadn't|isn't|aren't|wasn't|weren't|"
    r"did|didn't|does|doesn't|do|don't|can't|couldn't|won't|wouldn't|never|keeps|kept|got|"
    r"went|came|left|lost|took|gave|sent|broke|[a-z]{3,}ed|you're|it's|they're|there's)\b")
_HEDGED_YOU = re.compile(r"\byou(?:'re)?\s+(?:think|thought|feel|felt|believe|say|said|claim|"
                         r"claimed|guess|suppose|reckon|going\s+to|gonna|want|plan)\b")
_BAD_END = frozenset({"the", "a", "an", "and", "or", "but", "to", "of", "for", "with", "in",
                      "on", "at", "your", "my", "is", "was", "so", "because", "that", "if",
                      "gonna", "going", "just", "like", "um", "uh"})


def sayable_problem(problem: str | None) -> str | None:
    """``problem`` when it reads as a whole clause a coach could say after "I'm sorry that"
    ("your parcel never arrived"), else None: a fragment ("then on again"), a cut-off phrase
    ("…"), the customer's plan or opinion ("you think the driver left it") never becomes a
    suggestion."""
    if not problem or "…" in problem or "..." in problem:
        return None
    text = " ".join(problem.strip(" ,.;:!?\"'").split())
    words = text.split()
    if len(words) < 3 or words[-1].lower() in _BAD_END:
        return None
    lowered = text.lower()
    if not _SUBJECT_START.match(lowered) or not _FINITE.search(lowered) \
            or _HEDGED_YOU.search(lowered) or "?" in text:
        return None
    return lowered
