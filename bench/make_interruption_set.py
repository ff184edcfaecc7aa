"""Render an audio test set of agent interruptions: stereo phone calls with a reference.

Each call is a customer-service exchange synthesised with espeak-ng (several voices and
speaking rates per party), laid out on two channels (agent left, customer right), band-passed
to the telephone band, written at 8 kHz with light background noise. Every customer turn is
followed by one of:

* ``interruption``: the agent starts while the customer still talks, 0.2 to 3 s before the
  customer's speech ends (the positives; the reference time is the agent's first sound);
* ``backchannel``: a listening cue ("mm-hmm", "right", "I see") inside the customer's turn,
  then the agent answers after the customer stops (negative);
* ``after``: the agent starts 0.05 to 0.8 s after the customer stops (negative);

and some agent turns are talked over by the customer (``customer_overlap``: the customer
starts 0.3 to 2 s before the agent stops; negative for the agent).

Written into the output folder: ``<call>.wav`` (stereo, 8 kHz, 16-bit) and ``<call>.json``
(the reference: ``interruptions`` as agent start times in seconds, and every event with its
kind and times), plus ``manifest.json`` listing the calls. Deterministic for a seed.

Usage::

    python bench/make_interruption_set.py OUT [--calls 12] [--seed 13]
    python bench/interruption_bench.py OUT
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 8000
"""Output sample rate: the narrow telephone band, as the real calls are recorded."""

VOICES = ["en-us+m3", "en-us+f2", "en+m1", "en+f3", "en-gb+m3", "en-us+f4", "en+m7", "en-us+f3",
          "en-us+m7", "en-gb-x-gbclan+f2"]
"""espeak-ng voice+variant names; each call draws a different pair for its two parties. Voices
tiny.en recognised worst in a trial (about half the words: en-gb-x-rp, en-gb-scotland, en-029)
are left out: they test the recogniser, not the interruption logic."""

RATES = (135, 185)
"""Range of espeak-ng speaking rates (words per minute) drawn per party."""

OVERLAP = (0.2, 3.0)
"""Range (s) by which an interrupting agent turn starts before the customer's speech ends."""

CUSTOMER_LINES = [
    "I was charged twice for the same order and nobody has called me back about it.",
    "My internet has been dropping every evening for two weeks and I work from home.",
    "The technician was supposed to come on Tuesday morning but nobody ever showed up.",
    "I returned the jacket three weeks ago and I still have not seen the refund.",
    "The app keeps logging me out every time I try to pay my bill online.",
    "My flight was cancelled last night and the airline desk told me to call you.",
    "I moved house last month and the bills are still going to my old address.",
    "The parcel says delivered but it is not at my door and my neighbours have not seen it.",
    "I have called four times this week and every time I get cut off.",
    "The car made a grinding noise right after the service and now the light is on again.",
    "I never signed up for the premium plan but you have been charging me for it.",
    "My card was declined at the supermarket even though there is money in the account.",
    "The replacement phone you sent me has a cracked screen straight out of the box.",
    "I booked a table for six people and when we arrived there was no booking at all.",
    "The heating stopped working on Friday and it is freezing in the house.",
    "Your website says the offer ends tomorrow but the checkout will not apply the code.",
    "I asked for the contract to be cancelled in March and I am still being billed.",
    "My daughter's school fees were taken twice from my account this month.",
    "The washing machine leaks water all over the kitchen floor every time I use it.",
    "I was promised a callback within two days and that was over a week ago.",
]

AGENT_LINES = [
    "I am sorry about that, let me pull up your account and check what happened.",
    "Thank you for explaining, I can see the two charges here on the statement.",
    "Let me check the booking for you, can you give me the reference number please?",
    "I understand, I will book a new appointment for you for tomorrow morning.",
    "That should not have happened, I am raising a refund for you right now.",
    "Could you confirm the address on the account so I can update it?",
    "I will send you an email with the details as soon as we finish this call.",
    "Okay, I have found the order, it looks like it went to the wrong depot.",
    "Let me transfer you to the team who can fix that for you today.",
    "I have put a note on the account so this does not happen again.",
    "The engineer can be with you on Thursday between eight and ten.",
    "I can see the cancellation request, I will stop the payments from today.",
]

CUES = ["mm-hmm", "right", "I see", "okay", "uh-huh", "yeah", "got it", "sure"]

KINDS = [("interruption", 0.5), ("after", 0.25), ("backchannel", 0.25)]
"""What follows a customer turn, with its share."""

CUSTOMER_OVERLAP_SHARE = 0.3
"""Share of agent turns the customer starts talking over."""


@dataclass
class Placed:
    """One rendered utterance on the timeline."""

    speaker: str
    text: str
    start: float
    audio: np.ndarray

    @property
    def end(self) -> float:
        """Where its sound ends (seconds)."""
        return self.start + len(self.audio) / RATE


@dataclass
class CallPlan:
    """A rendered call: its utterances and events."""

    call_id: str
    voices: dict[str, str] = field(default_factory=dict)
    placed: list[Placed] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)


def synthesise(text: str, voice: str, rate: int, workdir: Path) -> np.ndarray:
    """espeak-ng speech for ``text`` as float32 at 8 kHz in the telephone band, trimmed to its
    sound (so placing it places its first and last audible sample)."""
    raw, band = workdir / "raw.wav", workdir / "band.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(band),
                    "highpass", "300", "lowpass", "3400"], check=True, capture_output=True)
    with wave.open(str(band)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    frame = int(0.01 * RATE)
    levels = np.array([np.sqrt(np.mean(x[i:i + frame] ** 2) + 1e-12)
                       for i in range(0, len(x) - frame, frame)])
    loud = np.flatnonzero(20 * np.log10(levels) > 20 * np.log10(levels.max()) - 40)
    x = x[loud[0] * frame:(loud[-1] + 1) * frame]
    return (0.5 * x / (np.abs(x).max() + 1e-9)).astype(np.float32)


def plan_call(call_id: str, rng: random.Random, workdir: Path, turns: int) -> CallPlan:
    """Lay out one call of ``turns`` customer turns, each followed by one event."""
    agent_voice, customer_voice = rng.sample(VOICES, 2)
    agent_rate, customer_rate = rng.randint(*RATES), rng.randint(*RATES)

    def say(speaker: str, text: str) -> np.ndarray:
        voice, rate = (agent_voice, agent_rate) if speaker == "agent" else \
            (customer_voice, customer_rate)
        return synthesise(text, voice, rate, workdir)

    plan = CallPlan(call_id, voices={"agent": f"{agent_voice} -s {agent_rate}",
                                     "customer": f"{customer_voice} -s {customer_rate}"})
    greeting = say("agent", "Thank you for calling, this is the help desk. How can I help?")
    plan.placed.append(Placed("agent", "greeting", 0.5, greeting))
    customer_lines = rng.sample(CUSTOMER_LINES, turns)
    for k, line in enumerate(customer_lines):
        last_agent = plan.placed[-1]
        agent_end = max(p.end for p in plan.placed)
        audio = say("customer", line)
        if rng.random() < CUSTOMER_OVERLAP_SHARE and last_agent.speaker == "agent" \
                and last_agent.end - last_agent.start > 2.5:
            # The customer starts over the end of the agent's turn: not the agent's doing.
            lead = rng.uniform(0.3, min(2.0, last_agent.end - last_agent.start - 1.0))
            start = last_agent.end - lead
            plan.events.append({"kind": "customer_overlap", "customer_start": round(start, 3),
                                "agent_end": round(last_agent.end, 3)})
        else:
            start = agent_end + rng.uniform(0.4, 1.2)
        turn = Placed("customer", line, start, audio)
        plan.placed.append(turn)
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        reply_text = AGENT_LINES[(k + rng.randint(0, len(AGENT_LINES) - 1)) % len(AGENT_LINES)]
        reply = say("agent", reply_text)
        if kind == "interruption":
            overlap = rng.uniform(*OVERLAP)
            opener = reply_text.split(",")[0]
            if opener.lower() in [*CUES, "i understand"]:
                # "Okay, [pause] ...": the sentence itself must still start over the customer,
                # else this is a cue and an answer after they stop.
                overlap = max(overlap, len(say("agent", opener)) / RATE + 0.8)
            overlap = min(overlap, turn.end - turn.start - 0.8)
            # After the customer came in over the agent, the agent must have stopped a while
            # before cutting back in, else it is one agent turn the customer talked into.
            overlap = min(overlap, turn.end - (last_agent.end + 1.0))
            if overlap < OVERLAP[0]:
                kind = "after"
        if kind == "interruption":
            reply_start = turn.end - overlap
            plan.events.append({"kind": "interruption", "agent_start": round(reply_start, 3),
                                "overlap": round(overlap, 3),
                                "customer_end": round(turn.end, 3)})
        else:
            if kind == "backchannel":
                cue = rng.choice(CUES)
                at = turn.start + rng.uniform(0.3, 0.6) * (turn.end - turn.start)
                cue_audio = say("agent", cue)
                plan.placed.append(Placed("agent", cue, at, cue_audio))
                plan.events.append({"kind": "backchannel", "agent_start": round(at, 3),
                                    "text": cue})
            gap = rng.uniform(0.05, 0.8)
            reply_start = turn.end + gap
            plan.events.append({"kind": "after", "agent_start": round(reply_start, 3),
                                "gap": round(gap, 3)})
        plan.placed.append(Placed("agent", reply_text, reply_start, reply))
    return plan


def render(plan: CallPlan, rng: np.random.Generator) -> np.ndarray:
    """The call as (2, samples) float32: agent left, customer right, light noise on both."""
    total = int((max(p.end for p in plan.placed) + 1.0) * RATE)
    out = np.zeros((2, total), dtype=np.float32)
    for p in plan.placed:
        ch = 0 if p.speaker == "agent" else 1
        a = round(p.start * RATE)
        out[ch, a:a + len(p.audio)] += p.audio
    # Light line noise, about 45 dB under the speech peaks.
    out += rng.normal(0, 0.003, out.shape).astype(np.float32)
    return np.clip(out, -1, 1)


def write_wav(path: Path, stereo: np.ndarray) -> None:
    """16-bit stereo WAV at ``RATE``."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((stereo.T * 32767).astype("<i2").tobytes())


def generate(out: Path, calls: int = 12, seed: int = 13, turns: int = 10) -> list[str]:
    """Write ``calls`` calls and their references into ``out``; the call ids."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise RuntimeError("espeak-ng and sox are needed (apt-get install espeak-ng sox)")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    ids = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(calls):
            call_id = f"int{seed:02d}_{n:02d}"
            plan = plan_call(call_id, rng, Path(tmp), turns)
            write_wav(out / f"{call_id}.wav", render(plan, noise))
            reference = {
                "call_id": call_id,
                "agent_channel": 0,
                "voices": plan.voices,
                "interruptions": sorted(e["agent_start"] for e in plan.events
                                        if e["kind"] == "interruption"),
                "events": plan.events,
                "utterances": [{"speaker": p.speaker, "start": round(p.start, 3),
                                "end": round(p.end, 3), "text": p.text}
                               for p in sorted(plan.placed, key=lambda p: p.start)],
            }
            (out / f"{call_id}.json").write_text(json.dumps(reference, indent=1) + "\n")
            ids.append(call_id)
    (out / "manifest.json").write_text(json.dumps({"seed": seed, "calls": ids}, indent=1)
                                       + "\n")
    return ids


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the calls into")
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--turns", type=int, default=10, help="customer turns per call")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    ids = generate(args.out, args.calls, args.seed, args.turns)
    positives = sum(len(json.loads((args.out / f"{i}.json").read_text())["interruptions"])
                    for i in ids)
    print(f"{len(ids)} calls, {positives} interruptions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
