"""Queries over administrative units: by code, by hierarchy, by point and across the 2025
reorganisation.

Point lookups are portable: the bounding-box columns prefilter in SQL on every engine, and
shapely decides containment in Python, so SpatiaLite and PostGIS give the same answers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from registry import clock
from registry.extensions import db
from registry.geo import distance_m, to_shapely
from registry.geography.models import (
    REORGANISATION_DATE,
    AdminUnit,
    AdminUnitSuccession,
    Edition,
    Level,
)
from registry.text import sort_key, sorted_by_name

_LEVEL_RANK = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}
_LEVEL_BY_CODE_LENGTH = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.COMMUNE}
_METRES_PER_DEGREE = 111_320.0

# Neighbouring outlines were simplified one by one (README: up to ~33 m for communes, 165 m
# for national districts, 550 m for provinces), so a real address can fall in a sliver
# between two of them. Within this distance the nearest unit is taken, flagged approximate.
MAX_GAP_M = 200.0


@dataclass
class Location:
    """The units around a point in both organisations: current (province, commune) and
    pre-2025 (province, district). ``approximate`` is set when a unit was chosen as the
    nearest within ``MAX_GAP_M`` rather than as containing the point."""

    lon: float
    lat: float
    province: AdminUnit | None = None
    commune: AdminUnit | None = None
    old_province: AdminUnit | None = None
    district: AdminUnit | None = None
    approximate: bool = False
    gap_m: float | None = None


@dataclass
class ProvinceSummary:
    province: AdminUnit
    districts: int
    communes: int


def edition_on(on: date) -> Edition:
    """The organisation in force on a date: pre-2025 until 30 June 2025, current after."""
    return Edition.PRE2025 if on < REORGANISATION_DATE else Edition.CURRENT


def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the current provinces, for jurisdiction and filter selects."""
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.name).where(
            AdminUnit.edition == Edition.CURRENT, AdminUnit.level == Level.PROVINCE
        )
    ).all()
    return sorted_by_name([(code, name) for code, name in rows], lambda row: row[1])


def unit_by_code(
    session: Session, code: str, edition: Edition, level: Level | None = None
) -> AdminUnit | None:
    """A unit by its GSO code; the level follows from the code's length when not given."""
    level = level or _LEVEL_BY_CODE_LENGTH.get(len(code))
    if level is None:
        return None
    return session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition, AdminUnit.level == level, AdminUnit.code == code
        )
    ).one_or_none()


def unit_names(session: Session, codes: Iterable[str], edition: Edition | str) -> dict[str, str]:
    """Names of units of one edition by GSO code (provinces, districts and communes have codes
    of different lengths, so a code names one unit); unknown codes are left out."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(AdminUnit.code, AdminUnit.name).where(
            AdminUnit.edition == Edition(edition), AdminUnit.code.in_(wanted)
        )
    )
    return {code: name for code, name in rows}


def children(session: Session, unit: AdminUnit) -> list[AdminUnit]:
    """Direct subdivisions in official (code) order: a province's districts or communes, a
    district's communes."""
    return list(
        session.scalars(
            select(AdminUnit).where(AdminUnit.parent_id == unit.id).order_by(AdminUnit.code)
        )
    )


def _units_of(
    session: Session, province_code: str, edition: Edition, level: Level
) -> list[AdminUnit]:
    return _alphabetical(
        session.scalars(
            select(AdminUnit).where(
                AdminUnit.edition == edition,
                AdminUnit.level == level,
                AdminUnit.province_code == province_code,
            )
        )
    )


def communes_of(session: Session, province_code: str) -> list[AdminUnit]:
    """The current communes and wards of a province, alphabetically (ignoring diacritics)."""
    return _units_of(session, province_code, Edition.CURRENT, Level.COMMUNE)


def districts_of(session: Session, province_code: str) -> list[AdminUnit]:
    """The pre-2025 districts of a province, alphabetically (ignoring diacritics)."""
    return _units_of(session, province_code, Edition.PRE2025, Level.DISTRICT)


def provinces_summary(session: Session, edition: Edition) -> list[ProvinceSummary]:
    """Each province of an edition with how many districts and communes it has."""
    counts: dict[tuple[str, Level], int] = defaultdict(int)
    for province_code, level, n in session.execute(
        select(AdminUnit.province_code, AdminUnit.level, func.count())
        .where(AdminUnit.edition == edition, AdminUnit.level != Level.PROVINCE)
        .group_by(AdminUnit.province_code, AdminUnit.level)
    ):
        counts[(province_code, Level(level))] = n
    provinces = _alphabetical(
        session.scalars(
            select(AdminUnit).where(AdminUnit.edition == edition, AdminUnit.level == Level.PROVINCE)
        )
    )
    return [
        ProvinceSummary(p, counts[(p.code, Level.DISTRICT)], counts[(p.code, Level.COMMUNE)])
        for p in provinces
    ]


def successors_of(session: Session, unit: AdminUnit) -> list[AdminUnitSuccession]:
    """What a pre-2025 unit became on 1 July 2025; ``partial`` marks a unit split between
    several new ones. Each row's ``new_unit`` is loaded."""
    return list(
        session.scalars(
            select(AdminUnitSuccession)
            .join(AdminUnitSuccession.new_unit)
            .where(AdminUnitSuccession.old_unit_id == unit.id)
            .options(selectinload(AdminUnitSuccession.new_unit))
            .order_by(AdminUnit.code)
        )
    )


def predecessors_of(session: Session, unit: AdminUnit) -> list[AdminUnitSuccession]:
    """The pre-2025 units a current unit was formed from. Each row's ``old_unit`` is loaded."""
    return list(
        session.scalars(
            select(AdminUnitSuccession)
            .join(AdminUnitSuccession.old_unit)
            .where(AdminUnitSuccession.new_unit_id == unit.id)
            .options(selectinload(AdminUnitSuccession.old_unit))
            .order_by(AdminUnit.code)
        )
    )


def units_at(
    session: Session,
    lon: float,
    lat: float,
    on: date | None = None,
    edition: Edition | None = None,
) -> list[AdminUnit]:
    """The units of one edition whose outline contains the point, province first.

    The edition is the one in force ``on`` (default today) unless given. Only levels with
    outlines can answer: provinces and districts before 2025; provinces, and the communes of
    Đồng Nai and Đắk Lắk, after. Points on a shared border belong to both units.
    """
    if edition is None:
        edition = edition_on(on or clock.today())
    hits = [
        unit
        for unit, geom in _candidates(session, edition, lon, lat)
        if shapely.intersects_xy(geom, lon, lat)
    ]
    return sorted(hits, key=lambda u: (_LEVEL_RANK[u.level], u.code))


def locate(session: Session, lon: float, lat: float) -> Location:
    """Where a point lies, in both organisations, for filling in a record's units.

    The finest outline wins: a commune's or district's own province replaces a coarser
    province polygon that disagrees (province outlines are simplified the most). A level found
    nowhere falls back to the nearest unit within ``MAX_GAP_M``, and the result is flagged
    approximate.
    """
    return Locator(session).locate(lon, lat)


class Locator:
    """``locate`` for many points (imports). Given ``bounds``, the lon/lat box of all the
    points, the outlines around them are read and prepared once; without, each point queries
    as ``locate`` does. Same rules either way."""

    def __init__(
        self, session: Session, bounds: tuple[float, float, float, float] | None = None
    ) -> None:
        self.session = session
        self._loaded: dict[Edition, tuple[list[tuple[AdminUnit, BaseGeometry]], Any]] = {}
        if bounds is not None:
            margin = 2 * MAX_GAP_M / _METRES_PER_DEGREE  # covers the per-point margin below 60°
            minx, miny, maxx, maxy = bounds
            for edition in Edition:
                units = _candidates_in_box(
                    session, edition, minx - margin, miny - margin, maxx + margin, maxy + margin
                )
                boxes = np.array(
                    [[u.min_lon, u.min_lat, u.max_lon, u.max_lat] for u, _ in units], dtype=float
                ).reshape(-1, 4)
                self._loaded[edition] = (units, boxes)

    def candidates(
        self, edition: Edition, lon: float, lat: float, margin_m: float = 0.0
    ) -> list[tuple[AdminUnit, BaseGeometry]]:
        """As ``_candidates``, from the outlines read once when there are any."""
        if edition not in self._loaded:
            return _candidates(self.session, edition, lon, lat, margin_m)
        units, boxes = self._loaded[edition]
        dlat = margin_m / _METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        hit = (
            (boxes[:, 0] <= lon + dlon)
            & (boxes[:, 2] >= lon - dlon)
            & (boxes[:, 1] <= lat + dlat)
            & (boxes[:, 3] >= lat - dlat)
        )
        return [units[i] for i in hit.nonzero()[0]]

    def locate(self, lon: float, lat: float) -> Location:
        location = Location(lon=lon, lat=lat)
        slots = {
            Edition.CURRENT: {Level.PROVINCE: "province", Level.COMMUNE: "commune"},
            Edition.PRE2025: {Level.PROVINCE: "old_province", Level.DISTRICT: "district"},
        }
        point = Point(lon, lat)
        for edition, by_level in slots.items():
            candidates = self.candidates(edition, lon, lat, margin_m=MAX_GAP_M)
            for level, attr in by_level.items():
                at_level = [(u, g) for u, g in candidates if u.level is level]
                inside = [(u, g) for u, g in at_level if shapely.intersects_xy(g, lon, lat)]
                if inside:
                    setattr(location, attr, _deepest(inside, point))
                    continue
                nearest = _nearest(at_level, point)
                if nearest is not None:
                    setattr(location, attr, nearest[0])
                    location.approximate = True
                    location.gap_m = max(location.gap_m or 0.0, nearest[1])
            finest = location.commune if edition is Edition.CURRENT else location.district
            if finest is not None and finest.parent is not None:
                setattr(location, by_level[Level.PROVINCE], finest.parent)
        return location


def nearest_commune_fallback(
    session: Session, lon: float, lat: float, max_m: float = MAX_GAP_M
) -> tuple[AdminUnit, float] | None:
    """The current commune nearest to a point that no commune outline holds, with its distance
    in metres, when it is within ``max_m``: the point sits in a sliver between simplified
    outlines. None when there is none that close."""
    candidates = [
        (unit, geom)
        for unit, geom in _candidates(session, Edition.CURRENT, lon, lat, margin_m=max_m)
        if unit.level is Level.COMMUNE
    ]
    return _nearest(candidates, Point(lon, lat), max_m)


# --- helpers -----------------------------------------------------------------------------------


def _alphabetical(units: Iterable[AdminUnit]) -> list[AdminUnit]:
    return sorted(units, key=lambda u: (sort_key(u.name), u.code))


def _candidates(
    session: Session, edition: Edition, lon: float, lat: float, margin_m: float = 0.0
) -> list[tuple[AdminUnit, BaseGeometry]]:
    """Units whose bounding box (grown by ``margin_m``) holds the point, with their outline
    as a prepared shapely geometry."""
    dlat = margin_m / _METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return _candidates_in_box(session, edition, lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _candidates_in_box(
    session: Session, edition: Edition, minx: float, miny: float, maxx: float, maxy: float
) -> list[tuple[AdminUnit, BaseGeometry]]:
    """Units whose bounding box meets the box, with their outline prepared."""
    units = session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition,
            AdminUnit.geom.is_not(None),
            AdminUnit.min_lon <= maxx,
            AdminUnit.max_lon >= minx,
            AdminUnit.min_lat <= maxy,
            AdminUnit.max_lat >= miny,
        )
    )
    found = []
    for unit in units:
        geom = to_shapely(unit.geom)
        if geom is None:
            continue
        shapely.prepare(geom)
        found.append((unit, geom))
    return found


def _deepest(hits: list[tuple[AdminUnit, BaseGeometry]], point: Point) -> AdminUnit:
    """Of overlapping outlines (slivers of simplification), the one the point is deepest in."""
    if len(hits) == 1:
        return hits[0][0]
    return max(hits, key=lambda hit: (hit[1].boundary.distance(point), hit[0].code))[0]


def _nearest(
    units: list[tuple[AdminUnit, BaseGeometry]], point: Point, max_m: float = MAX_GAP_M
) -> tuple[AdminUnit, float] | None:
    best: tuple[AdminUnit, float] | None = None
    for unit, geom in units:
        on_edge = nearest_points(geom, point)[0]
        metres = distance_m(point, on_edge)
        if metres <= max_m and (best is None or metres < best[1]):
            best = (unit, metres)
    return best


def province_code_map(session: Session) -> dict[str, str]:
    """Pre-2025 province code -> its 2025 successor, from the recorded successions (a whole
    successor before a partial one)."""
    old, new = aliased(AdminUnit), aliased(AdminUnit)
    rows = session.execute(
        select(old.code, new.code)
        .join(AdminUnitSuccession, AdminUnitSuccession.old_unit_id == old.id)
        .join(new, AdminUnitSuccession.new_unit_id == new.id)
        .where(old.level == Level.PROVINCE, new.level == Level.PROVINCE)
        .order_by(old.code, AdminUnitSuccession.partial, new.code)
    ).all()
    out: dict[str, str] = {}
    for old_code, new_code in rows:
        out.setdefault(old_code, new_code)
    return out


def current_province_of(session: Session, code: str, edition: Edition | str) -> str | None:
    """The current (2025) province a unit of either edition lies in; None if unknown."""
    edition = Edition(edition)
    unit = unit_by_code(session, code, edition)
    if unit is None:
        return None
    if edition is Edition.CURRENT:
        return unit.province_code
    return province_code_map(session).get(unit.province_code)
