"""Checks that keep coaching suggestions sayable: a piece of the call is used in a "try:" line
only when it reads as a whole clause, never as a fragment or a cut-off quote."""

from __future__ import annotations

import re

# A clause that states what went wrong starts with the thing that went wrong ("your parcel",
# "the engineer", "it", "nobody") or with "you" and what happened to the customer ("you were
# charged twice", "you never got the refund").
_SUBJECT_START = re.compile(
    r"^(?:(?:your|the|it|its|it's|nobody|no\s+one|no-one|none\s+of)\b"
    r"|there\s+(?:is|was|'s|were)\s+no\b"
    r"|you\s+(?:were|weren't|have\s+been|'ve\s+been|got|didn't|haven't|hadn't|never|couldn't|"
    r"can't|still|had|lost|paid|missed|ended\s+up|waited|lost)\b|you've\s+(?:been|had|paid|lost|"
    r"waited|got|never)\b)")
_FINITE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|hasn't|haven't|hadn't|isn't|aren't|wasn't|weren't|"
    r"did|didn't|does|doesn't|don't|can't|couldn't|won't|wouldn't|never|keeps|kept|got|"
    r"went|came|left|lost|took|gave|sent|broke|stopped|[a-z]{3,}ed|it's|there's)\b")
# Words that show the clause is the customer's opinion, plan, feeling or filler, not the
# problem: "you admit it's your mistake", "the thing is you can't use it if it got warm right".
_NOT_THE_PROBLEM = re.compile(
    r"\b(?:want|wanted|admit|admitted|scared|afraid|worried|think|thought|feel|felt|believe|"
    r"telling|told|saying|said|say|writing|calling|thing|like|um|uh|right|gonna|going\s+to|"
    r"actually|literally|basically|mistake|fault|mean|guess|know|reckon|suppose|maybe|probably|"
    r"if|whether|because|cause|i|i'm|me|my|we|us|our)\b")
_BAD_END = frozenset({"the", "a", "an", "and", "or", "but", "to", "of", "for", "with", "in",
                      "on", "at", "your", "my", "is", "was", "so", "because", "that", "if",
                      "gonna", "going", "just", "like", "um", "uh", "it's", "there's"})


def sayable_problem(problem: str | None) -> str | None:
    """``problem`` when it reads as a whole clause a coach could say after "I'm sorry that"
    ("your parcel never arrived", "you were charged twice for your march bill"), else None.

    A fragment ("then on again"), a cut-off phrase ("…"), the customer's plan, opinion or
    feeling ("you think the driver left it", "you admit it's your mistake") and filler never
    become part of a suggestion: the caller then uses a generic sentence instead.
    """
    if not problem or "…" in problem or "..." in problem or "?" in problem:
        return None
    text = " ".join(problem.strip(" ,.;:!\"'").split()).lower()
    words = text.split()
    if not 3 <= len(words) <= 14 or words[-1] in _BAD_END:
        return None
    if not _SUBJECT_START.match(text) or not _FINITE.search(text) \
            or _NOT_THE_PROBLEM.search(text):
        return None
    return text


_DANGLING = frozenset({"the", "a", "an", "to", "of", "for", "with", "and", "or", "but", "your",
                       "my", "their", "our", "so", "because", "if", "at", "from", "is", "was"})


_PREPOSITIONS = frozenset({"in", "on", "at", "about", "with", "for", "to", "from", "of", "by",
                           "into", "over", "under", "after", "before", "because", "and", "but"})


def through_clause(text: str, start: int, end: int, max_words: int = 8) -> str:
    """The words of ``text`` from ``start`` to the end of their clause (at most ``max_words``
    words), so a finding quotes "those booking apps always get it wrong", not a cut-off
    "those booking apps always get"."""
    rest = re.split(r"[,;.!?]", text[end:], maxsplit=1)[0]
    core = len(text[start:end].split())
    clause = (text[start:end] + rest).split()
    words = clause[:max(max_words, core)]
    if len(words) < len(clause):
        # Cut short: end before the last phrase that was started ("... about a new").
        cuts = [i for i in range(core, len(words)) if words[i].lower() in _PREPOSITIONS]
        if cuts:
            words = words[:cuts[-1]]
    # Never end a quote on a word that needs another after it ("... the wrong clinic in the").
    while len(words) > core and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words)
