"""Affirmative cues: short listening signals ("I see", "mm-hmm", "go on") while the customer talks.

Scored on their rate per minute of customer speech and on their variety: one cue repeated
all call long sounds mechanical.
"""

from __future__ import annotations

from qa.detectors.common import (
    agent_finding,
    customer_topic,
    is_listening_cue,
    last_customer_before,
    opening_cue,
)
from qa.detectors.contract import PROBLEM, Criterion, Label, NotApplicable
from qa.findings import COACHING, STRENGTH, CriterionScore, Finding, clamp_score
from qa.params import INTEGER, NUMBER, CriterionConfig
from qa.text import find_phrase, is_question, normalize, sentences, tokens
from qa.transcript import AGENT, CUSTOMER, Transcript

# Listening cues are mostly said while the customer talks. With both parties on one channel
# Whisper drops many of them (4 sample calls mixed to mono: 3 of the agent's 5 cues said over
# the customer were not transcribed), so on a mono call they cannot be counted fairly.
CONTRACT = Criterion(
    "affirmations", "Listening cues",
    labels=(
        Label("affirmation", STRENGTH,
              "Listening cues that keep the customer talking", evaluated=True),
        Label("affirmation:mechanical", PROBLEM, "The same listening cue over and over"),
        Label("affirmation:missing", PROBLEM,
              "Long stretches of the customer talking with no \"mm-hmm\" or \"I see\""),
    ),
    needs_separate_channels=True,
)
CRITERION = CONTRACT.name
PARAMS = {
    "target_per_minute": NUMBER,
    "min_customer_seconds": NUMBER,
    "long_turn_seconds": NUMBER,
    "mechanical_run": INTEGER,
    "mechanical_penalty": NUMBER,
    "variety_share": NUMBER,
    "full_variety": NUMBER,
    "cue_window_seconds": NUMBER,
}


def detect(call: Transcript, cfg: CriterionConfig) -> list[Finding]:
    """One strength finding per listening cue; a coaching point for a long turn met in silence."""
    findings = []
    for i, utt in call.by(AGENT):
        whole = is_listening_cue(utt.text, cfg) or _echo_cue(call, i, cfg)
        opener = None if whole else opening_cue(utt.text, cfg)
        if opener is None and not whole:
            continue
        previous = last_customer_before(call, i)
        if previous is None:
            continue  # a cue before the customer said anything acknowledges nothing
        if _asks(previous[1].text, whole=opener is not None) and previous[1].end <= utt.start \
                and _could_answer(opener or utt.text):
            continue  # "yes" answering the customer's question is an answer, not a cue
        if opener is not None and (not _answers_customer(call, i)
                                   or previous[1].end > utt.start + 0.3
                                   or find_phrase(previous[1].text, _THANKS)):
            # "Okay. Next question..." after the agent's own turn acknowledges nothing, and
            # "Sure. Have a great day." after "thanks" is "you're welcome"; a turn that starts
            # over the customer takes the floor rather than acknowledging it.
            continue
        if opener is None and not _acknowledges(call, i):
            continue
        cue = opener or utt.text
        findings.append(agent_finding(
            call, i, CRITERION, "affirmation", STRENGTH,
            "Listening cue that keeps the customer talking." if opener is None else
            "Opened the answer by acknowledging what the customer said.",
            quote=cue, cue=normalize(cue).strip(".!?, "),
        ))
    findings.extend(_mechanical_runs(call, cfg, findings))
    findings.extend(_silent_long_turns(call, cfg, {f.utterance for f in findings}))
    return findings


_THANKS = ("thank you", "thanks", "cheers", "that's helpful", "that's really helpful",
           "appreciate it")
# Questions asked without a question mark: "so can you send another one", "... is that right".
_TAG_QUESTIONS = ("is that right", "is that correct", "right?", "correct?", "yeah?", "okay?",
                  "isn't it", "can you", "could you", "will you", "would you", "please")
_STATED_RIGHT = ("that's right", "that is right", "all right", "exactly right", "quite right",
                 "that's correct", "that is correct")
_LEAD_WORDS = {"so", "and", "but", "okay", "ok", "well", "um", "uh", "oh", "right", "then"}


def _asks(text: str, whole: bool = False) -> bool:
    """True if the customer asked something: the utterance ends as a question (or, with
    ``whole``, any of its sentences is one), even behind "so ..." or without a question mark."""
    said = sentences(text) or [text]
    for sentence in said if whole else said[-1:]:
        words = tokens(sentence)
        while words and words[0] in _LEAD_WORDS:
            words = words[1:]
        bare = " ".join(words)
        closed = sentence.rstrip().endswith((".", "!"))
        # A tag ("..., right", "..., yeah") asks only when the sentence is left open: "Yes,
        # that's right." states, "so you can send it right" asks.
        tagged = any(bare.endswith(t) for t in _TAG_QUESTIONS[:2]) or (
            not closed and any(bare.endswith(" " + t.rstrip("?")) for t in _TAG_QUESTIONS[2:5])
            and not bare.endswith(_STATED_RIGHT))
        if is_question(sentence) or (bare and not closed and is_question(bare)) or tagged \
                or any(bare.startswith(t) for t in _TAG_QUESTIONS[7:]):
            return True
    return False


# Said alone these agree or react ("exactly", "wow", "oh no") rather than signal listening: never
# an interruption (see is_listening_cue) but not counted as a listening cue either.
_REACTIONS = frozenset({"exactly", "absolutely", "definitely", "certainly", "indeed", "totally",
                        "wow", "no", "dear", "precisely"})
_ANSWERS = frozenset({"yes", "no", "yep", "nope"})


# Cue words that can also answer a yes/no question ("Sure.", "Right."); "understood", "fair
# enough" or "I see" never answer one, so they stay cues after a question.
_ANSWERING = frozenset({"yes", "yeah", "yep", "yup", "yea", "no", "nope", "sure", "right",
                        "okay", "ok", "alright", "absolutely", "definitely", "certainly", "of",
                        "course", "correct", "exactly", "indeed", "totally", "kay", "'kay"})


_PLAIN_CUES = frozenset({"okay", "ok", "right", "understood", "gotcha", "yeah", "yep", "mm-hmm",
                         "uh-huh", "mhm", "alright", "noted", "see", "got"})
_NOT_ECHO = frozenset({"sorry", "thanks", "that's", "this", "that", "with", "have", "just"})


def _echo_cue(call: Transcript, index: int, cfg: CriterionConfig) -> bool:
    """True for a short cue that echoes the customer's last words ("fifty, okay", "lunch club,
    okay, understood"): every word is a cue word or was just said by the customer."""
    words = tokens(call.utterances[index].text)
    if not words or len(words) > cfg["max_cue_words"]:
        return False
    previous = last_customer_before(call, index)
    if previous is None:
        return False
    heard = set(tokens(previous[1].text))
    echoed = [w for w in words if w in heard and len(w) > 3 and not is_listening_cue(w, cfg)
              and w not in _NOT_ECHO]
    rest = [w for w in words if w not in heard]
    # The echo rides on a plain cue word: "Glenview Road, grand." confirms an address rather
    # than keeping the customer talking.
    return bool(echoed) and bool(rest) and is_listening_cue(" ".join(rest), cfg) \
        and any(w in _PLAIN_CUES for w in rest)


def _could_answer(cue: str) -> bool:
    """True if the cue holds a word that could be a yes/no answer rather than a listening
    signal."""
    return any(w in _ANSWERING for w in tokens(cue))


def _acknowledges(call: Transcript, index: int) -> bool:
    """True if a whole-utterance cue acknowledges the customer rather than reacting, answering
    or starting the agent's own next sentence.

    "Yeah," between two of the agent's own utterances begins its next sentence; "Yes." followed
    by more of the agent's talk answers; "Exactly." or "Wow." agrees or reacts.
    """
    utt = call.utterances[index]
    words = [w for w in tokens(utt.text) if w not in {"oh", "um", "uh", "well"}]
    if words and all(w in _REACTIONS for w in words):
        return False
    previous = last_customer_before(call, index)
    if previous is not None and previous[1].start <= utt.start and previous[1].end >= utt.end:
        return True  # said inside the customer's turn: a backchannel, whatever follows
    before = call.utterances[index - 1] if index else None
    after = call.utterances[index + 1] if index + 1 < len(call.utterances) else None
    agent_next = after is not None and after.speaker == AGENT
    if agent_next and utt.text.rstrip().endswith(",") and before is not None \
            and before.speaker == AGENT:
        return False
    return not (agent_next and words and set(words) <= _ANSWERS)


def _answers_customer(call: Transcript, index: int) -> bool:
    """True if the customer spoke last before agent utterance ``index`` (its cue answers them)."""
    start = call.utterances[index].start
    # Walk back over the agent's own backchannels said inside the customer's turn ("Mm-hmm."
    # during their story): the turn still answers the customer. Bounded, so scoring stays linear.
    for back in range(index - 1, max(-1, index - 4), -1):
        utt = call.utterances[back]
        if utt.start >= start:
            continue
        if utt.speaker == CUSTOMER:
            return True
        # Two cues inside one customer turn ("Mm-hmm." ... "Okay.") both sit in its span.
        host = last_customer_before(call, back) if back > 0 else None
        if not (is_listening_cue(utt.text) and host is not None and host[1].end >= utt.end):
            return False
    return False


def _mechanical_runs(call: Transcript, cfg: CriterionConfig,
                     cues: list[Finding]) -> list[Finding]:
    """The same cue several times in a row ("okay... okay... okay") sounds mechanical."""
    out = []
    run: list[Finding] = []
    for finding in [*cues, None]:
        if finding is not None and run and finding.detail["cue"] == run[-1].detail["cue"]:
            run.append(finding)
            continue
        if len(run) >= cfg["mechanical_run"]:
            cue = run[0].detail["cue"]
            alternatives = [c for c in ("I see", "go on", "right", "that makes sense",
                                        "I hear you") if c.lower() != cue]
            out.append(agent_finding(
                call, run[-1].utterance, CRITERION, "affirmation:mechanical", COACHING,
                f"\"{cue}\" {len(run)} times in a row sounds mechanical.",
                suggestion=f"Vary the cue and tie it to what they said: "
                           f"\"{alternatives[0]}\", \"{alternatives[1]}\", or repeat a key "
                           "detail back.", cue=cue, run=len(run)))
        run = [finding] if finding is not None else []
    return out


def _silent_long_turns(call: Transcript, cfg: CriterionConfig,
                       cue_indexes: set[int]) -> list[Finding]:
    """Long customer turns with no cue during them or right after."""
    if not call.speaker_timing:
        return []
    out = []
    cue_times = [call.utterances[i].start for i in cue_indexes]
    for i, utt in call.by(CUSTOMER):
        if utt.duration < cfg["long_turn_seconds"]:
            continue
        if any(utt.start <= t <= utt.end + cfg["cue_window_seconds"] for t in cue_times):
            continue
        topic = customer_topic(utt.text, cfg)
        show = (f"then show you heard it: \"Right, so {topic}.\"" if topic
                else "then say back what you heard in a sentence.")
        out.append(agent_finding(
            call, i, CRITERION, "affirmation:missing", COACHING,
            f"The customer spoke for {utt.duration:.0f} s with no sign that anyone was listening.",
            suggestion=f"Drop in a short cue while they explain (\"I see\", \"go on\"), {show}",
        ))
    return out


def score(findings: list[Finding], call: Transcript,
          cfg: CriterionConfig) -> CriterionScore | NotApplicable:
    """Rate of cues per minute of customer speech against the target, less for monotony."""
    customer_seconds = call.speech_seconds(CUSTOMER)
    if customer_seconds < cfg["min_customer_seconds"]:
        return NotApplicable(f"the customer spoke only {customer_seconds:.0f} s")
    cues = [f for f in findings if f.label == "affirmation"]
    mechanical = sum(f.label == "affirmation:mechanical" for f in findings)
    rate = len(cues) / (customer_seconds / 60)
    variety = len({f.detail.get("cue") for f in cues}) / len(cues) if cues else 0.0
    base = min(1.0, rate / cfg["target_per_minute"]) * 100
    # A single repeated cue loses up to ``variety_share`` of the score.
    share = cfg["variety_share"]
    value = base * (1 - share + share * min(1.0, variety / cfg["full_variety"])) if cues else 0.0
    value -= cfg["mechanical_penalty"] * mechanical
    return CriterionScore(
        CRITERION, clamp_score(value),
        f"{len(cues)} listening cue(s), {rate:.1f} per minute of customer speech "
        f"(target {cfg['target_per_minute']:g}); {len({f.detail.get('cue') for f in cues})} "
        "different.", cfg.weight)
