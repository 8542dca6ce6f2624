"""Small numbers: a published count below the threshold could identify a child or a victim in
a small commune, so readers without ``demand.view_small_numbers`` see "< N" instead.

Pure: plain values in, plain values out. Zero is shown (it identifies nobody); 1 to N-1 are
banded. Where a total is shown with its parts, a part that is banded takes its partner with
it (otherwise total − male = female), and a sum over units that hold a banded value is
rounded to tens so that it cannot be differenced back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shown:
    """A count as one reader may see it: ``value`` is None when it is withheld (banded, or
    unknown); ``text`` is what every output writes."""

    value: int | None
    text: str
    suppressed: bool = False

    def json(self) -> int | str | None:
        if self.suppressed:
            return self.text
        return self.value


UNKNOWN = Shown(None, "")


def band_text(threshold: int) -> str:
    return f"< {threshold}"


def is_small(value: int | None, threshold: int) -> bool:
    return value is not None and 0 < value < threshold


def show(value: int | None, threshold: int, *, permitted: bool) -> Shown:
    """One count for one reader."""
    if value is None:
        return UNKNOWN
    if not permitted and is_small(value, threshold):
        return Shown(None, band_text(threshold), True)
    return Shown(value, f"{value:,}".replace(",", "."))


def show_parts(
    total: int | None,
    male: int | None,
    female: int | None,
    threshold: int,
    *,
    permitted: bool,
) -> tuple[Shown, Shown, Shown]:
    """A total with its two parts: a banded part bands its partner too (secondary rule)."""
    shown_total = show(total, threshold, permitted=permitted)
    shown_male = show(male, threshold, permitted=permitted)
    shown_female = show(female, threshold, permitted=permitted)
    if not permitted and (shown_male.suppressed or shown_female.suppressed):
        if male is not None:
            shown_male = Shown(None, band_text(threshold), True)
        if female is not None:
            shown_female = Shown(None, band_text(threshold), True)
    return shown_total, shown_male, shown_female


def round_to_tens(value: int) -> int:
    return round(value / 10.0) * 10


def show_sum(values: Iterable[int | None], threshold: int, *, permitted: bool) -> Shown:
    """A sum over units. For a reader without the permission it is rounded to tens (marked
    "≈") when any of its terms would be banded, since the exact sum minus the shown terms
    gives the banded ones back."""
    known = [v for v in values if v is not None]
    if not known:
        return UNKNOWN
    small = any(is_small(v, threshold) for v in known)
    return show_aggregate(sum(known), threshold, permitted=permitted, holds_small=small)


def show_aggregate(value: int, threshold: int, *, permitted: bool, holds_small: bool) -> Shown:
    """A figure computed from counts some of which are small (a covered total, a site's
    gain): banded below the threshold, else rounded to tens, for a reader without the
    permission; as it is otherwise."""
    if permitted or not holds_small:
        return show(value, threshold, permitted=permitted)
    if value < threshold:
        return Shown(None, band_text(threshold), True)
    rounded = round_to_tens(value)
    return Shown(None, f"≈ {rounded:,}".replace(",", "."), True)
