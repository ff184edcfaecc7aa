"""Batched decoding packs each channel's voiced spans into as few 30 s clips as it can.

Every clip costs one full 30 s encoder pass, so fewer, fuller clips are less CPU; the words
must still come back on the right channel at the right time, and where reordering saves no
clip the clips stay as they were (time order), so the words do too.
"""

from __future__ import annotations

from qa.transcribe import _PACK_GAP_S, _WINDOW_S, _fill_windows, _unpack_shared
from qa.transcript import Word

Piece = tuple[float, float, int]


def _length(clip: list[Piece]) -> float:
    return sum(e - s for s, e, _c in clip) + _PACK_GAP_S * (len(clip) - 1)


def test_spans_fill_fewer_clips_than_time_order() -> None:
    # In time order 18 | 15 + 11 | 14 takes three clips; 18 + 11 and 15 + 14 fit in two.
    spans = [(0.0, 18.0, 0), (20.0, 35.0, 0), (40.0, 51.0, 0), (60.0, 74.0, 0)]
    clips = _fill_windows(spans)
    assert len(clips) == 2
    assert sorted(p for clip in clips for p in clip) == spans  # each span exactly once
    assert all(_length(clip) <= _WINDOW_S + 1e-6 for clip in clips)
    assert all(clip == sorted(clip) for clip in clips)  # time order inside a clip


def test_time_order_is_kept_when_reordering_saves_nothing() -> None:
    spans = [(0.0, 10.0, 0), (12.0, 30.0, 0), (40.0, 45.0, 0)]
    assert _fill_windows(spans) == [[(0.0, 10.0, 0), (12.0, 30.0, 0)], [(40.0, 45.0, 0)]]


def test_channels_never_share_a_clip() -> None:
    clips = _fill_windows([(0.0, 5.0, 0), (6.0, 9.0, 1), (10.0, 12.0, 0)])
    assert clips == [[(0.0, 5.0, 0), (10.0, 12.0, 0)], [(6.0, 9.0, 1)]]


def test_a_long_span_is_cut_into_clip_sized_pieces() -> None:
    clips = _fill_windows([(5.0, 80.0, 0), (90.0, 95.0, 1)])
    pieces = sorted(p for clip in clips for p in clip)
    assert pieces[:3] == [(5.0, 35.0, 0), (35.0, 65.0, 0), (65.0, 80.0, 0)]
    assert all(_length(clip) <= _WINDOW_S + 1e-6 for clip in clips)


def test_words_go_back_to_their_own_channel_and_time() -> None:
    # Packed: channel 1 at 40-51 s, a gap, then channel 0 at 0-18 s.
    table = [(0.0, 40.0, 11.0), (11.3, 0.0, 18.0)]
    starts, owner = [p[0] for p in table], [1, 0]
    k, word = _unpack_shared(Word(2.0, 2.5, " hello"), table, starts, owner)
    assert (owner[k], word.start, word.end) == (1, 42.0, 42.5)
    k, word = _unpack_shared(Word(12.3, 12.9, " there"), table, starts, owner)
    assert (owner[k], word.start, word.end) == (0, 1.0, 1.6)
    # A word starting in the gap belongs to the next span.
    k, word = _unpack_shared(Word(11.1, 11.6, " so"), table, starts, owner)
    assert (owner[k], word.start, word.end) == (0, 0.0, 0.3)
    # A word running into the other channel's span is held to the end of its own.
    k, word = _unpack_shared(Word(10.5, 12.0, " okay"), table, starts, owner)
    assert (owner[k], word.start, word.end) == (1, 50.5, 51.0)
    # Within one channel the end is mapped through the span it lies in, as one channel's
    # packing always did (never before the start).
    k, word = _unpack_shared(Word(1.0, 11.5, " okay"), [(0.0, 40.0, 11.0), (11.3, 60.0, 5.0)],
                             starts, [0, 0])
    assert (word.start, word.end) == (41.0, 60.2)
