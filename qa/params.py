"""What a rubric holds, as the detectors read it: the kinds of value a key can have and one
criterion's settings. Kept apart from :mod:`qa.rubric` (which loads and checks a rubric against
the detectors' declared keys) so that the detectors depend on this and nothing depends back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds a rubric value can have, and how to check one.
NUMBER, INTEGER, BOOLEAN, TEXT, PHRASES, GROUPS = (
    "number", "integer", "boolean", "text", "phrase list", "table of phrase lists")


@dataclass(frozen=True)
class CriterionConfig:
    """One criterion's settings from the rubric, plus the rubric's shared settings."""

    name: str
    weight: float
    params: dict[str, Any]
    shared: dict[str, Any] = field(default_factory=dict)
    # "detector" for a built-in criterion, else a form kind written in the rubric alone
    # (qa/forms.py): required_phrase, forbidden_phrase, question.
    kind: str = "detector"
    # auto_fail = true: a score below pass_mark sets the call's overall to 0.
    auto_fail: bool = False
    pass_mark: float = 50.0

    def __getitem__(self, key: str) -> Any:
        if key in self.params:
            return self.params[key]
        return self.shared[key]

    @property
    def synonym_map(self) -> dict[str, str]:
        """Stem -> head stem of its synonym group, for content-word matching."""
        return self.shared.get("_synonym_map", {})
