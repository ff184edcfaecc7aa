"""Good moments and coaching sessions (issue 16, items 3 and 4).

A *good moment* is an agent's strength finding of one of the kinds below (a sincere apology, a
restatement of the problem, a specific commitment, empathy, or an interruption the agent handed
back), shown with its quote, the customer's words just before it (its *situation*), the call
and the time. Coaches curate the team's library: pin (shown first), hide (never shown to
agents, left out of searches and suggestions) and mark shareable (other agents may see it);
every change is a row of the audit trail.

Who sees what is decided here, where the data is read: leads and coaches see every moment; an
agent sees the moments of their own shared calls and, of other agents' calls, only moments a
coach marked shareable and did not hide, with the colleague's name only when the team setting
``moments.show_names`` is on (off by default).

A coaching point links to the most similar shareable moment of *another* agent on the same
criterion ("how a colleague handled this"): TF-IDF cosine similarity between the customer's
words before the coaching point and before each moment.

A *coaching session* is a one-page plan a coach prepares for one agent: their top coaching
points, chosen good moments, practice results when a ``practice`` table exists, notes, and the
goals agreed, each with its criterion's mean score at the time; the agent's next session shows
each earlier goal's score then against now.
"""

from __future__ import annotations

import html
import io
import json
import re
import sqlite3
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.audio import AUDIO_MIME_TYPES, AudioError, load_call
from qa.auth import AGENT, COACH, LEAD, Viewer
from qa.detectors import CONTRACTS
from qa.queries import AccessDenied, Period, _require, agent_points
from qa.store import moments as moment_store
from qa.store import now as store_now
from qa.store.moments import (
    CONTEXT_TURNS,
    CURATED,
    OPENING_TURNS,
    RECOVERY,
    SCAN,
    SHARED_WITH_AGENT,
    moment_ids,
    moment_rows,
)

STAFF = (LEAD, COACH)

# The good moments the library collects: label -> (criterion, what people call it). An
# interruption the agent handed back (RECOVERY, a coaching finding with ``recovered`` set in
# its detail) is one of its own; the others are the strength labels the store reads.
KINDS: dict[str, tuple[str, str]] = {
    **{spec.name: (criterion, spec.moment) for criterion, contract in CONTRACTS.items()
       for spec in contract.labels if spec.moment},
    RECOVERY: ("interruptions", "Recovery after an interruption"),
}
CRITERIA = tuple(dict.fromkeys(c for c, _ in KINDS.values()))

SHOW_NAMES = moment_store.SHOW_NAMES
# The customer turns before a moment (CONTEXT_TURNS) make up its situation; a situation
# search ranks (TF-IDF) at most SEARCH_POOL moments of the SEARCH_CALLS calls the full-text
# index finds closest to its words.
SEARCH_POOL = 1000
SEARCH_CALLS = 300
MAX_GOAL_LENGTH = 500
# Audio clips: from this long before the customer's words to this long after the moment,
# starting at most CLIP_LEAD seconds before the moment.
CLIP_BEFORE, CLIP_AFTER, CLIP_LEAD = 0.5, 1.0, 12.0


@dataclass(frozen=True)
class MomentKey:
    """A moment's identity across re-scoring: the call, the agent's utterance and the label."""

    call_id: str
    utterance_idx: int
    label: str

    def text(self) -> str:
        """As one string (a URL parameter or a widget key)."""
        return json.dumps([self.call_id, self.utterance_idx, self.label])

    @classmethod
    def parse(cls, value: str) -> MomentKey:
        """Back from :meth:`text`; ValueError for anything else."""
        try:
            call_id, idx, label = json.loads(value)
            return cls(str(call_id), int(idx), str(label))
        except (TypeError, ValueError) as exc:
            raise ValueError("not a moment") from exc


# --- reading moments ----------------------------------------------------------------------

def show_names(conn: sqlite3.Connection) -> bool:
    """Whether agents may see which colleague a shared moment is from (team setting)."""
    return moment_store.show_names(conn)


def set_show_names(conn: sqlite3.Connection, viewer: Viewer, allowed: bool) -> None:
    """A lead allows (or stops) showing colleagues' names on shared moments; audit-logged."""
    _require(viewer, LEAD)
    moment_store.set_show_names(conn, viewer.user, allowed)


def _visible_moments(viewer: Viewer) -> tuple[str, list[Any]]:
    """SQL condition on ``f`` (call_facts) and ``mc`` (curation) for the moments the viewer
    may see: staff all; an agent their own shared calls' and others' shareable, unhidden."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role in STAFF:
        return "1 = 1", []
    return moment_store.VISIBLE_TO_AGENT, [viewer.agent]


def _dress(rows: Sequence[sqlite3.Row], viewer: Viewer, names: bool,
           as_colleague: bool = False) -> list[dict[str, Any]]:
    """Rows as the pages use them: the key, the kind's name, whose it is (the colleague's
    name blanked for an agent, or for anyone when ``as_colleague``, unless the team allows
    it), one moment per key."""
    out: list[dict[str, Any]] = []
    seen: set[MomentKey] = set()
    for r in rows:
        m = dict(r)
        key = MomentKey(m["call_id"], int(m["utterance_idx"]), m["label"])
        if key in seen:  # two findings of one label on one turn: one moment
            continue
        seen.add(key)
        m["key"] = key
        m["kind"] = KINDS[m["label"]][1]
        m["own"] = not as_colleague and viewer.role == AGENT and m["agent"] == viewer.agent
        if (as_colleague or viewer.role == AGENT) and not m["own"] and not names:
            m["agent"] = None
        m["context"] = m["context"] or ""
        m["situation"] = f"{m.pop('opening') or ''} {m['context']}".strip()
        out.append(m)
    return out


def library(conn: sqlite3.Connection, viewer: Viewer, criterion: str | None = None,
            situation: str = "", agent: str | None = None, include_hidden: bool = False,
            shareable_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    """Good moments the viewer may see, pinned first, then newest (or, with ``situation``,
    most similar to those words first, moments sharing none of them left out).

    ``criterion``: one of :data:`CRITERIA`; ``agent``: one agent's moments; hidden moments
    only for staff who ask (``include_hidden``).
    """
    _require(viewer, LEAD, COACH, AGENT)
    where: list[str] = []
    args: list[Any] = []
    if criterion:
        labels = [label for label, (c, _) in KINDS.items() if c == criterion]
        if not labels:
            raise ValueError(f"no good moments for criterion {criterion!r}")
        where.append(moment_store.label_in(labels))
        args += labels
    if agent:
        where.append("f.agent = ?")
        args.append(agent)
    if not (include_hidden and viewer.role in STAFF):
        where.append(moment_store.NOT_HIDDEN)
    words = situation.strip()
    pool = SEARCH_POOL if words else limit
    if words and viewer.role in STAFF and not shareable_only:
        # Every call is a candidate: narrow them down by the full-text index first. (An
        # agent's and the shareable moments are few: all of them are ranked.)
        calls = _matching_calls(conn, words)
        if not calls:
            return []
        where.append(moment_store.calls_in(calls))
        args += calls
    if viewer.role == AGENT:
        # Their own shared calls, and colleagues' moments a coach shared: nothing else.
        ids = moment_ids(conn, CURATED, [*where, "mc.shareable = 1"], args, pool)
        ids += moment_ids(conn, SCAN, [*where, SHARED_WITH_AGENT], [*args, viewer.agent], pool)
    elif shareable_only:
        ids = moment_ids(conn, CURATED, [*where, "mc.shareable = 1"], args, pool)
    else:
        ids = moment_ids(conn, CURATED, [*where, "mc.pinned = 1"], args, pool)
        ids += moment_ids(conn, SCAN, where, args, pool)
    rows = moment_rows(conn, ids)
    moments = _dress(rows, viewer, show_names(conn))
    if words:
        ranked = rank(words, [f"{m['situation']} {m['quote'] or ''}" for m in moments])
        moments = [moments[i] for i, score in ranked if score > 0]
    return moments[:limit]


def _matching_calls(conn: sqlite3.Connection, words: str) -> list[str]:
    """The :data:`SEARCH_CALLS` calls whose customer said the most of these words (full-text
    index, BM25), to rank moments in: a search reaches every call, not only recent ones."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    terms = [w for w in re.findall(r"[^\W_]+", words.lower())
             if w not in ENGLISH_STOP_WORDS and len(w) > 1]
    if not terms:
        return []
    quoted = [f'"{t}"' for t in dict.fromkeys(terms)]
    calls: dict[str, None] = {}
    per_text: dict[str, int] = {}
    # Turns with every word first (few, so quick to rank), then with any of them when
    # those are not enough.
    for query in dict.fromkeys([" ".join(quoted), " OR ".join(quoted)]):
        for call_id, text in moment_store.customer_turns_matching(conn, query,
                                                                 SEARCH_CALLS * 20):
            # The same words in many calls (a scripted line, a common complaint): a few
            # are enough, so that the other calls searched can be about other things.
            seen = per_text.get(text, 0)
            per_text[text] = seen + 1
            if seen < 3:
                calls[call_id] = None
        if len(calls) >= SEARCH_CALLS // 10:
            break
    return list(calls)[:SEARCH_CALLS]


def rank(query: str, documents: Sequence[str]) -> list[tuple[int, float]]:
    """Indexes of ``documents`` with their TF-IDF cosine similarity to ``query``, most
    similar first (English stop words left out, so only words about the problem count)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not documents:
        return []
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([*documents, query])
    except ValueError:  # only stop words anywhere: nothing to compare
        return [(i, 0.0) for i in range(len(documents))]
    scores = (matrix[:-1] @ matrix[-1].T).toarray().ravel()
    order = sorted(range(len(documents)), key=lambda i: -scores[i])
    return [(i, float(scores[i])) for i in order]


def get_moment(conn: sqlite3.Connection, viewer: Viewer, key: MomentKey
               ) -> dict[str, Any] | None:
    """One moment the viewer may see (hidden ones for staff only), or None: missing and not
    theirs alike."""
    cond, params = _visible_moments(viewer)
    rows = moment_store.moment_at(conn, cond, params, key.call_id, key.utterance_idx, key.label)
    found = _dress(rows, viewer, show_names(conn))
    return found[0] if found else None


# --- curation -----------------------------------------------------------------------------

_FLAGS = {"pinned": ("moment.pin", "moment.unpin"), "hidden": ("moment.hide", "moment.unhide"),
          "shareable": ("moment.share", "moment.unshare")}


def curate(conn: sqlite3.Connection, viewer: Viewer, key: MomentKey, flag: str,
           value: bool) -> None:
    """A coach or lead pins, hides or marks shareable one good moment (``flag``: pinned,
    hidden, shareable), or takes that back; each change is one audit row, in the same
    transaction. LookupError for a moment that does not exist."""
    _require(viewer, LEAD, COACH)
    if flag not in _FLAGS:
        raise ValueError(f"unknown flag {flag!r}")
    if get_moment(conn, viewer, key) is None:
        raise LookupError("no such good moment")
    moment_store.set_curation(conn, viewer.user, key.call_id, key.utterance_idx, key.label,
                              flag, value, _FLAGS[flag][0 if value else 1])


# --- how a colleague handled this ---------------------------------------------------------

def situation_of(conn: sqlite3.Connection, call_id: str, utterance_idx: int | None) -> str:
    """The customer's words that set up an utterance: their first :data:`OPENING_TURNS`
    turns (where the problem is stated) and the last :data:`CONTEXT_TURNS` before it."""
    if utterance_idx is None:
        return ""
    found = moment_store.customer_turns(conn, call_id, utterance_idx, OPENING_TURNS,
                                        CONTEXT_TURNS)
    turns = dict(sorted((int(r[0]), str(r[1])) for r in found))
    return " ".join(turns.values())


def colleague_moment(conn: sqlite3.Connection, viewer: Viewer, finding_id: int
                     ) -> dict[str, Any] | None:
    """For a coaching point (a finding id on a call the viewer may read): the shareable,
    unhidden good moment of *another* agent on the same criterion whose situation is most
    similar (TF-IDF), pinned ones first among equals; None when there is none.

    The colleague's name is kept only when the team setting allows it, whoever asks: a coach
    may be showing the screen to the agent.
    """
    _require(viewer, LEAD, COACH, AGENT)
    row = moment_store.coaching_finding(conn, finding_id,
                                        None if viewer.role in STAFF else viewer.agent)
    if row is None or row["criterion"] not in CRITERIA:
        return None
    labels = [label for label, (c, _) in KINDS.items() if c == row["criterion"]]
    rows = moment_rows(conn, moment_ids(conn, CURATED, [
        "mc.shareable = 1", "mc.hidden = 0", "f.agent IS NOT NULL", "f.agent != ?",
        moment_store.label_in(labels)], [row["agent"] or "", *labels], SEARCH_POOL))
    # Names follow the team setting for every viewer here (a coach's screen may be shared).
    moments = _dress(rows, viewer, show_names(conn), as_colleague=True)
    if not moments:
        return None
    situation = situation_of(conn, row["call_id"], row["utterance_idx"])
    if situation.strip():
        ranked = rank(situation, [m["situation"] or m["quote"] or "" for m in moments])
        best, score = ranked[0]
    else:
        best, score = 0, 0.0
    chosen = moments[best]
    chosen["similarity"] = round(score, 3)
    return chosen


# --- audio --------------------------------------------------------------------------------

def moment_audio(conn: sqlite3.Connection, viewer: Viewer, key: MomentKey
                 ) -> tuple[bytes, str] | None:
    """A WAV clip of the moment (the customer's words before it to just after it), cut from
    the call's recording, or from its redacted copy when the call was redacted (the original
    of a redacted call is never used); None when the viewer may not see the moment or there
    is no recording to cut from. Only the clip is sent, never the rest of the call."""
    moment = get_moment(conn, viewer, key)
    if moment is None:
        return None
    row = moment_store.call_audio(conn, key.call_id)
    path_text = row["redacted_audio"] if row["redacted"] is not None else row["source_path"]
    if not path_text or Path(path_text).suffix.lower() not in AUDIO_MIME_TYPES:
        return None
    start = moment_store.context_start(conn, key.call_id, key.utterance_idx, CONTEXT_TURNS)
    said = float(moment["start"] or 0)
    begin = max(0.0, said - CLIP_LEAD,
                float(start if start is not None else said) - CLIP_BEFORE)
    end = float(moment["end"] or moment["start"] or 0) + CLIP_AFTER
    try:
        audio = load_call(path_text)
    except AudioError:
        return None
    rate = audio.sample_rate
    parts = [ch[int(begin * rate):int(end * rate)] for ch in audio.channels]
    if not parts or parts[0].size == 0:
        return None
    return wav_bytes(parts, rate), "audio/wav"


def wav_bytes(channels: list[np.ndarray], rate: int) -> bytes:
    """16-bit PCM WAV of float channels (one or two)."""
    data = np.stack(channels, axis=1) if len(channels) > 1 else channels[0][:, None]
    pcm = (np.clip(data, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


# --- coaching sessions --------------------------------------------------------------------

def _staff_agent(conn: sqlite3.Connection, viewer: Viewer, agent: str) -> None:
    _require(viewer, LEAD, COACH)
    if not moment_store.agent_has_calls(conn, agent):
        raise LookupError(f"no calls of agent {agent!r}")


def criterion_mean(conn: sqlite3.Connection, viewer: Viewer, agent: str, since: str | None,
                   until: str | None, criterion: str, all_calls: bool = False
                   ) -> tuple[float | None, int]:
    """The agent's mean score on a criterion (overrides applied) over calls from ``since``
    to before ``until`` (ISO times, None for open), and how many calls; an agent viewer
    counts only their own shared calls unless ``all_calls`` (a session's goals are measured
    over all of the agent's calls, as the baseline was, whoever reads them)."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise AccessDenied("you can only see your own sessions")
    mean, n = moment_store.criterion_mean(conn, agent, criterion, since, until,
                                          viewer.role == AGENT and not all_calls)
    return (None if mean is None else round(float(mean), 1)), int(n or 0)


def create_session(conn: sqlite3.Connection, viewer: Viewer, agent: str, period: Period,
                   moments: Sequence[MomentKey] = (), notes: str = "") -> int:
    """A coach prepares a session for ``agent``: the agent's top coaching points over
    ``period`` (kept as they stand now), the chosen good moments (the agent's own, or
    colleagues' shareable ones), and notes. Returns its id; audit-logged."""
    _staff_agent(conn, viewer, agent)
    notes = notes.strip()
    if len(notes) > 4000:
        raise ValueError("notes are at most 4000 characters")
    chosen = []
    for key in moments:
        m = get_moment(conn, viewer, key)
        if m is None:
            raise LookupError("no such good moment")
        if m["agent"] != agent and not m["shareable"]:
            raise ValueError("only the agent's own moments, or moments marked shareable, "
                             "can go into their session")
        chosen.append(key)
    found = agent_points(conn, viewer, agent, period, examples=1)
    points = [{"criterion": p["criterion"], "label": p["label"], "calls": p["calls"],
               "occurrences": p["occurrences"], "per_call": round(p["per_call"], 2),
               "quote": (p["examples"] or [{}])[0].get("quote"),
               "suggestion": (p["examples"] or [{}])[0].get("suggestion")}
              for p in found["points"][:5]]
    start, end = period.start.isoformat(), period.end.isoformat()  # both days included
    session_id = moment_store.add_session(
        conn, viewer.user, agent, start, end, notes or None, points,
        [(k.call_id, k.utterance_idx, k.label) for k in chosen])
    return session_id


def add_goal(conn: sqlite3.Connection, viewer: Viewer, session_id: int, criterion: str,
             goal: str) -> int:
    """Record a goal agreed in a session, on one criterion, with the criterion's mean score
    for the agent up to now (the baseline the next session compares against)."""
    _require(viewer, LEAD, COACH)
    session = moment_store.session_row(conn, session_id)
    if session is None:
        raise LookupError("no such session")
    goal = goal.strip()
    if not goal:
        raise ValueError("a goal needs words")
    if len(goal) > MAX_GOAL_LENGTH:
        raise ValueError(f"a goal is at most {MAX_GOAL_LENGTH} characters")
    now = store_now()
    baseline, calls = criterion_mean(conn, viewer, session["agent"], None, now, criterion)
    goal_id = moment_store.add_goal(conn, viewer.user, session_id, criterion, goal, baseline,
                                    calls, now)
    return goal_id


def sessions(conn: sqlite3.Connection, viewer: Viewer, agent: str) -> list[dict[str, Any]]:
    """An agent's sessions, newest first (an agent: only their own)."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise AccessDenied("you can only see your own sessions")
    return moment_store.agent_sessions(conn, agent)


def get_session(conn: sqlite3.Connection, viewer: Viewer, session_id: int
                ) -> dict[str, Any] | None:
    """One session as its page shows it, or None (missing and not theirs alike): points,
    the chosen moments the viewer may see (a colleague's moment whose sharing was withdrawn
    is left out for an agent), practice results, goals, and progress on earlier goals."""
    _require(viewer, LEAD, COACH, AGENT)
    row = moment_store.session_row(conn, session_id)
    if row is None or (viewer.role == AGENT and row["agent"] != viewer.agent):
        return None
    session = dict(row)
    session["points"] = json.loads(session["points"] or "[]")
    shown = []
    for call_id, idx, label in moment_store.session_moments(conn, session_id):
        m = get_moment(conn, viewer, MomentKey(call_id, idx, label))
        if m is not None and not (viewer.role == AGENT and m["hidden"]):
            shown.append(m)
    session["moments"] = shown
    session["goals"] = moment_store.session_goals(conn, session_id)
    session["progress"] = progress(conn, viewer, session["agent"], before=session["created_at"],
                                   session_id=session_id)
    session["practice"] = practice_results(conn, session["agent"])
    return session


def progress(conn: sqlite3.Connection, viewer: Viewer, agent: str, before: str | None = None,
             session_id: int | None = None) -> list[dict[str, Any]]:
    """The goals of the agent's earlier sessions (created before ``before``, or all), each
    with its criterion's score then (the baseline) and now (mean over the calls since the
    goal was agreed)."""
    _require(viewer, LEAD, COACH, AGENT)
    if viewer.role == AGENT and agent != viewer.agent:
        raise AccessDenied("you can only see your own sessions")
    out = []
    for g in moment_store.earlier_goals(conn, agent, session_id, before):
        goal = dict(g)
        goal["now"], goal["now_calls"] = criterion_mean(conn, viewer, agent, g["created_at"],
                                                        None, g["criterion"], all_calls=True)
        goal["change"] = (None if goal["now"] is None or goal["baseline"] is None
                          else round(goal["now"] - goal["baseline"], 1))
        out.append(goal)
    return out


def practice_results(conn: sqlite3.Connection, agent: str) -> list[dict[str, Any]]:
    """Per criterion, the agent's practice answers and their mean score: from the practice
    sets' answers (``practice_attempts`` with their items' criteria) when those tables exist,
    else from a ``practice`` table with agent, criterion and score columns; else empty."""
    return moment_store.practice_results(conn, agent)


def session_html(session: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """The session as one print-ready HTML page; every piece of text from calls or people is
    escaped. ``names``: plain names for criteria and labels."""
    names = names or {}
    e = html.escape

    def name(value: str) -> str:
        return e(names.get(value, value.replace("_", " ")))

    def score(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Coaching session: {e(session['agent'])}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:46rem;margin:1.5rem auto;"
        "color:#222;line-height:1.4}h1{font-size:1.5rem;margin:0}h2{font-size:1.1rem;"
        "border-bottom:1px solid #ccc;margin-top:1.2rem}blockquote{margin:.3rem 0 .3rem 1rem;"
        "font-style:italic}.muted{color:#555}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}"
        ".box{border:1px solid #ccc;min-height:3rem;margin:.4rem 0}"
        "@media print{body{margin:0}a{color:inherit}}</style></head><body>",
        f"<h1>Coaching session: {e(session['agent'])}</h1>",
        f"<p class='muted'>Prepared by {e(session['coach'])} on "
        f"{e((session['created_at'] or '')[:10])}; calls from "
        f"{e((session['period_start'] or '')[:10])} to "
        f"{e((session['period_end'] or '')[:10])}.</p>"]
    if session.get("progress"):
        parts.append("<h2>Since last time</h2><table><tr><th>Goal</th><th>Criterion</th>"
                     "<th>Then</th><th>Now</th><th>Change</th></tr>")
        for g in session["progress"]:
            change = "-" if g["change"] is None else f"{g['change']:+.0f}"
            parts.append(f"<tr><td>{e(g['goal'])}</td><td>{name(g['criterion'])}</td>"
                         f"<td>{score(g['baseline'])}</td><td>{score(g['now'])} "
                         f"({g['now_calls']} calls)</td><td>{e(change)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>What to work on</h2>")
    if not session["points"]:
        parts.append("<p>No coaching points in this period.</p>")
    for p in session["points"]:
        parts.append(f"<p><b>{name(p['label'])}</b> <span class='muted'>({name(p['criterion'])}"
                     f"; in {p['calls']} calls, costs {p['per_call']:.1f} points a call)</span>"
                     "</p>")
        if p.get("quote"):
            parts.append(f"<blockquote>&ldquo;{e(p['quote'])}&rdquo;</blockquote>")
        if p.get("suggestion"):
            parts.append(f"<p>Try: {e(p['suggestion'])}</p>")
    if session["moments"]:
        parts.append("<h2>Good moments to learn from</h2>")
    for m in session["moments"]:
        who = "you" if m.get("own") else (m["agent"] or "a colleague")
        parts.append(f"<p><b>{e(m['kind'])}</b> <span class='muted'>({e(who)}, call "
                     f"{e(m['call_id'])})</span></p>")
        if m["context"]:
            parts.append(f"<p class='muted'>Customer: &ldquo;{e(m['context'])}&rdquo;</p>")
        parts.append(f"<blockquote>&ldquo;{e(m['quote'] or '')}&rdquo;</blockquote>")
    if session.get("practice"):
        parts.append("<h2>Practice</h2><table><tr><th>Criterion</th><th>Answers</th>"
                     "<th>Mean score</th></tr>")
        for r in session["practice"]:
            parts.append(f"<tr><td>{name(r['criterion'])}</td><td>{r['answers']}</td>"
                         f"<td>{score(r['mean'])}</td></tr>")
        parts.append("</table>")
    if session.get("notes"):
        parts.append(f"<h2>Notes</h2><p style='white-space:pre-wrap'>{e(session['notes'])}</p>")
    parts.append("<h2>Goals agreed</h2>")
    for g in session["goals"]:
        parts.append(f"<p>&#9744; {e(g['goal'])} <span class='muted'>({name(g['criterion'])}, "
                     f"now {score(g['baseline'])})</span></p>")
    if not session["goals"]:
        parts.append("<div class='box'></div><div class='box'></div>")
    parts.append("</body></html>")
    return "".join(parts)
