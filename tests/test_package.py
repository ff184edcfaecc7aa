"""The package on its own: the rubric it ships, its entry points, and what it does not load.

The full check (wheel built, installed outside the checkout, calls scored, dashboard up) is
scripts/wheel_check.sh, run by scripts/test.sh; these are the quick parts of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from qa.cli import main
from qa.rubric import PACKAGED_RUBRIC, load_rubric

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TRANSCRIPT = ROOT / "sample_calls" / "call01_internet_outage.json"


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports qa from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QA_RUBRIC", None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def test_packaged_rubric_is_the_checkout_rubric() -> None:
    """The lead edits rubrics/default.toml; the package ships the same bytes."""
    assert PACKAGED_RUBRIC.read_bytes() == (ROOT / "rubrics" / "default.toml").read_bytes()


def test_default_rubric_found_outside_a_checkout(tmp_path: Path) -> None:
    """Run from a folder with no rubrics/: the packaged rubric is used."""
    done = _python("from qa.rubric import load_rubric, PACKAGED_RUBRIC\n"
                   "r = load_rubric()\nassert r.path == str(PACKAGED_RUBRIC), r.path\n"
                   "print(r.label)", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == load_rubric(PACKAGED_RUBRIC).label


def test_rubric_show_prints_a_usable_rubric(tmp_path: Path) -> None:
    """`qa rubric show > my.toml` gives a file that loads as the same rubric."""
    result = CliRunner().invoke(main, ["rubric", "show", "--rubric", str(PACKAGED_RUBRIC)])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "my.toml"
    copy.write_text(result.output, encoding="utf-8")
    assert load_rubric(copy).label == load_rubric(PACKAGED_RUBRIC).label


def test_python_dash_m_qa_help(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "qa", "--help"], cwd=tmp_path, env=env,
                          text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: qa" in done.stdout and "dashboard" in done.stdout


def test_dashboard_help() -> None:
    result = CliRunner().invoke(main, ["dashboard", "--help"])
    assert result.exit_code == 0, result.output
    assert "--port" in result.output and "--db" in result.output


def test_transcript_scoring_loads_no_dask_or_torch(tmp_path: Path) -> None:
    """`pip install` without extras brings neither; scoring a transcript must not need them."""
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / SAMPLE_TRANSCRIPT.name).write_bytes(SAMPLE_TRANSCRIPT.read_bytes())
    code = f"""
import sys
import qa.cli
from click.testing import CliRunner
result = CliRunner().invoke(qa.cli.main, ["score", {str(calls)!r}, "--db",
                                          {str(tmp_path / "qa.db")!r}])
assert result.exit_code == 0, result.output
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "torch"))
print({json.dumps("")}.join(heavy) or "none")
"""
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"
