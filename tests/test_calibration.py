"""Coaches check the machine's findings; the Calibration page and `qa calibrate` add it up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_dashboard import button, dash, db_rows, run_page, sign_in, texts  # noqa: F401 (dash: fixture)

from qa import queries
from qa.auth import Viewer
from qa.calibration import CallFacts, Mark, calibrate
from qa.cli import main
from qa.detectors import EVAL_LABELS
from qa.queries import AccessDenied
from qa.ui.common import label_text

COACH = Viewer("coach", "coach")
LEAD = Viewer("lead", "lead")


def test_agreement_figures_from_marks() -> None:
    # Ten agent utterances. The machine says empathy on 1, 2, 3; coach A says 2 is wrong and
    # adds 5; coach B leaves everything as it is.
    facts = CallFacts("c1", 10, {(1, "empathy"), (2, "empathy"), (3, "empathy")})
    marks = [Mark("c1", 2, "empathy", "wrong", "a"), Mark("c1", 5, "empathy", "added", "a"),
             Mark("c1", 1, "empathy", "right", "b")]
    report = calibrate([facts], marks)
    stats = report.machine["empathy"]
    # Against A: tp 2 (1, 3), fp 1 (2), fn 1 (5); against B: tp 3.
    assert (stats.tp, stats.fp, stats.fn) == (5, 1, 1)
    assert stats.precision == pytest.approx(5 / 6) and stats.recall == pytest.approx(5 / 6)
    a_vs_b = report.coaches["empathy"]
    # A: {1, 3, 5}; B: {1, 2, 3}: both 2, A only 1, B only 1, neither 6.
    assert (a_vs_b.both, a_vs_b.first_only, a_vs_b.second_only, a_vs_b.neither) == (2, 1, 1, 6)
    chance = 0.3 * 0.3 + 0.7 * 0.7
    assert a_vs_b.kappa == pytest.approx((0.8 - chance) / (1 - chance))
    assert report.marked_calls == 1 and report.double_marked_calls == 1
    assert {(d.utterance, d.first, d.second) for d in report.coach_disagreements} == {
        (2, "a: no", "b: yes"), (5, "a: yes", "b: no")}
    # Unmarked calls are left out entirely.
    assert calibrate([CallFacts("c2", 4, {(0, "blame")})], []).marked_calls == 0


def _finding(db: str, call_id: str) -> tuple[int, str]:
    marks = ", ".join("?" for _ in EVAL_LABELS)
    row = db_rows({"db": db}, "SELECT utterance_idx, label FROM findings WHERE call_id = ? "
                  f"AND speaker = 'agent' AND label IN ({marks}) ORDER BY start",
                  [call_id, *EVAL_LABELS])
    return row[0]


def _calibrate_output(db: str) -> str:
    result = CliRunner().invoke(main, ["calibrate", "--db", db, "--mistakes"])
    assert result.exit_code == 0, result.output
    return result.output


def test_marks_change_qa_calibrate_and_export_labeled(dash: dict[str, str],
                                                      tmp_path: Path) -> None:
    conn = queries.connect(dash["db"])
    call = dash["theirs"]
    assert "0 calls marked" in _calibrate_output(dash["db"])
    utterance, label = _finding(dash["db"], call)
    queries.mark_finding(conn, COACH, call, utterance, label, "wrong")
    missed = db_rows(dash, "SELECT idx FROM utterances WHERE call_id = ? AND speaker = 'agent' "
                     "AND idx NOT IN (SELECT utterance_idx FROM findings WHERE call_id = ? "
                     "AND label = 'empathy') ORDER BY idx", [call, call])[0][0]
    queries.mark_finding(conn, COACH, call, missed, "empathy", "added")
    with pytest.raises(LookupError):  # nothing the machine found there to call wrong
        queries.mark_finding(conn, COACH, call, missed, "blame", "wrong")
    with pytest.raises(ValueError):
        queries.mark_finding(conn, COACH, call, utterance, label, "added")
    report = queries.calibration_report(conn, LEAD)
    assert report.marked_calls == 1
    assert report.machine[label].fp == 1 and report.machine["empathy"].fn >= 1
    out = _calibrate_output(dash["db"])
    assert "1 calls marked" in out and f"{call}#{utterance}" in out and f"{call}#{missed}" in out

    folder = tmp_path / "labeled"
    result = CliRunner().invoke(main, ["export", "--db", dash["db"], "--format", "labeled",
                                       "--folder", str(folder)])
    assert result.exit_code == 0, result.output
    exported = json.loads((folder / f"{call}.json").read_text())
    by_idx = {i: u for i, u in enumerate(exported["utterances"])}
    assert label not in by_idx[utterance]["labels"]
    assert "empathy" in by_idx[missed]["labels"]
    result = CliRunner().invoke(main, ["eval", str(folder)])
    assert result.exit_code == 0 and "1 labeled calls" in result.output, result.output


def test_agents_never_see_or_make_marks(dash: dict[str, str]) -> None:
    conn = queries.connect(dash["db"])
    call = dash["mine"]
    utterance, label = _finding(dash["db"], call)
    queries.mark_finding(conn, COACH, call, utterance, label, "wrong")
    agent = Viewer("agent", "agent", dash["agent"])
    for attempt in (lambda: queries.call_marks(conn, agent, call),
                    lambda: queries.calibration_report(conn, agent),
                    lambda: queries.calibration_report(conn, COACH),
                    lambda: queries.labeled_calls(conn, agent),
                    lambda: queries.mark_finding(conn, agent, call, utterance, label, "right")):
        with pytest.raises(AccessDenied):
            attempt()
    at = run_page("feedback", agent, {"call": call})
    assert not at.exception and "Check the machine" not in texts(at)
    at = run_page("calibration", agent)
    assert "not available to your role" in texts(at) and not at.dataframe


def test_coach_marks_on_the_review_page_reach_the_calibration_page(
        dash: dict[str, str]) -> None:
    call = dash["theirs"]
    utterance, label = _finding(dash["db"], call)
    at = sign_in("coach")
    at.query_params["call"] = call
    at.switch_page("qa/ui/review.py").run()
    assert not at.exception
    at.radio(key=f"mark-{utterance}-{label}").set_value("wrong")
    button(at, "Save my marks").click()
    at.run()
    assert not at.exception
    assert db_rows(dash, "SELECT utterance_idx, label, verdict, coach FROM finding_marks") == [
        (utterance, label, "wrong", "coach")]
    at.selectbox(key="missed-label").select("empathy")
    button(at, "Add missed finding").click()
    at.run()
    assert not at.exception
    verdicts = {r[0] for r in db_rows(dash, "SELECT verdict FROM finding_marks")}
    assert verdicts == {"wrong", "added"} or "already found" in texts(at)

    lead = sign_in("lead")
    lead.switch_page("qa/ui/calibration.py").run()
    assert not lead.exception
    table = lead.dataframe[0].value
    row = table[table["Label"] == label_text(label)].iloc[0]
    assert row["Machine said yes"] >= 1 and row["Agreed"] < row["Machine said yes"]
    assert f"{call}" in texts(lead).replace("\\", "")


def test_marks_survive_a_rescore(dash: dict[str, str]) -> None:
    call = dash["theirs"]
    conn = queries.connect(dash["db"])
    utterance, label = _finding(dash["db"], call)
    queries.mark_finding(conn, COACH, call, utterance, label, "right")
    result = CliRunner().invoke(main, ["score", dash["root"], "--db", dash["db"], "--rescore"])
    assert result.exit_code == 0, result.output
    assert queries.calibration_report(conn, LEAD).machine[label].tp >= 1
