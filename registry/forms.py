"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]
