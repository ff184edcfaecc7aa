"""The documentation says what the code does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_generated_from_the_commands() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "cli_reference.py"),
                             "--check"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 0, result.stderr


def test_readme_is_a_front_door_that_links_to_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 160
    assert "bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme
    for target in ("docs/cli.md", "docs/reference.md", "docs/labels.md"):
        assert f"({target})" in readme, target
        assert (ROOT / target).is_file(), target
