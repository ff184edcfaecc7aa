"""Text helpers every detector shares: tokens, stems, content words, phrases, pronouns.

Built on NLTK's data-free parts only (regular-expression tokenising and the Porter stemmer),
so nothing is downloaded at run time. Stop words are our own list for the same reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from nltk.stem import PorterStemmer

_STEMMER = PorterStemmer()
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*(?:[.,][0-9]+)?")
# Machine transcripts sometimes drop the full stop but keep the capital of the next
# sentence's opener ("sorry to hear that So you cancelled..."): split there too.
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\s*(?:—|–| - )\s*"
                          r"|(?<=[a-z,])\s+(?=(?:So|And|But|Okay|Well|Now|Oh|Alright)\b)")

# Our own list (NLTK's needs a data download).
STOPWORDS = frozenset(
    """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further had hadn't has hasn't have haven't having he
he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if
in into is isn't it it's its itself let's me more most mustn't my myself no nor not of off on
once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up very
was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
while who who's whom why why's with won't would wouldn't you you'd you'll you're you've your
yours yourself yourselves just also really actually well oh um uh uhm erm hmm like yeah yes
okay ok right sure so now one get got go going gonna want wanted need needs know think see say
said tell told thing things way something anything still even much many lot bit please thank
thanks hello hi sir madam ma'am mr mrs ms let can could would will shall may might must today
kind basically literally
""".split()  # noqa: SIM905
)

# Spoken numbers: the one vocabulary and reader (qa/redact.py reads digit strings with the same
# words; scripts/make_sample_calls.py normalises transcripts for WER with read_amount).
UNITS = {"zero": 0, "oh": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4,
         "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1000}
# Words that start an amount: "oh" is a zero only inside a digit string, never an amount.
_AMOUNT_WORDS = {w: v for w, v in (UNITS | TEENS | TENS).items() if w != "oh"}
_MULTIPLES = {"twice": 2, "double": 2, "once": 1}
_NUMBER_WORDS = UNITS | TEENS | TENS | SCALES | _MULTIPLES


def read_amount(words: Sequence[str], i: int = 0) -> tuple[int, int] | None:
    """The amount spoken in lower-case ``words`` from index ``i``, and the index after it.

    "forty two" is 42, "three hundred and five" 305, "two thousand twenty four" 2024; a run
    of single digits ("four one one") is several numbers, so reading stops after "four".
    None when ``words[i]`` does not start an amount.
    """
    if i >= len(words) or words[i] not in _AMOUNT_WORDS:
        return None
    total, current, j = 0, 0, i
    while j < len(words):
        w = words[j]
        nxt = words[j + 1] if j + 1 < len(words) else ""
        if w in _AMOUNT_WORDS:
            value = _AMOUNT_WORDS[w]
            # A unit may follow a round ten ("forty two"); anything else only a round hundred.
            tens_open = current % 100 >= 20 and current % 10 == 0 and value < 10
            if not (current % 100 == 0 or tens_open):
                break
            current += value
        elif w == "hundred" and 0 < current < 100:
            current *= 100
        elif w == "thousand" and current > 0:
            total, current = total + current * 1000, 0
        elif w == "and" and nxt in _AMOUNT_WORDS and (current or total) \
                and current % 100 == 0:
            pass
        else:
            break
        j += 1
    return total + current, j

# First-person -> second-person, so a customer's words can be echoed back to them.
_SECOND_PERSON = {
    "i": "you", "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll",
    "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
    "we": "you", "we're": "you're", "we've": "you've", "our": "your", "us": "you",
    "was": "were",
}


# Contractions a speech recogniser or a hurried typist writes without the apostrophe ("cant",
# "thats", "should of"). Only spellings that are not also ordinary words: "its", "ill", "id",
# "lets", "hes", "shes" and "wont" stay as they are.
_BARE_CONTRACTIONS = {
    "cant": "can't", "dont": "don't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't",
    "wasnt": "wasn't", "werent": "weren't", "arent": "aren't", "havent": "haven't",
    "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't", "shouldnt": "shouldn't",
    "wouldnt": "wouldn't", "mustnt": "mustn't", "thats": "that's", "theres": "there's",
    "whats": "what's", "youre": "you're", "theyre": "they're", "youve": "you've",
    "weve": "we've", "theyve": "they've", "ive": "i've", "im": "i'm", "youll": "you'll",
    "theyll": "they'll", "itll": "it'll", "thatll": "that'll", "youd": "you'd",
}
_BARE_CONTRACTION_RE = re.compile(r"\b(?:" + "|".join(_BARE_CONTRACTIONS) + r")\b")
_SHOULD_OF_RE = re.compile(r"\b(should|could|would|must|might)\s+of\b(?=\s+\w+(?:ed|en|ne|wn|t)\b"
                           r"|\s+(?:had|been|got|gone|done|known|seen|told|read|put|let|set|paid|"
                           r"sent|kept|left|made|given|taken|called|checked|asked)\b)")


def normalize(text: str) -> str:
    """Lower-case, unify apostrophes, restore bare contractions ("cant" -> "can't", "should
    of had" -> "should have had"), collapse white space."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    lowered = _BARE_CONTRACTION_RE.sub(lambda m: _BARE_CONTRACTIONS[m.group(0)], lowered)
    return _SHOULD_OF_RE.sub(r"\1 have", lowered)


def tokens(text: str) -> list[str]:
    """Lower-case word and number tokens, keeping contractions ("i'm") whole."""
    return list(_tokens(text))


@lru_cache(maxsize=20_000)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: every detector tokenises the same utterances.
    return tuple(_TOKEN_RE.findall(normalize(text)))


def sentences(text: str) -> list[str]:
    """Split into sentences on end punctuation and dashes (ASR text may have none)."""
    return list(_sentences(text))


@lru_cache(maxsize=20_000)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE_RE.split(text.strip()) if s and s.strip())


_CLAUSE_RE = re.compile(r"[,;:.!?]+\s*|\s+(?:and|but|because|so)\s+", re.IGNORECASE)
_OPENERS = {"hi", "hello", "hey", "yeah", "yes", "well", "so", "um", "uh", "oh", "okay", "ok",
            "look", "listen", "honestly", "basically", "and", "but", "like", "right", "no"}


def clauses(text: str) -> list[str]:
    """Split into short clauses at punctuation and at "and" / "but" / "because" / "so"."""
    out = []
    for part in _CLAUSE_RE.split(text):
        words = part.split()
        while words and words[0].lower().strip(",.'") in _OPENERS:
            words.pop(0)
        if words:
            out.append(" ".join(words))
    return out


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Porter stem of a lower-case word."""
    return _STEMMER.stem(word)


_KEEP_S = frozenset({"it's", "that's", "what's", "let's", "there's", "he's", "she's", "here's",
                     "who's", "where's", "how's", "when's", "why's"})


def content_words(text: str) -> list[str]:
    """Tokens that carry meaning: not stop words, not single letters; possessives bare."""
    words = (_bare(t) for t in tokens(text))
    return [t for t in words if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def _bare(token: str) -> str:
    return token[:-2] if token.endswith("'s") and token not in _KEEP_S else token


def content_stems(text: str, synonyms: dict[str, str] | None = None,
                  skip_numbers: bool = False) -> set[str]:
    """Stems of the content words, each mapped to its synonym group's head when given.

    With ``skip_numbers``, numbers (digits or words) are left out: see :func:`numbers`.
    """
    out = set()
    for word in content_words(text):
        if skip_numbers and (word in _NUMBER_WORDS or word[0].isdigit()):
            continue
        s = stem(word)
        out.add(synonyms.get(s, s) if synonyms else s)
    return out


_DECIMAL = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> set[int | float]:
    """Numbers mentioned, as digits or words: "twice" and "2" both give 2, "forty two" 42."""
    found: set[int | float] = set()
    words = tokens(text)
    i = 0
    while i < len(words):
        t = words[i]
        cleaned = t.replace(",", "")
        amount = read_amount(words, i)
        if amount is not None:
            found.add(amount[0])
            i = amount[1]
            continue
        if _DECIMAL.fullmatch(cleaned):
            value = float(cleaned)
            found.add(int(value) if value.is_integer() else value)
        elif t in SCALES or t in _MULTIPLES:  # "a hundred", "a thousand", "twice"
            found.add((SCALES | _MULTIPLES)[t])
        i += 1
    return found


def _phrase_pattern(phrase: str) -> str:
    # Tokenised like the text, so "mm-hmm" and "e-mail" match; "*" stands for any one word.
    parts = [r"[\w']+" if p == "*" else re.escape(p)
             for p in (["*"] if phrase.strip() == "*" else
                       [w for chunk in phrase.split() for w in
                        (["*"] if chunk == "*" else _TOKEN_RE.findall(normalize(chunk)))])]
    return r"\s+".join(parts)


@lru_cache(maxsize=4096)
def _phrase_re(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])" + _phrase_pattern(phrase) + r"(?![\w'])")


@lru_cache(maxsize=1024)
def _any_phrase_re(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One alternation for a whole phrase list (longest first, so "sorry to hear" wins over
    "sorry" at the same place), and the phrases in that order."""
    ordered = tuple(sorted(dict.fromkeys(phrases), key=lambda p: -len(p)))
    body = "|".join(_phrase_pattern(p) for p in ordered)
    return re.compile(r"(?<![\w'])(?:" + body + r")(?![\w'])"), ordered


@lru_cache(maxsize=20_000)
def _matchable(text: str) -> str:
    # Possessives match their noun ("today's" -> "today"); contractions stay whole.
    return " ".join(_bare(t) for t in _tokens(text))


def find_phrase(text: str, phrases: Iterable[str]) -> str | None:
    """The phrase of ``phrases`` found earliest in ``text`` (word-bounded), else None."""
    pattern, ordered = _any_phrase_re(tuple(phrases))
    match = pattern.search(_matchable(text))
    if match is None:
        return None
    found = match.group(0)
    return next((p for p in ordered if _phrase_re(p).fullmatch(found)), found)


def to_second_person(text: str) -> str:
    """Turn the customer's "my order never came" into "your order never came"."""
    out = []
    previous = ""
    for word in normalize(text).split():
        bare = word.strip(".,!?;:\"")
        swapped = _SECOND_PERSON.get(bare)
        if bare in {"was", "am"} and previous != "i":
            swapped = None  # "it was cancelled" stays; only "I was" becomes "you were"
        out.append(word.replace(bare, swapped) if swapped else word)
        previous = bare
    return " ".join(out)


def shorten(text: str, max_words: int = 14) -> str:
    """At most ``max_words`` words, with an ellipsis when cut."""
    words = text.split()
    if len(words) <= max_words:
        return text.strip()
    return " ".join(words[:max_words]).rstrip(",;:") + "…"


def tail(text: str, max_words: int = 8) -> str:
    """The last ``max_words`` words, with a leading ellipsis when cut."""
    words = text.split()
    if len(words) <= max_words:
        return text.strip()
    return "…" + " ".join(words[-max_words:])


def is_question(text: str) -> bool:
    """True if the text reads as a question (ends with "?" or opens with a question word)."""
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    first = tokens(stripped)[:1]
    return bool(first) and first[0] in {
        "what", "when", "where", "which", "who", "why", "how", "could", "can", "would",
        "do", "does", "did", "is", "are", "was", "were", "have", "has", "may", "shall",
    } and not stripped.endswith(".")


def clear_caches() -> None:
    """Forget cached per-text results (tokens, sentences); benchmarks use it so that every
    call is timed as new text, the way a batch sees it."""
    for cached in (_tokens, _sentences, _matchable):
        cached.cache_clear()


def clock(seconds: object) -> str:
    """``m:ss`` for a time in the call ("12:05"); "-" for a missing, negative or non-finite
    time (a database written before such times were refused may still hold NaN)."""
    try:
        value = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return "-"
    if not math.isfinite(value) or value < 0:
        return "-"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes}:{secs:02d}"
