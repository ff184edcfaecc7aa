"""The seven kinds of personal data redaction finds, their tags, and a found span."""

from __future__ import annotations

import re
from dataclasses import dataclass

CARD = "CARD"
BANK_ACCOUNT = "BANK_ACCOUNT"
ROUTING = "ROUTING"
NATIONAL_ID = "NATIONAL_ID"
PHONE = "PHONE"
EMAIL = "EMAIL"
ADDRESS = "ADDRESS"
TYPES = (CARD, BANK_ACCOUNT, ROUTING, NATIONAL_ID, PHONE, EMAIL, ADDRESS)
TAG_RE = re.compile(r"\[(" + "|".join(TYPES) + r")\]")


def describe_counts(counts: dict[str, int]) -> str:
    """What redaction replaced in a call, for people: "2 CARD, 1 PHONE" or "nothing found"."""
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing found"


def tag(kind: str) -> str:
    """The text that replaces a redacted span of ``kind``, e.g. ``[CARD]``."""
    return f"[{kind}]"


@dataclass(frozen=True)
class Span:
    """A stretch of text (character offsets) holding personal data of one kind."""

    start: int
    end: int
    kind: str
