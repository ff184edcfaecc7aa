"""The lead's export button in a real browser: headless Chromium (Playwright) against
`streamlit run app.py`, the file made when the button is clicked and saved as a download."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import dashboard_server

from qa import queries
from qa.auth import Viewer, add_user
from qa.cli import main
from qa.csvsafe import FORMULA_STARTS

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser test password"
FORMULA = '=HYPERLINK("http://attacker.example/", "Click for refund")'

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three dev-set calls, one overridden, a note holding a formula, a lead and a coach."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/test.sh installs it with apt)")
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("air_bag_020", "air_rebook_003", "air_seat_035"):
        (folder / f"{name}.json").write_text((DEVSET / f"{name}.json").read_text())
    path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(path)
    add_user(conn, "lead", "lead", PASSWORD)
    coach = Viewer("coach", "coach")
    crit = conn.execute("SELECT criterion FROM scores WHERE call_id = 'air_bag_020' "
                        "AND weight > 0 AND score < 90 LIMIT 1").fetchone()[0]
    queries.set_override(conn, coach, "air_bag_020", crit, 100, "fair in context")
    queries.add_note(conn, coach, "air_bag_020", FORMULA)
    conn.close()
    return path


def test_lead_downloads_an_export(db: Path, tmp_path: Path) -> None:
    with dashboard_server(db, tmp_path) as url, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 1200})
            tab.set_default_timeout(60_000)
            tab.goto(url)
            tab.get_by_role("textbox", name="Name").fill("lead")
            tab.get_by_role("textbox", name="Password").fill(PASSWORD)
            tab.get_by_role("button", name="Sign in").click()
            tab.get_by_role("heading", name="Team overview").wait_for()
            tab.get_by_role("link", name="Exports").click()
            tab.get_by_role("heading", name="Exports").wait_for()
            with tab.expect_download() as done:
                tab.get_by_role("button", name="Export calls of 3 calls").click()
            calls = tmp_path / "calls.csv"
            done.value.save_as(calls)
            # Notes as JSON Lines: pick the table and the format, then download again.
            tab.get_by_role("combobox", name="Table").click()  # opens the list
            tab.get_by_role("option", name="notes", exact=True).click()
            tab.get_by_text("JSON Lines").click()
            with tab.expect_download() as done:
                tab.get_by_role("button", name="Export notes of 3 calls").click()
            notes = tmp_path / "notes.jsonl"
            done.value.save_as(notes)
        finally:
            browser.close()
    rows = list(csv.DictReader(io.StringIO(calls.read_text(encoding="utf-8-sig"))))
    assert {r["id"] for r in rows} == {"air_bag_020", "air_rebook_003", "air_seat_035"}
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    lead = Viewer("lead", "lead")
    for r in rows:
        shown = queries.get_call(conn, lead, r["id"])
        assert shown is not None and float(r["overall_final"]) == shown["effective_overall"]
    cells = [c for row in csv.reader(io.StringIO(calls.read_text(encoding="utf-8-sig")))
             for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)
                and not c.lstrip("-").replace(".", "").isdigit()]
    assert [json.loads(line)["body"] for line in notes.read_text().splitlines()] == [FORMULA]
