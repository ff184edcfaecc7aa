"""Facts the code keeps in one place (issue 11): each consumer sees the same answer."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qa import queries, store
from qa.audio import AUDIO_EXTENSIONS
from qa.auth import COACH, Viewer
from qa.rubric import Rubric, RubricError, load_rubric, parse_rubric
from qa.scoring import overall_score, score_call
from qa.transcript import Transcript, Utterance

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_calls"


@pytest.mark.parametrize("suffix", [".amr", ".wave", ".3gp"])
def test_a_call_from_any_scorable_recording_is_offered_for_playing(
        tmp_path: Path, suffix: str) -> None:
    """A call scored from a file type the scorer accepts gets a player in the dashboard."""
    assert suffix in AUDIO_EXTENSIONS
    recording = tmp_path / f"rec{suffix}"
    # Playing serves the stored bytes as they are; no decoding is involved.
    shutil.copy(SAMPLES / "call02_card_double_charge.mp3", recording)
    transcript = json.loads((SAMPLES / "call02_card_double_charge.json").read_text())
    db_path = tmp_path / "qa.db"
    db = store.open_db(db_path)
    info = store.CallInfo("rec", str(recording), "hash", origin="audio")
    store.save_scored_call(db, info, score_call(Transcript.from_dict(transcript),
                                                load_rubric()), "default")
    served = queries.call_audio(queries.connect(db_path), Viewer("coach", COACH), "rec")
    assert served is not None
    data, mime = served
    assert data == recording.read_bytes() and mime.startswith("audio/")


def test_the_overall_with_coach_overrides_is_scorings_weighted_mean(tmp_path: Path) -> None:
    """The dashboard's overall after overrides is the mean scoring would give those scores."""
    transcript = json.loads((SAMPLES / "call02_card_double_charge.json").read_text())
    scored = score_call(Transcript.from_dict(transcript), load_rubric())
    db_path = tmp_path / "qa.db"
    store.save_scored_call(store.open_db(db_path),
                           store.CallInfo("rec", "rec.json", "hash"), scored, "default")
    conn = queries.connect(db_path)
    coach = Viewer("coach", COACH)
    applicable = [s for s in scored.scores if s.score is not None]
    assert len(applicable) >= 2
    overridden = {applicable[0].criterion: 3.0, applicable[1].criterion: 97.0}
    for criterion, value in overridden.items():
        queries.set_override(conn, coach, "rec", criterion, value, "listened to the call")
    call = queries.get_call(conn, coach, "rec")
    assert call is not None
    expected = overall_score([replace(s, score=overridden.get(s.criterion, s.score))
                              for s in scored.scores])
    assert expected is not None and expected != overall_score(scored.scores)
    assert call["effective_overall"] == expected


def test_store_and_batch_page_agree_on_which_processes_are_alive() -> None:
    """A running process is alive; an ended one is not, reaped or left a zombie."""
    from qa.ui import batch as batch_page

    assert store.process_alive(os.getpid()) and batch_page.running(os.getpid())
    reaped = subprocess.Popen([sys.executable, "-c", "pass"])
    reaped.wait()
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    # Wait for the child to exit without reaping it: it stays a zombie until waited on.
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)
    try:
        for pid in (reaped.pid, zombie.pid, 0):
            assert not store.process_alive(pid), pid
            assert not batch_page.running(pid), pid
    finally:
        zombie.wait()


@pytest.mark.parametrize(("said", "expected"), [
    ("forty two", {42}), ("forty-two", {42}), ("three hundred and five", {305}),
    ("two thousand twenty four", {2024}), ("six thousand dollars", {6000}),
    ("order 4111 for 59.99", {4111, 59.99}), ("four one one", {4, 1}),
    ("call me twice", {2}), ("a hundred", {100}), ("oh well", set()),
])
def test_spoken_numbers_read_as_one_amount(said: str, expected: set[float]) -> None:
    """Number words read as the amount a person means; digits stay as written."""
    from qa.text import numbers

    assert numbers(said) == expected


def test_the_sample_script_normalises_numbers_with_the_same_reader() -> None:
    """WER normalisation of the sample calls turns number words into the same amounts."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_sample_calls
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    said = "It was two thousand twenty four, then ninety nine dollars"
    words = make_sample_calls.normalize_words([(w, None) for w in said.split(" ")])
    assert [w for w, _ in words] == ["it", "was", "2024", "then", "99", "dollars"]


def test_role_cues_and_threshold_come_from_the_rubric(tmp_path: Path) -> None:
    """A team's own greeting and role_confidence in its rubric decide who is the agent."""
    from qa.roles import default_threshold, identify_agent

    default = (ROOT / "rubrics" / "default.toml").read_text()
    assert "role_confidence = 0.8" in default
    custom = default.replace("role_confidence = 0.8", "role_confidence = 0.99").replace(
        'greeting_phrases = ["thank you for calling"',
        'greeting_phrases = ["greetings from gadget world", "thank you for calling"')
    path = tmp_path / "team.toml"
    path.write_text(custom)
    team = load_rubric(path)
    assert default_threshold() == load_rubric().shared["role_confidence"] == 0.8
    assert default_threshold(team) == 0.99
    voices = [["It rained all day."],
              ["Greetings from Gadget World, Sam here."]]
    assert identify_agent(voices).agent == 0  # no cue either way: the first voice
    decision = identify_agent(voices, rubric=team)
    assert decision.agent == 1 and any("greetings from gadget world" in c
                                       for c in decision.cues[1])
    assert decision.needs_review  # below the team's 0.99


# --- the detector contract: each label declared once --------------------------------------

def _label_literals(path: Path, labels: set[str], criteria: set[str]) -> list[tuple[int, list]]:
    """Collection literals in ``path`` (list, tuple, set, dict keys) naming two or more labels.

    A label that is also a criterion's name ("empathy", "customer_name") is left out when the
    literal names only criteria: a table keyed by criterion is not a label vocabulary.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        named = [e.value for e in items if isinstance(e, ast.Constant) and e.value in labels]
        if len(named) >= 2 and not set(named) <= criteria:
            found.append((node.lineno, named))
    return found


def test_each_label_is_declared_in_one_place() -> None:
    """A label belongs to one criterion's contract, and no module of the package keeps its own
    list of labels beside it (the dashboard's names, the evaluated labels and the commitment
    labels are all read from the contracts)."""
    from qa.detectors import CONTRACTS

    declared = [spec.name for contract in CONTRACTS.values() for spec in contract.labels]
    assert len(declared) == len(set(declared)), sorted(
        name for name in declared if declared.count(name) > 1)
    repeats = {str(path.relative_to(ROOT)): hits
               for path in sorted((ROOT / "qa").rglob("*.py"))
               if (hits := _label_literals(path, set(declared), set(CONTRACTS)))}
    assert not repeats, repeats


def test_every_finding_carries_a_declared_label_with_its_polarity() -> None:
    """What the detectors put on real calls is what their contracts declare, so the dashboard
    has a plain name for every finding and ``qa eval`` sees every evaluated label."""
    from qa.detectors import CONTRACTS
    from qa.ui.common import PLAIN

    rubric = load_rubric()
    seen: set[str] = set()
    for path in [*sorted(SAMPLES.glob("*.json")), *sorted((ROOT / "tests/devset").glob("*.json"))]:
        for finding in score_call(Transcript.load(path), rubric).findings:
            spec = CONTRACTS[finding.criterion].label(finding.label)
            assert finding.polarity == spec.polarity, (path.name, finding.label)
            assert PLAIN[finding.label] == spec.plain
            seen.add(finding.label)
    assert len(seen) >= 25  # the sweep is not vacuous


def test_only_scoring_turns_a_criterion_into_not_applicable() -> None:
    """Detectors never build a "not applicable" score: they return ``NotApplicable`` and
    scoring, which alone checks agent speech, timing, channels and both parties, makes it."""
    for path in sorted((ROOT / "qa" / "detectors").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "not_applicable(" not in source, path.name
    only_agent = Transcript("c", [Utterance("agent", 0.0, 4.0, "Hello, this is Sam."),
                                  Utterance("agent", 5.0, 9.0, "Is anyone there? Hello?")])
    scores = {s.criterion: s for s in score_call(only_agent, load_rubric()).scores}
    for name in ("interruptions", "talk_ratio"):
        assert scores[name].score is None and scores[name].reason == "only one party spoke"
        assert scores[name].weight == load_rubric().criteria[name].weight


# --- every knob a QA lead may tune is in the rubric ----------------------------------------

COMPLAINT = "Hi, I was charged twice for my March bill and nobody has fixed it."


def _late_cue_call() -> Transcript:
    """A 20 s customer turn; the agent's "mm-hmm" comes 3 s after it ends."""
    return Transcript("cue", [
        Utterance("agent", 0.0, 3.0, "Thanks for calling, how can I help?"),
        Utterance("customer", 4.0, 24.0, COMPLAINT + " I have called three times about it "
                  "and every time I was told it would be sorted within a day."),
        Utterance("agent", 27.0, 27.6, "Mm-hmm."),
        Utterance("customer", 28.0, 40.0, "So I want the second charge refunded today please, "
                  "it has been going on for weeks now."),
        Utterance("agent", 41.0, 45.0, "I'll refund it now, you'll see it by Friday."),
    ])


def _many_apologies_call() -> Transcript:
    """Five sincere apologies: one more than ``max_apologies``."""
    sorry = "I'm sorry we charged you twice for March."
    return Transcript("sorry", [Utterance("customer", 0.0, 6.0, COMPLAINT), *[
        Utterance("agent", 7.0 + 5 * k, 10.0 + 5 * k, sorry) for k in range(5)]])


def _talked_over_call() -> Transcript:
    """The agent starts 5 s into the customer's 10 s turn and stops 3 s before they do."""
    return Transcript("over", [
        Utterance("customer", 0.0, 10.0, COMPLAINT + " And the app shows the charge twice."),
        Utterance("agent", 5.0, 7.0, "Well I can see the charge on your account here."),
        Utterance("agent", 11.0, 14.0, "Let me look into the second charge for you."),
    ])


def _devset(name: str) -> Callable[[], Transcript]:
    return lambda: Transcript.load(ROOT / "tests" / "devset" / f"{name}.json")


def _sample(name: str) -> Callable[[], Transcript]:
    return lambda: Transcript.load(SAMPLES / f"{name}.json")


# (criterion, key, another value, a call on which that value changes the outcome)
KNOBS = [
    ("affirmations", "mechanical_penalty", 40, _devset("soft_sync_031")),
    ("affirmations", "variety_share", 0.9, _devset("soft_sync_031")),
    ("affirmations", "full_variety", 1.0, _devset("car_rental_039")),
    ("affirmations", "cue_window_seconds", 5.0, _late_cue_call),
    ("apology", "late_penalty", 40, _devset("isp_outage_012")),
    ("apology", "excessive_penalty", 40, _many_apologies_call),
    ("interruptions", "kept_talking_seconds", 4.0, _talked_over_call),
    ("interruptions", "recovery_seconds", 30.0, _devset("car_rental_039")),
    ("speaking_rate", "min_turn_seconds", 6.0, _sample("call01_internet_outage")),
    ("customer_name", "name_intro_phrases", ["this is"], _devset("car_repair_009")),
    ("customer_name", "name_titles", ["dr"], _devset("air_rebook_003")),
]


def _default_data() -> dict[str, Any]:
    return tomllib.loads((ROOT / "rubrics" / "default.toml").read_text(encoding="utf-8"))


def _outcome(call: Transcript, rubric: Rubric, criterion: str) -> tuple[Any, ...]:
    scored = score_call(call, rubric)
    [score] = [s for s in scored.scores if s.criterion == criterion]
    return score.score, [(f.label, f.utterance, f.detail) for f in scored.findings
                         if f.criterion == criterion]


def test_every_added_key_is_in_the_rubric_and_tested() -> None:
    """Each key moved out of the code is read by its detector, written in the default rubric
    with the value that scored calls before, and changed by a test below."""
    from qa.detectors import DETECTORS
    from qa.rubric import ADDED_KEYS

    data = _default_data()
    added = {(criterion, key) for criterion, keys in ADDED_KEYS.items() for key in keys}
    assert added == {(criterion, key) for criterion, key, _, _ in KNOBS}
    for criterion, key in added:
        assert key in DETECTORS[criterion].PARAMS
        assert data["criteria"][criterion][key] == ADDED_KEYS[criterion][key]


@pytest.mark.parametrize(("criterion", "key", "value", "make"), KNOBS,
                         ids=[f"{c}.{k}" for c, k, _, _ in KNOBS])
def test_changing_a_rubric_key_changes_the_outcome(criterion: str, key: str, value: Any,
                                                   make: Callable[[], Transcript]) -> None:
    """A lead who changes the key in a rubric file gets a different score or finding."""
    data = _default_data()
    data["criteria"] = {criterion: data["criteria"][criterion]}
    default = parse_rubric(data)
    data["criteria"][criterion][key] = value
    changed = parse_rubric(data)
    assert changed.digest != default.digest
    call = make()
    assert _outcome(call, default, criterion) != _outcome(call, changed, criterion)


def test_a_rubric_written_before_the_added_keys_scores_as_it_did() -> None:
    """A team's rubric without the added keys still loads, scores exactly as the default one
    and keeps its digest, so its stored calls are not re-scored for nothing."""
    from qa.rubric import ADDED_KEYS

    data = _default_data()
    for criterion, keys in ADDED_KEYS.items():
        for key in keys:
            del data["criteria"][criterion][key]
    older, default = parse_rubric(data), load_rubric()
    assert older.digest == default.digest
    call = Transcript.load(SAMPLES / "call02_card_double_charge.json")
    assert score_call(call, older).to_dict() == score_call(call, default).to_dict()


@pytest.mark.parametrize(("criterion", "key", "value", "message"), [
    ("affirmations", "variety_share", 1.5, "must be from 0 to 1"),
    ("affirmations", "full_variety", 0, "must be from 0.01 to 1"),
    ("affirmations", "mechanical_penalty", -1, "must be 0 or more"),
    ("interruptions", "recovery_seconds", "5", "expected a number"),
    ("customer_name", "name_titles", ["mr", ""], "expected a phrase list"),
])
def test_a_bad_value_names_the_key(criterion: str, key: str, value: Any, message: str) -> None:
    """A wrong value stops the rubric with an error naming the key and what is wrong."""
    data = _default_data()
    data["criteria"][criterion][key] = value
    with pytest.raises(RubricError, match=rf"criteria\.{criterion}\.{key}: {message}"):
        parse_rubric(data)
