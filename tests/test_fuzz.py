"""Fuzzing every importer and the transcript loader (issue 12).

The property, for any file at all: loading it gives a :class:`TranscriptError` (a clear
failed line) or a valid transcript, and the batch's own path for one file (``compute``, then
``commit`` into a real SQLite database) gives ``scored``, ``unscorable`` or ``failed`` with a
one-line reason, never an exception escaping, never an internal error, never a non-finite
number scored or stored.

Inputs: arbitrary JSON (deep nesting, NaN, Infinity, 1e400, huge integers, wrong shapes) in
the native, Amazon Transcribe and Contact Lens shapes; WebVTT, SRT, CSV and text built from
plausible and hostile pieces (control characters, long lines, absurd time stamps); random
bytes (invalid UTF-8, BOMs, NUL); and random edits of the real sample files.

The run is bounded: each test runs rounds of :data:`ROUND` examples until its share of
:data:`BUDGET_SECONDS` is used (60 s in all, plus the last round of each: 60-90 s on the
2-core test machine; ``QA_FUZZ_SECONDS`` changes it), so CI time stays predictable while
every importer is fuzzed on every run, with new random examples each time.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import store
from qa.batch import MAX_REASON_CHARS, Job, Settings, commit, compute
from qa.importers import load_any
from qa.rubric import load_rubric
from qa.transcript import Transcript, TranscriptError

IMPORTS = Path(__file__).parent / "data" / "imports"
DEVSET = Path(__file__).parent / "devset"

# Seconds of fuzzing in all, shared out by weight among the tests below.
BUDGET_SECONDS = float(os.environ.get("QA_FUZZ_SECONDS", "60"))
_WEIGHTS = {"native": 2, "transcribe": 1, "contact_lens": 1, "webvtt": 1, "srt": 1, "csv": 1,
            "text": 1, "bytes": 1, "mutated": 2, "loader": 1}


_SETTINGS = Settings(rubric=load_rubric())
_SAYINGS = sorted({u.text for p in sorted(DEVSET.glob("*.json"))[:6]
                   for u in Transcript.load(p).utterances})


# Examples per round: a test runs Hypothesis round after round until its share of the budget is
# used (Hypothesis itself has no time limit, and its draws alone are not free).
ROUND = int(os.environ.get("QA_FUZZ_ROUND", "10"))
ROUND_SETTINGS = settings(max_examples=ROUND, deadline=None, database=None, print_blob=True,
                          suppress_health_check=list(HealthCheck))


def fuzz_for(name: str, rounds_of: Callable[[], None]) -> None:
    """Run ``rounds_of`` (a Hypothesis test of :data:`ROUND` examples) again and again for
    this test's share of :data:`BUDGET_SECONDS`, at least twice; print what was run."""
    share = BUDGET_SECONDS * _WEIGHTS[name] / sum(_WEIGHTS.values())
    started = time.monotonic()
    rounds = 0
    while rounds < 2 or time.monotonic() - started < share:
        rounds_of()
        rounds += 1
    print(f"\nfuzz {name}: {rounds} rounds of up to {ROUND} examples in "
          f"{time.monotonic() - started:.1f} s")


# --- pieces ----------------------------------------------------------------------------------

_HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "\x1b[31mred\x1b[0m", "\r\n\r\n", "\u2028\u2029", "\ufeff", "\u202e",
    "x" * 20_000, "word " * 4_000, "é" * 5000, "😀" * 1000, "-->", "<v>", "</v", "\t\t",
    "=HYPERLINK(\"x\")", "NaN", "Infinity", "1e400", "[" * 500, "{" * 500, "\\", "\"",
])
TEXT = st.one_of(st.sampled_from(_SAYINGS), st.text(max_size=80), _HOSTILE_TEXT,
                 st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31),
                         max_size=20))
# A sentinel replaced after json.dumps: JSON's 1e400 literal, which Python parses as inf.
_BIG = "@@1e400@@"
NUMBER = st.one_of(
    st.floats(min_value=0, max_value=900, allow_nan=False),
    st.floats(min_value=0, max_value=900, allow_nan=False),
    st.floats(),  # NaN, infinities, tiny and huge
    st.integers(min_value=-(10 ** 500), max_value=10 ** 500),
    st.sampled_from([_BIG, -1, -0.0, 10 ** 400, 1e308, 5e-324, True, None, "12.5", "nan",
                     "inf", "-inf", "", "1" * 500, [], {}]),
)


def _json_text(value: Any) -> str:
    """JSON text of ``value``, NaN and Infinity written as Python writes them, and
    :data:`_BIG` as the literal 1e400."""
    return json.dumps(value, ensure_ascii=False).replace(f'"{_BIG}"', "1e400")


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBER, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
DEEP = st.builds(lambda n, open_, close: open_ * n + close * n, st.integers(60, 200_000),
                 st.sampled_from(["[", '{"a":', '{"utterances": [']), st.sampled_from(["]", "}"]))


def _clock(seconds: float, comma: bool = False) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"
    return text.replace(".", ",") if comma else text


TIMESTAMP = st.one_of(
    st.builds(_clock, st.floats(0, 20_000, allow_nan=False)),
    st.builds(_clock, st.floats(0, 20_000, allow_nan=False), st.just(True)),
    st.sampled_from(["9" * 400 + ":00:00.000", "99:99:99.999", "00:00:60.000", "-1:00:00.000",
                     "00:00:00,000", "00:00.5", "1e400", "NaN", "inf", "", "00:00:00.0000000"]),
    st.from_regex(r"\d{1,40}:\d{1,3}:\d{1,3}[.,]\d{1,4}", fullmatch=True),
)
SPEAKER = st.one_of(st.sampled_from(["Agent", "Customer", "Sam Patel", "Jordan", "CALLER",
                                     "Representative", "spk_0", "", " ", "A" * 300]),
                    st.text(max_size=12))


# --- the property ----------------------------------------------------------------------------

def _finite_everywhere(value: Any, where: str = "") -> None:
    """Every number in a nested structure is finite (no NaN, no infinity)."""
    if isinstance(value, float):
        assert math.isfinite(value), f"non-finite number at {where or 'top'}: {value!r}"
    elif isinstance(value, dict):
        for key, item in value.items():
            _finite_everywhere(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for k, item in enumerate(value):
            _finite_everywhere(item, f"{where}[{k}]")


def _check_file(name: str, content: bytes | str, store_it: bool = False) -> str:
    """Load, compute and (with ``store_it``) store one file; assert the property; return the
    outcome's status (or "refused" when the loader refused it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        try:
            transcript = load_any(path)
        except TranscriptError as exc:
            assert str(exc).strip(), "a refusal must say why"
        else:
            _finite_everywhere(transcript.to_dict())
        result = compute(Job(path), _SETTINGS, "fuzz-hash")
        outcome = result.outcome
        assert outcome.status in ("scored", "unscorable", "failed"), outcome
        if outcome.status == "failed":
            reason = outcome.error or ""
            assert reason.strip() and "\n" not in reason and len(reason) <= MAX_REASON_CHARS
            # The catch-all's words: an exception escaped the importers or the scorer.
            assert "cannot be processed:" not in reason, reason
            assert "RecursionError" not in reason and "MemoryError" not in reason, reason
        if result.scored is not None:
            scored = result.scored.to_dict()
            _finite_everywhere(scored)
            _finite_everywhere(result.scored.transcript.to_dict())
            json.dumps(scored, allow_nan=False)  # the JSON export must be valid JSON
        if store_it and result.info is not None:
            db = store.open_db(Path(folder) / "qa.db")
            commit(result, _SETTINGS, db)
            _no_stored_non_finite(db)
            db.close()
        return outcome.status


def _no_stored_non_finite(db: sqlite_utils.Database) -> None:
    """No REAL column of any table holds NaN or an infinity."""
    for table in db.table_names():
        if table.endswith(("_fts", "_data", "_idx", "_docsize", "_config", "_content")):
            continue
        for column in db[table].columns:
            if column.type.upper() not in ("REAL", "FLOAT", "NUMERIC", "INTEGER"):
                continue
            bad = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE typeof([{column.name}]) = "
                             f"'real' AND ([{column.name}] != [{column.name}] OR "
                             f"abs([{column.name}]) > 1e300)").fetchone()[0]
            assert bad == 0, f"{table}.{column.name} holds a non-finite number"


# --- one test per importer ---------------------------------------------------------------------

UTTERANCE = st.fixed_dictionaries(
    {"speaker": st.one_of(st.sampled_from(["agent", "customer", "unknown"]), JSON_VALUE),
     "start": NUMBER, "end": NUMBER, "text": st.one_of(TEXT, JSON_VALUE)},
    optional={"words": st.lists(st.fixed_dictionaries({"start": NUMBER, "end": NUMBER},
                                                      optional={"word": TEXT,
                                                                "probability": NUMBER}),
                                max_size=4),
              "labels": st.one_of(st.lists(TEXT, max_size=2), JSON_VALUE)})


def _plausible_native(sayings: list[str], gaps: list[float]) -> dict[str, Any]:
    """A call that should score: alternating speakers, times in order."""
    clock, turns = 0.0, []
    for k, (text, gap) in enumerate(zip(sayings, gaps, strict=False)):
        length = 1 + len(text) / 15
        turns.append({"speaker": ("agent", "customer")[k % 2], "start": round(clock, 2),
                      "end": round(clock + length, 2), "text": text})
        clock += length + gap
    return {"call_id": "fuzz", "agent": "a.b", "utterances": turns}


NATIVE = st.one_of(
    st.fixed_dictionaries({"utterances": st.lists(st.one_of(UTTERANCE, JSON_VALUE), max_size=12)},
                          optional={"call_id": st.one_of(TEXT, JSON_VALUE), "agent": JSON_VALUE,
                                    "duration": NUMBER, "metadata": JSON_VALUE,
                                    "speaker_timing": JSON_VALUE, "source": JSON_VALUE}),
    st.builds(_plausible_native, st.lists(st.sampled_from(_SAYINGS), min_size=8, max_size=40),
              st.lists(st.floats(0, 8), min_size=40, max_size=40)),
    JSON_VALUE,
)


@ROUND_SETTINGS
@given(call=NATIVE, deep=st.one_of(st.none(), DEEP), name=st.sampled_from(["c.json", "c.txt"]))
def _native(call: Any, deep: str | None, name: str) -> None:
    text = deep if deep is not None else _json_text(call)
    _check_file(name, text, store_it=True)


def test_fuzz_native() -> None:
    """Fuzz native JSON (and any JSON, and deep nesting) for this test's share of the budget."""
    fuzz_for("native", _native)


ITEM = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["pronunciation", "punctuation"]), JSON_VALUE),
     "alternatives": st.one_of(st.lists(st.fixed_dictionaries(
         {"content": st.one_of(TEXT, JSON_VALUE)}, optional={"confidence": NUMBER}),
         max_size=2), JSON_VALUE)},
    optional={"start_time": NUMBER, "end_time": NUMBER, "channel_label": st.sampled_from(
        ["ch_0", "ch_1", "ch_9"]), "speaker_label": st.sampled_from(["spk_0", "spk_1", ""])})


@ROUND_SETTINGS
@given(items=st.lists(ITEM, max_size=15), layout=st.sampled_from(["channels", "speakers",
                                                                  "plain", "junk"]),
       junk=JSON_VALUE)
def _transcribe(items: list[Any], layout: str, junk: Any) -> None:
    results: dict[str, Any] = {"transcripts": [{"transcript": "x"}], "items": items}
    if layout == "channels":
        results["channel_labels"] = {"channels": [{"channel_label": "ch_0", "items": items},
                                                  {"channel_label": "ch_1", "items": junk}]}
    elif layout == "speakers":
        results["speaker_labels"] = {"segments": [{"speaker_label": "spk_0", "items": junk}]}
    elif layout == "junk":
        results = junk if isinstance(junk, dict) else {"items": junk}
    text = _json_text({"jobName": "j", "status": "COMPLETED", "results": results})
    _check_file("t.json", text)


def test_fuzz_transcribe() -> None:
    """Fuzz Amazon Transcribe JSON for this test's share of the budget."""
    fuzz_for("transcribe", _transcribe)


SEGMENT = st.fixed_dictionaries(
    {"ParticipantRole": st.one_of(st.sampled_from(["AGENT", "CUSTOMER", "SUPERVISOR"]),
                                  JSON_VALUE),
     "BeginOffsetMillis": NUMBER, "EndOffsetMillis": NUMBER,
     "Content": st.one_of(TEXT, JSON_VALUE)},
    optional={"Items": st.one_of(st.lists(st.fixed_dictionaries(
        {"BeginOffsetMillis": NUMBER, "EndOffsetMillis": NUMBER, "Content": TEXT},
        optional={"Confidence": NUMBER, "Type": st.sampled_from(["PRONUNCIATION",
                                                                 "PUNCTUATION"])}),
        max_size=3), JSON_VALUE), "ParticipantId": JSON_VALUE})


@ROUND_SETTINGS
@given(segments=st.lists(st.one_of(SEGMENT, JSON_VALUE), max_size=12), extra=JSON_VALUE,
       channel=st.sampled_from(["VOICE", "CHAT", None]))
def _contact_lens(segments: list[Any], extra: Any, channel: str | None) -> None:
    data = {"Channel": channel,
            "Participants": [{"ParticipantId": "A", "ParticipantRole": "AGENT"}],
            "Transcript": segments,
            "ConversationCharacteristics": {"TotalConversationDurationMillis": extra}}
    _check_file("cl.json", _json_text(data))


def test_fuzz_contact_lens() -> None:
    """Fuzz Contact Lens JSON for this test's share of the budget."""
    fuzz_for("contact_lens", _contact_lens)


CUE_TEXT = st.one_of(
    st.builds(lambda s, t: f"<v {s}>{t}</v>", SPEAKER, TEXT),
    st.builds(lambda s, t: f"{s}: {t}", SPEAKER, TEXT),
    st.builds(lambda a, b, t: f"<v {a}>{t}<v {b}>{t}", SPEAKER, SPEAKER, TEXT),
    TEXT)


@ROUND_SETTINGS
@given(cues=st.lists(st.tuples(st.one_of(st.none(), TEXT), TIMESTAMP, TIMESTAMP, CUE_TEXT),
                     max_size=12),
       header=st.sampled_from(["WEBVTT", "WEBVTT - x", "\ufeffWEBVTT", "WEBVTT\nKind: captions",
                               "webvtt"]),
       sep=st.sampled_from(["\n\n", "\r\n\r\n", "\n"]))
def _webvtt(cues: list[tuple[str | None, str, str, str]], header: str, sep: str) -> None:
    blocks = [header] + [(f"{ident}\n" if ident else "") + f"{start} --> {end}\n{text}"
                         for ident, start, end, text in cues]
    _check_file("c.vtt", sep.join(blocks))


def test_fuzz_webvtt() -> None:
    """Fuzz WebVTT for this test's share of the budget."""
    fuzz_for("webvtt", _webvtt)


@ROUND_SETTINGS
@given(cues=st.lists(st.tuples(st.one_of(st.integers(-5, 10 ** 30), TEXT), TIMESTAMP,
                               TIMESTAMP, CUE_TEXT), min_size=1, max_size=12),
       sep=st.sampled_from(["\n\n", "\r\n\r\n", "\n\n\n"]))
def _srt(cues: list[tuple[Any, str, str, str]], sep: str) -> None:
    blocks = [f"{number}\n{start.replace('.', ',')} --> {end.replace('.', ',')}\n{text}"
              for number, start, end, text in cues]
    _check_file("c.srt", sep.join(blocks))


def test_fuzz_srt() -> None:
    """Fuzz SRT for this test's share of the budget."""
    fuzz_for("srt", _srt)


@ROUND_SETTINGS
@given(header=st.lists(st.sampled_from(["Speaker", "speaker", "Start", "start_time", "End",
                                        "end", "Text", "transcript", "Sentiment", "", "x"]),
                       min_size=1, max_size=6),
       rows=st.lists(st.lists(st.one_of(TEXT, TIMESTAMP, NUMBER.map(str), SPEAKER),
                              max_size=7), max_size=12),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def _csv(header: list[str], rows: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    _check_file("c.csv", out.getvalue())


def test_fuzz_csv() -> None:
    """Fuzz CSV for this test's share of the budget."""
    fuzz_for("csv", _csv)


TEXT_LINE = st.one_of(
    st.builds(lambda s, t: f"{s}: {t}", SPEAKER, TEXT),
    st.builds(lambda a, s, t: f"[{a}] {s}: {t}", TIMESTAMP, SPEAKER, TEXT),
    st.builds(lambda a, b, s, t: f"[{a} - {b}] {s}: {t}", TIMESTAMP, TIMESTAMP, SPEAKER, TEXT),
    st.builds(lambda s, t: f"[{s}] {t}", SPEAKER, TEXT),
    TEXT)


@ROUND_SETTINGS
@given(lines=st.lists(TEXT_LINE, max_size=20), sep=st.sampled_from(["\n", "\r\n", "\r"]))
def _text(lines: list[str], sep: str) -> None:
    _check_file("c.txt", sep.join(lines))


def test_fuzz_text() -> None:
    """Fuzz plain text for this test's share of the budget."""
    fuzz_for("text", _text)


@ROUND_SETTINGS
@given(raw=st.one_of(st.binary(max_size=3000),
                     st.builds(lambda bom, body: bom + body,
                               st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b""]),
                               st.binary(max_size=500))),
       name=st.sampled_from(["c.json", "c.vtt", "c.srt", "c.csv", "c.txt", "c.dat"]))
def _bytes(raw: bytes, name: str) -> None:
    _check_file(name, raw)


def test_fuzz_bytes() -> None:
    """Fuzz random bytes under every extension for this test's share of the budget."""
    fuzz_for("bytes", _bytes)


_SAMPLES = {p.name: p.read_bytes() for p in sorted(IMPORTS.iterdir()) if p.is_file()}


@ROUND_SETTINGS
@given(sample=st.sampled_from(sorted(_SAMPLES)),
       edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["insert", "replace",
                                                                  "delete", "repeat"]),
                                st.one_of(st.binary(min_size=1, max_size=12),
                                          st.sampled_from([b"NaN", b"1e400", b"-1", b"\x00",
                                                           b"\xff", b"[[[[", b"-->", b"\n\n",
                                                           b"99999999999999999999:"]))),
                      min_size=1, max_size=6))
def _mutated(sample: str, edits: list[tuple[float, str, bytes]]) -> None:
    data = bytearray(_SAMPLES[sample])
    for where, op, chunk in edits:
        at = int(where * len(data))
        if op == "insert":
            data[at:at] = chunk
        elif op == "replace":
            data[at:at + len(chunk)] = chunk
        elif op == "delete":
            del data[at:at + len(chunk) * 8]
        else:
            data[at:at] = chunk * 2000
    _check_file(sample, bytes(data), store_it=True)


def test_fuzz_mutated() -> None:
    """Fuzz randomly edited sample files of every format for this test's share of the budget."""
    fuzz_for("mutated", _mutated)


@ROUND_SETTINGS
@given(call=NATIVE)
def _loader(call: Any) -> None:
    """The transcript loader itself (``Transcript.load``, what `qa eval` reads): only
    TranscriptError, and a loaded transcript holds finite times only."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.json"
        path.write_text(_json_text(call), encoding="utf-8")
        try:
            transcript = Transcript.load(path)
        except TranscriptError:
            return
        _finite_everywhere(transcript.to_dict())
        json.dumps(transcript.to_dict(), allow_nan=False)


def test_fuzz_loader() -> None:
    """Fuzz the transcript loader for this test's share of the budget."""
    fuzz_for("loader", _loader)
