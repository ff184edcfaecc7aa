"""Complaint themes: the customers' problem statements grouped across calls into root causes.

For every scored call, the customer's problem statements (the complaint utterances the
detectors find, :func:`problem_statements`) make one document. Documents are TF-IDF vectors
of Porter stems and stem pairs; the IDF is kept in the database (``theme_terms``) and grows
with every call seen.

Themes are made incrementally, so a theme keeps its id and name as calls are added:

1. a new batch (every scorable call not seen yet, or re-scored since) is compared with the
   existing themes' centroids; a call whose nearest centroid is at least
   ``assign_threshold`` (cosine) joins that theme, whose centroid becomes the running mean;
2. only the remainder, with the calls left over from earlier batches, is clustered (LSA, then
   average-linkage agglomerative clustering on cosine distance, cut at ``cluster_distance``);
   a cluster of at least ``min_size`` calls becomes a new theme, named once by its most
   characteristic words; the rest wait for the next batch.

Only the stored utterance text is read, which for a redacted call is the redacted text, and
theme tables keep no text of their own besides the theme's name (characteristic words, made
from that same redacted text).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import sqlite_utils
from scipy import sparse

from qa.detectors.common import complaint_utterances
from qa.rubric import CriterionConfig, Rubric, load_rubric
from qa.store import themes as theme_store
from qa.store.themes import assignments as assignments
from qa.store.themes import theme_names as theme_names
from qa.text import content_words, stem
from qa.transcript import Transcript, Utterance

# A customer counts as contacting again when they called within this many days before.
REPEAT_DAYS = 30
CHUNK = 500
# Words too common in any complaint call to characterise a theme (beyond what IDF does).
_CHATTER = frozenset({
    "hi", "hello", "yeah", "yes", "okay", "ok", "please", "thank", "thanks", "call", "calling",
    "called", "today", "just", "really", "actually", "basically", "like", "um", "uh", "know",
    "need", "want", "get", "got", "say", "said", "tell", "told", "im", "i'm", "there's",
    "it's", "that's", "time", "problem", "issue",
    # When it happened is not what happened.
    "ago", "since", "yesterday", "tomorrow", "tonight", "morning", "afternoon", "evening",
    "night", "day", "days", "week", "weeks", "weekend", "fortnight", "month", "months", "year",
    "years", "hour", "hours", "minute", "minutes", "last", "next", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
})


@dataclass(frozen=True)
class Settings:
    """How close a call must be to join a theme, and how clusters become themes."""

    assign_threshold: float = 0.2
    cluster_distance: float = 0.9
    min_size: int = 8
    max_cluster: int = 4000  # larger remainders: cluster a sample, assign the rest
    # Calls left without a theme are retried with later batches, the latest this many (so
    # an update stays quick however many have piled up).
    max_pending: int = 5000
    lsa_components: int = 100
    linkage: str = "average"
    centroid_terms: int = 300
    seed: int = 0


@dataclass
class UpdateResult:
    """What one update did."""

    update_id: int
    calls: int  # calls looked at in this batch (new or re-scored)
    with_statements: int
    assigned: int  # joined an existing theme
    new_themes: list[int]
    pending: int  # problem statements without a theme after this update
    seconds: float


# --- the problem statements -----------------------------------------------------------------

def problem_statements(call: Transcript, cfg: CriterionConfig) -> list[int]:
    """Indexes of the utterances in which the customer states a problem.

    The one place themes decide what a problem statement is: it asks the detectors' own
    finder (``complaint_utterances``), so an improvement there improves the themes.
    """
    return [i for i, _ in complaint_utterances(call, cfg)]


def statement_config(rubric: Rubric | None = None) -> CriterionConfig:
    """The settings the complaint finder reads (the rubric's shared phrases)."""
    rubric = rubric or load_rubric()
    return CriterionConfig("themes", 0.0, {}, rubric.shared)


def terms(text: str) -> list[str]:
    """A statement's features: stems of its content words and pairs of adjacent stems."""
    stems = [stem(w) for w in content_words(text)
             if w not in _CHATTER and not w[0].isdigit()]
    return stems + [f"{a} {b}" for a, b in pairwise(stems)]


# --- vectors ------------------------------------------------------------------------------

class Space:
    """TF-IDF over the terms seen so far: sublinear term frequency, smoothed IDF, L2 norm."""

    def __init__(self, df: dict[str, int], docs: int) -> None:
        self.df = df
        self.docs = docs
        self.index: dict[str, int] = {}

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency (a term never seen counts as rare)."""
        return math.log((1 + self.docs) / (1 + self.df.get(term, 0))) + 1.0

    def column(self, term: str) -> int:
        """The column of a term in this space's matrices."""
        if term not in self.index:
            self.index[term] = len(self.index)
        return self.index[term]

    def matrix(self, rows: list[sparse.csr_matrix | dict[str, float]]) -> sparse.csr_matrix:
        """Stack document rows and centroids (dicts) into one matrix of the full width."""
        out_r, out_c, out_v = [], [], []
        for r, row in enumerate(rows):
            items = row.items() if isinstance(row, dict) else row
            for t, w in items:
                out_r.append(r)
                out_c.append(self.column(t))
                out_v.append(w)
        return sparse.csr_matrix((out_v, (out_r, out_c)), shape=(len(rows), len(self.index)))

    def weights(self, doc: list[str]) -> dict[str, float]:
        """A document's normalised TF-IDF weights by term."""
        counts = Counter(doc)
        weights = {t: (1 + math.log(c)) * self.idf(t) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


def _cosines(x: sparse.csr_matrix, c: sparse.csr_matrix) -> np.ndarray:
    """Cosine of each (normalised) row of ``x`` with each (normalised) row of ``c``; the
    narrower matrix is widened (columns added later are terms it does not have)."""
    width = max(x.shape[1], c.shape[1])
    x = sparse.csr_matrix((x.data, x.indices, x.indptr), shape=(x.shape[0], width))
    c = sparse.csr_matrix((c.data, c.indices, c.indptr), shape=(c.shape[0], width))
    return (x @ c.T).toarray()


def _normalise_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ m


# --- reading the calls --------------------------------------------------------------------

@dataclass
class Doc:
    """One call's problem statements as the themes see them."""

    call_id: str
    scored_at: str | None
    ts: str | None
    customer: str | None
    queue: str | None
    utterances: list[int]
    terms: list[str]
    surface: Counter[tuple[str, str]]  # (stem, word) counts, for naming


def _queue(extra: str | None) -> str | None:
    if not extra:
        return None
    try:
        value = json.loads(extra).get("queue")
    except (ValueError, AttributeError):
        return None
    return str(value) if value not in (None, "") else None


def read_docs(db: sqlite_utils.Database, call_ids: Sequence[str],
              cfg: CriterionConfig) -> list[Doc]:
    """Each call's problem statements, from the stored (for redacted calls: redacted) text."""
    out: list[Doc] = []
    for start in range(0, len(call_ids), CHUNK):
        chunk = list(call_ids[start:start + CHUNK])
        info = theme_store.call_rows(db, chunk)
        by_call: dict[str, list[tuple[int, Utterance]]] = defaultdict(list)
        for call_id, idx, speaker, begin, end, text in theme_store.utterance_rows(db, chunk):
            by_call[call_id].append((idx, Utterance(speaker, begin or 0.0, end or 0.0,
                                                    text or "")))
        for call_id in chunk:
            if call_id not in info:
                continue
            stored = by_call.get(call_id, [])
            transcript = Transcript(call_id, [u for _, u in stored])
            # The transcript re-sorts by time: map back to the stored indexes by identity.
            position = {id(u): idx for idx, u in stored}
            found = [position[id(transcript.utterances[i])]
                     for i in problem_statements(transcript, cfg)]
            texts = [transcript.utterances[i].text for i in problem_statements(transcript, cfg)]
            doc_terms: list[str] = []
            surface: Counter[tuple[str, str]] = Counter()
            for text in texts:
                doc_terms += terms(text)
                surface.update((stem(w), w) for w in content_words(text))
            scored_at, ts, customer, extra = info[call_id]
            out.append(Doc(call_id, scored_at, ts, customer, _queue(extra), found, doc_terms,
                           surface))
    return out


def _repeats(db: sqlite_utils.Database, docs: list[Doc]) -> dict[str, int | None]:
    """1 if the call's customer called in the REPEAT_DAYS before it, 0 if not, None unknown."""
    customers = {d.customer for d in docs if d.customer}
    times: dict[str, list[str]] = defaultdict(list)
    names = sorted(customers)
    for start in range(0, len(names), CHUNK):
        chunk = names[start:start + CHUNK]
        for customer, ts in theme_store.customer_call_times(db, chunk):
            if ts:
                times[customer].append(ts)
    out: dict[str, int | None] = {}
    for d in docs:
        if not d.customer or not d.ts:
            out[d.call_id] = None
            continue
        when = _parse(d.ts)
        since = (when - timedelta(days=REPEAT_DAYS)).isoformat()
        out[d.call_id] = int(any(since <= t < d.ts for t in times[d.customer]
                                 if t[:19] != d.ts[:19]))
    return out


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


# --- clustering -----------------------------------------------------------------------------

def _cluster(x: sparse.csr_matrix, settings: Settings) -> np.ndarray:
    """Cluster labels (0..k-1) for the rows of ``x``: LSA, then agglomerative on cosine."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    n = x.shape[0]
    if n < 2:
        return np.zeros(n, dtype=int)
    components = min(settings.lsa_components, n - 1, x.shape[1] - 1)
    if components >= 2:
        with warnings.catch_warnings():  # identical statements: zero variance, harmless
            warnings.simplefilter("ignore", RuntimeWarning)
            reduced = TruncatedSVD(components, random_state=settings.seed).fit_transform(x)
        reduced = normalize(reduced)
    else:
        reduced = x.toarray()
    return AgglomerativeClustering(
        n_clusters=None, metric="euclidean" if settings.linkage == "ward" else "cosine",
        linkage=settings.linkage,
        distance_threshold=settings.cluster_distance).fit_predict(reduced)


def _centroid(rows: sparse.csr_matrix, space: Space, keep: int) -> dict[str, float]:
    """The mean of the rows as {term: weight}, its ``keep`` largest terms."""
    mean = np.asarray(rows.mean(axis=0)).ravel()
    terms_by_col = {c: t for t, c in space.index.items()}
    top = np.argsort(-mean)[:keep]
    return {terms_by_col[int(c)]: round(float(mean[c]), 6) for c in top if mean[c] > 0}


def _name(centroid: dict[str, float], background: dict[str, float],
          surface: Counter[tuple[str, str]], taken: set[str], words: int = 3
          ) -> tuple[str, list[str]]:
    """A theme's name from its most characteristic terms (weight above the background), in
    the words customers used."""
    best_word: dict[str, str] = {}
    for (s, w), _ in surface.most_common():
        best_word.setdefault(s, w)
    ranked = sorted(centroid, key=lambda t: -(centroid[t] - background.get(t, 0.0)))
    chosen: list[str] = []
    covered: set[str] = set()
    for term in ranked:
        parts = term.split(" ")
        if all(p in covered for p in parts):
            continue
        if len(parts) > 1 and any(p in covered for p in parts):
            continue
        chosen.append(" ".join(best_word.get(p, p) for p in parts))
        covered.update(parts)
        if len(chosen) == words:
            break
    name = " · ".join(chosen) or "unnamed"
    base, n = name, 2
    while name in taken:
        name = f"{base} ({n})"
        n += 1
    return name, chosen


# --- the update -----------------------------------------------------------------------------

@dataclass
class _NewTheme:
    """A cluster about to become a theme: its name, words, centroid and calls."""

    name: str
    words: list[str]
    centroid: dict[str, float]
    members: list[tuple[str, float]]  # (call id, cosine with the centroid)


def update(db: sqlite_utils.Database, rubric: Rubric | None = None,
           settings: Settings | None = None) -> UpdateResult:
    """Bring the themes up to date with every scored call (incremental; see the module).

    Everything is read and computed first, outside any transaction (a batch scoring calls
    meanwhile is not held up), then written in one short transaction. If another update
    finished in between, this one starts again from what that one wrote.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    cfg = statement_config(rubric)
    for _ in range(3):
        result = _update_once(db, cfg, settings, started)
        if result is not None:
            return result
    raise RuntimeError("themes are being updated by another process; try again")


def _update_once(db: sqlite_utils.Database, cfg: CriterionConfig, settings: Settings,
                 started: float) -> UpdateResult | None:
    """One attempt: compute, then write unless another update got there first (None)."""
    last = theme_store.last_update(db)
    new_ids = theme_store.new_calls(db)
    docs = read_docs(db, new_ids, cfg)
    repeats = _repeats(db, docs)
    df, n_docs = theme_store.term_counts(db)
    with_text = [d for d in docs if d.terms]
    for d in with_text:
        for t in set(d.terms):
            df[t] = df.get(t, 0) + 1
    n_docs += len(with_text)
    space = Space(df, n_docs)
    # The calls waiting from earlier batches are clustered again with this one.
    seen = set(new_ids)
    pending_ids = [r for r in theme_store.pending_calls(db, settings.max_pending) if r not in seen]
    pool = with_text + [d for d in read_docs(db, pending_ids, cfg) if d.terms]
    themes = theme_store.stored_themes(db)
    weights = [space.weights(d.terms) for d in pool]
    assignment: dict[str, tuple[int, float]] = {}
    moved: list[tuple[str, int, int]] = []
    if pool and themes:
        x = space.matrix(weights)
        c = _normalise_rows(space.matrix([t["centroid"] for t in themes]))
        sims = _cosines(x, c)
        best = sims.argmax(axis=1)
        for i, d in enumerate(pool):
            score = float(sims[i, best[i]])
            if score >= settings.assign_threshold:
                assignment[d.call_id] = (themes[best[i]]["id"], score)
        moved = _moved_centroids(themes, pool, weights, assignment, settings)
    assigned_existing = len(assignment)
    rest = [i for i, d in enumerate(pool) if d.call_id not in assignment]
    planned = _new_themes(pool, weights, rest, space, settings, {t["name"] for t in themes})
    with db.atomic():
        if theme_store.last_update(db) != last:
            return None
        update_id = theme_store.start_update(db)
        # Calls deleted since are dropped (their themes keep id and name).
        theme_store.save_counts(db, [(t, df[t]) for t in {t for d in with_text for t in d.terms}],
                           n_docs)
        theme_store.move_centroids(db, moved)
        created = []
        for plan in planned:
            theme_id = theme_store.insert_theme(db, plan.name, plan.words, plan.centroid,
                                           len(plan.members), update_id)
            created.append(theme_id)
            for call_id, sim in plan.members:
                assignment[call_id] = (theme_id, sim)
        _write_members(db, docs, pool, assignment, repeats, update_id)
        pending = theme_store.pending_count(db)
        seconds = time.perf_counter() - started
        theme_store.finish_update(db, update_id, {
            "seconds": round(seconds, 3), "calls": len(docs),
            "assigned": assigned_existing, "new_themes": len(created), "pending": pending})
    return UpdateResult(update_id, len(docs), len(with_text), assigned_existing, created,
                        pending, seconds)


def _moved_centroids(themes: list[dict[str, Any]], pool: list[Doc],
                     weights: list[dict[str, float]],
                     assignment: dict[str, tuple[int, float]],
                     settings: Settings) -> list[tuple[str, int, int]]:
    """(centroid JSON, n, theme id) for each existing theme that gained calls: the running
    mean with its new calls (the name and id stay as they are)."""
    joined: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(pool):
        if d.call_id in assignment:
            joined[assignment[d.call_id][0]].append(i)
    out = []
    for t in themes:
        members = joined.get(t["id"])
        if not members:
            continue
        total: dict[str, float] = {k: v * t["n"] for k, v in t["centroid"].items()}
        for i in members:
            for k, v in weights[i].items():
                total[k] = total.get(k, 0.0) + v
        n = t["n"] + len(members)
        top = sorted(total.items(), key=lambda kv: -kv[1])[:settings.centroid_terms]
        out.append((json.dumps({k: round(v / n, 6) for k, v in top}), n, t["id"]))
    return out


def _new_themes(pool: list[Doc], weights: list[dict[str, float]], rest: list[int],
                space: Space, settings: Settings, taken: set[str]) -> list[_NewTheme]:
    """Cluster the calls no theme took; clusters of ``min_size`` or more become themes."""
    if len(rest) < settings.min_size:
        return []
    rng = np.random.default_rng(settings.seed)
    sample = rest if len(rest) <= settings.max_cluster else sorted(
        rng.choice(rest, settings.max_cluster, replace=False).tolist())
    space.index = {}
    x = space.matrix([weights[i] for i in sample])
    labels = _cluster(x, settings)
    background = _centroid(x, space, 10 ** 6)
    groups: dict[int, list[int]] = defaultdict(list)
    for row, label in enumerate(labels):
        groups[int(label)].append(row)
    big = sorted((rows for rows in groups.values() if len(rows) >= settings.min_size),
                 key=lambda rows: (-len(rows), min(pool[sample[r]].call_id for r in rows)))
    if not big:
        return []
    centroids = [_centroid(x[rows], space, settings.centroid_terms) for rows in big]
    # Every call left over (outside the sample, or in a small cluster) may join a new theme.
    everyone = space.matrix([weights[i] for i in rest])
    c = _normalise_rows(space.matrix(centroids))
    sims = _cosines(everyone, c)
    members: dict[int, list[int]] = defaultdict(list)
    in_cluster = {sample[r]: k for k, rows in enumerate(big) for r in rows}
    for j, i in enumerate(rest):
        k = in_cluster.get(i)
        if k is None:
            k = int(sims[j].argmax())
            if sims[j, k] < settings.assign_threshold:
                continue
        members[k].append(j)
    out = []
    for k in range(len(centroids)):
        rows = members[k]
        surface: Counter[tuple[str, str]] = Counter()
        for j in rows:
            surface.update(pool[rest[j]].surface)
        final = _centroid(everyone[rows], space, settings.centroid_terms)
        name, words = _name(final, background, surface, taken)
        taken.add(name)
        out.append(_NewTheme(name, words, final,
                             [(pool[rest[j]].call_id, float(sims[j, k])) for j in rows]))
    return out


def _write_members(db: sqlite_utils.Database, docs: list[Doc], pool: list[Doc],
                   assignment: dict[str, tuple[int, float]],
                   repeats: dict[str, int | None], update_id: int) -> None:
    """Store each call's theme (or that it waits, or has no problem statement), with the
    call's time, week and overall score for the Themes page."""
    fresh = {d.call_id for d in docs}
    rows = []
    for d in docs:
        theme, sim = assignment.get(d.call_id, (None, None))
        status = "themed" if theme else ("pending" if d.terms else "none")
        rows.append((d.call_id, theme, status, sim, json.dumps(d.utterances), d.scored_at,
                     repeats.get(d.call_id), d.queue, update_id))
    theme_store.write_members(
        db, rows,
        [(assignment[d.call_id][0], assignment[d.call_id][1], update_id, d.call_id)
         for d in pool if d.call_id not in fresh and d.call_id in assignment], update_id)
