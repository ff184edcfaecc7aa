"""Redaction applied to text: a line, a transcript (its words too), and :func:`scrub` for
what is not speech (file names, call ids, error messages)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from qa.redact.checks import luhn_ok
from qa.redact.cues import CONTEXT_UTTERANCES
from qa.redact.finders import find_pii
from qa.redact.kinds import CARD, EMAIL, TYPES, Span, tag
from qa.transcript import Transcript, Utterance, Word


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
