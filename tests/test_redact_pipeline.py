"""Redaction wired through ``qa score``: nothing unredacted reaches the database or the exports,
the counts are stored and shown, and the redacted copy of a recording is silent where the
personal data was spoken (and unchanged elsewhere)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa import batch, queries
from qa.audio import load_call
from qa.auth import Viewer
from qa.cli import main
from qa.rubric import RubricError, load_rubric, parse_rubric
from qa.transcript import AGENT, CUSTOMER, Transcript, Utterance, Word

CARD = "4539 1488 0343 6467"  # passes the Luhn check
PHONE = "07700 900123"
EMAIL = "jane.doe@example.com"
# Every piece that must not be stored anywhere: the card's groups, the whole number, the
# phone number's parts and the e-mail's name part.
SECRETS = [*CARD.split(), CARD.replace(" ", ""), *PHONE.split(), "jane.doe", "jane"]

LINES = [
    (AGENT, 0.5, 3.5, "Thanks for calling Brightline Bank, this is Dana, how can I help?"),
    (CUSTOMER, 4.0, 11.0, "Hi, I was charged twice for my March subscription and I'm really "
                          "frustrated about it."),
    (AGENT, 11.5, 15.0, "I'm so sorry we charged you twice for March, that's our mistake."),
    (AGENT, 15.2, 17.0, "Can I take the card number please?"),
    (CUSTOMER, 17.5, 24.0, f"Sure, it's {CARD} and you can reach me on {PHONE}."),
    (AGENT, 24.5, 31.0, f"Thank you. I will refund the second charge to your card {CARD} by "
                        f"Friday and email you at {EMAIL}."),
    (CUSTOMER, 31.5, 33.0, "Okay, thanks."),
    (AGENT, 33.5, 36.0, "Is there anything else I can help with today? Thanks for calling."),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _timed_words(text: str, start: float, end: float) -> list[Word]:
    parts = text.split()
    step = (end - start) / len(parts)
    return [Word(round(start + i * step, 3), round(start + (i + 1) * step - 0.02, 3), w)
            for i, w in enumerate(parts)]


def make_call(call_id: str = "redact-demo", words: bool = False) -> Transcript:
    """The card-payment call, optionally with word timings (as a transcriber gives them)."""
    return Transcript(call_id, [Utterance(s, a, b, text, _timed_words(text, a, b) if words
                                          else []) for s, a, b, text in LINES],
                      agent="dana", duration=36.5)


def leaks(db_path: Path) -> list[str]:
    """Where any secret appears in the database: every table's values (full-text index
    shadow tables included) and every term of the full-text index."""
    conn = sqlite3.connect(db_path)
    patterns = [re.compile(r"(?<![0-9A-Za-z])" + re.escape(s) + r"(?![0-9A-Za-z])", re.I)
                for s in SECRETS]
    found = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in conn.execute(f"SELECT * FROM [{table}]"):
            for value in row:
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                found += [f"{table}: {p.pattern}" for p in patterns if p.search(text)]
    conn.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab('main', 'utterances_fts', 'row')")
    terms = {r[0] for r in conn.execute("SELECT term FROM temp.terms")}
    found += [f"utterances_fts term {s}" for s in SECRETS if s.lower() in terms]
    conn.close()
    return found


def raw_leaks(db_path: Path) -> list[str]:
    """Secrets found anywhere in the database's bytes (file and write-ahead log): deleted
    rows, free pages and the full-text index's old segments included."""
    raw = b"".join(p.read_bytes() for p in (db_path, Path(f"{db_path}-wal")) if p.exists())
    return [s for s in ("0343", "6467", "900123", "jane") if s.encode() in raw]


@pytest.fixture
def transcript_file(tmp_path: Path) -> Path:
    path = tmp_path / "calls" / "redact-demo.json"
    path.parent.mkdir()
    make_call(words=True).save(path)
    return path


def test_score_redact_stores_no_personal_data(transcript_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "qa.db"
    code, out, err = run("score", str(transcript_file.parent), "--db", str(db), "--redact")
    assert code == 0, out + err
    assert "1 scored" in out
    assert leaks(db) == [] and raw_leaks(db) == []
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM utterances WHERE text LIKE '%[CARD]%'"
                        ).fetchone()[0] == 2
    quote = conn.execute("SELECT quote FROM commitments").fetchone()[0]
    assert "[CARD]" in quote and "[EMAIL]" in quote
    counts = json.loads(conn.execute("SELECT redacted FROM calls").fetchone()[0])
    assert counts == {"CARD": 2, "PHONE": 1, "EMAIL": 1}

    code, shown, _ = run("show", "redact-demo", "--db", str(db))
    assert "redacted: 2 CARD, 1 PHONE, 1 EMAIL" in shown and "[CARD]" in shown
    code, exported, _ = run("export", "--db", str(db), "--format", "json")
    data = json.loads(exported)["calls"][0]
    assert data["redacted"] == counts
    assert "[CARD]" in exported and CARD not in exported and "0343" not in exported
    code, findings, _ = run("export", "--db", str(db), "--what", "findings")
    assert "[CARD]" in findings and "0343" not in findings
    code, calls_csv, _ = run("export", "--db", str(db))
    row = next(csv.DictReader(io.StringIO(calls_csv)))
    assert json.loads(row["redacted"]) == counts


def test_without_redaction_the_check_sees_the_data(transcript_file: Path,
                                                  tmp_path: Path) -> None:
    # The leak check itself works: unredacted, the card is in the tables and the index.
    db = tmp_path / "plain.db"
    assert run("score", str(transcript_file), "--db", str(db), "--no-redact")[0] == 0
    found = leaks(db)
    assert any(f.startswith("utterances:") for f in found)
    assert any(f.startswith("commitments:") for f in found)
    assert any(f.startswith("utterances_fts term") for f in found)
    assert raw_leaks(db) == ["0343", "6467", "900123", "jane"]
    assert sqlite3.connect(db).execute("SELECT redacted FROM calls").fetchone()[0] is None


def test_redacting_later_replaces_an_unredacted_call(transcript_file: Path,
                                                    tmp_path: Path) -> None:
    db = tmp_path / "qa.db"
    assert run("score", str(transcript_file), "--db", str(db))[0] == 0  # rubric: redact off
    code, out, _ = run("score", str(transcript_file), "--db", str(db), "--redact")
    assert code == 0 and "1 scored" in out  # not "skipped": the stored copy held the original text
    conn = sqlite3.connect(db)
    texts = " ".join(r[0] for r in conn.execute("SELECT text FROM utterances"))
    assert "[CARD]" in texts and "0343" not in texts
    # Nor does the old version survive in the file: zeroed rows, merged full-text index.
    assert leaks(db) == [] and raw_leaks(db) == []
    # Already redacted: a run without --redact leaves it alone.
    assert "1 skipped" in run("score", str(transcript_file), "--db", str(db))[1]


def test_rubric_default_and_validation(tmp_path: Path, transcript_file: Path) -> None:
    assert load_rubric().shared["redact"] is False
    rubric = tmp_path / "redacting.toml"
    default = (Path(__file__).parent.parent / "rubrics" / "default.toml").read_text()
    rubric.write_text(default.replace("\nredact = false", "\nredact = true"))
    assert load_rubric(rubric).shared["redact"] is True
    db = tmp_path / "qa.db"
    assert run("score", str(transcript_file), "--db", str(db), "--rubric", str(rubric))[0] == 0
    assert leaks(db) == []
    import tomllib

    data = tomllib.loads(default)
    data["shared"]["redact"] = "yes"
    with pytest.raises(RubricError, match=r"shared.redact: expected a boolean"):
        parse_rubric(data)
    del data["shared"]["redact"]
    with pytest.raises(RubricError, match=r"shared.redact: missing"):
        parse_rubric(data)


def test_redacted_audio_needs_redaction(transcript_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["score", str(transcript_file), "--db",
                                       str(tmp_path / "qa.db"), "--redacted-audio",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2 and "--redacted-audio needs redaction" in result.output


def test_watch_redact_stores_no_personal_data(transcript_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "qa.db"
    code, out, err = run("watch", str(transcript_file.parent), "--db", str(db), "--redact",
                         "--once", "--settle", "0", "--interval", "0.05")
    assert code == 0, out + err
    assert "redact-demo.json: scored" in out
    assert leaks(db) == [] and raw_leaks(db) == []
    redacted = sqlite3.connect(db).execute("SELECT redacted FROM calls").fetchone()[0]
    assert json.loads(redacted) == {"CARD": 2, "PHONE": 1, "EMAIL": 1}
    result = CliRunner().invoke(main, ["watch", str(transcript_file.parent), "--db", str(db),
                                       "--once", "--redacted-audio", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--redacted-audio needs redaction" in result.output


class FakeTranscriber:
    """Stands in for Whisper: returns the card call with word timings, for any audio."""

    def transcribe_call(self, audio: object, call_id: str, agent_channel: int = 0,
                        agent: str | None = None) -> Transcript:
        return make_call(call_id, words=True)


def test_redacted_audio_copy_is_silent_over_the_spans(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rate, seconds = 16000, 37
    rng = np.random.default_rng(7)
    # Two independent noise channels: a fair stereo call as far as the checks go.
    noise = (rng.standard_normal((seconds * rate, 2)) * 0.1).clip(-1, 1)
    wav = tmp_path / "calls" / "card-call.wav"
    wav.parent.mkdir()
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((noise * 32767).astype("<i2").tobytes())
    monkeypatch.setattr(batch, "get_transcriber", lambda config: FakeTranscriber())

    db, copies = tmp_path / "qa.db", tmp_path / "redacted"
    code, out, err = run("score", str(wav), "--db", str(db), "--redact", "--redacted-audio",
                         str(copies))
    assert code == 0, out + err
    assert "1 scored" in out
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT redacted_audio, source_path FROM calls").fetchone()
    copy = Path(stored[0])
    # Named after the call and its content (two ids that reduce to one name stay apart).
    assert copy.parent == copies and re.fullmatch(r"card-call-[0-9a-f]{12}\.wav", copy.name)
    assert copy.is_file() and stored[1] == str(wav)

    original, redacted = load_call(wav), load_call(copy)
    assert redacted.source_channels == 2
    before, after = np.stack(original.channels), np.stack(redacted.channels)
    assert before.shape == after.shape
    quiet = np.zeros(after.shape[1], dtype=bool)
    # The spans to silence: runs of words holding a digit or an "@" (card, phone, e-mail).
    spans: list[tuple[float, float]] = []
    for utterance in make_call(words=True).utterances:
        previous = False
        for word in utterance.words:
            secret = any(ch.isdigit() or ch == "@" for ch in word.text)
            if secret and previous:
                spans[-1] = (spans[-1][0], word.end)
            elif secret:
                spans.append((word.start, word.end))
            previous = secret
    assert len(spans) == 4
    for start, end in spans:
        inside = slice(int(start * rate), int(end * rate))
        rms = float(np.sqrt(np.mean(after[:, inside] ** 2)))
        assert rms < 1e-4, (start, end, rms)  # silenced on both channels
        assert float(np.sqrt(np.mean(before[:, inside] ** 2))) > 0.05
        quiet[max(0, int((start - 0.15) * rate)):int((end + 0.15) * rate)] = True
    # Everywhere else the copy is the recording (16-bit rounding apart).
    assert np.abs(after[:, ~quiet] - before[:, ~quiet]).max() < 2e-4
    assert quiet.mean() < 0.25

    # The dashboard plays the redacted copy.
    qconn = queries.connect(db)
    audio = queries.call_audio(qconn, Viewer("coach", "coach"), "card-call")
    assert audio is not None and audio[0] == copy.read_bytes() and audio[1] == "audio/wav"


def test_transcribe_redact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.transcribe

    wav = tmp_path / "call.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        # Different constant levels per channel, so the two are not taken for one mix.
        out.writeframes(np.tile(np.array([3000, -2000], dtype="<i2"), 16000 * 37).tobytes())
    monkeypatch.setattr(qa.transcribe, "get_transcriber", lambda config: FakeTranscriber())
    output, copy = tmp_path / "t.json", tmp_path / "t.wav"
    code, _, err = run("transcribe", str(wav), "-o", str(output), "--redact",
                       "--redacted-audio", str(copy))
    assert code == 0, err
    data = json.loads(output.read_text())
    assert data["metadata"]["redacted"] == {"CARD": 2, "PHONE": 1, "EMAIL": 1}
    text = output.read_text()
    assert "[CARD]" in text and "0343" not in text and "jane" not in text
    samples = np.stack(load_call(copy).channels)
    assert samples.shape[0] == 2 and not samples[:, 20 * 16000].any()  # inside the card span
    assert samples[:, 2 * 16000].all()  # before it: untouched
