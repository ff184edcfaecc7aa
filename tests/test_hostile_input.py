"""Hostile and careless input (issue 12, defects 1, 3 and 4): no file stops a batch, no
non-finite time gets in, size is bounded, scoring is linear."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from qa import store
from qa.cli import main

DEVSET = Path(__file__).parent / "devset"


def run(*args: str) -> tuple[int, str, str]:
    """The real `qa` command; exceptions inside it are a test failure."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _deep_json(levels: int) -> str:
    return '{"utterances": ' + "[" * levels + "]" * levels + "}"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """A folder with two good transcripts."""
    folder = tmp_path / "drop"
    folder.mkdir()
    for src in sorted(DEVSET.glob("*.json"))[:2]:
        shutil.copy(src, folder / src.name)
    return folder


# --- defect 1: one file stops every batch ------------------------------------------------------

def test_deeply_nested_json_fails_alone_and_the_batch_goes_on(drop: Path, tmp_path: Path) -> None:
    (drop / "deep.json").write_text(_deep_json(50_000))
    (drop / "deep_text.txt").write_text("[" * 50_000)  # "[..." is tried as JSON first
    db_path = tmp_path / "qa.db"
    code, out, err = run("score", str(drop), "--db", str(db_path))
    assert code == 1
    assert "2 scored" in out
    line = next(x for x in err.splitlines() if "deep.json" in x)
    assert "deep.json: failed:" in line and "nested" in line
    assert sqlite_utils.Database(db_path)["calls"].count == 2
    code, out, _ = run("runs", "--db", str(db_path))
    assert "nested" in out


def test_watch_survives_a_deeply_nested_file(drop: Path, tmp_path: Path) -> None:
    (drop / "deep.json").write_text(_deep_json(50_000))
    db_path = tmp_path / "qa.db"
    code, out, err = run("watch", str(drop), "--db", str(db_path), "--once", "--settle", "0",
                         "--interval", "0.05")
    assert code == 1, out + err  # a file failed: --once says so in its exit code
    assert sqlite_utils.Database(db_path)["calls"].count == 2
    runs = store.open_db(db_path).execute(
        "SELECT status, error FROM run_files WHERE path LIKE '%deep.json'").fetchall()
    assert runs and runs[0][0] == "failed" and "nested" in runs[0][1]


def test_moderate_nesting_in_metadata_is_refused_before_it_is_stored(drop: Path,
                                                                     tmp_path: Path) -> None:
    """Deep enough to pass the parser but not the store's own JSON writer."""
    call = json.loads(sorted(DEVSET.glob("*.json"))[0].read_text())
    call["call_id"] = "deep-meta"
    (drop / "meta.json").write_text(json.dumps(call)[:-1] + ', "metadata": {"x": '
                                    + "[" * 5000 + "]" * 5000 + "}}")
    code, _, err = run("score", str(drop / "meta.json"), "--db", str(tmp_path / "qa.db"))
    assert code == 1 and "meta.json: failed:" in err and "nested" in err


# --- defect 3: NaN and infinite times ------------------------------------------------------------

IMPORTS = Path(__file__).parent / "data" / "imports"
NATIVE = sorted(DEVSET.glob("*.json"))[0]


def _native_with(field: str, raw: str, where: str = "start") -> str:
    """The first dev-set call with one utterance's (or word's) ``where`` written as ``raw``."""
    call = json.loads(NATIVE.read_text())
    utt = call["utterances"][1]
    if field == "word":
        utt["words"] = [{"start": 4.2, "end": 4.5, "word": "Hi"}]
        utt["words"][0][where] = "@@"
    elif field == "duration":
        call["duration"] = "@@"
    else:
        utt[where] = "@@"
    return json.dumps(call).replace('"@@"', raw)


NON_FINITE_NATIVE = [
    ("nan_start", _native_with("utt", "NaN")),
    ("infinity_end", _native_with("utt", "Infinity", "end")),
    ("minus_infinity_start", _native_with("utt", "-Infinity")),
    ("overflow_1e400", _native_with("utt", "1e400")),
    ("overflow_1e400_end", _native_with("utt", "1e400", "end")),
    ("huge_integer", _native_with("utt", "1" + "0" * 400)),
    ("nan_as_text", _native_with("utt", '"nan"')),
    ("inf_as_text", _native_with("utt", '"inf"', "end")),
    ("negative_start", _native_with("utt", "-3")),
    ("end_before_start", _native_with("utt", "1.0", "end")),
    ("word_nan", _native_with("word", "NaN")),
    ("word_1e400", _native_with("word", "1e400", "end")),
    ("word_probability_nan", _native_with("word", '"nan"', "probability")),
    ("duration_nan", _native_with("duration", "NaN")),
    ("duration_1e400", _native_with("duration", "1e400")),
    ("duration_huge_integer", _native_with("duration", "1" + "0" * 400)),
]


def _foreign_non_finite() -> list[tuple[str, str, str]]:
    """(case, file name, content): each importer's own way of writing an impossible time."""
    csv_text = (IMPORTS / "call.csv").read_text()
    vtt = (IMPORTS / "call.vtt").read_text()
    srt = (IMPORTS / "call.srt").read_text()
    timed = (IMPORTS / "call_timed.txt").read_text()
    transcribe = json.loads((IMPORTS / "transcribe_channels.json").read_text())
    item = next(i for ch in transcribe["results"]["channel_labels"]["channels"]
                for i in ch["items"] if i.get("type") == "pronunciation")
    item["start_time"] = "NaN"
    lens = json.loads((IMPORTS / "contact_lens.json").read_text())
    lens["Transcript"][1]["BeginOffsetMillis"] = "@@"
    first_vtt_time = "00:00:00.500 -->"
    return [
        ("csv_inf", "call.csv", csv_text.replace("00:00:04.600", "inf", 1)),
        ("csv_huge_seconds", "call.csv", csv_text.replace("00:00:04.600", "9" * 400, 1)),
        ("vtt_huge_hours", "call.vtt", vtt.replace(first_vtt_time, "9" * 30 + ":00:00.500 -->")),
        ("vtt_giant_hours", "call.vtt", vtt.replace(first_vtt_time, "9" * 400 + ":00:00.500 -->")),
        ("srt_giant_hours", "call.srt", srt.replace("00:00:00,500", "9" * 400 + ":00:00,500", 1)),
        ("text_giant_time", "call_timed.txt", "[" + "9" * 400 + "] " + timed.split("] ", 1)[1]),
        ("transcribe_nan", "t.json", json.dumps(transcribe)),
        ("contact_lens_1e400", "cl.json", json.dumps(lens).replace('"@@"', "1e400")),
        ("contact_lens_huge", "cl.json", json.dumps(lens).replace('"@@"', "1" + "0" * 400)),
    ]


@pytest.mark.parametrize("case,content", NON_FINITE_NATIVE, ids=[c for c, _ in NON_FINITE_NATIVE])
def test_non_finite_or_impossible_times_are_refused_at_load(case: str, content: str,
                                                             tmp_path: Path) -> None:
    from qa.importers import load_any
    from qa.transcript import Transcript, TranscriptError

    path = tmp_path / f"{case}.json"
    path.write_text(content)
    with pytest.raises(TranscriptError):
        Transcript.load(path)
    with pytest.raises(TranscriptError):
        load_any(path)


@pytest.mark.parametrize("case,name,content", _foreign_non_finite(),
                         ids=[c for c, _, _ in _foreign_non_finite()])
def test_every_importer_refuses_impossible_times(case: str, name: str, content: str,
                                                 tmp_path: Path) -> None:
    import math

    from qa.importers import load_any
    from qa.transcript import TranscriptError

    path = tmp_path / name
    path.write_text(content)
    try:
        transcript = load_any(path)
    except TranscriptError:
        return
    times = [t for u in transcript.utterances for t in (u.start, u.end)]
    assert all(math.isfinite(t) and 0 <= t <= 1e9 for t in times), case


def test_nan_time_is_a_failed_line_and_nothing_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text(_native_with("utt", "NaN"))
    db_path = tmp_path / "qa.db"
    code, out, err = run("score", str(path), "--db", str(db_path))
    assert code == 1
    assert "nan.json: failed:" in err and "NaN" in err
    assert store.table_counts(store.open_db(db_path)).get("calls", 0) == 0
    code, out, _ = run("export", "--db", str(db_path), "--format", "json")
    assert code == 0 and "NaN" not in out and "Infinity" not in out


def test_clock_never_fails_on_a_stored_impossible_time() -> None:
    from qa.text import clock
    from qa.ui.common import clock as page_clock

    for bad in (float("nan"), float("inf"), float("-inf"), -5, "x", None):
        assert clock(bad) == "-"
    assert page_clock(None) == "0:00" and page_clock(float("nan")) == "-"
    assert clock(61.9) == "1:01" and clock(3600) == "60:00"


def test_show_survives_a_nan_left_by_an_older_version(tmp_path: Path) -> None:
    """A database written before times were checked may hold NaN; `qa show` still works."""
    db_path = tmp_path / "qa.db"
    assert run("score", str(NATIVE), "--db", str(db_path))[0] == 0
    db = sqlite_utils.Database(db_path)
    call_id = next(db.query("SELECT id FROM calls"))["id"]
    db.execute("UPDATE utterances SET start = ? WHERE idx = 1", [float("inf")])
    db.execute("UPDATE findings SET start = ?", [float("inf")])
    db.conn.commit()
    code, out, _ = run("show", call_id, "--db", str(db_path))
    assert code == 0 and "--:--" in out


# --- defect 4: size has no bound and scoring is quadratic ---------------------------------------

def _rubric_with_limits(tmp_path: Path, limits: str) -> Path:
    """The default rubric with its [limits] table replaced by ``limits``."""
    from qa.rubric import default_rubric_path

    text = default_rubric_path().read_text()
    start = text.index("[limits]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "rubric.toml"
    path.write_text(text[:start] + "[limits]\n" + limits + "\n" + text[end:])
    return path


@pytest.mark.parametrize("limits,expected", [
    ("max_utterances = 20", "utterances, over the limit of 20 per call "
                            "(limits.max_utterances in the rubric)"),
    ("max_transcript_bytes = 2000", "over the limit of 2.0 kB for a transcript "
                                    "(limits.max_transcript_bytes in the rubric)"),
    ("max_call_seconds = 60", "over the limit of 60 s (limits.max_call_seconds in the rubric)"),
])
def test_a_call_over_a_limit_fails_naming_the_limit(limits: str, expected: str, drop: Path,
                                                    tmp_path: Path) -> None:
    rubric = _rubric_with_limits(tmp_path, limits)
    db_path = tmp_path / "qa.db"
    code, out, err = run("score", str(drop), "--db", str(db_path), "--rubric", str(rubric))
    assert code == 1 and "2 failed" in out
    lines = [x for x in err.splitlines() if ": failed: " in x]
    assert len(lines) == 2 and all(expected in x for x in lines), err
    assert sqlite_utils.Database(db_path)["calls"].count == 0


def test_limits_are_checked_in_the_rubric() -> None:
    import tomllib

    from qa.rubric import (
        LIMIT_DEFAULTS,
        RubricError,
        default_rubric_path,
        load_rubric,
        parse_rubric,
    )

    assert load_rubric().limits == LIMIT_DEFAULTS  # the default rubric states each one
    data = tomllib.loads(default_rubric_path().read_text())
    for bad, message in ((0, "expected a whole number above 0"),
                         (-5, "expected a whole number above 0"),
                         ("big", "expected a whole number above 0"),
                         (1.5, "expected a whole number above 0")):
        data["limits"]["max_utterances"] = bad
        with pytest.raises(RubricError, match=r"limits\.max_utterances: " + message):
            parse_rubric(data)
    data["limits"] = {"max_lines": 3}
    with pytest.raises(RubricError, match=r"limits\.max_lines: unknown key"):
        parse_rubric(data)
    del data["limits"]  # an older rubric without the table still loads, with the defaults
    assert parse_rubric(data).limits == LIMIT_DEFAULTS


def test_a_transcript_of_empty_utterances_is_unscorable(tmp_path: Path) -> None:
    call = {"call_id": "silent-text", "agent": "a.b", "utterances": [
        {"speaker": "agent" if k % 2 == 0 else "customer", "start": k * 6.0,
         "end": k * 6.0 + 5.0, "text": " " if k % 3 else ""} for k in range(20)]}
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(call))
    db_path = tmp_path / "qa.db"
    code, out, _ = run("score", str(path), "--db", str(db_path))
    assert code == 0 and "1 unscorable" in out
    stored = store.get_call(store.open_db(db_path), "silent-text")
    assert stored is not None and stored["overall"] is None
    assert "every utterance of the transcript is empty" in (stored["unscorable_reason"] or "")


def _long_call(utterances: int):
    """A call of ``utterances`` turns made of the dev set's calls one after another."""
    from qa.transcript import Transcript, Utterance

    calls = [Transcript.load(p) for p in sorted(DEVSET.glob("*.json"))]
    turns: list[Utterance] = []
    offset = 0.0
    while len(turns) < utterances:
        for call in calls:
            turns.extend(Utterance(u.speaker, u.start + offset, u.end + offset, u.text)
                         for u in call.utterances)
            offset += (call.duration or 0) + 1
    return Transcript("long", turns[:utterances])


def test_scoring_time_grows_linearly_with_the_call() -> None:
    """Eight times the utterances must take about eight times as long, not sixty-four (the old
    apology detector re-read every complaint for each apology: 20,000 utterances took 38 s).
    The bound leaves room for a machine busy with other work; the best of a few runs is kept."""
    import time

    from qa.rubric import load_rubric
    from qa.scoring import score_call

    rubric = load_rubric()
    score_call(_long_call(200), rubric)  # warm the caches a running batch has warm
    seconds = {}
    for size, runs in ((1_000, 3), (8_000, 2)):
        call = _long_call(size)
        best = float("inf")
        for _ in range(runs):
            started = time.perf_counter()
            score_call(call, rubric)
            best = min(best, time.perf_counter() - started)
        seconds[size] = best
    assert seconds[8_000] / seconds[1_000] < 20, seconds


def test_csv_with_a_lone_carriage_return_is_a_clear_failure(tmp_path: Path) -> None:
    """Found by the fuzzing suite: the CSV sniffer raised csv.Error on an old-Mac line end."""
    from qa.importers import load_any
    from qa.transcript import TranscriptError

    path = tmp_path / "mac.csv"
    path.write_text("Speaker,Start,End,Text\rAgent,0,1,Hello\r", newline="")
    try:
        load_any(path)
    except TranscriptError as exc:
        assert str(exc)
    _code, _, err = run("score", str(path), "--db", str(tmp_path / "qa.db"))
    assert "cannot be processed" not in err
