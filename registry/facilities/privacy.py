"""Confidential locations (shelters, victim-support facilities).

Users without ``facilities.view_confidential`` see the commune's representative point instead
of the exact point, and no street address, everywhere: pages, exports, map data and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShownLocation:
    lon: float
    lat: float
    address: str | None
    generalised: bool


def shown_location(
    *,
    lon: float,
    lat: float,
    address: str | None,
    confidential: bool,
    may_see_exact: bool,
    commune_point: tuple[float, float] | None,
    province_point: tuple[float, float] | None = None,
) -> ShownLocation:
    """The location a user may see. Falls back to the province point when the commune is
    unknown; never to the exact point."""
    if not confidential or may_see_exact:
        return ShownLocation(lon, lat, address, False)
    point = commune_point or province_point
    if point is None:
        raise ValueError("a confidential facility needs a generalised point to be shown")
    return ShownLocation(point[0], point[1], None, True)


def user_may_see_exact(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated
                and user.can("facilities.view_confidential"))
