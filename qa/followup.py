"""Follow-through on promises: when a promised time falls due, and repeat contacts.

A commitment's time is free text found by the expectations detector ("tomorrow", "within 24
hours", "by Friday"); :func:`due_time` resolves the simple cases against the call's time, so
an open commitment can be reported overdue once that moment has passed. Promises whose time is
not one of those cases (or whose call has no time) are never counted overdue.

A repeat contact is a call from the same customer less than the rubric's
``repeat_contact_days`` after their previous call. The customer is the manifest's ``customer``
column as stored on the call, nothing else: phone numbers and account ids in what was said are
masked by redaction before anything is stored, and no hash of them is kept, so matching on
them would join every redacted caller into one. For the same reason a stored customer value
holding a redaction tag (``[PHONE]``, ``[NUMBER]``...) is treated as unknown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from qa.text import numbers, tokens

DEFAULT_REPEAT_DAYS = 7.0
STATUSES = ("open", "done", "broken")
# A masked manifest value: "[PHONE]", "[NUMBER]", "[EMAIL]"...
_TAG = re.compile(r"\[[A-Z_]+\]")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SAME_DAY = ("today", "tonight", "this afternoon", "this evening", "this morning", "end of day",
             "end of the day", "end of business", "noon", "midday")
_AT_ONCE = ("right now", "right away", "immediately", "straight away", "within the hour")
# "a couple of minutes", "a few days": the number a customer would hold the agent to.
_FUZZY = {"couple": 2, "few": 3}
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
          "week": timedelta(weeks=1)}


def parse_time(text: str | None) -> datetime | None:
    """A stored call time as an aware UTC datetime (a time without a zone is taken as UTC),
    or None when there is none or it cannot be read."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _end_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=0)


def _add_business_days(moment: datetime, days: int) -> datetime:
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def due_time(when_text: str | None, call_time: str | None) -> str | None:
    """When a promise falls due, ISO UTC, from its time text and the call's time, for the
    simple cases only: same day ("today", "end of day": that day's end), at once ("now",
    "right away", "within the hour": an hour after the call), "tomorrow", a weekday ("by Friday":
    the end of the next such day), "next week" (the end of its Sunday), and a number of
    minutes / hours / days / weeks / business days ("within 24 hours", "3 to 5 business
    days": the largest number counts). Anything else (a clock time, "on the 5th") is None."""
    start = parse_time(call_time)
    if not when_text or start is None:
        return None
    text = " ".join(tokens(when_text))
    words = text.split()
    due: datetime | None = None
    found = numbers(text) | {_FUZZY[w] for w in words if w in _FUZZY}
    unit = next((u for w in words for u in _UNITS if w in (u, u + "s")), None)
    if unit == "day" and not found and "next" in words:
        found = {1}  # "the next business day", "next day"
    if found and unit:
        amount = max(found)
        if unit == "day" and ("business" in words or "working" in words):
            due = _end_of_day(_add_business_days(start, int(amount)))
        else:
            due = start + _UNITS[unit] * float(amount)
            if unit in ("day", "week"):
                due = _end_of_day(due)
    elif any(p in text for p in _AT_ONCE) or "now" in words:
        due = start + timedelta(hours=1)
    elif "tomorrow" in words:
        due = _end_of_day(start + timedelta(days=1))
    elif "next week" in text:
        due = _end_of_day(start + timedelta(days=13 - start.weekday()))
    elif day := next((d for d in _WEEKDAYS if d in words), None):
        ahead = (_WEEKDAYS.index(day) - start.weekday()) % 7 or 7
        due = _end_of_day(start + timedelta(days=ahead))
    elif any(p in text for p in _SAME_DAY):
        due = _end_of_day(start)
    return None if due is None else due.replace(microsecond=0).isoformat()


def usable_customer(customer: str | None) -> bool:
    """Whether a stored customer value can identify a customer (not empty, not masked)."""
    return bool(customer and customer.strip() and not _TAG.search(customer))


def possibly_broken(later_ts: str) -> str:
    """The flag put on an open commitment of a call the customer called back after."""
    return f"possibly broken: the customer called again on {later_ts[:10]}"
