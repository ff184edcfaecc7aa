"""Shared fixtures: the real recordings folder and one Whisper model for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_CALLS = Path(__file__).parent.parent.parent / "shared" / "real_calls"


@pytest.fixture(scope="session")
def real_calls() -> Path:
    """The folder of real test recordings (../shared/real_calls), or skip when it is absent."""
    if not (REAL_CALLS / "README.md").is_file():
        pytest.skip(f"real recordings not found at {REAL_CALLS} (see the project README)")
    return REAL_CALLS


@pytest.fixture(scope="session")
def transcriber():
    """The default Transcriber, loaded once per test session (model load is the slow part)."""
    from qa.transcribe import get_transcriber

    return get_transcriber()


SAMPLE_CALLS = Path(__file__).parent.parent / "sample_calls"


@pytest.fixture(scope="session")
def scored_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding every sample call, transcribed and scored once per session by the
    real `qa score` command with the embedded model. Returns the database path."""
    from click.testing import CliRunner

    from qa.cli import main

    db_path = tmp_path_factory.mktemp("samples") / "qa.db"
    result = CliRunner().invoke(main, ["score", str(SAMPLE_CALLS), "--manifest",
                                       str(SAMPLE_CALLS / "manifest.csv"), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return db_path

