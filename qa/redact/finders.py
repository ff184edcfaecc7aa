"""Finders: digit runs, codes spelled out (IBAN, National Insurance), e-mail addresses and
street addresses, and :func:`find_pii` choosing among their readings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.redact.checks import _NI_LOOSE_RE, _phone_shaped, iban_ok, luhn_ok, ni_ok, ssn_ok
from qa.redact.cues import _UNIT_AFTER, _cue_before, _has_last_four
from qa.redact.kinds import ADDRESS, BANK_ACCOUNT, CARD, EMAIL, NATIONAL_ID, PHONE, ROUTING, Span
from qa.redact.numbers import (
    NUMBER_WORDS,
    REPEAT,
    _digit_runs,
    _number_at,
    _Run,
    _starts_number,
    _Token,
    _tokens,
    _word_parts,
)


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
