"""Practice on real moments: sets built from an agent's own coaching points, answers scored by
the same detectors in the call's context, audio for each moment, and no agent ever seeing
another agent's calls (query layer and AppTest)."""

from __future__ import annotations

import html
import io
import shutil
import sqlite3
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import practice, queries
from qa.auth import Viewer, add_user
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
PASSWORD = "practice password 1"
# Marek's call: the customer waited nine days for a windscreen repair booking, and at the
# moment practised here the agent said "I apologise if the process wasn't explained clearly."
MAREK_CALL = "ins_windscreen_056"
OTHER_CALLS = ("bank_dup_004", "card_fee_038")
SINCERE = ("I'm so sorry nobody called you to book the windscreen repair in nine days. "
           "That's on us, and I'll book it for you myself now.")
SCRIPTED = "I apologise for any inconvenience caused."

COACH = Viewer("coach", "coach")
MAREK = Viewer("marek", "agent", "m.kowalski")
PRIYA = Viewer("priya", "agent", "p.sharma")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three dev-set calls scored: one of m.kowalski, two of p.sharma; a coach and both
    agents have accounts; nothing shared yet."""
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in (MAREK_CALL, *OTHER_CALLS):
        shutil.copy(DEVSET / f"{name}.json", folder / f"{name}.json")
    path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(path)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "marek", "agent", PASSWORD, "m.kowalski")
    add_user(conn, "priya", "agent", PASSWORD, "p.sharma")
    conn.close()
    monkeypatch.setenv("QA_DB", str(path))
    return path


def connect(path: Path) -> sqlite3.Connection:
    return queries.connect(path)


def apology_item(conn: sqlite3.Connection) -> dict:
    set_id = practice.create_set(conn, COACH, "m.kowalski", "Apologies",
                                 ["apology:scripted"], 3)
    items = practice.set_items(conn, COACH, set_id)
    assert items, "the scripted apology on Marek's call is a practice moment"
    return items[0]


def test_a_sincere_apology_that_restates_the_problem_scores_higher_than_a_scripted_one(
        db: Path) -> None:
    conn = connect(db)
    item = apology_item(conn)
    # The moment is the customer's real words, with the call up to that moment.
    assert item["call_id"] == MAREK_CALL
    assert item["prompt"] == "But I'm your customer, not theirs."
    assert item["original"] == "I apologise if the process wasn't explained clearly."
    assert item["context"][-1]["text"] == item["prompt"]
    assert "nine days ago" in " ".join(t["text"] for t in item["context"])

    sincere = practice.answer(conn, MAREK, item["id"], SINCERE)
    scripted = practice.answer(conn, MAREK, item["id"], SCRIPTED)
    assert sincere["score"] > scripted["score"]
    assert sincere["criteria"]["apology"] > scripted["criteria"]["apology"]
    assert "apology:sincere" in [f["label"] for f in sincere["good"]]
    assert not [f for f in sincere["change"] if f["criterion"] == "apology"]
    change = [f for f in scripted["change"] if f["label"] == "apology:scripted"]
    assert change and change[0]["suggestion"]  # what to change, with a rewrite
    # What was said on the call was scored the same way: the sincere answer beats it.
    assert sincere["original"] is not None and sincere["score"] > sincere["original"]

    # Both answers are kept; progress shows the first and latest answers per criterion.
    items = practice.set_items(conn, MAREK, item["set_id"])
    assert [a["answer"] for a in items[0]["attempts"]] == [SINCERE, SCRIPTED]
    rows = {r["criterion"]: r for r in practice.progress(conn, MAREK, "m.kowalski")}
    assert rows["apology"]["answered"] == 1
    assert rows["apology"]["first_answer"] == 100.0
    assert rows["apology"]["latest_answer"] == scripted["criteria"]["apology"]


def test_an_answer_that_misses_what_the_moment_called_for_is_told_so(db: Path) -> None:
    conn = connect(db)
    set_id = practice.create_set(conn, COACH, "m.kowalski", "", ["expectation:vague"], 1)
    item = practice.set_items(conn, COACH, set_id)[0]
    vague = practice.answer(conn, MAREK, item["id"], "Somebody will look into it.")
    specific = practice.answer(conn, MAREK, item["id"],
                               "I'll call the glass partner now and ring you back by 4 pm "
                               "today with your repair date.")
    assert specific["score"] > vague["score"]
    assert "expectation:specific" in [f["label"] for f in specific["good"]]
    assert vague["change"]


def test_a_practice_set_holds_only_the_agents_own_calls(db: Path) -> None:
    conn = connect(db)
    marek_set = practice.create_set(conn, COACH, "m.kowalski", size=10)
    priya_set = practice.create_set(conn, COACH, "p.sharma", size=10)
    marek_items = practice.set_items(conn, COACH, marek_set)
    priya_items = practice.set_items(conn, COACH, priya_set)
    assert {i["call_id"] for i in marek_items} == {MAREK_CALL}
    assert {i["call_id"] for i in priya_items} <= set(OTHER_CALLS) and priya_items
    # One item per moment, different habits first.
    assert len({(i["call_id"], i["moment_idx"]) for i in marek_items}) == len(marek_items)
    assert len({i["finding_label"] for i in marek_items}) >= 3

    # An agent sees their own sets only; another agent's set, item or audio is "not found".
    assert [s["id"] for s in practice.list_sets(conn, PRIYA)] == [priya_set]
    assert [s["id"] for s in practice.list_sets(conn, PRIYA, "m.kowalski")] == [priya_set]
    with pytest.raises(LookupError):
        practice.set_items(conn, PRIYA, marek_set)
    with pytest.raises(LookupError):
        practice.answer(conn, PRIYA, marek_items[0]["id"], SINCERE)
    with pytest.raises(LookupError):
        practice.item_audio(conn, PRIYA, marek_items[0]["id"])
    with pytest.raises(queries.AccessDenied):
        practice.progress(conn, PRIYA, "m.kowalski")
    with pytest.raises(queries.AccessDenied):
        practice.create_set(conn, PRIYA, "m.kowalski")
    with pytest.raises(queries.AccessDenied):  # only the agent answers, not staff
        practice.answer(conn, COACH, marek_items[0]["id"], SINCERE)


def test_an_agent_makes_a_set_only_from_calls_shared_with_them(db: Path) -> None:
    conn = connect(db)
    with pytest.raises(practice.PracticeError):  # nothing shared yet
        practice.create_set(conn, PRIYA, "p.sharma")
    queries.set_shared(conn, COACH, OTHER_CALLS[0])
    set_id = practice.create_set(conn, PRIYA, "p.sharma", size=10)
    assert {i["call_id"] for i in practice.set_items(conn, PRIYA, set_id)} == {OTHER_CALLS[0]}


def test_imported_transcripts_are_spoken_by_the_offline_voice(db: Path) -> None:
    conn = connect(db)
    item = apology_item(conn)
    engine = practice.tts_engine()
    if engine is None:
        assert item["has_audio"] == 0 and item["audio_source"] is None
        pytest.skip("no offline voice installed (pip install '.[voice]'): items have no audio")
    assert item["audio_source"] == engine
    audio = practice.item_audio(conn, MAREK, item["id"])
    assert audio is not None
    with wave.open(io.BytesIO(audio)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.8 < seconds < 10  # "But I'm your customer, not theirs."


# --- the page ----------------------------------------------------------------------------------

def run_page(who: Viewer) -> AppTest:
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "practice.py"), default_timeout=90)
    at.session_state["viewer"] = who
    return at.run()


def page_text(at: AppTest) -> str:
    parts = [e.value for e in [*at.markdown, *at.caption, *at.title, *at.subheader,
                                *at.error, *at.warning, *at.info]]
    parts += [html.unescape(h.proto.body) for h in at.html]
    parts += [str(o) for r in at.radio for o in r.options]
    parts += [str(o) for s in at.selectbox for o in s.options]
    # Markdown escapes (an id's "_" shows as "\_") are not part of what a person reads.
    return "\n".join(str(p) for p in parts).replace("\\", "")


def test_the_agents_page_shows_their_moments_and_never_another_agents(db: Path) -> None:
    conn = connect(db)
    marek_set = practice.create_set(conn, COACH, "m.kowalski", "Marek's set", size=10)
    priya_set = practice.create_set(conn, COACH, "p.sharma", "Priya's set", size=10)
    priya_items = practice.set_items(conn, COACH, priya_set)
    marek_items = practice.set_items(conn, COACH, marek_set)

    at = run_page(MAREK)
    assert not at.exception
    shown = page_text(at)
    assert marek_items[0]["prompt"] in shown and MAREK_CALL in shown
    for other in OTHER_CALLS:
        assert other not in shown
    for item in priya_items:
        assert item["prompt"] not in shown
    assert at.selectbox(key="practice-set").options == [f"Marek's set (set {marek_set})"]
    assert f"0 of {len(marek_items)} moments answered" in shown

    # Answering by typing shows the score and the findings at once.
    at.text_area(key=f"practice-{marek_items[0]['id']}-text").input(SINCERE)
    next(b for b in at.button if b.label == "Score my answer").click()
    at.run()
    assert not at.exception
    assert at.metric and at.metric[0].label == "Answer score"
    assert "What was good" in page_text(at)
    assert f"1 of {len(marek_items)} moments answered" in page_text(at)

    # An answer is shown exactly as typed, never as HTML or Markdown.
    evil = '<script>alert("x")</script> <img src=x onerror=alert(1)> **stars** :red[red]'
    practice.answer(conn, MAREK, marek_items[0]["id"], evil)
    at.run()
    assert not at.exception
    assert all("<script" not in m.value and "**stars**" not in m.value for m in at.markdown)
    bodies = [h.proto.body for h in at.html]
    assert not any("<script" in b or "<img" in b for b in bodies)
    assert any("&lt;script&gt;" in b and "**stars**" in b for b in bodies)

    # Priya's page: her own set, none of Marek's words.
    at = run_page(PRIYA)
    shown = page_text(at)
    assert MAREK_CALL not in shown
    for item in marek_items:
        assert item["prompt"] not in shown
    assert "Priya's set" in shown


def test_the_coach_assigns_a_set_and_sees_completion(db: Path) -> None:
    at = AppTest.from_file(str(ROOT / "qa" / "ui" / "practice.py"), default_timeout=90)
    at.session_state["viewer"] = COACH
    at.run()
    at.selectbox(key="practice-agent").select("m.kowalski")
    at.run()
    next(b for b in at.button if b.label == "Assign set").click()
    at.run()
    assert not at.exception
    conn = connect(db)
    sets = practice.list_sets(conn, COACH, "m.kowalski")
    assert len(sets) == 1 and sets[0]["created_by"] == "coach" and sets[0]["items"] >= 3
    item = practice.set_items(conn, COACH, sets[0]["id"])[0]
    practice.answer(conn, MAREK, item["id"], SINCERE)
    at.run()
    tables = {d.value.columns[0]: d.value for d in at.dataframe}
    table, progress_table, team = tables["Set"], tables["Criterion"], tables["Agent"]
    assert team["Agent"].tolist() == ["m.kowalski"] and team["Answered"].tolist() == [1]
    assert table["Answered"].tolist() == [1]
    assert table["Completion"].tolist() == [pytest.approx(1 / sets[0]["items"])]
    assert progress_table["Answered"].sum() == 1


# --- audio from a recording --------------------------------------------------------------------

SAMPLES = ROOT / "sample_calls"


def test_a_redacted_recordings_moment_is_cut_from_the_customer_channel_of_its_redacted_copy(
        tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(SAMPLES / "call02_card_double_charge.mp3", folder)
    manifest = [line for line in (SAMPLES / "manifest.csv").read_text().splitlines()
                if line.startswith(("file,", "call02"))]
    (folder / "manifest.csv").write_text("\n".join(manifest) + "\n")
    path, copies = tmp_path / "qa.db", tmp_path / "redacted"
    result = CliRunner().invoke(main, ["score", str(folder), "--manifest",
                                       str(folder / "manifest.csv"), "--db", str(path),
                                       "--redact", "--redacted-audio", str(copies)])
    assert result.exit_code == 0, result.output
    conn = connect(path)
    set_id = practice.create_set(conn, COACH, "dan.okafor", size=4)
    items = practice.set_items(conn, COACH, set_id)
    assert len(items) == 4
    assert len({i["prompt"] for i in items}) == 4  # each a different customer turn
    from qa.audio import load_call

    copy = load_call(next(copies.glob("*.wav")))
    assert copy.is_stereo
    for item in items:
        # Never the original recording of a redacted call: its redacted copy.
        assert item["audio_source"] == "redacted recording"
        clip = practice.item_audio(conn, COACH, item["id"])
        assert clip is not None
        with wave.open(io.BytesIO(clip)) as w:
            assert w.getnchannels() == 1
            rate = w.getframerate()
            samples = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767
        # The customer's turns just before the moment, padded by a quarter second...
        turns = []
        for turn in reversed(item["context"]):
            if turn["speaker"] != "customer":
                break
            turns.insert(0, turn)
        begin = max(0.0, turns[0]["start"] - 0.25)
        assert len(samples) / rate == pytest.approx(turns[-1]["end"] + 0.25 - begin, abs=0.01)
        # ... cut from channel 1, the customer's (qa score maps stereo agent-first by
        # default), not from the agent's channel 0.
        at = int(begin * rate)
        customer = copy.channels[1][at:at + len(samples)]
        agent = copy.channels[0][at:at + len(samples)]
        assert np.abs(samples - customer).max() < 1e-3
        assert np.abs(samples - agent).max() > 0.05


def test_a_call_stored_again_redacted_takes_its_unredacted_practice_copies_with_it(
        tmp_path: Path) -> None:
    import json

    folder = tmp_path / "calls"
    folder.mkdir()
    call = json.loads((DEVSET / f"{MAREK_CALL}.json").read_text())
    card = "4111 1111 1111 1111"
    turn = next(u for u in call["utterances"] if u["text"] == "But I'm your customer, not theirs.")
    turn["text"] = f"But I'm your customer, my card is {card}, not theirs."
    (folder / f"{MAREK_CALL}.json").write_text(json.dumps(call))
    path = tmp_path / "qa.db"
    runner = CliRunner()
    result = runner.invoke(main, ["score", str(folder), "--db", str(path), "--no-redact"])
    assert result.exit_code == 0, result.output
    conn = connect(path)
    set_id = practice.create_set(conn, COACH, "m.kowalski", "", ["apology:scripted"], 1)
    item = practice.set_items(conn, COACH, set_id)[0]
    assert card in item["prompt"]
    practice.answer(conn, MAREK, item["id"], SINCERE)
    conn.close()

    result = runner.invoke(main, ["score", str(folder), "--db", str(path), "--redact",
                                  "--rescore"])
    assert result.exit_code == 0, result.output
    conn = connect(path)
    dump = "\n".join(str(tuple(r)) for table in ("practice_items", "practice_attempts")
                     for r in conn.execute(f"SELECT * FROM {table}"))
    assert card not in dump and "1111" not in dump
    assert practice.set_items(conn, COACH, set_id) == []
    # A new set from the redacted call holds only the redacted words.
    again = practice.set_items(conn, COACH, practice.create_set(
        conn, COACH, "m.kowalski", "", ["apology:scripted"], 1))[0]
    assert card not in again["prompt"] and "[CARD]" in again["prompt"]


def test_the_offline_voice_speaks_with_no_network(tmp_path: Path) -> None:
    import subprocess
    import sys

    from test_offline import _no_network_prefix

    if practice.tts_engine() is None:
        pytest.skip("no offline voice installed (pip install '.[voice]')")
    out = tmp_path / "said.wav"
    script = ("import sys; from pathlib import Path; from qa import practice; "
              "said = practice.speak('I was charged twice for the same order.'); "
              "Path(sys.argv[1]).write_bytes(said[0]); print(said[1])")
    done = subprocess.run([*_no_network_prefix(), sys.executable, "-c", script, str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == practice.tts_engine()
    with wave.open(str(out)) as w:
        assert w.getnframes() / w.getframerate() > 1.0
