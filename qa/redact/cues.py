"""Context cues: the words before a number that say what it is ("card number", "order")."""

from __future__ import annotations

import re

from qa.redact.numbers import _Token

_CUES: dict[str, tuple[str, ...]] = {
    "card": ("card", "cards", "credit", "debit", "visa", "mastercard", "master card", "amex",
             "american express", "card number", "long number", "number on the card",
             "card no", "pan"),
    "cvv": ("cvv", "cvc", "cvv2", "cv2", "csc", "security code", "security number",
            "three digit code", "3 digit code", "code on the back", "digits on the back"),
    "date": ("expiry", "expires", "expire", "expired", "expiration", "exp", "valid thru",
             "valid until", "date of birth", "dob", "born", "birthday", "dated", "date"),
    "account": ("account", "acct", "checking", "savings", "iban", "bank account",
                "account number", "account no", "a/c"),
    "routing": ("routing", "aba", "transit number", "sort code", "sort", "routing number",
                "bank code", "swift"),
    "national": ("social", "ssn", "social security", "social security number",
                 "national insurance", "ni number",
                 "n i number", "nino", "ni", "national id", "tax id", "itin"),
    "phone": ("phone", "mobile", "cell", "cellphone", "telephone", "landline", "call me",
              "call us", "reach me", "reach us", "text me", "call back", "callback",
              "my number", "your number", "best number", "contact number", "phone number",
              "ring me", "dial", "fax", "whatsapp", "call you", "reach you", "number to call",
              "extension"),
    "keep": ("order", "orders", "confirmation", "reference", "ref", "ticket", "case",
             "tracking", "invoice", "booking", "reservation", "claim", "policy", "member",
             "membership", "customer number", "model", "serial", "part", "item", "sku",
             "flight", "room", "ext", "zip", "zip code", "postcode", "code", "promo", "pin",
             "version", "page", "quantity", "total", "balance", "amount", "price", "voucher",
             "receipt", "transaction", "tracking number", "order number", "job", "unit",
             "plan", "year"),
}
_CUE_WORDS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): kind for kind, phrases in _CUES.items() for phrase in phrases
}
_MAX_CUE = max(len(k) for k in _CUE_WORDS)
CUE_WINDOW = 20
CONTEXT_UTTERANCES = 2  # previous utterances searched for cues when redacting a transcript

# Words right after a number that make it a quantity, price, time or size.
_UNIT_AFTER = {
    "dollars", "dollar", "pounds", "pound", "euros", "euro", "bucks", "cents", "pence", "quid",
    "percent", "%", "minutes", "minute", "mins", "hours", "hour", "hrs", "days", "day", "weeks",
    "months", "years", "seconds", "items", "units", "gb", "mb", "gigs", "megs", "megabits",
    "mbps", "points", "miles", "km", "kilos", "kg", "pm", "am", "o'clock", "times", "p.m",
    "a.m", "calls", "people", "pieces",
}


def _cue_before(toks: list[_Token], first: int) -> tuple[str | None, int]:
    """The nearest cue in the words before token ``first``: (kind, index of its last word)."""
    for end in range(first - 1, max(-1, first - 1 - CUE_WINDOW), -1):
        for size in range(min(_MAX_CUE, end + 1), 0, -1):
            # "my social's ..." / "number's": the clitic does not change the cue.
            words = tuple(t.low.removesuffix("'s").removesuffix("’s")
                          for t in toks[end - size + 1:end + 1])
            kind = _CUE_WORDS.get(words)
            if kind == "account" and _after_preposition(toks, end - size + 1):
                kind = None  # "the mobile number on the account": the account holds it
            if kind:
                return kind, end
    return None, -1


_PREPOSITIONS = {"on", "for", "to", "with", "from", "of", "in", "under"}
_DETERMINERS = {"the", "your", "my", "this", "that", "our", "his", "her", "their"}


def _after_preposition(toks: list[_Token], k: int) -> bool:
    return k >= 2 and toks[k - 2].low in _PREPOSITIONS and toks[k - 1].low in _DETERMINERS


def _has_last_four(toks: list[_Token], first: int) -> bool:
    window = " ".join(t.low for t in toks[max(0, first - CUE_WINDOW):first])
    return bool(re.search(r"\blast (four|4)\b", window))
