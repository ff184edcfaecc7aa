"""Redaction of personal and payment data in transcripts, written or spoken.

Seven kinds of data are found and replaced by a typed tag:

=================  ==============================================================================
``[CARD]``         payment card numbers (13-19 digits passing the Luhn check, whatever the
                   context; 12-19 digits after "card"/"visa"/...), and the CVV after
                   "security code"/"cvv"
``[BANK_ACCOUNT]`` account numbers (7-17 digits after "account"/"checking"/...), IBANs (mod-97)
``[ROUTING]``      US ABA routing numbers (9 digits after "routing"/"aba"), UK sort codes
``[NATIONAL_ID]``  US social security numbers (written 123-45-6789, or 9 digits after "social"),
                   the last four of a social, UK National Insurance numbers
``[PHONE]``        phone numbers (after "phone"/"call me"/..., or shaped like a North American,
                   UK or +international number)
``[EMAIL]``        e-mail addresses, written or spoken ("jane dot doe at gmail dot com")
``[ADDRESS]``      street addresses (number, name, street type, unit) and UK postcodes
=================  ==============================================================================

Numbers are read the way an ASR system writes them: digits ("4111 1111"), or words ("four one
one one", "oh" for zero, "double four", "triple seven", "forty two", "eight hundred"). The words
before a number decide what it is: the nearest cue within twenty words ("card number",
"routing", "call me on", "order", "expiry"...), looking back into the previous utterances when
a transcript is redacted, since the agent's question ("what's the sort code?") is often the
only cue for the customer's answer. Look-alikes stay: order, case, booking and
tracking numbers, dates, times, prices, quantities and years, because their cue says so,
because a unit follows ("dollars", "minutes"), or because without a cue they have no
recognised shape. Checksums (Luhn, ABA, mod-97) and number formats separate the rest.

``python -m qa.redact --eval tests/data/redaction.jsonl`` prints precision and recall per type.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.text import TEENS, TENS, UNITS
from qa.transcript import Transcript, Utterance, Word

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


# ---------------------------------------------------------------------------------------------
# Checksums and number shapes


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return bool(digits) and total % 10 == 0


def aba_ok(digits: str) -> bool:
    """True when a 9-digit string passes the ABA routing-number checksum (weights 3, 7, 1)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(digits, (3, 7, 1) * 3, strict=True)) % 10 == 0


# IBAN lengths by country (ISO 13616 registry); the length check plus mod-97 makes a random
# letters-and-digits run all but impossible to mistake for an IBAN.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
    "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}


def iban_ok(chars: str) -> bool:
    """True for a valid IBAN (letters and digits only, upper case): length and mod-97."""
    if len(chars) < 15 or IBAN_LENGTHS.get(chars[:2]) != len(chars) or not chars[2:4].isdigit():
        return False
    moved = chars[4:] + chars[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


_NI_RE = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")
_NI_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_NI_LOOSE_RE = re.compile(r"[A-Z]{2}\d{6}[A-D]")


def ni_ok(chars: str) -> bool:
    """True for a UK National Insurance number (two letters, six digits, A-D), prefix rules."""
    return bool(_NI_RE.fullmatch(chars)) and chars[:2] not in _NI_BAD_PREFIXES


def ssn_ok(digits: str) -> bool:
    """True for a 9-digit string that could be an issued US social security number."""
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (area not in ("000", "666") and area[0] != "9" and group != "00"
            and serial != "0000")


def _nanp_ok(digits: str) -> bool:
    # North American numbers: area code and exchange never start with 0 or 1.
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"


def _phone_shaped(digits: str, plus: bool) -> bool:
    """A digit run that looks like a phone number with no cue around it."""
    if plus:
        return 8 <= len(digits) <= 15
    if _nanp_ok(digits) or (len(digits) == 11 and digits[0] == "1" and _nanp_ok(digits[1:])):
        return True
    # UK numbers: 11 digits from a leading 0 (01/02/03 landlines, 07 mobiles, 08 non-geo).
    return len(digits) == 11 and digits[0] == "0" and digits[1] in "12378"


# ---------------------------------------------------------------------------------------------
# Tokens and spoken numbers


@dataclass
class _Token:
    start: int  # offsets of the core (the token without surrounding punctuation)
    end: int
    core: str
    low: str
    breaks: bool  # ends with . ? ! ; -- a digit run does not continue past it
    comma: bool  # ends with a comma (a spoken pause)


_LEAD = "\"'[{(<“‘"
_TRAIL = ".,;:!?\"')]}>”’"


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in re.finditer(r"\S+", text):
        raw, start = m.group(), m.start()
        lead = len(raw) - len(raw.lstrip(_LEAD))
        # "(415)" keeps its brackets: they belong to the phone number.
        if re.fullmatch(r"\(\d{3}\)[.,;:!?]*", raw):
            lead = 0
        core = raw[lead:]
        trail_chars = core[len(core.rstrip(_TRAIL)):]
        if core.startswith("(") and ")" in trail_chars:
            trail_chars = trail_chars[trail_chars.index(")") + 1:]
        core = core[:len(core) - len(trail_chars)] if trail_chars else core
        if not core:
            continue
        out.append(_Token(start + lead, start + lead + len(core), core, core.lower(),
                          any(c in trail_chars for c in ".?!;"), "," in trail_chars))
    return out


REPEAT = {"double": 2, "triple": 3}
FILLERS = {"uh", "um", "er", "erm", "uhm", "ah", "hmm"}
DASHES = {"-", "–", "dash", "hyphen"}
NUMBER_WORDS = set(UNITS) | set(TEENS) | set(TENS) | {"hundred"}

# A token that is a number written in digits, possibly grouped: 4111, 555-0132, (415), +44.
_NUMERIC_RE = re.compile(r"\+?\(?\d+\)?(?:[-.]\(?\d+\)?)*")
_DATE_RE = re.compile(r"(\d{1,2})[-.](\d{1,2})[-.](\d{2}|\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})")


def _numeric(tok: _Token) -> str | None:
    """The digits of a token written as a (grouped) number; None for prices, decimals, etc."""
    if not _NUMERIC_RE.fullmatch(tok.core):
        return None
    if re.fullmatch(r"\d+\.\d+", tok.core):  # 59.99, 12.5: a decimal, not an identifier
        return None
    return re.sub(r"\D", "", tok.core)


def _is_date(tok: _Token) -> bool:
    m = _DATE_RE.fullmatch(tok.core)
    if not m:
        return False
    if m.group(1):
        a, b = int(m.group(1)), int(m.group(2))
        return (1 <= b <= 12 and 1 <= a <= 31) or (1 <= a <= 12 and 1 <= b <= 31)
    return 1 <= int(m.group(5)) <= 12 and 1 <= int(m.group(6)) <= 31


def _word_parts(tok: _Token) -> list[str]:
    # "forty-two" is one token but two number words.
    parts = tok.low.split("-")
    return parts if len(parts) > 1 and all(p in NUMBER_WORDS for p in parts) else [tok.low]


@dataclass
class _Piece:
    """Digits read from tokens[first:last + 1]."""

    first: int
    last: int
    digits: str
    plus: bool = False
    date: bool = False


def _number_at(toks: list[_Token], i: int, run_start: bool) -> _Piece | None:
    """Read one spoken or written number starting at token ``i``."""
    tok = toks[i]
    digits = _numeric(tok)
    if digits is not None:
        return _Piece(i, i, digits, tok.core.startswith("+"), _is_date(tok))
    parts = _word_parts(tok)
    if len(parts) > 1:
        value = TENS.get(parts[0], 0) + UNITS.get(parts[1], 0)
        return _Piece(i, i, str(value))
    word = parts[0]
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    if word in REPEAT and nxt in UNITS:
        return _Piece(i, i + 1, str(UNITS[nxt]) * REPEAT[word])
    if word in REPEAT and i + 1 < len(toks) and re.fullmatch(r"\d", toks[i + 1].core):
        return _Piece(i, i + 1, toks[i + 1].core * REPEAT[word])
    if word == "oh" and run_start and (tok.comma or tok.breaks or not _starts_number(toks, i + 1)):
        return None  # "Oh, ..." is an exclamation, not a zero
    if word in UNITS:
        if nxt == "hundred":
            return _hundreds(toks, i, UNITS[word])
        return _Piece(i, i, str(UNITS[word]))
    if word in TEENS:
        return _Piece(i, i, str(TEENS[word]))
    if word in TENS:
        if nxt in UNITS and nxt not in ("zero", "oh", "nought") and not tok.comma:
            return _Piece(i, i + 1, str(TENS[word] + UNITS[nxt]))
        return _Piece(i, i, str(TENS[word]))
    return None


def _hundreds(toks: list[_Token], i: int, unit: int) -> _Piece:
    # "one hundred and five" / "one hundred twenty" are amounts; "eight hundred five five five"
    # (a toll-free number) reads as 800 followed by more digits.
    j = i + 2
    if j < len(toks) and toks[j].low == "and":
        j += 1
    rest = _number_at(toks, j, False) if j < len(toks) else None
    word = toks[j].low if j < len(toks) else ""
    if rest and (word in TENS or word in TEENS or (toks[i + 2].low == "and" and word in UNITS)):
        return _Piece(i, rest.last, str(unit * 100 + int(rest.digits)))
    return _Piece(i, i + 1, f"{unit}00")


def _starts_number(toks: list[_Token], i: int) -> bool:
    return i < len(toks) and _number_at(toks, i, False) is not None


@dataclass
class _Run:
    pieces: list[_Piece]
    plus: bool

    @property
    def first(self) -> int:
        return self.pieces[0].first

    @property
    def last(self) -> int:
        return self.pieces[-1].last

    @property
    def digits(self) -> str:
        return "".join(p.digits for p in self.pieces)


def _digit_runs(toks: list[_Token]) -> list[_Run]:
    """Maximal stretches of numbers, allowing fillers ("uh") and dashes between them."""
    runs: list[_Run] = []
    i = 0
    while i < len(toks):
        plus = toks[i].low == "plus" and _starts_number(toks, i + 1)
        j = i + 1 if plus else i
        pieces: list[_Piece] = []
        while j < len(toks):
            if pieces and toks[j].low in FILLERS | DASHES and _starts_number(toks, j + 1):
                j += 1
                continue
            piece = _number_at(toks, j, not pieces)
            if piece is None:
                break
            pieces.append(piece)
            j = piece.last + 1
            if toks[piece.last].breaks:
                break
        if pieces:
            run = _Run(pieces, plus or pieces[0].plus)
            if plus:  # the word "plus" belongs to the number's span
                run.pieces[0] = replace(run.pieces[0], first=i)
            runs.append(run)
            i = j
        else:
            i += 1
    return runs


# ---------------------------------------------------------------------------------------------
# Context cues

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


# ---------------------------------------------------------------------------------------------
# Finders


def _classify_run(toks: list[_Token], run: _Run) -> list[tuple[int, int, str]]:
    """(first token, last token, kind) for a digit run, or nothing for a look-alike."""
    digits, n = run.digits, len(run.digits)
    cue, _ = _cue_before(toks, run.first)
    after = toks[run.last + 1].low if run.last + 1 < len(toks) else ""
    luhn_card = 13 <= n <= 19 and luhn_ok(digits)
    if after in _UNIT_AFTER and not luhn_card:
        return []
    if cue == "routing":
        split = _split_run(run, (9, 6))
        if split:
            (a, b), (c, d) = split
            return [(a, b, ROUTING), (c, d, BANK_ACCOUNT)]
        if n in (6, 9):
            return [(run.first, run.last, ROUTING)]
        return [(run.first, run.last, BANK_ACCOUNT)] if 7 <= n <= 17 else []
    if any(p.date for p in run.pieces):
        return []  # 12-05-2024 is a date unless a sort-code cue said otherwise
    kind = None
    if cue == "account" and 7 <= n <= 17:
        kind = BANK_ACCOUNT
    elif cue == "national" and (n == 9 or (n == 4 and _has_last_four(toks, run.first))):
        kind = NATIONAL_ID
    elif cue == "phone" and 7 <= n <= 15:
        kind = PHONE
    elif luhn_card:
        kind = CARD
    elif cue == "card" and 12 <= n <= 19:
        kind = CARD  # a card number with a mis-heard digit still is one
    elif cue == "cvv" and 3 <= n <= 4:
        kind = CARD
    elif cue is None and n == 16:
        kind = CARD  # 16 digits with no cue is a card with a mis-heard digit, not an order
    elif cue not in ("keep", "date"):
        # No cue, or one that did not fit ("my card was declined, it's 312 555 0198").
        kind = _shape_only(toks, run)
    if kind:
        return [(run.first, run.last, kind)]
    if n > 19:  # a card number followed by more digits (expiry said straight after it)
        for a, b in _prefixes(run, 13, 19):
            if luhn_ok("".join(p.digits for p in run.pieces if a <= p.first and p.last <= b)):
                return [(a, b, CARD)]
    return []


def _shape_only(toks: list[_Token], run: _Run) -> str | None:
    digits = run.digits
    if len(run.pieces) == 1 and re.fullmatch(r"\d{3}-\d{2}-\d{4}", toks[run.first].core):
        return NATIONAL_ID if ssn_ok(digits) else None
    if _phone_shaped(digits, run.plus):
        return PHONE
    return None


def _split_run(run: _Run, heads: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Split "routing then account" said in one breath at a piece boundary."""
    total = 0
    for k, piece in enumerate(run.pieces[:-1]):
        total += len(piece.digits)
        rest = len(run.digits) - total
        if total in heads and 7 <= rest <= 17:
            return (run.first, piece.last), (run.pieces[k + 1].first, run.last)
    return None


def _prefixes(run: _Run, low: int, high: int) -> Iterable[tuple[int, int]]:
    total = 0
    for piece in run.pieces:
        total += len(piece.digits)
        if low <= total <= high:
            yield run.first, piece.last


def _find_numbers(toks: list[_Token]) -> list[Span]:
    spans = []
    for run in _digit_runs(toks):
        for a, b, kind in _classify_run(toks, run):
            spans.append(Span(toks[a].start, toks[b].end, kind))
    return spans


# Letters and digits said one by one: IBANs and National Insurance numbers.
def _alnum_units(toks: list[_Token]) -> list[tuple[int, int, str]]:
    """(first token, last token, characters) for every token that can be part of a code."""
    units: list[tuple[int, int, str]] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.low in REPEAT and nxt and re.fullmatch(r"[a-z]", nxt.low):
            units.append((i, i + 1, nxt.core.upper() * REPEAT[tok.low]))
            i += 2
            continue
        piece = _number_at(toks, i, False) if tok.low != "oh" or units else None
        if re.fullmatch(r"[A-Za-z]", tok.core):
            units.append((i, i, tok.core.upper()))
        elif piece is not None:
            units.append((i, piece.last, piece.digits))
            i = piece.last + 1
            continue
        elif re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", tok.core) and (
                (re.search(r"\d", tok.core) and re.search(r"[A-Za-z]", tok.core))
                or re.fullmatch(r"[A-Z]{2,4}", tok.core)
                or (re.fullmatch(r"[a-z]{2}", tok.core) and nxt is not None
                    and _starts_number(toks, i + 1))):
            units.append((i, i, tok.core.replace("-", "").upper()))
        else:
            units.append((-1, -1, ""))  # a break
        i += 1
    return units


def _find_codes(toks: list[_Token]) -> list[Span]:
    units = _alnum_units(toks)
    spans: list[Span] = []
    k = 0
    while k < len(units):
        if units[k][0] < 0:
            k += 1
            continue
        best: tuple[int, str] | None = None
        chars = ""
        # After "national insurance" any two letters, six digits and A-D will do: the prefix
        # rules would only let a mis-heard letter through unredacted.
        ni_cued = _cue_before(toks, units[k][0])[0] == "national"
        for m in range(k, min(len(units), k + 40)):
            if units[m][0] < 0 or (m > k and toks[units[m - 1][1]].breaks):
                break
            chars += units[m][2]
            if len(chars) > 34:
                break
            if ni_ok(chars) or (ni_cued and _NI_LOOSE_RE.fullmatch(chars)):
                best = (m, NATIONAL_ID)
            elif iban_ok(chars):
                best = (m, BANK_ACCOUNT)
        if best:
            m, kind = best
            spans.append(Span(toks[units[k][0]].start, toks[units[m][1]].end, kind))
            k = m + 1
        else:
            k += 1
    return spans


_EMAIL_RE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
TLDS = {"com", "net", "org", "edu", "gov", "io", "co", "uk", "us", "ca", "de", "fr", "ie", "au",
        "nz", "in", "me", "info", "biz", "eu", "es", "it", "nl", "tv", "app", "dev", "ai",
        "email", "mail", "online", "xyz", "mil", "int"}
_CONNECTORS = {"dot", "period", "underscore", "dash", "hyphen", "minus", "plus", "point"}
# Words that end the name part of a spoken address ("my email is | jane at gmail dot com").
_EMAIL_STOP = {
    "is", "it's", "its", "it", "email", "e-mail", "mail", "address", "me", "my", "to", "at",
    "send", "the", "and", "or", "was", "be", "use", "on", "contact", "reach", "you", "can",
    "your", "our", "his", "her", "their", "that's", "that", "yes", "yeah", "so", "look",
    "visit", "go", "check", "site", "website", "online", "i", "we", "us", "a", "an", "of",
    "for", "from", "with", "by", "please", "okay", "ok", "um", "uh", "sure", "just",
}


def _find_emails(text: str, toks: list[_Token]) -> list[Span]:
    spans = [Span(m.start(), m.end(), EMAIL) for m in _EMAIL_RE.finditer(text)]
    for i, tok in enumerate(toks):
        if tok.low not in ("at", "@") or "@" in tok.core[1:]:
            continue
        end = _spoken_domain(toks, i + 1)
        start = _spoken_local(toks, i - 1)
        if end is not None and start is not None:
            spans.append(Span(toks[start].start, toks[end].end, EMAIL))
    return spans


def _spoken_domain(toks: list[_Token], j: int) -> int | None:
    """Index of the last token of "gmail dot com" / "gmail.com" starting at ``j``."""
    if j >= len(toks) or toks[j].low in _EMAIL_STOP or not re.fullmatch(r"[a-z0-9.-]+",
                                                                          toks[j].low):
        return None
    labels = toks[j].low.split(".")
    last = j
    while last + 2 < len(toks) and toks[last + 1].low in ("dot", "period", "point") \
            and re.fullmatch(r"[a-z0-9-]+", toks[last + 2].low) and not toks[last].breaks:
        labels.append(toks[last + 2].low)
        last += 2
    return last if len(labels) >= 2 and labels[-1] in TLDS else None


def _spoken_local(toks: list[_Token], j: int) -> int | None:
    """Index of the first token of the name part ("jane dot doe") ending at ``j``."""
    start, plain = None, 0
    while j >= 0 and (start is None or j >= start - 8):
        low = toks[j].low
        if low in _CONNECTORS:
            start = j if start is not None else None
            if start is None:
                return None
        elif len(low) == 1 and start is not None and len(toks[start].low) == 1 \
                and not toks[j].breaks:
            start = j  # "a l i c e": a spelled-out name, even where a letter is also a word
        elif low in _EMAIL_STOP or toks[j].breaks or not re.fullmatch(r"[a-z0-9'._-]+", low):
            break
        else:
            if len(low) > 1 and low not in NUMBER_WORDS and not low.isdigit():
                plain += 1
                connected = j + 1 < len(toks) and toks[j + 1].low in _CONNECTORS
                if plain > 2 and not connected:
                    break
            start = j
        j -= 1
    if start is not None and toks[start].low in _CONNECTORS:
        start += 1
    return start


_SUFFIXES = {
    "street", "st", "avenue", "ave", "av", "road", "rd", "lane", "ln", "drive", "dr",
    "boulevard", "blvd", "court", "ct", "way", "place", "pl", "terrace", "ter", "close",
    "crescent", "cres", "parkway", "pkwy", "highway", "hwy", "circle", "cir", "square", "sq",
    "grove", "gardens", "row", "mews", "walk", "trail", "pike", "alley", "plaza", "hill",
}
_DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west",
               "northeast", "northwest", "southeast", "southwest"}
_UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "flat", "#", "no", "floor", "room"}
_ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth", "eleventh", "twelfth"}
# Words that cannot be part of a street name: "20 miles down the main road" is no address.
_NOT_NAME = _EMAIL_STOP | _UNIT_AFTER | NUMBER_WORDS | {
    "in", "into", "down", "up", "over", "off", "around", "near", "past", "this", "these",
    "those", "there", "here", "then", "than", "other", "more", "less", "new", "old",
    "options", "option", "things", "thing", "ways", "kids", "cars", "bikes", "orders",
    "boxes", "bags", "bottles", "tickets", "calls", "emails", "letters", "whole", "entire",
    "same", "different", "many", "much", "some", "any", "all", "every", "each", "few", "lot",
    "lots", "extra", "free", "total", "only", "just", "not", "no", "yes", "have", "had", "has",
    "got", "get", "are", "were", "been", "being", "will", "would", "should", "could", "did",
    "do", "does", "what", "which", "who", "when", "where", "why", "how", "if", "but", "because",
    "about", "after", "before", "again", "still", "also", "too", "very", "really",
}


def _house_number(toks: list[_Token], i: int) -> int | None:
    """Last index of a house number ("42", "221B", "forty two", "one two three") at ``i``."""
    if re.fullmatch(r"\d{1,5}[A-Za-z]?", toks[i].core):
        return i
    j, digits = i, ""
    while j < len(toks):
        low = toks[j].low
        # _word_parts: a hyphenated "forty-two" counts as number words too.
        spoken_digit = ((_word_parts(toks[j])[0] in NUMBER_WORDS and low != "hundred")
                        or (low == "oh" and digits))
        if low in REPEAT or not spoken_digit:
            break
        piece = _number_at(toks, j, not digits)
        if piece is None:
            break
        digits += piece.digits
        j = piece.last + 1
        if toks[piece.last].comma or toks[piece.last].breaks:
            break
    return j - 1 if 1 <= len(digits) <= 5 else None


def _unit_designator(toks: list[_Token], i: int) -> int | None:
    """Last index of "apartment 3B" / "suite 2100" / "apartment four b" starting at ``i``."""
    if i >= len(toks) or toks[i].low not in _UNIT_WORDS:
        return None
    j = i + 1
    if j >= len(toks):
        return None
    end: int | None
    if re.fullmatch(r"#?[A-Za-z]?\d{1,5}[A-Za-z]?", toks[j].core):
        end = j
    else:
        end = _house_number(toks, j)
        if end is None:
            return None
    if end + 1 < len(toks) and re.fullmatch(r"[a-z]", toks[end + 1].low) \
            and not toks[end].comma and not toks[end].breaks:
        end += 1
    return end


_POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[ABD-HJLNP-UW-Z]{2}")


def _spoken_postcodes(toks: list[_Token]) -> list[Span]:
    """ "the postcode is m 14 5 r t": letters and digits said apart, after a postcode cue."""
    spans = []
    units = _alnum_units(toks)
    for k, (first, _, _) in enumerate(units):
        if first < 1 or toks[first - 1].low.removesuffix("'s") not in ("postcode", "is") or \
                not any(t.low.startswith("postcode") or t.low == "post"
                        for t in toks[max(0, first - 4):first]):
            continue
        chars = ""
        for m in range(k, min(len(units), k + 8)):
            if units[m][0] < 0:
                break
            chars += units[m][2]
            if _POSTCODE_RE.fullmatch(chars):
                spans.append(Span(toks[first].start, toks[units[m][1]].end, ADDRESS))
                break
    return spans


def _find_addresses(text: str, toks: list[_Token]) -> list[Span]:
    spans: list[Span] = []
    i = 0
    while i < len(toks):
        num_end = _house_number(toks, i)
        found = None
        if num_end is not None and not toks[num_end].breaks:
            j, names = num_end + 1, 0
            while j < len(toks) and names <= 3:
                low = toks[j].low.rstrip(".")
                if names and low in _SUFFIXES:
                    found = j
                    break
                ordinal = low in _ORDINALS or re.fullmatch(r"\d+(st|nd|rd|th)", low)
                if not (ordinal or (re.fullmatch(r"[a-z][a-z'-]*", low)
                                    and low not in _NOT_NAME)):
                    break
                names += 1
                if toks[j].breaks or toks[j].comma:
                    break
                j += 1
            # "900 Harbor Point, Suite 200": no street type, but a suite makes it an address.
            if found is None and names and j < len(toks) and not toks[j].breaks \
                    and j + 1 < len(toks) and toks[j + 1].low not in ("no", "room", "floor"):
                found = j if _unit_designator(toks, j + 1) is not None else None
        if found is None:
            i += 1
            continue
        start, end = i, found
        # "Rose Hill Close", "Park Road": a street type that is part of the name.
        while end + 1 < len(toks) and toks[end + 1].low.rstrip(".") in _SUFFIXES \
                and not toks[end].comma and not toks[end].breaks:
            end += 1
        if end + 1 < len(toks) and toks[end + 1].low in _DIRECTIONS - {"e", "n", "s", "w"} \
                and not toks[end].comma and not toks[end].breaks:
            end += 1
        unit = _unit_designator(toks, end + 1) if not toks[end].breaks else None
        end = unit if unit is not None else end
        # "flat 3, 17 Kings Road": a unit said before the house number.
        if i >= 2 and toks[i - 2].low in _UNIT_WORDS and _house_number(toks, i - 1) == i - 1:
            start = i - 2
        spans.append(Span(toks[start].start, toks[end].end, ADDRESS))
        i = end + 1
    spans.extend(_spoken_postcodes(toks))
    for m in re.finditer(r"\bp\.?\s?o\.?\s+box\s+\d+", text, re.IGNORECASE):
        spans.append(Span(m.start(), m.end(), ADDRESS))
    # UK postcodes pin an address down to a few houses.
    for m in re.finditer(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[ABD-HJLNP-UW-Z]{2}\b", text,
                         re.IGNORECASE):
        spans.append(Span(m.start(), m.end(), ADDRESS))
    return spans


# ---------------------------------------------------------------------------------------------
# Public API


def find_pii(text: str, context: str = "") -> list[Span]:
    """Every span of personal data in ``text``, non-overlapping, in order.

    ``context`` is what was said just before (the previous utterances): its words count as
    cues for the numbers in ``text`` but nothing in it is returned.
    """
    if context.strip():
        offset = len(context) + 1
        combined = context + "\n" + text
        toks = _tokens(combined)
        last_ctx = [k for k, t in enumerate(toks) if t.start < offset]
        if last_ctx:  # a number never runs on from one utterance into the next
            toks[last_ctx[-1]].breaks = True
        return [Span(s.start - offset, s.end - offset, s.kind)
                for s in _find_all(combined, toks) if s.start >= offset]
    return _find_all(text, _tokens(text))


def _find_all(text: str, toks: list[_Token]) -> list[Span]:
    candidates = (_find_emails(text, toks) + _find_codes(toks) + _find_addresses(text, toks)
                  + _find_numbers(toks))
    # The longest reading wins where readings overlap: an IBAN over its digit groups, an
    # e-mail over the digits in its name part.
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def redact_text(text: str, context: str = "") -> tuple[str, Counter[str]]:
    """``text`` with personal data replaced by typed tags, and how many of each type.

    ``context`` (optional) is what was said just before, used only for its cue words.
    """
    spans = find_pii(text, context)
    return _apply(text, spans), Counter(s.kind for s in spans)


# What scrub() masks besides redact_text(): any e-mail address, quoted excerpts holding a
# digit or an "@" (error messages quote the file's text), and any run of nine or more digits
# (with spaces, dots, dashes, brackets or slashes between), whatever the words around it.
_ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s().\-/]{0,2}\d)*")
NUMBER_TAG = "[NUMBER]"


def scrub(text: str, quoted: bool = False) -> str:
    """Text that is not what was said (a file name or path, a call id, a manifest column, an
    error message) with personal data masked, more bluntly than :func:`redact_text`: such
    text has no sentence around a number to tell what it is, so every run of nine or more
    digits goes (a Luhn-valid card as ``[CARD]``, the rest as ``[NUMBER]``), and so does every
    e-mail address. ``quoted``: also blank out quoted excerpts that hold a digit or an "@"
    (parse errors quote the transcript, possibly cut mid-number)."""
    if not text:
        return text
    if quoted:
        text = _QUOTED.sub(lambda m: "'…'" if re.search(r"[\d@]", m.group()) else m.group(),
                           text)
    text = _ANY_EMAIL.sub(tag(EMAIL), redact_text(text)[0])

    def number(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if len(digits) < 9:
            return match.group()
        return tag(CARD) if 13 <= len(digits) <= 19 and luhn_ok(digits) else NUMBER_TAG

    return _DIGIT_RUN.sub(number, text)


def _apply(text: str, spans: Sequence[Span]) -> str:
    out, pos = [], 0
    for span in spans:
        out.append(text[pos:span.start])
        out.append(tag(span.kind))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def redact_transcript(t: Transcript) -> tuple[Transcript, Counter[str]]:
    """A redacted copy of ``t`` and the count of redactions per type.

    Each utterance's text is redacted; so are its words: the words inside a redacted span
    become one word whose text is the tag and whose time span covers them all (so the audio
    there can be silenced), and the original words are gone.
    """
    counts: Counter[str] = Counter()
    utterances = []
    for k, utt in enumerate(t.utterances):
        context = " ".join(u.text for u in t.utterances[max(0, k - CONTEXT_UTTERANCES):k])
        text, found = redact_text(utt.text, context)
        counts += found
        utterances.append(Utterance(utt.speaker, utt.start, utt.end, text,
                                    _redact_words(utt.words, context), list(utt.labels)))
    metadata = dict(t.metadata)
    metadata["redacted"] = {kind: counts[kind] for kind in TYPES if counts[kind]}
    redacted = Transcript(call_id=t.call_id, utterances=utterances, agent=t.agent,
                          duration=t.duration, speaker_timing=t.speaker_timing,
                          source=t.source, metadata=metadata)
    return redacted, counts


def _redact_words(words: list[Word], context: str = "") -> list[Word]:
    if not words:
        return []
    offsets, pos = [], 0
    for w in words:
        offsets.append((pos, pos + len(w.text.strip())))
        pos += len(w.text.strip()) + 1
    joined = " ".join(w.text.strip() for w in words)
    spans = find_pii(joined, context)
    if not spans:
        return list(words)
    out: list[Word] = []
    k = 0
    while k < len(words):
        ws, we = offsets[k]
        hit = [s for s in spans if s.start < we and s.end > ws]
        if not hit:
            out.append(words[k])
            k += 1
            continue
        # Grow the group while the next word shares a span with it.
        last, covered_end = k, max(s.end for s in hit)
        while last + 1 < len(words) and offsets[last + 1][0] < covered_end:
            last += 1
            more = [s for s in spans if s.start < offsets[last][1] and s.end > offsets[last][0]]
            covered_end = max([covered_end, *(s.end for s in more)])
        gs, ge = offsets[k][0], offsets[last][1]
        inside = [Span(max(s.start, gs) - gs, min(s.end, ge) - gs, s.kind)
                  for s in spans if s.start < ge and s.end > gs]
        out.append(Word(words[k].start, max(w.end for w in words[k:last + 1]),
                        _apply(joined[gs:ge], inside)))
        k = last + 1
    return out


def redacted_spans(t: Transcript) -> list[tuple[float, float, str]]:
    """Time spans (start, end, type) of the redacted words of ``t``, for silencing audio.

    Works on a transcript before or after :func:`redact_transcript`. An utterance with
    personal data but no word timings contributes its whole span (the data is somewhere in
    it), so silencing never leaves it audible.
    """
    redacted, _ = redact_transcript(t)  # idempotent: tags are never redacted again
    spans: list[tuple[float, float, str]] = []
    for utt in redacted.utterances:
        if utt.words:
            for w in utt.words:
                spans.extend((w.start, w.end, m.group(1)) for m in TAG_RE.finditer(w.text))
        else:
            spans.extend((utt.start, utt.end, m.group(1)) for m in TAG_RE.finditer(utt.text))
    return spans


def silence_spans(samples: np.ndarray, sample_rate: int,
                  spans: Iterable[tuple[float, float, Any]], pad: float = 0.1) -> np.ndarray:
    """A copy of ``samples`` with every span (seconds) set to silence.

    ``samples`` is 1-D, or 2-D with time on the last axis (``(channels, n)`` as qa.audio
    keeps them). ``pad`` seconds are added either side because word timestamps from ASR
    are only accurate to a tenth of a second or so.
    """
    out = np.array(samples, copy=True)
    n = out.shape[-1]
    for start, end, *_ in spans:
        i0 = max(0, math.floor((start - pad) * sample_rate))
        i1 = min(n, math.ceil((end + pad) * sample_rate))
        if i1 > i0:
            out[..., i0:i1] = 0
    return out


def write_redacted_audio(channels: Sequence[np.ndarray], sample_rate: int,
                         spans: Iterable[tuple[float, float, Any]], path: str | Path,
                         pad: float = 0.1) -> Path:
    """Write ``channels`` (float32 in [-1, 1], one array per channel, as qa.audio decodes
    them) to ``path`` as 16-bit PCM WAV with every span silenced on every channel.

    Every channel is silenced, not just the speaker's: on a real line each party is often
    faintly audible on the other's channel. WAV because it needs no encoder and plays in any
    browser; the copy is at the decoded rate (16 kHz), which is all the transcript came from.
    """
    import wave

    stacked = np.stack([np.asarray(c, dtype=np.float32) for c in channels])
    quiet = silence_spans(stacked, sample_rate, spans, pad=pad)
    pcm = (np.clip(quiet, -1.0, 1.0) * 32767.0).round().astype("<i2")
    path = Path(path)
    # A recording is personal data: its folder and file are for their owner only.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")  # never leave a half-written copy under the name
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw:
        os.chmod(tmp, 0o600)  # a left-over .part may have been made with another mode
        with wave.open(raw, "wb") as out:
            out.setnchannels(len(channels))
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm.T.tobytes())  # interleaved frames: (n, channels)
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# Evaluation against a labelled set


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL test set: ``{"text": ..., "spans": [[TYPE, original text], ...]}``.

    A case may also give ``"context"``: what was said just before (cue words only).
    """
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            case.setdefault("id", f"line {n}")
            cases.append(case)
    return cases


def _expected_spans(case: dict[str, Any]) -> list[Span]:
    text, out = case["text"], []
    for kind, original in case["spans"]:
        start = text.find(original)
        if start < 0:
            raise ValueError(f"{case['id']}: {original!r} is not in the text")
        out.append(Span(start, start + len(original), kind))
    return out


def evaluate(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall per type and overall, plus the cases that went wrong.

    An expected span is found when predicted spans cover all its letters and digits and one
    of them has the right type (a partly redacted card number still leaks digits). A
    predicted span is correct when it overlaps an expected span of its type.
    """
    found: Counter[str] = Counter()
    support: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    mistakes = []
    for case in cases:
        text = case["text"]
        expected, got = _expected_spans(case), find_pii(text, case.get("context", ""))
        for e in expected:
            support[e.kind] += 1
            chars = [i for i in range(e.start, e.end) if text[i].isalnum()]
            covered = all(any(g.start <= i < g.end for g in got) for i in chars)
            typed = any(g.kind == e.kind and g.start < e.end and g.end > e.start for g in got)
            if covered and typed:
                found[e.kind] += 1
            else:
                mistakes.append((case["id"], "missed", e.kind, text[e.start:e.end]))
        for g in got:
            predicted[g.kind] += 1
            if any(e.kind == g.kind and g.start < e.end and g.end > e.start for e in expected):
                correct[g.kind] += 1
            else:
                mistakes.append((case["id"], "false", g.kind, text[g.start:g.end]))
    rows = {}
    for kind in (*TYPES, "overall"):
        if kind == "overall":
            s, f, p, c = (sum(x.values()) for x in (support, found, predicted, correct))
        else:
            s, f, p, c = support[kind], found[kind], predicted[kind], correct[kind]
        rows[kind] = {"support": s, "found": f, "predicted": p, "correct": c,
                      "recall": f / s if s else 1.0, "precision": c / p if p else 1.0}
    return {"rows": rows, "mistakes": mistakes}


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table, with the mistakes listed under it."""
    lines = [f"{'type':<13} {'support':>7} {'found':>6} {'predicted':>9} {'precision':>9} "
             f"{'recall':>7}"]
    for kind, r in result["rows"].items():
        lines.append(f"{kind:<13} {r['support']:>7} {r['found']:>6} {r['predicted']:>9} "
                     f"{r['precision']:>9.3f} {r['recall']:>7.3f}")
    for case_id, what, kind, original in result["mistakes"]:
        lines.append(f"  {case_id}: {what} {kind}: {original!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.redact --eval FILE`` or ``python -m qa.redact "some text"``."""
    parser = argparse.ArgumentParser(prog="python -m qa.redact", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--eval", metavar="JSONL", help="labelled set to measure on")
    parser.add_argument("text", nargs="*", help="text to redact")
    args = parser.parse_args(argv)
    if args.eval:
        print(format_table(evaluate(load_cases(args.eval))))
        return 0
    text = " ".join(args.text) if args.text else sys.stdin.read()
    redacted, counts = redact_text(text)
    print(redacted)
    if counts:
        print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
