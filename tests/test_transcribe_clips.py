"""Batched decoding packs the voiced spans of both channels into shared 30 s clips.

Every clip costs one full 30 s encoder pass, so fewer, fuller clips are less CPU; the words
must still come back on the right channel at the right time.
"""

from __future__ import annotations

import math

from qa.transcribe import _PACK_GAP_S, _WINDOW_S, _fill_windows, _unpack_shared
from qa.transcript import Word


def _length(clip: list[tuple[float, float, int]]) -> float:
    return sum(e - s for s, e, _c in clip) + _PACK_GAP_S * (len(clip) - 1)


def test_spans_fill_fewer_clips_than_time_order() -> None:
    # In time order 18 | 15 + 11 | 14 takes three clips; 18 + 11 and 15 + 14 fit in two.
    spans = [(0.0, 18.0, 0), (20.0, 35.0, 0), (40.0, 51.0, 1), (60.0, 74.0, 1)]
    clips = _fill_windows(spans)
    assert len(clips) == 2
    assert sorted(p for clip in clips for p in clip) == spans  # each span exactly once
    assert all(_length(clip) <= _WINDOW_S + 1e-6 for clip in clips)
    assert all(clip == sorted(clip) for clip in clips)  # time order inside a clip


def test_a_long_span_is_cut_into_clip_sized_pieces() -> None:
    clips = _fill_windows([(5.0, 80.0, 0), (90.0, 95.0, 1)])
    pieces = sorted(p for clip in clips for p in clip)
    assert pieces[:3] == [(5.0, 35.0, 0), (35.0, 65.0, 0), (65.0, 80.0, 0)]
    assert all(_length(clip) <= _WINDOW_S + 1e-6 for clip in clips)
    assert len(clips) == math.ceil((75 + 5) / _WINDOW_S)


def test_words_go_back_to_their_own_channel_and_time() -> None:
    # Packed: channel 1 at 40-51 s first, a gap, then channel 0 at 0-18 s.
    table = [(0.0, 40.0, 11.0), (11.3, 0.0, 18.0)]
    starts = [p[0] for p in table]
    k, word = _unpack_shared(Word(2.0, 2.5, " hello"), table, starts)
    assert (k, word.start, word.end) == (0, 42.0, 42.5)
    k, word = _unpack_shared(Word(12.3, 12.9, " there"), table, starts)
    assert (k, word.start, word.end) == (1, 1.0, 1.6)
    # A word starting in the gap belongs to the next span; its end stays inside that span.
    k, word = _unpack_shared(Word(11.1, 11.6, " so"), table, starts)
    assert (k, word.start, word.end) == (1, 0.0, 0.3)
    # A word running past its span's end is held to it, not carried into the other channel.
    k, word = _unpack_shared(Word(10.5, 12.0, " okay"), table, starts)
    assert (k, word.start, word.end) == (0, 50.5, 51.0)
