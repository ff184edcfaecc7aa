"""A small grammar of the time expressions people use when they promise a next step.

Clock times ("9 am", "half past three", "quarter to five", "at 12:15", "around 7 40"), named
days ("Friday", "next Tuesday"), dates ("the 14th", "March 3rd", "3rd of March"), relative days
("tomorrow", "the day after tomorrow", "next week", "later today"), working-day windows
("within two working days", "3 to 5 business days", "in 48 hours"), ranges ("between 9 and 11"),
deadlines ("by end of day", "close of business", "within the hour", "no later than the 14th")
and "right now". Numbers may be digits or spoken words ("twenty four hours").

Vague times ("soon", "in a few days", "at some point") are not matched here: they are what makes
a promise vague.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text import normalize

_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# A spoken or written number: "3", "12:15", "two", "twenty four", "forty-eight", "a".
NUM = (r"(?:\d{1,2}(?:[:.]\d{2})?|\d+|(?:" + "|".join(_TENS) + r")(?:[ -](?:"
       + "|".join(_UNITS[:9]) + r"))?|" + "|".join(_UNITS) + r")")
_HOUR_NUM = NUM
_UNITS_RE = "|".join(_UNITS[:12])
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (r"(?:january|february|march|april|june|july|august|september|october|november|"
          r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_ORD_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
              "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
              "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
              "twentieth", "thirtieth"]
_ORDINAL = (r"(?:\d{1,2}(?:st|nd|rd|th)|(?:twenty|thirty)[ -](?:first|second|third|fourth|fifth|"
            r"sixth|seventh|eighth|ninth)|" + "|".join(_ORD_WORDS) + ")")
_PART = r"(?:morning|afternoon|evening|night|lunchtime|lunch)"
_AMPM = r"(?:a\.?m\.?|p\.?m\.?|o'clock|in the (?:morning|afternoon|evening)|tonight)"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
_KIND = r"(?:working|business|calendar|banking|school)"

# Each alternative is one complete time expression; the longest match wins at a position.
_PATTERNS = [
    # Clock times: "9 am", "ten thirty pm", "at 12:15", "half past three", "quarter to five".
    rf"(?:half|quarter|twenty|ten|five) (?:past|to|after) {_HOUR_NUM}(?: {_AMPM})?",
    rf"half (?:{_UNITS_RE}|\d{{1,2}})(?! (?:an?|hour|of)\b)",
    rf"{_HOUR_NUM}(?: {NUM})? ?{_AMPM}",
    r"\d{1,2}:\d{2}",
    rf"(?:at|by|before|around|about|until|till|from|after|for|no later than) {_HOUR_NUM}"
    rf"(?: (?:thirty|fifteen|forty[ -]five|o'clock|\d{{2}})| ?{_AMPM})?(?! (?:{_UNIT}|{_KIND}|"
    rf"percent|pounds|dollars|euros|items?|of|times|people|bags?)\b)",
    r"noon|midday|midnight|first thing(?: in the morning| tomorrow)?",
    # Ranges: "between 9 and 11", "8 to 10", "from two till four", "seven to nine".
    rf"between {NUM}(?: ?{_AMPM})? and {NUM}(?: ?{_AMPM})?",
    rf"between {NUM} ?- ?{NUM}(?: ?{_AMPM})?",
    rf"{NUM} (?:to|till|until|-) {NUM}(?! {_UNIT}| {_KIND})",
    # Windows: "within two working days", "3 to 5 business days", "in 48 hours",
    # "over the next 24 hours", "in the next ten minutes", "a week from today".
    rf"(?:(?:with)?in|over|inside|under|after|for|in the next|within the next|over the next)"
    rf" (?:the next )?(?:half an|{NUM}|an?|a couple of)(?: (?:or|to|-) {NUM}| ?- ?{NUM})?"
    rf" (?:{_KIND} )?{_UNIT}",
    rf"{NUM}(?: (?:or|to|-|and) {NUM}| ?- ?{NUM})? (?:{_KIND} )?{_UNIT}",
    rf"(?:an?|one) (?:{_KIND} )?(?:hour|day|week)(?: or two)?",
    rf"(?:next|following|same|the next) (?:{_KIND} )?day",
    # Relative days and parts of the day.
    r"(?:the )?day after tomorrow",
    rf"(?:today|tonight|tomorrow|this {_PART}|tomorrow {_PART}|later (?:today|on today|tonight"
    rf"|this (?:week|{_PART})))",
    rf"(?:next|this|coming|the end of (?:the|this|next)|end of (?:the|this|next)) "
    rf"(?:week|month|weekend|{_DAY})",
    # Deadlines: "by end of day", "close of business", "EOD", "within the hour".
    r"(?:the )?end of (?:the )?(?:business )?day|close of business|end of business|\bcob\b|\beod\b",
    r"within the hour|in the next hour|this hour|before (?:we hang up|the end of this call)",
    r"(?:by|before|over|at|on) the weekend|(?:by )?close of play",
    r"(?:(?:straight|right|immediately|just) )?after (?:this|the|our) call|once we hang up"
    r"|as soon as we (?:hang up|finish|get off the phone)",
    # Named days and dates: "Friday", "on the 14th", "March 3rd", "3rd of March", "3/14".
    rf"{_DAY}s?(?: {_PART})?",
    rf"{_MONTH} (?:the )?(?:{_ORDINAL}|\d{{1,2}})\b",
    rf"(?:the )?{_ORDINAL} (?:of )?{_MONTH}",
    rf"the {_ORDINAL}(?: of (?:the|this|next) month)?",
    rf"\bmay (?:the )?{_ORDINAL}|\bmay \d{{1,2}}\b",
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?",
    # Right now.
    r"right now|right away|straight away|straightaway|immediately|as we speak|this minute"
    r"|while you(?:'re| are) (?:on the (?:line|phone)|still on the line)|\bnow\b",
    # Billing cycles: "on your next statement".
    r"(?:your |the )?next (?:statement|bill|billing cycle|invoice|payment|delivery|order)",
    r"(?:the )?next time you (?:order|log in|sign in|open|call|check|pay|use|visit|book)",
]
_TIME_RE = re.compile(r"(?<![\w'-])(?:" + "|".join(f"(?:{p})" for p in _PATTERNS) + r")(?![\w'-])")

# Ordinals that are not dates ("the first thing", "the second time") and numbers that are not
# times ("for 2 people" is filtered by the lookahead above).
_NOT_DATE_AFTER = re.compile(r"^(?:the )?(?:first|second|third|fourth|fifth|\w+th) "
                             r"(?:time|thing|one|step|person|call|item|page|floor|option|line)")


@lru_cache(maxsize=20_000)
def find_time(text: str) -> str | None:
    """The first concrete time expression in ``text`` (as said, lower case), else None."""
    norm = normalize(text).replace(",", " ,")
    first_now: str | None = None
    for match in _TIME_RE.finditer(norm):
        found = match.group(0).strip()
        rest = norm[match.start():match.start() + len(found) + 12]
        if _NOT_DATE_AFTER.match(rest):
            continue
        if found in {"now"} and re.search(r"\b(?:right|just|by|until|up to|for) now\b|\bnow that\b",
                                           norm):
            continue  # "by now", "just now", "now that ..." are not a time for a next step
        if found in {"now", "right now"} and first_now is None:
            # "I'll have a look now and ring you back within the hour": the later time is
            # the one the customer waits for.
            first_now = found
            continue
        return found
    return first_now
