"""The time grammar behind commitments, and the check that keeps suggestions sayable."""

from __future__ import annotations

import pytest

from qa.detectors.phrasing import sayable_problem, through_clause
from qa.detectors.time_expressions import find_time


@pytest.mark.parametrize(("text", "time"), [
    ("I've booked your callback for half past three", "half past three"),
    ("I'll ring you at quarter to five", "quarter to five"),
    ("it'll be there by 9 am", "by 9 am"),
    ("the engineer comes 9 am sharp", "9 am"),
    ("I'll ring you at ten thirty", "at ten thirty"),
    ("around 7 40", "around 7 40"),
    ("at 12:15", "at 12:15"),
    ("Friday between 9 and 11", "friday"),
    ("they're saying between five and seven this evening", "between five and seven"),
    ("no later than the 14th", "the 14th"),
    ("on the twenty-first", "the twenty-first"),
    ("it should be with you on March 3rd", "march 3rd"),
    ("by the 3rd of March", "the 3rd of march"),
    ("the day after tomorrow", "the day after tomorrow"),
    ("some time next week", "next week"),
    ("within two working days", "within two working days"),
    ("the refund posts in 3 to 5 business days", "in 3 to 5 business days"),
    ("in forty-eight hours", "in forty-eight hours"),
    ("by end of day", "end of day"),
    ("before close of business", "close of business"),
    ("within the hour", "within the hour"),
    ("it'll show up next time you order", "next time you order"),
    ("kindly wait for 2-3 working days", "for 2-3 working days"),
    ("give it 24-48 hours", "24-48 hours"),
    ("between 9-11am", "between 9-11am"),
    ("it will come by 5pm", "by 5pm"),
    ("by 10:30am tomorrow", "by 10:30am"),
    ("around half three", "half three"),
    ("I'll ring you back in half an hour", "in half an hour"),
])
def test_time_expressions_are_found(text: str, time: str) -> None:
    assert find_time(text) == time


@pytest.mark.parametrize("text", [
    "It's the first time this happened", "a table for 2 people", "I'll pass it along",
    "someone will reach out soon", "by now it should", "in a few days", "may I have your name",
    "I've got two bags", "we had 3 complaints", "the quarter comes out at ninety-four pounds",
    "one moment please", "half of them",
])
def test_not_a_time(text: str) -> None:
    assert find_time(text) is None


@pytest.mark.parametrize(("problem", "sayable"), [
    ("your parcel never arrived", True),
    ("you were charged twice for your march bill", True),
    ("nobody called you about the belt", True),
    ("then on again", False),
    ("you think the driver left it at the wrong address", False),
    ("you were charged twice for the same purchase at an…", False),
    ("you admit it's your mistake", False),
    ("the thing is you can't use it if it got warm right", False),
    ("you're going to turn it off and on again", False),
    ("it is gonna", False),
    (None, False),
])
def test_only_whole_clauses_become_suggestions(problem: str | None, sayable: bool) -> None:
    assert (sayable_problem(problem) is not None) is sayable


@pytest.mark.parametrize(("text", "start_word", "quote"), [
    ("yeah those booking apps always get it wrong to be honest", "those",
     "those booking apps always get it wrong"),
    ("you probably picked the wrong clinic in the app, we've got two", "you",
     "you probably picked the wrong clinic"),
    ("someone should give you a buzz about a new slot", "someone",
     "someone should give you a buzz"),
    ("i can't fit him in, sorry", "i", "i can't fit him in"),
])
def test_quotes_run_to_a_clean_end(text: str, start_word: str, quote: str) -> None:
    start = text.index(start_word)
    assert through_clause(text, start, start + len(start_word) + 10, 8) == quote
