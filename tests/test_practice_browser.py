"""Practice in a real browser: Debian's headless Chromium (Playwright) against `streamlit run
app.py`, with Chromium's fake microphone playing a WAV of a spoken answer. The agent records
the answer on the Practice page, it is transcribed on the server by the project's Whisper
model and scored; another agent's practice never shows this agent's call. The page is
screenshotted into the test's temporary folder (and into $QA_SCREENSHOT_DIR when set, which
is how docs/screenshots/practice.png is refreshed)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from servers import dashboard_server

from qa import practice, queries
from qa.auth import Viewer, add_user
from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "devset"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "practice browser password"
MAREK_CALL = "ins_windscreen_056"
OTHER_CALL = "bank_dup_004"
ANSWER = ("I'm so sorry nobody called you to book the windscreen repair. That's on us, and "
          "I'll book it for you today.")

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def practice_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Marek's and Priya's calls scored, an account each and a coach; a one-moment set (the
    scripted apology) assigned to Marek and a set assigned to Priya."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/test.sh installs it with apt)")
    folder = tmp_path_factory.mktemp("calls")
    for name in (MAREK_CALL, OTHER_CALL):
        shutil.copy(DEVSET / f"{name}.json", folder / f"{name}.json")
    path = tmp_path_factory.mktemp("practice") / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    conn = queries.connect(path)
    add_user(conn, "coach", "coach", PASSWORD)
    add_user(conn, "marek", "agent", PASSWORD, "m.kowalski")
    add_user(conn, "priya", "agent", PASSWORD, "p.sharma")
    coach = Viewer("coach", "coach")
    practice.create_set(conn, coach, "m.kowalski", "Apologies that own it",
                        ["apology:scripted"], 1)
    practice.create_set(conn, coach, "p.sharma", "Priya's moments", size=3)
    conn.close()
    return path


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spoken answer as the WAV file Chromium's fake microphone plays (in a loop, so
    silence follows the words): 48 kHz mono 16-bit."""
    spoken = practice.speak(ANSWER)
    if spoken is None:
        pytest.skip("no offline voice to speak the answer (pip install '.[voice]')")
    import io
    import wave

    with wave.open(io.BytesIO(spoken[0])) as w:
        rate = w.getframerate()
        voice = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767
    target = 48000
    times = np.arange(int(len(voice) * target / rate)) / target
    voice = np.interp(times, np.arange(len(voice)) / rate, voice)
    silence = np.zeros(target * 4, dtype=np.float32)
    audio = np.concatenate([np.zeros(target // 2, dtype=np.float32), voice, silence])
    path = tmp_path_factory.mktemp("mic") / "answer.wav"
    path.write_bytes(practice.wav_bytes(audio, target))
    return path


@pytest.fixture(scope="module")
def server(practice_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served on a free localhost port; stopped after the module."""
    with dashboard_server(practice_db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture
def tab(server: str, microphone: Path) -> Iterator[object]:
    """A fresh browser page whose microphone plays the answer, allowed without a prompt."""
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--mute-audio",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}"]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(viewport={"width": 1300, "height": 1500})
        context.grant_permissions(["microphone"])
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server)
        try:
            yield page
        finally:
            browser.close()


def sign_in(tab: object, name: str) -> None:
    tab.get_by_role("textbox", name="Name").fill(name)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_text("Signed in as").wait_for()


def settle(tab: object, ms: int = 1000) -> None:
    tab.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    tab.wait_for_timeout(ms)


def test_an_agent_records_an_answer_that_is_transcribed_and_scored(
        tab: object, practice_db: Path, tmp_path: Path) -> None:
    sign_in(tab, "marek")
    tab.get_by_role("link", name="Practice").click()
    tab.get_by_role("heading", name="Practice").wait_for()
    tab.get_by_text("But I'm your customer, not theirs.").first.wait_for()
    tab.get_by_role("tab", name="Record your answer").click()
    tab.get_by_role("button", name="Record").click()
    tab.get_by_role("button", name="Stop recording").wait_for()
    tab.wait_for_timeout(7500)  # the answer lasts about 6 s
    tab.get_by_role("button", name="Stop recording").click()
    tab.get_by_role("button", name="Transcribe and score").click()
    tab.get_by_text("Answer score").wait_for(timeout=120_000)
    settle(tab)

    conn = sqlite3.connect(practice_db)
    rows = conn.execute("SELECT a.mode, a.answer, a.score, a.result FROM practice_attempts a "
                        "JOIN practice_items i ON i.id = a.item_id "
                        "WHERE i.agent = 'm.kowalski'").fetchall()
    conn.close()
    assert len(rows) == 1
    mode, said, score, result = rows[0]
    assert mode == "spoken"
    words = said.lower()
    assert "sorry" in words and "windscreen" in words, said  # heard, by the local model
    assert score is not None and '"apology:sincere"' in result
    tab.get_by_text("What was good").wait_for()
    assert tab.get_by_text(MAREK_CALL).count() >= 1
    tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    settle(tab, 800)
    shot = tmp_path / "practice.png"
    tab.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    target = os.environ.get("QA_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "practice.png")


def test_another_agent_never_sees_this_agents_call(tab: object) -> None:
    sign_in(tab, "priya")
    tab.get_by_role("link", name="Practice").click()
    tab.get_by_role("heading", name="Practice").wait_for()
    settle(tab)
    body = tab.locator("body").inner_text()
    assert f"From your call {OTHER_CALL}" in body, body
    assert MAREK_CALL not in body
    assert "But I'm your customer, not theirs." not in body
    assert "Apologies that own it" not in body
