"""Load and validate a rubric (``rubrics/*.toml``): criteria, weights, thresholds, phrase lists.

The rubric is the one place where a QA lead tunes what the detectors look for. Each detector
module declares the keys it reads (``PARAMS``: key -> expected kind); the rubric must give
every one of them, so phrase lists and thresholds live in the rubric, not in code. Any problem
is reported as a :class:`RubricError` naming the key and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.detectors import DETECTORS
from qa.params import BOOLEAN, GROUPS, INTEGER, NUMBER, PHRASES, TEXT, CriterionConfig
from qa.text import stem

# The kinds and CriterionConfig live in qa.params, which the detectors import: this module
# reads the detectors' declared keys, so they must not import it back.
__all__ = ["BOOLEAN", "GROUPS", "INTEGER", "NUMBER", "PHRASES", "TEXT", "CriterionConfig",
           "Rubric", "RubricError", "default_rubric_path", "load_rubric", "parse_rubric"]

# Keys in [shared] that several detectors read.
SHARED_PARAMS: dict[str, str] = {
    "listening_cues": PHRASES,
    "max_cue_words": INTEGER,
    "complaint_phrases": PHRASES,
    "synonyms": GROUPS,
    "min_call_seconds": NUMBER,
    # A transcript without times (a chat, a plain script) is judged by its words: under this
    # many it is not scored.
    "min_call_words": INTEGER,
    # Redact card numbers, bank details, ids, phones, e-mails and addresses before scoring
    # (qa/redact.py); the default for `qa score` when neither --redact nor --no-redact is given.
    "redact": BOOLEAN,
    # Below this confidence (0.5 to 1) in which voice is the agent (a mono call split by voice,
    # or stereo with --agent-channel auto), the call is flagged for a person to confirm roles.
    "role_confidence": NUMBER,
    # A mono call whose two voices are this alike holds one voice (qa/diarize.py): unscorable.
    # Speaker model: cosine of the voices' centroids; spectral fallback: spread within voices.
    "one_voice_similarity": NUMBER,
    "one_voice_spread": NUMBER,
}
# Keys in [shared] a rubric may leave out, with their default. repeat_contact_days: a call
# from the same customer (manifest `customer`) less than this many days after their previous
# call makes that call a repeat contact (qa/followup.py).
SHARED_OPTIONAL: dict[str, tuple[str, Any]] = {
    "repeat_contact_days": (NUMBER, 7.0),
}
# Optional [shared] keys that do not change any score, with their defaults: they are left out
# of the rubric's digest, so setting them does not make every stored call look out of date.
SHARED_SETTINGS: dict[str, tuple[str, Any]] = {
    # Days after a review is shared during which its agent may dispute it.
    "dispute_window_days": (INTEGER, 14),
}
# Shared keys that must lie in a range (inclusive).
SHARED_RANGES: dict[str, tuple[float, float]] = {
    "one_voice_similarity": (0.0, 1.0),
    "one_voice_spread": (0.0, 1.0),
}


# Criterion keys added after rubrics were in use, with the value that reproduces how scoring
# behaved before the key existed. A rubric written before a key was added (a team's own copy)
# still loads and scores as it did, and a rubric that sets a key to exactly this value keeps
# the digest it had, so calls stored under it are not re-scored for nothing. The value a lead
# tunes is the one in the rubric file; this table only stands in for a key left out.
ADDED_KEYS: dict[str, dict[str, Any]] = {
    "affirmations": {"mechanical_penalty": 10, "variety_share": 0.25, "full_variety": 0.5,
                     "cue_window_seconds": 2.0},
    "apology": {"late_penalty": 10, "excessive_penalty": 10},
    "interruptions": {"kept_talking_seconds": 0.3, "recovery_seconds": 5.0},
    "speaking_rate": {"min_turn_seconds": 2.0},
    "customer_name": {"name_intro_phrases": ["my name is", "my name's", "this is", "I'm",
                                             "name is"],
                      "name_titles": ["mr", "mrs", "ms", "miss", "dr"]},
}
# Criterion keys that must lie in a range (inclusive), as (criterion, key).
CRITERION_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("affirmations", "variety_share"): (0.0, 1.0),
    # The variety that earns full marks divides the call's variety: above 0.
    ("affirmations", "full_variety"): (0.01, 1.0),
}


# The [limits] table: how large a file or call may be before it is refused with a failed line
# naming the limit, so that one huge export cannot stall a batch. Optional in a rubric (an
# older rubric file still loads); these are the defaults.
LIMIT_DEFAULTS: dict[str, int] = {
    # A transcript file (JSON, WebVTT, SRT, CSV, text) larger than this is not read. A 4-hour
    # call with every word timed is about 6 MB of JSON (about 13 MB as Amazon Transcribe JSON).
    "max_transcript_bytes": 20_000_000,
    # A recording larger than this is not decoded (4 hours of 16-bit stereo at 44.1 kHz is
    # 2.5 GB as WAV; compressed formats are far smaller).
    "max_audio_bytes": 3_000_000_000,
    # A call with more utterances than this is not scored (a busy hour has about 1,000).
    "max_utterances": 20_000,
    # A call longer than this (seconds) is not transcribed or scored.
    "max_call_seconds": 4 * 3600,
}


class RubricError(ValueError):
    """A rubric that cannot be used; the message names the key and the problem."""


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: its identity, shared settings and enabled criteria in order."""

    name: str
    version: str
    digest: str
    path: str
    shared: dict[str, Any]
    criteria: dict[str, CriterionConfig]
    limits: dict[str, int] = field(default_factory=lambda: dict(LIMIT_DEFAULTS))

    @property
    def label(self) -> str:
        """Version plus content digest: two rubrics with the same label score alike."""
        return f"{self.version}+{self.digest[:8]}"


# The default rubric as installed with the package. In a checkout it is a symlink to
# rubrics/default.toml, the file a lead edits; the wheel holds a copy of its content.
PACKAGED_RUBRIC = Path(__file__).resolve().parent / "rubrics" / "default.toml"


def default_rubric_path() -> Path:
    """``$QA_RUBRIC``, else ``rubrics/default.toml`` in the working folder, else the rubric
    shipped inside the package."""
    env = os.environ.get("QA_RUBRIC")
    if env:
        return Path(env)
    local = Path("rubrics/default.toml")
    if local.exists():
        return local
    return PACKAGED_RUBRIC


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read and validate a rubric file (the default one when ``path`` is None)."""
    path = Path(path) if path else default_rubric_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"{path}: cannot read rubric ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_rubric(data, str(path))
    except RubricError as exc:
        raise RubricError(f"{path}: {exc}") from None


def parse_rubric(data: dict[str, Any], path: str = "<rubric>") -> Rubric:
    """Validate parsed TOML against the detectors' declared keys."""
    meta = _table(data, "rubric")
    _no_unknown(data, {"rubric", "shared", "criteria", "limits"}, "")
    name = _check(meta, "name", TEXT, "rubric.name")
    version = _check(meta, "version", TEXT, "rubric.version")
    _no_unknown(meta, {"name", "version", "description"}, "rubric.")

    shared_raw = _table(data, "shared")
    _no_unknown(shared_raw, set(SHARED_PARAMS) | set(SHARED_OPTIONAL) | set(SHARED_SETTINGS),
                "shared.")
    shared = {k: _check(shared_raw, k, kind, f"shared.{k}") for k, kind in SHARED_PARAMS.items()}
    for key, (kind, default) in (SHARED_OPTIONAL | SHARED_SETTINGS).items():
        shared[key] = _check(shared_raw, key, kind, f"shared.{key}") if key in shared_raw \
            else default
    if shared["dispute_window_days"] < 0:
        raise RubricError("shared.dispute_window_days: must be 0 or more, got "
                          f"{shared['dispute_window_days']}")
    for key, (low, high) in SHARED_RANGES.items():
        if not low <= shared[key] <= high:
            raise RubricError(f"shared.{key}: must be from {low:g} to {high:g}, "
                              f"got {shared[key]}")
    shared["_synonym_map"] = _synonym_map(shared["synonyms"])

    criteria_raw = _table(data, "criteria")
    _no_unknown(criteria_raw, set(DETECTORS), "criteria.")
    criteria: dict[str, CriterionConfig] = {}
    for name_, detector in DETECTORS.items():
        if name_ not in criteria_raw:
            continue  # a criterion left out of the rubric is simply not scored
        table = criteria_raw[name_]
        where = f"criteria.{name_}"
        if not isinstance(table, dict):
            raise RubricError(f"{where}: must be a table")
        _no_unknown(table, {"weight", "enabled", "description", *detector.PARAMS}, where + ".")
        weight = float(_check(table, "weight", NUMBER, f"{where}.weight"))
        if weight < 0:
            raise RubricError(f"{where}.weight: must be 0 or more, got {weight}")
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise RubricError(f"{where}.enabled: expected true or false, got {enabled!r}")
        added = ADDED_KEYS.get(name_, {})
        params = {k: _check(table, k, kind, f"{where}.{k}") if k in table or k not in added
                  else added[k] for k, kind in detector.PARAMS.items()}
        for (ranged, param), (low, high) in CRITERION_RANGES.items():
            if ranged == name_ and not low <= params[param] <= high:
                raise RubricError(f"{where}.{param}: must be from {low:g} to {high:g}, "
                                  f"got {params[param]}")
        if enabled:
            criteria[name_] = CriterionConfig(name_, weight, params, shared)
    if not criteria:
        raise RubricError("criteria: no criterion is enabled")
    limits = _limits(data.get("limits", {}))
    scoring = {**data, "shared": {k: v for k, v in shared_raw.items()
                                  if k not in SHARED_SETTINGS},
               "criteria": {name_: _as_before(name_, table)
                            for name_, table in criteria_raw.items()}}
    digest = hashlib.sha256(json.dumps(scoring, sort_keys=True, default=str).encode()
                            ).hexdigest()
    return Rubric(name, version, digest, path, shared, criteria, limits)


def _as_before(criterion: str, table: Any) -> Any:
    """A criterion's table without the added keys that are set to the value they stand in
    for (:data:`ADDED_KEYS`): such a rubric scores exactly as it did before the keys existed,
    so it keeps the digest it had."""
    added = ADDED_KEYS.get(criterion, {})
    if not isinstance(table, dict) or not added:
        return table
    return {k: v for k, v in table.items() if k not in added or v != added[k]}


def _limits(table: Any) -> dict[str, int]:
    """The [limits] table over :data:`LIMIT_DEFAULTS`; each a whole number above 0."""
    if not isinstance(table, dict):
        raise RubricError("limits: must be a table")
    _no_unknown(table, set(LIMIT_DEFAULTS), "limits.")
    limits = dict(LIMIT_DEFAULTS)
    for key, value in table.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise RubricError(f"limits.{key}: expected a whole number above 0, got {value!r}"
                              [:300])
        limits[key] = value
    return limits


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        raise RubricError(f"[{key}]: missing table")
    if not isinstance(value, dict):
        raise RubricError(f"{key}: must be a table")
    return value


def _no_unknown(table: dict[str, Any], known: set[str], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise RubricError(
                f"{prefix}{key}: unknown key (expected one of: {', '.join(sorted(known))})")


def _check(table: dict[str, Any], key: str, kind: str, where: str) -> Any:
    if key not in table:
        raise RubricError(f"{where}: missing ({kind} expected)")
    value = table[key]
    ok = {
        NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        INTEGER: isinstance(value, int) and not isinstance(value, bool),
        BOOLEAN: isinstance(value, bool),
        TEXT: isinstance(value, str),
        PHRASES: isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value),
        GROUPS: isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(w, str) for w in v) for v in value.values()),
    }[kind]
    if not ok:
        article = "an" if kind[0] in "aeiou" else "a"
        raise RubricError(f"{where}: expected {article} {kind}, got {value!r}"[:300])
    if kind == NUMBER and value < 0:
        raise RubricError(f"{where}: must be 0 or more, got {value}")
    return value


def _synonym_map(groups: dict[str, list[str]]) -> dict[str, str]:
    """Map each word's stem to its group head's stem ("bill", "invoice" -> "bill")."""
    mapping: dict[str, str] = {}
    for head, words in groups.items():
        head_stem = stem(head.lower())
        for word in [head, *words]:
            for part in word.lower().split():
                mapping[stem(part)] = head_stem
    return mapping
