"""Checksums and number shapes: Luhn, ABA, IBAN mod-97, National Insurance, SSN, phone."""

from __future__ import annotations

import re


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
