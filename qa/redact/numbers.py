"""Tokens and spoken numbers: digit strings read from digits or words ("four one one one",
"double four", "forty two"), with the word tables of :mod:`qa.text`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa.text import TEENS, TENS, UNITS, read_amount


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
        return _Piece(i, i, _hyphenated(parts))
    word = parts[0]
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    if word in REPEAT and nxt in UNITS:
        return _Piece(i, i + 1, str(UNITS[nxt]) * REPEAT[word])
    if word in REPEAT and i + 1 < len(toks) and re.fullmatch(r"\d", toks[i + 1].core):
        return _Piece(i, i + 1, toks[i + 1].core * REPEAT[word])
    if word == "oh" and run_start and (tok.comma or tok.breaks or not _starts_number(toks, i + 1)):
        return None  # "Oh, ..." is an exclamation, not a zero
    window = toks[i:i + _WINDOW]
    read = read_amount([t.low for t in window], digit_string=True,
                       pauses=[k for k, t in enumerate(window) if t.comma])
    if read is None:
        return None
    value, end = read
    # "oh hundred" is said for three zeros, as "eight hundred" for an 8 and two.
    return _Piece(i, i + end - 1, "000" if value == 0 and end == 2 else str(value))


# The most words one group is read from: "one hundred and twenty five" is five.
_WINDOW = 8


def _hyphenated(parts: list[str]) -> str:
    """The digits of number words joined by hyphens: "forty-two" is 42, "four-one-one-one"
    4111 (a group at a time, as if they were apart)."""
    out, k = [], 0
    while k < len(parts):
        read = read_amount(parts, k, digit_string=True)
        if read is None:  # "hundred" with no unit before it
            k += 1
            continue
        out.append(str(read[0]))
        k = read[1]
    return "".join(out) or "0"


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
