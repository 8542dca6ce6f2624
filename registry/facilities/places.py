"""A facility's place named by its administrative units instead of (or beside) coordinates.

Real lists of facilities give a commune or a district and an address, in the names of either
organisation: before the 1 July 2025 reorganisation (province > district > commune) or after it
(province > commune). This module finds the units a record names, by GSO code or by name
(without case, diacritics, tone placement or unit prefix; the current province settles which
units are meant), chooses the point that stands for them when no coordinates are given (a
unit's representative point, with the precision that point has), and checks coordinates
against the named units when both are given.

The rules, in the order ``check`` applies them:

- A commune cell is looked for among the current communes of the province and among the
  pre-2025 communes of the old provinces that formed it. When both editions answer, the answer
  stands only if the old commune became (part of) the current one: the current commune is then
  the record's, and the old one fixes its pre-2025 district. Otherwise the name is ambiguous
  and the record says so, with the candidates.
- A district cell is a pre-2025 district (there are no districts after 2025). When both a
  district and a commune are named, the commune must lie in the district. A province named
  by its pre-2025 name ("Bình Phước", now part of Đồng Nai) narrows both the same way.
- Without coordinates, the point is the representative point of the finest unit known that
  has an outline (the current commune, else the district, else the province), moved into the
  district when the commune's point lies outside it; the precision records which unit it
  stands for.
- With coordinates, every named unit that has an outline must hold the point (within the
  outlines' simplification gap, ``geography.MAX_GAP_M``); a mismatch names both units.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, defer

from registry.facilities.vocab import LocationPrecision
from registry.geo import distance_m, to_shapely
from registry.geography import services as geography
from registry.geography.models import AdminUnit, AdminUnitSuccession, Edition, Level
from registry.i18n import _l
from registry.text import fold, normalise_tone_placement, similar

#: How a stored point's precision is shown beside it (pages, map popups, exports).
PRECISION_LABELS = {
    LocationPrecision.EXACT: _l("exact"),
    LocationPrecision.COMMUNE: _l("approximate (commune point)"),
    LocationPrecision.DISTRICT: _l("approximate (district point)"),
    LocationPrecision.PROVINCE: _l("approximate (province point)"),
}
_PRECISION_OF_LEVEL = {
    Level.COMMUNE: LocationPrecision.COMMUNE,
    Level.DISTRICT: LocationPrecision.DISTRICT,
    Level.PROVINCE: LocationPrecision.PROVINCE,
}
# Written unit prefixes (folded) and the division types they stand for; abbreviations only
# with their dot ("TP. Biên Hòa", "P. Tân Phong").
_COMMUNE_PREFIXES = {
    "thi tran": "thị trấn",
    "dac khu": "đặc khu",
    "phuong": "phường",
    "xa": "xã",
    "tt.": "thị trấn",
    "p.": "phường",
    "x.": "xã",
}
_DISTRICT_PREFIXES = {
    "thanh pho": "thành phố",
    "thi xa": "thị xã",
    "huyen": "huyện",
    "quan": "quận",
    "tp.": "thành phố",
    "tx.": "thị xã",
    "h.": "huyện",
    "q.": "quận",
}
PROVINCE_PREFIXES = {"thanh pho": "thành phố", "tinh": "tỉnh", "tp.": "thành phố"}
_APOSTROPHES = re.compile(r"[\u2019\u2018`´]")
_SUGGESTION_SIMILARITY = 0.8
_SAME_POINT_DEG = 1e-6  # files carry 6 decimals


def key(text: str) -> str:
    """Names compared without case, diacritics, spaces or punctuation."""
    return re.sub(r"[^0-9a-z]", "", fold(_APOSTROPHES.sub("'", text)))


def _exact(text: str) -> str:
    """Names compared with their diacritics, whatever the tone placement."""
    return re.sub(r"\W", "", normalise_tone_placement(text).casefold())


def split_prefix(text: str, prefixes: dict[str, str]) -> tuple[str | None, str]:
    """(division type, name) of a written unit: "huyện Xuân Lộc" -> ("huyện", "Xuân Lộc")."""
    # NFC keeps one character per letter, so the folded text lines up with the written one.
    cleaned = " ".join(unicodedata.normalize("NFC", _APOSTROPHES.sub("'", text)).split())
    folded = fold(cleaned)
    for prefix in sorted(prefixes, key=len, reverse=True):
        if not folded.startswith(prefix):
            continue
        rest = cleaned[len(prefix) :]
        if prefix.endswith("."):
            rest = rest.strip()
        elif not rest.startswith((" ", ".")):
            continue
        rest = rest.lstrip(". ").strip()
        if rest:
            return prefixes[prefix], rest
    return None, cleaned


@dataclass
class Units:
    """The units of a record, in both organisations; ``named`` lists the fields the source
    named (``commune``, ``old_commune``, ``district``, ``old_province``)."""

    province: AdminUnit
    commune: AdminUnit | None = None
    old_province: AdminUnit | None = None
    district: AdminUnit | None = None
    old_commune: AdminUnit | None = None
    named: set[str] = field(default_factory=set)

    def location(self, lon: float, lat: float, approximate: bool) -> geography.Location:
        return geography.Location(
            lon=lon,
            lat=lat,
            province=self.province,
            commune=self.commune,
            old_province=self.old_province,
            district=self.district,
            approximate=approximate,
        )


@dataclass
class Findings:
    """What resolving a record's units found: the units, and messages by field."""

    units: Units | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def error(self, name: str, message: object) -> None:
        self.errors.append((name, str(message)))

    def warn(self, name: str, message: object) -> None:
        self.warnings.append((name, str(message)))


def label(unit: AdminUnit, parents: dict[int, AdminUnit] | None = None) -> str:
    """A unit as an official reads it: "Xã Xuân Tâm, Huyện Xuân Lộc (before 1 July 2025)"."""
    text = unit.full_name
    parent = (parents or {}).get(unit.parent_id or 0)
    if unit.edition is Edition.PRE2025 and unit.level is Level.COMMUNE and parent is not None:
        text = f"{text}, {parent.full_name}"
    if unit.edition is Edition.PRE2025:
        return str(_l("%(unit)s (before 1 July 2025)", unit=text))
    return str(_l("%(unit)s (since 1 July 2025)", unit=text))


class _Scope:
    """The units of one current province and of the pre-2025 provinces that formed it, with
    the 2025 successions between their communes, indexed by code and by name."""

    def __init__(self, session: Session, province: AdminUnit) -> None:
        self.province = province
        new, old = aliased(AdminUnit), aliased(AdminUnit)
        old_codes = set(
            session.scalars(
                select(old.code)
                .join(AdminUnitSuccession, AdminUnitSuccession.old_unit_id == old.id)
                .join(new, AdminUnitSuccession.new_unit_id == new.id)
                .where(new.id == province.id, old.level == Level.PROVINCE)
            )
        )
        units = session.scalars(
            select(AdminUnit)
            .options(defer(AdminUnit.geom))
            .where(
                (
                    (AdminUnit.edition == Edition.CURRENT)
                    & (AdminUnit.province_code == province.code)
                )
                | (
                    (AdminUnit.edition == Edition.PRE2025)
                    & AdminUnit.province_code.in_(sorted(old_codes))
                )
            )
        ).all()
        self.by_id: dict[int, AdminUnit] = {u.id: u for u in units}
        self.old_provinces = {
            u.code: u for u in units if u.edition is Edition.PRE2025 and u.level is Level.PROVINCE
        }
        self.index: dict[tuple[Edition, Level], dict[str, list[AdminUnit]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.codes: dict[tuple[Edition, Level], dict[str, AdminUnit]] = defaultdict(dict)
        for unit in units:
            if unit.level is Level.PROVINCE:
                continue
            slot = (unit.edition, unit.level)
            self.codes[slot][unit.code] = unit
            for name in {unit.name, split_prefix(unit.full_name, _COMMUNE_PREFIXES)[1]}:
                self.index[slot][key(name)].append(unit)
        self.successors: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        self.predecessors: dict[int, list[int]] = defaultdict(list)
        ids = [u.id for u in units if u.level is Level.COMMUNE and u.edition is Edition.CURRENT]
        for start in range(0, len(ids), 500):
            rows = session.execute(
                select(
                    AdminUnitSuccession.old_unit_id,
                    AdminUnitSuccession.new_unit_id,
                    AdminUnitSuccession.partial,
                ).where(AdminUnitSuccession.new_unit_id.in_(ids[start : start + 500]))
            )
            for old_id, new_id, partial in rows:
                self.successors[old_id].append((new_id, bool(partial)))
                self.predecessors[new_id].append(old_id)

    def parent(self, unit: AdminUnit | None) -> AdminUnit | None:
        return self.by_id.get(unit.parent_id or 0) if unit is not None else None

    def find(self, edition: Edition, level: Level, text: str) -> list[AdminUnit]:
        """Units of one edition and level written as ``text`` (a code or a name)."""
        digits = text.strip()
        if digits.isdigit():
            width = 5 if level is Level.COMMUNE else 3
            unit = self.codes[(edition, level)].get(digits.zfill(width))
            return [unit] if unit is not None else []
        prefixes = _COMMUNE_PREFIXES if level is Level.COMMUNE else _DISTRICT_PREFIXES
        kind, name = split_prefix(text, prefixes)
        index = self.index[(edition, level)]
        found = list(
            {u.id: u for u in index.get(key(name), []) + index.get(key(text), [])}.values()
        )
        if len(found) > 1 and kind is not None:
            typed = [u for u in found if fold(u.division_type or "") == fold(kind)]
            found = typed or found
        if len(found) > 1:
            exact = [u for u in found if _exact(u.name) == _exact(name)]
            found = exact or found
        return sorted(found, key=lambda u: u.code)

    def similar_names(self, level: Level, text: str) -> list[AdminUnit]:
        """Units of the level (either edition) whose name is close to ``text``."""
        prefixes = _COMMUNE_PREFIXES if level is Level.COMMUNE else _DISTRICT_PREFIXES
        name = split_prefix(text, prefixes)[1]
        scored = []
        for (_edition, at_level), index in self.index.items():
            if at_level is not level:
                continue
            for units in index.values():
                for unit in units:
                    score = similar(name, unit.name)
                    if score >= _SUGGESTION_SIMILARITY:
                        scored.append((-score, unit.code, unit))
        seen: dict[int, AdminUnit] = {}
        for _score, _code, unit in sorted(scored, key=lambda s: (s[0], s[1])):
            seen.setdefault(unit.id, unit)
        return list(seen.values())[:3]

    def old_districts_of(self, unit: AdminUnit) -> set[int]:
        """The pre-2025 districts a current commune was formed from (by its successions)."""
        return {
            old.parent_id
            for old_id in self.predecessors.get(unit.id, ())
            if (old := self.by_id.get(old_id)) is not None and old.parent_id is not None
        }


class UnitCatalogue:
    """The units of each province a batch of records names, read once per province."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._scopes: dict[str, _Scope | None] = {}
        self._shapes: dict[int, BaseGeometry | None] = {}

    def scope(self, province_code: str) -> _Scope | None:
        if province_code not in self._scopes:
            province = geography.unit_by_code(
                self.session, province_code, Edition.CURRENT, Level.PROVINCE
            )
            self._scopes[province_code] = (
                _Scope(self.session, province) if province is not None else None
            )
        return self._scopes[province_code]

    def shape(self, unit: AdminUnit) -> BaseGeometry | None:
        """A unit's outline, prepared; None when it has none (pre-2025 communes, current
        communes outside the pilot provinces)."""
        if unit.id not in self._shapes:
            geom = to_shapely(unit.geom) if unit.min_lon is not None else None
            if geom is not None:
                shapely.prepare(geom)
            self._shapes[unit.id] = geom
        return self._shapes[unit.id]

    def holds(self, unit: AdminUnit, lon: float, lat: float) -> bool | None:
        """Whether a unit holds the point, allowing the outlines' simplification gap; None
        when the unit has no outline to tell."""
        geom = self.shape(unit)
        if geom is None:
            return None
        if shapely.intersects_xy(geom, lon, lat):
            return True
        here = Point(lon, lat)
        return distance_m(here, nearest_points(geom, here)[0]) <= geography.MAX_GAP_M


# --- naming --------------------------------------------------------------------------------


def resolve(
    catalogue: UnitCatalogue,
    province_code: str,
    *,
    commune: str | None,
    district: str | None,
    old_province: str | None = None,
) -> Findings:
    """The units a record names in a current province: a commune (current or pre-2025, code
    or name), a pre-2025 district, a pre-2025 province. Problems come back by field."""
    findings = Findings()
    scope = catalogue.scope(province_code)
    if scope is None:
        findings.error("province_code", _l("Unknown province code %(code)s.", code=province_code))
        return findings
    units = Units(province=scope.province)
    if old_province:
        units.old_province = scope.old_provinces.get(old_province)
        if units.old_province is None:
            findings.error(
                "province_code",
                _l(
                    "The province of before 1 July 2025 (%(code)s) is not part of %(province)s.",
                    code=old_province,
                    province=scope.province.full_name,
                ),
            )
            return findings
        units.named.add("old_province")
    if district:
        found = _district(scope, district, units, findings)
        if found is None:
            return findings
        units.district = found
        units.old_province = scope.parent(found)
        units.named.add("district")
    if commune and not _commune(scope, commune, units, findings):
        return findings
    if units.old_commune is not None:
        units.district = scope.parent(units.old_commune)
        units.old_province = scope.parent(units.district)
        if units.commune is None:
            successors = scope.successors.get(units.old_commune.id, [])
            if len(successors) == 1:
                units.commune = scope.by_id.get(successors[0][0])
    if units.commune is not None and units.district is not None and "commune" in units.named:
        districts = scope.old_districts_of(units.commune)
        if districts and units.district.id not in districts:
            findings.error(
                "commune",
                _l(
                    "%(commune)s does not lie in %(district)s.",
                    commune=label(units.commune),
                    district=label(units.district),
                ),
            )
            return findings
    findings.units = units
    return findings


def _district(scope: _Scope, text: str, units: Units, findings: Findings) -> AdminUnit | None:
    found = scope.find(Edition.PRE2025, Level.DISTRICT, text)
    if units.old_province is not None:
        found = [d for d in found if d.parent_id == units.old_province.id]
    if len(found) == 1:
        return found[0]
    if found:
        findings.error(
            "district",
            _l(
                "“%(text)s” matches several districts: %(units)s. Enter the district code.",
                text=text,
                units="; ".join(label(u) for u in found),
            ),
        )
        return None
    communes = scope.find(Edition.CURRENT, Level.COMMUNE, text) + scope.find(
        Edition.PRE2025, Level.COMMUNE, text
    )
    message = _l(
        "No district “%(text)s” in %(province)s before 1 July 2025 (districts were abolished "
        "then).",
        text=text,
        province=scope.province.full_name,
    )
    findings.error("district", _with_hint(message, Level.DISTRICT, communes, scope, text))
    return None


def _commune(scope: _Scope, text: str, units: Units, findings: Findings) -> bool:
    """Sets the named commune (current and/or pre-2025); False when it cannot be told."""
    current = scope.find(Edition.CURRENT, Level.COMMUNE, text)
    old = scope.find(Edition.PRE2025, Level.COMMUNE, text)
    everywhere = current + old
    if units.district is not None:
        old = [u for u in old if u.parent_id == units.district.id]
        current = [
            u
            for u in current
            if not scope.old_districts_of(u) or units.district.id in scope.old_districts_of(u)
        ]
    elif units.old_province is not None:
        within = units.old_province.code
        old = [u for u in old if u.province_code == within]
        current = [
            u
            for u in current
            if not scope.predecessors.get(u.id)
            or any(scope.by_id[o].province_code == within for o in scope.predecessors[u.id])
        ]
    if len(old) > 1 and len(current) == 1:
        linked = [u for u in old if u.id in scope.predecessors.get(current[0].id, ())]
        old = linked or old
    if len(current) > 1 and len(old) == 1:
        successors = {new_id for new_id, _ in scope.successors.get(old[0].id, ())}
        current = [u for u in current if u.id in successors] or current
    if len(current) == 1 and len(old) == 1:
        successors = {new_id for new_id, _ in scope.successors.get(old[0].id, ())}
        if current[0].id not in successors:
            # The same name (or code) for two different places.
            _ambiguous(scope, text, current + old, findings)
            return False
    if len(current) > 1 or len(old) > 1:
        _ambiguous(scope, text, current + old, findings)
        return False
    if not current and not old:
        if everywhere:
            where = (
                label(units.district)
                if units.district is not None
                else label(units.old_province)
                if units.old_province is not None
                else scope.province.full_name
            )
            findings.error(
                "commune",
                _l(
                    "%(units)s is not in %(where)s.",
                    units="; ".join(label(u, scope.by_id) for u in everywhere),
                    where=where,
                ),
            )
            return False
        message = _l(
            "No commune or ward “%(text)s” in %(province)s, before or after 1 July 2025.",
            text=text,
            province=scope.province.full_name,
        )
        districts = scope.find(Edition.PRE2025, Level.DISTRICT, text)
        findings.error("commune", _with_hint(message, Level.COMMUNE, districts, scope, text))
        return False
    units.commune = current[0] if current else None
    units.old_commune = old[0] if old else None
    units.named.add("commune" if current else "old_commune")
    if current and old:
        units.named.add("old_commune")
    return True


def _ambiguous(scope: _Scope, text: str, found: Iterable[AdminUnit], findings: Findings) -> None:
    findings.error(
        "commune",
        _l(
            "“%(text)s” matches several communes: %(units)s. Enter the commune code or the "
            "district.",
            text=text,
            units="; ".join(label(u, scope.by_id) for u in found),
        ),
    )


def _with_hint(
    message: object, level: Level, elsewhere: list[AdminUnit], scope: _Scope, text: str
) -> str:
    """The message for a ``level`` cell, then where the text was found at the other level (a
    district written as the commune, or the reverse) or, failing that, the close names."""
    parts = [str(message)]
    names = "; ".join(label(u, scope.by_id) for u in elsewhere)
    if elsewhere and level is Level.COMMUNE:
        parts.append(str(_l("It is a district: %(units)s; enter it as the district.", units=names)))
    elif elsewhere:
        parts.append(
            str(_l("It is a commune or ward: %(units)s; enter it as the commune.", units=names))
        )
    else:
        close = scope.similar_names(level, text)
        if close:
            units = "; ".join(label(u, scope.by_id) for u in close)
            parts.append(str(_l("Did you mean: %(units)s?", units=units)))
    return " ".join(parts)


# --- the point -----------------------------------------------------------------------------


def fill_in(catalogue: UnitCatalogue, units: Units, findings: Findings) -> None:
    """Units the source did not name but the named ones imply, for a record without
    coordinates: the pre-2025 district of a current commune formed within one district, and
    the pre-2025 province."""
    scope = catalogue.scope(units.province.code)
    if scope is None:
        return
    if units.district is None and units.commune is not None:
        districts = scope.old_districts_of(units.commune)
        if len(districts) == 1:
            units.district = scope.by_id.get(next(iter(districts)))
        elif len(districts) > 1:
            findings.warn(
                "district",
                _l(
                    "%(commune)s was formed from parts of several districts (%(districts)s): "
                    "the district before 1 July 2025 is not recorded. Enter it if the source "
                    "names it.",
                    commune=label(units.commune),
                    districts=", ".join(
                        sorted(scope.by_id[d].full_name for d in districts if d in scope.by_id)
                    ),
                ),
            )
    if units.old_province is None and units.district is not None:
        units.old_province = scope.parent(units.district)
    if units.old_province is None and len(scope.old_provinces) == 1:
        units.old_province = next(iter(scope.old_provinces.values()))


def stands_for(
    location: geography.Location, lon: float, lat: float
) -> tuple[AdminUnit, LocationPrecision] | None:
    """The unit whose representative point these coordinates are (to about 0.1 m), finest
    first: such a point was taken from the unit, not surveyed."""
    for unit in (location.commune, location.district, location.province, location.old_province):
        if (
            unit is not None
            and unit.rep_lon is not None
            and unit.rep_lat is not None
            and abs(unit.rep_lon - lon) <= _SAME_POINT_DEG
            and abs(unit.rep_lat - lat) <= _SAME_POINT_DEG
        ):
            return unit, _PRECISION_OF_LEVEL[unit.level]
    return None


def unit_point(
    catalogue: UnitCatalogue, units: Units
) -> tuple[float, float, LocationPrecision] | None:
    """The point that stands for the units, and its precision: the representative point of
    the current commune (else the province), moved into the pre-2025 district when it lies
    outside it; the district's point when no current commune with an outline is known."""
    old_province = units.old_province if "old_province" in units.named else None
    finest = [
        unit
        for unit in (units.commune, units.district, old_province, units.province)
        if unit is not None and catalogue.shape(unit) is not None and unit.rep_lon is not None
    ]
    if not finest:
        return None
    first = finest[0]
    lon, lat = float(first.rep_lon), float(first.rep_lat)  # type: ignore[arg-type]
    precision = _PRECISION_OF_LEVEL[first.level]
    if first is units.commune and units.district is not None:
        district_shape = catalogue.shape(units.district)
        if district_shape is not None and not catalogue.holds(units.district, lon, lat):
            both = shapely.intersection(catalogue.shape(first), district_shape)
            if not both.is_empty and both.area > 0:
                inside = both.representative_point()
                lon, lat = inside.x, inside.y
    return round(lon, 6), round(lat, 6), precision


def cross_check(
    catalogue: UnitCatalogue,
    units: Units,
    located: geography.Location,
    findings: Findings,
) -> None:
    """Coordinates against the units the source names: each named unit with an outline must
    hold the point. A pre-2025 commune has no outline; its district and the current communes
    it became stand for it."""
    scope = catalogue.scope(units.province.code)
    parents = scope.by_id if scope is not None else {}
    # (the unit named, outlines of which one must hold the point, the unit found there)
    checks: list[tuple[AdminUnit, list[AdminUnit], AdminUnit | None]] = []
    if units.commune is not None and "commune" in units.named:
        checks.append((units.commune, [units.commune], located.commune))
    if units.old_commune is not None and "old_commune" in units.named:
        if units.district is not None:
            checks.append((units.old_commune, [units.district], located.district))
        became = [
            parents[new_id]
            for new_id, _ in (scope.successors.get(units.old_commune.id, ()) if scope else ())
            if new_id in parents
        ]
        if became:
            checks.append((units.old_commune, became, located.commune))
    if units.district is not None and "district" in units.named:
        checks.append((units.district, [units.district], located.district))
    for named, areas, found in checks:
        held = [
            h
            for h in (catalogue.holds(a, located.lon, located.lat) for a in areas)
            if h is not None
        ]
        if not held or any(held):
            continue
        findings.error(
            "location",
            _l(
                "The coordinates lie in %(found)s, not in %(named)s named in the record.",
                found=label(found, parents) if found is not None else _l("another unit"),
                named=label(named, parents),
            ),
        )
        return
