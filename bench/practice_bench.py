"""How long practice takes on this machine: making a set (from an imported transcript, spoken
by the offline voice, and from a stereo recording, cut from its customer channel), scoring a
typed answer, and transcribing and scoring a spoken one.

    .venv/bin/python bench/practice_bench.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import practice, queries  # noqa: E402
from qa.auth import Viewer  # noqa: E402
from qa.cli import main  # noqa: E402

ANSWER = ("I'm so sorry nobody called you to book the windscreen repair. That's on us, and "
          "I'll book it for you today.")


def _score(folder: Path, db: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db), *extra])
    if result.exit_code:
        raise SystemExit(result.output)


def main_bench() -> None:
    """Print the timings."""
    coach, agent = Viewer("coach", "coach"), Viewer("marek", "agent", "m.kowalski")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "t").mkdir()
        shutil.copy(ROOT / "tests" / "devset" / "ins_windscreen_056.json", work / "t")
        _score(work / "t", work / "t.db")
        (work / "a").mkdir()
        shutil.copy(ROOT / "sample_calls" / "call02_card_double_charge.mp3", work / "a")
        manifest = [line for line in (ROOT / "sample_calls" / "manifest.csv").read_text()
                    .splitlines() if line.startswith(("file,", "call02"))]
        (work / "a" / "manifest.csv").write_text("\n".join(manifest) + "\n")
        _score(work / "a", work / "a.db", "--manifest", str(work / "a" / "manifest.csv"))

        conn = queries.connect(work / "t.db")
        practice.speak("warm up")  # the voice loads once per process
        started = time.perf_counter()
        set_id = practice.create_set(conn, coach, "m.kowalski", size=6)
        made = time.perf_counter() - started
        items = practice.set_items(conn, coach, set_id)
        print(f"set of {len(items)} moments from a transcript, spoken by "
              f"{practice.tts_engine()}: {made:.2f} s")
        started = time.perf_counter()
        practice.answer(conn, agent, items[0]["id"], ANSWER)
        print(f"typed answer scored: {time.perf_counter() - started:.2f} s")

        spoken = practice.speak(ANSWER)
        if spoken is not None:
            from qa.transcribe import get_transcriber

            get_transcriber()  # the model loads once per server process
            started = time.perf_counter()
            words = practice.transcribe_answer(spoken[0])
            heard = time.perf_counter() - started
            practice.answer(conn, agent, items[0]["id"], words, "spoken")
            print(f"spoken answer ({len(ANSWER.split())} words) transcribed in {heard:.2f} s "
                  f"and scored in {time.perf_counter() - started - heard:.2f} s: {words!r}")

        conn = queries.connect(work / "a.db")
        started = time.perf_counter()
        set_id = practice.create_set(conn, coach, "dan.okafor", size=6)
        items = practice.set_items(conn, coach, set_id)
        print(f"set of {len(items)} moments from a stereo recording, clips cut from the "
              f"customer channel: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main_bench()
