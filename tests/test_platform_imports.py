"""Transcripts from Azure AI Language, Google CCAI Insights and Genesys Cloud, and transcripts
without times (a chat, a plain script) judged by their words.

The platform files in tests/data/imports are the Brightline call of native.json written in
each platform's published shape (our own text, not the vendors' samples).
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import store
from qa.cli import main
from qa.detectors import CONTRACTS
from qa.importers import FORMATS, detect_format, load_any
from qa.rubric import load_rubric
from qa.scoring import NO_TIMING_REASON, score_call
from qa.transcript import AGENT, CUSTOMER, UNKNOWN, Transcript, TranscriptError, has_timing

DATA = Path(__file__).parent / "data" / "imports"
RUBRIC = load_rubric()
NATIVE = load_any(DATA / "native.json")

AZURE = "Azure AI Language conversation JSON"
CCAI = "Google CCAI Insights conversation JSON"
GENESYS = "Genesys Cloud transcript JSON"
FILES = {"azure_conversation.json": AZURE, "azure_timed.json": AZURE,
         "ccai_conversation.json": CCAI, "genesys_transcript.json": GENESYS}
TIMED = ("azure_timed.json", "ccai_conversation.json", "genesys_transcript.json")
# Criteria that measure time (or need each party's own channel): n/a without times.
TIME_CRITERIA = sorted(n for n, c in CONTRACTS.items()
                       if c.needs_timing or c.needs_separate_channels)

# A four-turn chat with a real complaint, an apology and a next step: 47 words, which the old
# estimate (2.5 words a second) made a "20 s" call, under the 30 s minimum.
CHAT = ("Agent: Hi, this is Priya at Brightline. How can I help?\n"
        "Customer: My internet stopped working last night and I still have no connection. "
        "Really frustrating.\n"
        "Agent: I'm sorry your connection is down. I've reset your line, and it will be back "
        "within ten minutes.\n"
        "Customer: It works again now, thanks.\n")


def findings(call: Transcript) -> list[tuple[str, str, str]]:
    """(criterion, label, utterance text) of every finding."""
    return sorted((f.criterion, f.label, call.utterances[f.utterance].text)
                  for f in score_call(call, RUBRIC).findings)


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


# --- recognising and reading each format ---------------------------------------------------

def test_the_formats_are_listed() -> None:
    assert {AZURE, CCAI, GENESYS} <= set(FORMATS)


@pytest.mark.parametrize("name", sorted(FILES))
def test_format_is_recognised_from_content(name: str) -> None:
    assert detect_format((DATA / name).read_text(encoding="utf-8")) == FILES[name]


@pytest.mark.parametrize("name", TIMED)
def test_timed_platform_file_scores_like_native(name: str) -> None:
    call = load_any(DATA / name)
    assert call.speaker_timing and has_timing(call)
    assert [u.text for u in call.utterances] == [u.text for u in NATIVE.utterances]
    assert [u.speaker for u in call.utterances] == [u.speaker for u in NATIVE.utterances]
    assert [(u.start, u.end) for u in call.utterances] == [
        (u.start, u.end) for u in NATIVE.utterances]
    assert findings(call) == findings(NATIVE)


def test_azure_sample_shape_tells_agent_from_customer_by_participant_id() -> None:
    """The Speech SDK call-center sample's shape: participantId Agent/Customer, no role, no
    times. Agent and customer come from participantId; the call is judged by its words."""
    call = load_any(DATA / "azure_conversation.json")
    assert call.metadata["speakers"] == {"Agent": AGENT, "Customer": CUSTOMER}
    assert [u.speaker for u in call.utterances] == [u.speaker for u in NATIVE.utterances]
    assert not has_timing(call) and not call.speaker_timing
    scored = score_call(call, RUBRIC)
    by_name = {s.criterion: s for s in scored.scores}
    for name in TIME_CRITERIA:
        if name in by_name:
            assert by_name[name].score is None and by_name[name].reason == NO_TIMING_REASON
    wordy = [f for f in findings(call) if f[0] not in TIME_CRITERIA]
    assert wordy == [f for f in findings(NATIVE) if f[0] not in TIME_CRITERIA]
    assert scored.overall is not None


def test_azure_role_beats_participant_id_and_words_keep_their_ticks(tmp_path: Path) -> None:
    items = [
        {"participantId": "2", "role": "customer", "text": "My bill is wrong again.",
         "audioTimings": [{"word": "my", "offset": 5_000_000, "duration": 2_000_000},
                          {"word": "bill", "offset": 7_000_000, "duration": 3_000_000}]},
        {"participantId": "1", "text": "Sorry about that, let me fix it.",
         "audioTimings": [{"word": "sorry", "offset": 12_000_000, "duration": 4_000_000}]},
        {"participantId": "bot", "role": "generic", "text": "Please rate this call.",
         "audioTimings": [{"word": "please", "offset": 20_000_000, "duration": 1_000_000}]},
    ]
    path = write(tmp_path, "a.json", {"analysisInput": {"conversations": [
        {"id": "c", "modality": "transcript", "conversationItems": items}]}})
    call = load_any(path)
    # "2" speaks first but its role says customer; "1", without a role, is the agent.
    assert call.metadata["speakers"] == {"2": CUSTOMER, "1": AGENT, "bot": UNKNOWN}
    assert [(u.start, u.end) for u in call.utterances] == [(0.5, 1.0), (1.2, 1.6), (2.0, 2.1)]
    assert call.utterances[0].words[1].text == "bill"
    assert call.speaker_timing and has_timing(call)
    # A speaker map overrides the file's roles.
    swapped = load_any(path, speaker_map={"2": "agent", "1": "customer"})
    assert [u.speaker for u in swapped.utterances][:2] == [AGENT, CUSTOMER]


def test_ccai_roles_channels_and_snake_case(tmp_path: Path) -> None:
    conversation = {"call_metadata": {"agent_channel": 2, "customer_channel": 1},
                    "transcript": {"transcript_segments": [
                        {"text": "Hello, I was charged twice.", "channel_tag": 1,
                         "words": [{"word": "Hello", "start_offset": "1s", "end_offset": "1.4s"},
                                   {"word": "twice", "start_offset": "2.5s",
                                    "end_offset": "3.1s"}]},
                        {"text": "Sorry to hear that.", "channel_tag": 2,
                         "words": [{"word": "Sorry", "start_offset": "3.5s",
                                    "end_offset": "4s"}]},
                        {"text": "Transferring you now.",
                         "segment_participant": {"role": "AUTOMATED_AGENT"},
                         "words": [{"word": "Transferring", "start_offset": "5s",
                                    "end_offset": "5.5s"}]}]}}
    call = load_any(write(tmp_path, "c.json", conversation))
    assert [(u.speaker, u.start, u.end) for u in call.utterances] == [
        (CUSTOMER, 1.0, 3.1), (AGENT, 3.5, 4.0), (UNKNOWN, 5.0, 5.5)]
    assert call.speaker_timing and has_timing(call)


def test_ccai_chat_has_no_timing(tmp_path: Path) -> None:
    chat = {"medium": "CHAT", "transcript": {"transcriptSegments": [
        {"text": "Hi, how can I help?", "messageTime": "2024-05-17T10:00:00Z",
         "segmentParticipant": {"role": "HUMAN_AGENT"}},
        {"text": "My parcel never arrived.", "messageTime": "2024-05-17T10:03:00Z",
         "segmentParticipant": {"role": "END_USER"}}]}}
    call = load_any(write(tmp_path, "chat.json", chat))
    assert [u.speaker for u in call.utterances] == [AGENT, CUSTOMER]
    assert not has_timing(call)


def test_genesys_offsets_missing_durations_and_purposes(tmp_path: Path) -> None:
    data = {"mediaType": "call", "transcripts": [{"phrases": [
        {"text": "thank you for calling", "startTimeMs": 1000, "participantPurpose": "ivr"},
        {"text": "hi how can i help", "startTimeMs": 3000, "participantPurpose": "internal"},
        {"text": "my order is late", "startTimeMs": 4000, "participantPurpose": "external",
         "duration": {"milliseconds": 1500}}]}]}
    call = load_any(write(tmp_path, "g.json", data))
    assert [u.speaker for u in call.utterances] == [UNKNOWN, AGENT, CUSTOMER]
    # Offsets kept as they are; a phrase without a duration ends at the next one at latest.
    assert [(u.start, u.end) for u in call.utterances] == [(1.0, 2.6), (3.0, 4.0), (4.0, 5.5)]
    assert not call.speaker_timing and has_timing(call)


def test_genesys_chat_has_no_timing(tmp_path: Path) -> None:
    data = {"mediaType": "chat", "transcripts": [{"phrases": [
        {"text": "Hello", "startTimeMs": 1715958000000, "participantPurpose": "internal"},
        {"text": "My card was declined", "startTimeMs": 1715958090000,
         "participantPurpose": "external"}]}]}
    call = load_any(write(tmp_path, "g.json", data))
    assert not has_timing(call)
    assert [u.speaker for u in call.utterances] == [AGENT, CUSTOMER]


@pytest.mark.parametrize(("data", "message"), [
    ({"analysisInput": {"conversations": [{"conversationItems": [
        {"participantId": "Agent", "text": "Hi",
         "audioTimings": [{"word": "hi", "offset": -5, "duration": 1}]}]}]}},
     "offset is -5: not a time in a call"),
    ({"analysisInput": {"conversations": [{"conversationItems": [
        {"participantId": "Agent", "text": "Hi",
         "audioTimings": [{"word": "hi", "offset": True, "duration": 1}]}]}]}},
     "offset must be a number"),
    ({"analysisInput": {"conversations": [{"conversationItems": [
        {"text": "Hi"}]}]}}, "has no participantId"),
    ({"transcript": {"transcriptSegments": [
        {"text": "Hi", "channelTag": 1,
         "words": [{"word": "Hi", "startOffset": "1e400s", "endOffset": "2s"}]}]}},
     "not a duration"),
    ({"transcript": {"transcriptSegments": [{"text": "Hi"}]}},
     "neither segmentParticipant.role nor channelTag"),
    ({"transcripts": [{"phrases": [{"text": "Hi", "startTimeMs": 10 ** 400,
                                    "participantPurpose": "internal"}]}]},
     "not a time in a call"),
    ({"transcripts": [{"phrases": [{"text": "Hi", "startTimeMs": 1,
                                    "participantPurpose": "internal",
                                    "duration": {"milliseconds": "soon"}}]}]},
     "milliseconds must be a number"),
    ({"transcripts": [{"phrases": [{"text": "Hi", "startTimeMs": 1}]}]},
     "has no participantPurpose"),
])
def test_bad_values_are_refused_with_the_field_named(tmp_path: Path, data: Any,
                                                     message: str) -> None:
    with pytest.raises(TranscriptError, match=message.replace(".", r"\.")):
        load_any(write(tmp_path, "bad.json", data))


def test_infinite_json_number_is_refused(tmp_path: Path) -> None:
    """1e400 parses to infinity in Python: refused, never stored as a time."""
    path = write(tmp_path, "inf.json", '{"transcripts": [{"phrases": [{"text": "Hi", '
                 '"startTimeMs": 1e400, "participantPurpose": "internal"}]}]}')
    with pytest.raises(TranscriptError, match="not a time in a call"):
        load_any(path)


# --- transcripts without times are judged by words ------------------------------------------

def test_four_turn_chat_is_scored_and_its_timing_criteria_do_not_apply(tmp_path: Path) -> None:
    """`qa score` on a short chat with a real complaint: scored (not "too short: 20 s"), and
    dead air, speaking rate, interruptions, talk ratio and affirmations are n/a, "no timing
    in this transcript"; the reason survives a re-score from the database."""
    chat = write(tmp_path, "chat-0101.txt", CHAT)
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(chat), "--db", str(db_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 scored" in result.stdout, result.output
    conn = sqlite3.connect(db_path)
    scorable, overall, timing = conn.execute(
        "SELECT scorable, overall, timing FROM calls WHERE id = 'chat-0101'").fetchone()
    assert scorable == 1 and overall is not None and timing == "none"
    scores = {c: (s, a, r) for c, s, a, r in conn.execute(
        "SELECT criterion, score, applicable, reason FROM scores WHERE call_id = 'chat-0101'")}
    for name in ("dead_air", "speaking_rate", "interruptions", "talk_ratio", "affirmations"):
        assert scores[name] == (None, 0, NO_TIMING_REASON), name
    # The words are judged: the complaint got its apology.
    labels = {row[0] for row in conn.execute(
        "SELECT label FROM findings WHERE call_id = 'chat-0101'")}
    assert "apology:sincere" in labels
    # No invented length is stored; a re-score from the database still knows it has no times.
    assert conn.execute("SELECT duration FROM calls WHERE id = 'chat-0101'").fetchone() == (
        None,)
    db = store.open_db(db_path)
    assert not has_timing(store.load_transcript(db, "chat-0101"))
    shown = CliRunner().invoke(main, ["show", "chat-0101", "--db", str(db_path)]).output
    assert "duration: no times (judged by words)" in shown
    # A coach swaps the roles: the re-scored call still has no timing, for the same reason.
    from qa.roles import decide_call
    rescored = decide_call(db, "chat-0101", RUBRIC, swap=True, by="coach")
    assert {s.criterion: s.reason for s in rescored.scores}["dead_air"] == NO_TIMING_REASON


def test_review_page_says_the_chat_has_no_times(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from qa import queries
    from qa.auth import add_user

    chat = write(tmp_path, "chat-0102.txt", CHAT)
    db_path = tmp_path / "qa.db"
    CliRunner().invoke(main, ["score", str(chat), "--db", str(db_path)], catch_exceptions=False)
    conn = queries.connect(db_path)
    add_user(conn, "coach", "coach", "correct horse battery")
    conn.close()
    monkeypatch.setenv("QA_DB", str(db_path))
    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60).run()
    at.text_input(key="signin_name").input("coach")
    at.text_input(key="signin_password").input("correct horse battery")
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    at.query_params["call"] = "chat-0102"
    at = at.switch_page("qa/ui/review.py").run()
    assert not at.exception
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "no times (judged by words)" in shown and " min ·" not in shown


def test_late_apology_is_not_judged_on_placeholder_times() -> None:
    """An apology 200 s after the complaint is late on a timed call; without times the gap
    is invented, so lateness is not judged (the apology itself still is)."""
    def call(timing: dict[str, str]) -> Transcript:
        from qa.transcript import Utterance
        return Transcript("late", [
            Utterance(AGENT, 0, 3, "Thanks for calling, how can I help?"),
            Utterance(CUSTOMER, 4, 9, "My parcel never arrived and I am really upset."),
            Utterance(AGENT, 10, 14, "Let me look up the order for you."),
            Utterance(AGENT, 210, 215, "I'm sorry your parcel never arrived, I've sent a new "
                                       "one today."),
        ], metadata=timing)

    def labels(transcript: Transcript) -> set[str]:
        return {f.label for f in score_call(transcript, RUBRIC).findings}

    assert "apology:late" in labels(call({}))
    untimed = labels(call({"timing": "none"}))
    assert "apology:late" not in untimed and "apology:sincere" in untimed


def unscorable_reason(path: Path, db_path: Path) -> str | None:
    """`qa score PATH`, then the stored call's reason for not being scored."""
    result = CliRunner().invoke(main, ["score", str(path), "--db", str(db_path)],
                                catch_exceptions=False)
    assert "1 unscorable" in result.stdout, result.output
    row = sqlite3.connect(db_path).execute(
        "SELECT unscorable_reason FROM calls WHERE id = ?", [path.stem]).fetchone()
    return row[0]


def test_a_few_words_without_times_are_too_short(tmp_path: Path) -> None:
    chat = write(tmp_path, "hello.txt", "Agent: Hi, how can I help?\nCustomer: Wrong number.\n")
    assert unscorable_reason(chat, tmp_path / "qa.db") == (
        "too short to judge fairly: 7 words (transcripts without times under 30 words are not "
        "scored)")


def test_timed_text_is_still_measured_in_seconds(tmp_path: Path) -> None:
    timed = write(tmp_path, "timed.txt", "[00:00:01 - 00:00:04] Agent: Hi, how can I help?\n"
                  "[00:00:05 - 00:00:09] Customer: My bill is wrong and I am upset.\n")
    assert unscorable_reason(timed, tmp_path / "qa.db") == (
        "too short to judge fairly: 9 s (calls under 30 s are not scored)")


# --- end to end ------------------------------------------------------------------------------

def test_qa_score_scores_each_platform_file(tmp_path: Path) -> None:
    """`qa score FOLDER` on the four platform files: all scored; the timed ones stored with
    the native call's findings, the Azure sample shape with its timing criteria n/a."""
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in FILES:
        (folder / name).write_bytes((DATA / name).read_bytes())
    db_path = tmp_path / "qa.db"
    result = CliRunner().invoke(main, ["score", str(folder), "--db", str(db_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "4 file(s): 4 scored" in result.stdout, result.output
    conn = sqlite3.connect(db_path)
    stored: dict[str, list[tuple[str, str, str]]] = {}
    for call_id, criterion, label, quote in conn.execute(
            "SELECT call_id, criterion, label, quote FROM findings ORDER BY 1, 2, 3, 4"):
        stored.setdefault(call_id, []).append((criterion, label, quote))
    native = sorted((f.criterion, f.label, f.quote) for f in score_call(NATIVE, RUBRIC).findings)
    for name in TIMED:
        assert stored[Path(name).stem] == native, name
    reasons = dict(conn.execute("SELECT criterion, reason FROM scores "
                                "WHERE call_id = 'azure_conversation' AND applicable = 0"))
    assert {c for c, r in reasons.items() if r == NO_TIMING_REASON} == (
        set(TIME_CRITERIA) & set(RUBRIC.criteria))
    speakers = dict(conn.execute("SELECT speaker, COUNT(*) FROM utterances "
                                 "WHERE call_id = 'azure_conversation' GROUP BY speaker"))
    assert speakers == {AGENT: 6, CUSTOMER: 5}


# --- fuzzing: hostile values in each format's shape ----------------------------------------

_ANY = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10 ** 30, max_value=10 ** 400)
    | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["1.5s", "-2s", "1e400s", "Agent", "customer", "internal", "CHAT", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly (9 in 10) a value of the field's kind, sometimes anything."""
    return st.integers(0, 9).flatmap(lambda k: value if k else _ANY)


_TICKS = st.integers(min_value=0, max_value=10 ** 12)
_AZURE_ITEM = st.fixed_dictionaries({
    "participantId": _maybe(st.sampled_from(["Agent", "Customer", "1", "2"])),
    "text": _maybe(st.text(max_size=30)),
}, optional={
    "role": _maybe(st.sampled_from(["agent", "Customer", "generic"])),
    "audioTimings": _maybe(st.lists(st.fixed_dictionaries(
        {"word": _maybe(st.text(max_size=8)), "offset": _maybe(_TICKS),
         "duration": _maybe(_TICKS)}), max_size=3)),
})
_CCAI_SEGMENT = st.fixed_dictionaries({"text": _maybe(st.text(max_size=30))}, optional={
    "channelTag": _maybe(st.integers(1, 2)),
    "segmentParticipant": _maybe(st.fixed_dictionaries({"role": _maybe(st.sampled_from(
        ["HUMAN_AGENT", "END_USER", "AUTOMATED_AGENT", "ROLE_UNSPECIFIED"]))})),
    "words": _maybe(st.lists(st.fixed_dictionaries(
        {"word": _maybe(st.text(max_size=8)),
         "startOffset": _maybe(st.floats(0, 1e6).map(lambda s: f"{s:.3f}s")),
         "endOffset": _maybe(st.floats(0, 1e6).map(lambda s: f"{s:.3f}s"))}), max_size=3)),
})
_GENESYS_PHRASE = st.fixed_dictionaries({
    "text": _maybe(st.text(max_size=30)),
    "startTimeMs": _maybe(st.integers(0, 2 * 10 ** 12)),
    "participantPurpose": _maybe(st.sampled_from(["internal", "external", "ivr"])),
}, optional={
    "duration": _maybe(st.fixed_dictionaries({"milliseconds": _maybe(st.integers(0, 10 ** 9))})),
    "decoratedText": _maybe(st.text(max_size=30)),
})
_FILES = st.one_of(
    st.builds(lambda items, extra: {"analysisInput": {"conversations": [
        {"conversationItems": items, **extra}]}},
        st.lists(_AZURE_ITEM, max_size=4), st.dictionaries(st.text(max_size=6), _ANY,
                                                            max_size=2)),
    st.builds(lambda segs, medium, meta: {"medium": medium, "callMetadata": meta,
                                          "transcript": {"transcriptSegments": segs}},
              st.lists(_CCAI_SEGMENT, max_size=4), _maybe(st.just("PHONE_CALL")), _ANY),
    st.builds(lambda phrases, media, begun: {"mediaType": media, "conversationStartTime": begun,
                                             "transcripts": [{"phrases": phrases}]},
              st.lists(_GENESYS_PHRASE, max_size=4), _maybe(st.just("call")), _ANY),
)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=_FILES)
def test_fuzz_platform_formats(data: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any value in any field: a Transcript with finite, ordered times that scores, or a
    TranscriptError saying what is wrong; never another exception."""
    path = tmp_path_factory.mktemp("fuzz") / "call.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        call = load_any(path)
    except TranscriptError as exc:
        assert str(exc)
        return
    for u in call.utterances:
        assert math.isfinite(u.start) and math.isfinite(u.end) and 0 <= u.start <= u.end
        assert all(math.isfinite(w.start) and math.isfinite(w.end) for w in u.words)
    assert call.duration is not None and math.isfinite(call.duration)
    score_call(call, RUBRIC)
    json.loads(call.to_json())


def test_call_length_limit_does_not_apply_to_placeholder_times(tmp_path: Path) -> None:
    """limits.max_call_seconds measures a call's length; a chat has none, so its placeholder
    times (about 20 s here) never make it 'too long'."""
    import dataclasses

    from qa.batch import compute
    from qa.jobs import Job, Settings

    strict = dataclasses.replace(RUBRIC, limits={**RUBRIC.limits, "max_call_seconds": 10})
    chat = write(tmp_path, "chat.txt", CHAT)
    assert compute(Job(chat), Settings(rubric=strict), "h1").outcome.status == "scored"
    timed = write(tmp_path, "timed.txt", "[00:00:01 - 00:00:04] Agent: Hi, how can I help?\n"
                  "[00:00:05 - 00:00:39] Customer: My bill is wrong and I am upset.\n")
    outcome = compute(Job(timed), Settings(rubric=strict), "h2").outcome
    assert outcome.status == "failed" and "limits.max_call_seconds" in (outcome.error or "")
