"""Redaction reads spoken digit strings with the one number reader of qa/text.py."""

from __future__ import annotations

import pytest

from qa.redact import redact_text
from qa.text import read_amount


@pytest.mark.parametrize(("said", "pauses", "expected"), [
    ("eight hundred five five five", (), (800, 2)),  # a toll-free number, not 805
    ("one hundred and five", (), (105, 4)),
    ("one hundred twenty five", (), (125, 4)),
    ("forty two", (), (42, 2)),
    ("forty two", (0,), (40, 1)),  # "forty, two": two groups
    ("twenty oh", (), (20, 1)),
    ("oh", (), (0, 1)),
    ("fifteen hundred", (), (15, 1)),
    ("two thousand", (), (2, 1)),
    ("hundred", (), None),
])
def test_digit_string_groups(said: str, pauses: tuple[int, ...],
                             expected: tuple[int, int] | None) -> None:
    assert read_amount(said.split(), digit_string=True, pauses=pauses) == expected


def test_amounts_read_as_before() -> None:
    assert read_amount(["eight", "hundred", "five"]) == (805, 3)
    assert read_amount(["two", "thousand", "twenty", "four"]) == (2024, 4)
    assert read_amount(["oh"]) is None


def test_a_card_said_in_hyphenated_groups_is_redacted() -> None:
    # ASR output sometimes joins the digits of a group with hyphens; each part is a digit.
    text = ("my card number is four-one-one-one one-one-one-one one-one-one-one "
            "one-one-one-one thanks")
    redacted, counts = redact_text(text)
    assert redacted == "my card number is [CARD] thanks"
    assert counts == {"CARD": 1}


def test_hyphenated_tens_still_read_as_one_number() -> None:
    redacted, _ = redact_text("call me on four one five, five five five, oh one thirty-two")
    assert redacted == "call me on [PHONE]"
