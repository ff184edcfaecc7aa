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

``qa redact --eval tests/data/redaction.jsonl`` prints precision and recall per type; ``qa redact
"some text"`` redacts a line.

The package's modules, in the order the work flows: :mod:`~qa.redact.kinds` (the types and
tags), :mod:`~qa.redact.checks` (checksums and number shapes), :mod:`~qa.redact.numbers`
(tokens and spoken numbers), :mod:`~qa.redact.cues` (context cues), :mod:`~qa.redact.finders`,
:mod:`~qa.redact.apply_text`, :mod:`~qa.redact.apply_audio`, :mod:`~qa.redact.evaluation` and
:mod:`~qa.redact.cli` (the ``qa redact`` command). Everything public is re-exported here.
"""

from __future__ import annotations

from qa.redact.apply_audio import redacted_spans, silence_spans, write_redacted_audio
from qa.redact.apply_text import NUMBER_TAG, redact_text, redact_transcript, scrub
from qa.redact.checks import IBAN_LENGTHS, aba_ok, iban_ok, luhn_ok, ni_ok, ssn_ok
from qa.redact.cli import main
from qa.redact.cues import CONTEXT_UTTERANCES, CUE_WINDOW
from qa.redact.evaluation import evaluate, format_table, load_cases
from qa.redact.finders import TLDS, find_pii
from qa.redact.kinds import (
    ADDRESS,
    BANK_ACCOUNT,
    CARD,
    EMAIL,
    NATIONAL_ID,
    PHONE,
    ROUTING,
    TAG_RE,
    TYPES,
    Span,
    describe_counts,
    tag,
)
from qa.redact.numbers import DASHES, FILLERS, NUMBER_WORDS, REPEAT

__all__ = [
    "ADDRESS", "BANK_ACCOUNT", "CARD", "CONTEXT_UTTERANCES", "CUE_WINDOW", "DASHES", "EMAIL",
    "FILLERS", "IBAN_LENGTHS", "NATIONAL_ID", "NUMBER_TAG", "NUMBER_WORDS", "PHONE", "REPEAT",
    "ROUTING", "TAG_RE", "TLDS", "TYPES", "Span", "aba_ok", "describe_counts", "evaluate",
    "find_pii", "format_table", "iban_ok", "load_cases", "luhn_ok", "main", "ni_ok",
    "redact_text", "redact_transcript", "redacted_spans", "scrub", "silence_spans", "ssn_ok",
    "tag", "write_redacted_audio",
]
