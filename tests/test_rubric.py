"""The rubric file: the default loads, and every kind of mistake is named precisely."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from qa.detectors import DETECTORS
from qa.rubric import RubricError, default_rubric_path, load_rubric, parse_rubric


def _default() -> dict[str, Any]:
    return tomllib.loads(default_rubric_path().read_text())


def test_default_rubric_has_every_criterion() -> None:
    rubric = load_rubric()
    assert set(rubric.criteria) == set(DETECTORS)
    assert all(c.weight > 0 for c in rubric.criteria.values())
    assert rubric.label.startswith(rubric.version + "+")


def test_label_changes_when_the_rubric_changes() -> None:
    data = _default()
    before = parse_rubric(data).label
    data["criteria"]["interruptions"]["min_overlap_ms"] = 500
    assert parse_rubric(data).label != before


def test_missing_key_is_named() -> None:
    data = _default()
    del data["criteria"]["apology"]["generic_phrases"]
    with pytest.raises(RubricError, match=r"criteria\.apology\.generic_phrases: missing"):
        parse_rubric(data)


def test_unknown_key_is_named() -> None:
    data = _default()
    data["criteria"]["interruptions"]["min_overlap"] = 3
    with pytest.raises(RubricError, match=r"criteria\.interruptions\.min_overlap: unknown key"):
        parse_rubric(data)


def test_unknown_criterion_is_named() -> None:
    data = _default()
    data["criteria"]["telepathy"] = {"weight": 1}
    with pytest.raises(RubricError, match=r"criteria\.telepathy: unknown key"):
        parse_rubric(data)


def test_wrong_kind_is_named() -> None:
    data = _default()
    data["criteria"]["interruptions"]["min_overlap_ms"] = "lots"
    with pytest.raises(RubricError, match=r"min_overlap_ms: expected an integer, got 'lots'"):
        parse_rubric(data)


def test_negative_weight_is_refused() -> None:
    data = _default()
    data["criteria"]["blame"]["weight"] = -1
    with pytest.raises(RubricError, match=r"criteria\.blame\.weight: must be 0 or more"):
        parse_rubric(data)


def test_disabled_criterion_is_not_scored() -> None:
    data = _default()
    data["criteria"]["blame"]["enabled"] = False
    assert "blame" not in parse_rubric(data).criteria


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text("[rubric\nname = 1")
    with pytest.raises(RubricError, match=r"r\.toml: not valid TOML"):
        load_rubric(bad)


@pytest.mark.parametrize("key", ["one_voice_similarity", "one_voice_spread"])
def test_one_voice_threshold_outside_0_to_1_is_named(key: str) -> None:
    data = _default()
    data["shared"][key] = 1.5
    with pytest.raises(RubricError, match=rf"shared\.{key}: must be from 0 to 1, got 1\.5"):
        parse_rubric(data)
