"""Sanity checks for the labeled dev set in tests/devset/.

The dev set is what the detectors are scored against, so a broken file or a mislabeled timing
would silently skew every score. These tests hold the files to docs/labels.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from qa.detectors import EVAL_LABELS
from qa.detectors.common import leading_cue
from qa.transcript import AGENT, CUSTOMER, Transcript

DEVSET = Path(__file__).parent / "devset"
LABELS_DOC = Path(__file__).parent.parent / "docs" / "labels.md"
FILES = sorted(DEVSET.glob("*.json"))

# The labels a person writes on the dev set: the ones the detectors declare as evaluated.
VOCABULARY = set(EVAL_LABELS)
# Every evaluated label needs enough examples to measure; empathy and blame came later.
MIN_POSITIVES = {label: 25 for label in EVAL_LABELS} | {"empathy": 15, "blame": 15}
MIN_INTERRUPTION_OVERLAP = 0.5  # seconds, timing rules in docs/labels.md
EPS = 1e-6


def _load(path: Path) -> Transcript:
    return Transcript.load(path)


def _previous_customer(transcript: Transcript, index: int):
    for utt in reversed(transcript.utterances[:index]):
        if utt.speaker == CUSTOMER:
            return utt
    return None


def test_devset_is_present():
    assert len(FILES) >= 32


def test_vocabulary_matches_label_guide():
    documented = set(
        re.findall(
            r"^\| `([a-z:]+)` \|", LABELS_DOC.read_text(encoding="utf-8"), flags=re.MULTILINE
        )
    )
    assert documented == VOCABULARY


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_loads_and_is_well_formed(path: Path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    transcript = _load(path)
    assert transcript.call_id == path.stem == raw["call_id"]
    assert transcript.agent
    assert raw.get("industry")
    assert transcript.utterances
    # The file itself is in time order (the loader would silently re-sort it).
    starts = [u["start"] for u in raw["utterances"]]
    assert starts == sorted(starts)
    for utt in transcript.utterances:
        assert utt.speaker in (AGENT, CUSTOMER)
        assert utt.start < utt.end
        assert utt.text
        assert round(utt.start, 2) == utt.start and round(utt.end, 2) == utt.end


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_labels_are_known_and_on_agent_only(path: Path):
    for utt in _load(path).utterances:
        assert set(utt.labels) <= VOCABULARY, (utt.start, utt.labels)
        assert len(utt.labels) == len(set(utt.labels)), (utt.start, utt.labels)
        if utt.speaker != AGENT:
            assert not utt.labels, (utt.start, utt.text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_interruptions_overlap_the_customer(path: Path):
    transcript = _load(path)
    for i, utt in enumerate(transcript.utterances):
        if "interruption" not in utt.labels:
            continue
        customer = _previous_customer(transcript, i)
        assert customer is not None, (utt.start, utt.text)
        overlap = min(customer.end, utt.end) - utt.start
        assert overlap >= MIN_INTERRUPTION_OVERLAP - EPS, (utt.start, utt.text, overlap)
        # a listening cue is never an interruption
        assert "affirmation" not in utt.labels, (utt.start, utt.text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_agent_overlaps_are_labeled(path: Path):
    """An agent turn that starts inside a customer turn is a backchannel or an interruption."""
    transcript = _load(path)
    for i, utt in enumerate(transcript.utterances):
        if utt.speaker != AGENT:
            continue
        customer = _previous_customer(transcript, i)
        if customer is not None and utt.start < customer.end:
            assert {"interruption", "affirmation"} & set(utt.labels), (utt.start, utt.text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_affirmations_are_short_cues(path: Path):
    """The whole utterance is a short cue, or (docs/labels.md) a short cue stands as its own
    sentence at the start of a longer turn ("Right. So the refund went to the old card?")."""
    for utt in _load(path).utterances:
        if "affirmation" in utt.labels:
            first = re.split(r"(?<=[.!?])\s+", utt.text.strip(), maxsplit=1)[0]
            # An unpunctuated transcript ("mm-hmm so you're losing the connection...") does not
            # write the cue's sentence end; the cue is then the turn's first words.
            unmarked = leading_cue(utt.text)
            assert len(first.split()) <= 5 or (unmarked and len(unmarked.split()) <= 5), \
                (utt.start, utt.text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_turn_gaps_follow_timing_rules(path: Path):
    """Turns that do not overlap leave 0.2 to 1.5 s after everything said before them."""
    latest_end = None
    for utt in _load(path).utterances:
        if latest_end is not None and utt.start >= latest_end:
            gap = utt.start - latest_end
            assert 0.2 - EPS <= gap <= 1.5 + EPS, (utt.start, utt.text, gap)
        latest_end = utt.end if latest_end is None else max(latest_end, utt.end)


def test_label_counts_meet_minimums():
    counts = Counter(
        label for path in FILES for utt in _load(path).utterances for label in utt.labels
    )
    short = {label: counts[label] for label, need in MIN_POSITIVES.items() if counts[label] < need}
    assert not short, f"too few positives: {short} (counts {dict(counts)})"


def test_enough_agents():
    agents = {_load(path).agent for path in FILES}
    assert len(agents) >= 8
