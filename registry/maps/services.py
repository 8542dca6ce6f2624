"""Map data: facilities as compact GeoJSON, administrative boundaries, and capacity per unit.

Everything here takes plain values and a session, so the map page, the JSON endpoints and the
benchmark share it. Confidential locations follow ``facilities.privacy``: a reader without
``facilities.view_confidential`` gets the commune's representative point (else the
province's), never the exact one, and the bounding box is applied to the point they see.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

import shapely
from sqlalchemy import ColumnElement, Select, String, and_, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from registry.facilities.models import Facility, FacilityType, Status
from registry.facilities.privacy import shown_location
from registry.facilities.queries import FacilityFilter, apply_filter
from registry.geo import to_geojson, to_shapely
from registry.geography.models import AdminUnit, Edition, Level

# Five decimals of a degree is about 1 m: enough for a marker, a third shorter than full floats.
COORD_DECIMALS = 5
# Boundaries are drawn, not measured: simplified further for the whole country than for one
# province, and written with four decimals (about 11 m).
BOUNDARY_DECIMALS = 4
SIMPLIFY_TOLERANCE: dict[tuple[Level, bool], float] = {
    (Level.PROVINCE, False): 0.005,
    (Level.PROVINCE, True): 0.002,
    (Level.DISTRICT, False): 0.003,
    (Level.DISTRICT, True): 0.0005,
    (Level.COMMUNE, False): 0.001,
    (Level.COMMUNE, True): 0.0003,
}
# The layers the map offers: districts exist only before 2025, communes are drawn in the
# current organisation (no open pre-2025 commune polygons exist).
LAYERS: dict[Edition, tuple[Level, ...]] = {
    Edition.PRE2025: (Level.PROVINCE, Level.DISTRICT),
    Edition.CURRENT: (Level.PROVINCE, Level.COMMUNE),
}
# Which facility column holds the unit code of each layer.
_UNIT_COLUMN = {
    (Edition.PRE2025, Level.PROVINCE): Facility.old_province_code,
    (Edition.PRE2025, Level.DISTRICT): Facility.district_code,
    (Edition.CURRENT, Level.PROVINCE): Facility.province_code,
    (Edition.CURRENT, Level.COMMUNE): Facility.commune_code,
}
PER_POPULATION = 10_000
PLANNED = Status.PLANNED.value

# Status and ownership come back as their stored strings: no enum round trip per row.
_COLUMNS = (
    Facility.id, Facility.code, Facility.name, Facility.type_code,
    type_coerce(Facility.status, String).label("status"),
    type_coerce(Facility.ownership, String).label("ownership"),
    Facility.design_capacity, Facility.version, Facility.lon, Facility.lat,
)


Row = tuple[int, str, str, str, str, str, int | None, int, float, float, bool]
_encode = json.encoder.encode_basestring  # the C encoder; keeps Vietnamese letters as UTF-8


def _feature(fid: int, code: str, name: str, type_code: str, status: str, ownership: str,
             capacity: int | None, version: int, lon: float, lat: float,
             generalised: bool) -> dict[str, Any]:
    """One facility as a GeoJSON feature, with only what a marker and its popup need.

    ``gen`` appears only on generalised points; ``ver`` (for the optimistic lock) only on
    planned facilities, the only ones that can be moved on the map. Every feature lies in the
    reader's jurisdiction, so no province is sent."""
    properties: dict[str, Any] = {"code": code, "name": name, "type": type_code,
                                  "status": status, "own": ownership, "cap": capacity}
    if generalised:
        properties["gen"] = True
    if status == PLANNED:
        properties["ver"] = version
    return {
        "type": "Feature", "id": fid,
        "geometry": {"type": "Point",
                     "coordinates": [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]},
        "properties": properties,
    }


# ``_feature`` as JSON text, for the whole-country document: formatting text is several times
# faster than building 20,000 dicts and encoding them (tests check both give one document).
_FEATURE_TEXT = (
    '{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%r,%r]},'
    '"properties":{"code":%s,"name":%s,"type":%s,"status":%s,"own":%s,"cap":%s%s}}'
)


def _confidential_types(session: Session) -> list[str]:
    return list(session.scalars(select(FacilityType.code)
                                .where(FacilityType.confidential.is_(True))))


def _generalised_select(codes: list[str]) -> tuple[Select, ColumnElement, ColumnElement]:
    """The confidential facilities with the points their readers see, computed in SQL so the
    bounding box can be applied to those points rather than to the exact ones."""
    commune = aliased(AdminUnit)
    province = aliased(AdminUnit)
    stmt = (
        select(*_COLUMNS, commune.rep_lon, commune.rep_lat, province.rep_lon, province.rep_lat)
        .outerjoin(commune, and_(commune.edition == Edition.CURRENT,
                                 commune.level == Level.COMMUNE,
                                 commune.code == Facility.commune_code))
        .outerjoin(province, and_(province.edition == Edition.CURRENT,
                                  province.level == Level.PROVINCE,
                                  province.code == Facility.province_code))
        .where(Facility.type_code.in_(codes))
    )
    shown_lon = func.coalesce(commune.rep_lon, province.rep_lon)
    shown_lat = func.coalesce(commune.rep_lat, province.rep_lat)
    return stmt, shown_lon, shown_lat


def facility_rows(session: Session, flt: FacilityFilter, user: Any, *, may_see_exact: bool,
                  facility_id: int | None = None) -> list[Row]:
    """The filtered facilities in the reader's jurisdiction, as plain tuples ordered by id,
    with the location the reader may see and whether it is generalised.

    Selects only the columns a marker needs and runs them as Core statements (no ORM rows).
    Confidential facilities with no generalised point at all are left out rather than shown
    exactly. ``facility_id`` narrows the result to one record."""
    conn = session.connection()
    only = (Facility.id == facility_id,) if facility_id is not None else ()
    if may_see_exact:
        stmt = apply_filter(select(*_COLUMNS).where(*only), flt, user).order_by(Facility.id)
        return [(*row, False) for row in conn.execute(stmt)]

    codes = _confidential_types(session)
    plain = apply_filter(select(*_COLUMNS).where(Facility.type_code.not_in(codes), *only),
                         flt, user).order_by(Facility.id)
    rows: list[Row] = [(*row, False) for row in conn.execute(plain)]
    if not codes:
        return rows
    confidential, shown_lon, shown_lat = _generalised_select(codes)
    confidential = apply_filter(confidential.where(*only), replace(flt, bbox=None), user)
    if flt.bbox:
        minx, miny, maxx, maxy = flt.bbox
        confidential = confidential.where(shown_lon.between(minx, maxx),
                                          shown_lat.between(miny, maxy))
    for row in conn.execute(confidential):
        *values, lon, lat, c_lon, c_lat, p_lon, p_lat = row
        if c_lon is None and p_lon is None:
            continue
        shown = shown_location(
            lon=lon, lat=lat, address=None, confidential=True, may_see_exact=False,
            commune_point=(c_lon, c_lat) if c_lon is not None else None,
            province_point=(p_lon, p_lat) if p_lon is not None else None,
        )
        rows.append((*values, shown.lon, shown.lat, shown.generalised))
    rows.sort(key=itemgetter(0))
    return rows


def facility_features(session: Session, flt: FacilityFilter, user: Any, *,
                      may_see_exact: bool, facility_id: int | None = None,
                      ) -> list[dict[str, Any]]:
    """``facility_rows`` as GeoJSON feature dicts."""
    return [_feature(*row) for row in facility_rows(
        session, flt, user, may_see_exact=may_see_exact, facility_id=facility_id)]


def features_geojson(session: Session, flt: FacilityFilter, user: Any, *,
                     may_see_exact: bool) -> bytes:
    """The map data document: a compact GeoJSON FeatureCollection (no spaces, UTF-8)."""
    rows = facility_rows(session, flt, user, may_see_exact=may_see_exact)
    words: dict[str, str] = {}  # type codes, statuses and ownerships repeat: encode once

    def word(value: str) -> str:
        encoded = words.get(value)
        if encoded is None:
            encoded = words[value] = _encode(value)
        return encoded

    parts = []
    for fid, code, name, type_code, status, own, cap, version, lon, lat, gen in rows:
        extra = ',"gen":true' if gen else ""
        if status == PLANNED:
            extra += f',"ver":{int(version)}'
        parts.append(_FEATURE_TEXT % (
            fid, round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS), _encode(code),
            _encode(name), word(type_code), word(status), word(own),
            "null" if cap is None else str(int(cap)), extra))
    head = f'{{"type":"FeatureCollection","numberReturned":{len(rows)},"features":['
    return (head + ",".join(parts) + "]}").encode("utf-8")


def feature_collection(features: list[dict[str, Any]]) -> bytes:
    """Feature dicts as the same compact document ``features_geojson`` writes."""
    body = {"type": "FeatureCollection", "numberReturned": len(features), "features": features}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- capacity per unit -----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCapacity:
    capacity: int
    facilities: int
    population: int | None
    population_year: int | None

    @property
    def per_10k(self) -> float | None:
        """Design capacity per 10,000 people; None where the population is not known."""
        if not self.population or self.population_year is None:
            return None
        return round(self.capacity * PER_POPULATION / self.population, 2)

    def as_json(self) -> dict[str, Any]:
        return {"cap": self.capacity, "n": self.facilities, "pop": self.population,
                "year": self.population_year, "per10k": self.per_10k}


def _scope_provinces(flt: FacilityFilter, user: Any) -> set[str] | None:
    """Current province codes the figures may speak for: the filter's province and the user's
    jurisdiction; None means the whole country."""
    scope: set[str] | None = None
    if flt.province:
        scope = {flt.province}
    if not user.is_national:
        scope = {user.province_code} if scope is None else scope & {user.province_code}
    return scope


def _pre2025_scope(session: Session, scope: set[str]) -> set[str]:
    """Pre-2025 provinces inside current ones: a merged province kept one of the old codes,
    and the registry's facilities record the old province they lie in."""
    old = session.scalars(
        select(Facility.old_province_code).distinct()
        .where(Facility.province_code.in_(scope), Facility.old_province_code.is_not(None))
    )
    return set(scope) | set(old)


def capacity_by_unit(session: Session, flt: FacilityFilter, user: Any, edition: Edition,
                     level: Level) -> dict[str, UnitCapacity]:
    """Design capacity of the filtered facilities per unit of one layer, with the unit's
    population where its census year is known.

    The bounding box is ignored (a unit's figure is about the whole unit). Units outside the
    filter's province or the reader's jurisdiction are left out: their facilities are not
    counted, so a ratio there would be wrong, and the map shows them as "no data"."""
    column = _UNIT_COLUMN[(edition, level)]
    stmt = apply_filter(
        select(column, func.count(Facility.id), func.coalesce(func.sum(Facility.design_capacity),
                                                              0))
        .where(column.is_not(None)).group_by(column),
        replace(flt, bbox=None), user,
    )
    totals = {code: (int(n), int(cap)) for code, n, cap in session.execute(stmt)}
    units = select(AdminUnit.code, AdminUnit.province_code, AdminUnit.population,
                   AdminUnit.population_year).where(AdminUnit.edition == edition,
                                                    AdminUnit.level == level)
    scope = _scope_provinces(flt, user)
    if scope is not None:
        allowed = scope if edition is Edition.CURRENT else _pre2025_scope(session, scope)
        units = units.where(AdminUnit.province_code.in_(allowed))
    out: dict[str, UnitCapacity] = {}
    for code, _province, population, year in session.execute(units):
        n, cap = totals.get(code, (0, 0))
        known = population if year is not None else None
        out[code] = UnitCapacity(capacity=cap, facilities=n, population=known,
                                 population_year=year if known else None)
    return out


# --- boundaries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundaries:
    body: bytes
    etag: str


_CACHE: OrderedDict[tuple[Any, ...], Boundaries] = OrderedDict()
_CACHE_SIZE = 32


def _fingerprint(session: Session, edition: Edition, level: Level,
                 province: str | None) -> tuple[Any, ...]:
    """A cheap summary that changes when the layer is reloaded or edited."""
    stmt = select(
        func.count(AdminUnit.id), func.max(AdminUnit.id), func.sum(AdminUnit.population),
        func.sum(AdminUnit.population_year), func.sum(AdminUnit.rep_lon),
        func.sum(AdminUnit.rep_lat), func.sum(AdminUnit.min_lon), func.sum(AdminUnit.max_lat),
    ).where(AdminUnit.edition == edition, AdminUnit.level == level)
    if province:
        stmt = stmt.where(AdminUnit.province_code == province)
    row = session.execute(stmt).one()
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def boundaries(session: Session, edition: Edition, level: Level, *,
               province: str | None = None) -> Boundaries:
    """One layer of administrative units as GeoJSON, simplified for display, with an ETag.

    Built once per database state and kept in a small in-process cache: the national district
    layer takes a moment to simplify, and it changes only when the reference data is reloaded.
    """
    bind = session.get_bind()
    key = (str(getattr(bind, "engine", bind).url), edition, level, province,
           _fingerprint(session, edition, level, province))
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    tolerance = SIMPLIFY_TOLERANCE[(level, province is not None)]
    stmt = select(AdminUnit.code, AdminUnit.name, AdminUnit.full_name, AdminUnit.name_en,
                  AdminUnit.province_code, AdminUnit.population, AdminUnit.population_year,
                  AdminUnit.geom).where(AdminUnit.edition == edition, AdminUnit.level == level,
                                        AdminUnit.geom.is_not(None)).order_by(AdminUnit.code)
    if province:
        stmt = stmt.where(AdminUnit.province_code == province)
    features = []
    for row in session.execute(stmt):
        geom = to_shapely(row.geom)
        if geom is None or geom.is_empty:
            continue
        simple = shapely.simplify(geom, tolerance, preserve_topology=True)
        geometry = to_geojson(simple, precision=BOUNDARY_DECIMALS)
        if not geometry or not geometry.get("coordinates"):
            continue
        known = row.population if row.population_year is not None else None
        features.append({
            "type": "Feature",
            "id": row.code,
            "geometry": geometry,
            "properties": {
                "code": row.code, "name": row.name, "full_name": row.full_name,
                "name_en": row.name_en, "province_code": row.province_code,
                "population": known, "population_year": row.population_year if known else None,
            },
        })
    body = json.dumps(
        {"type": "FeatureCollection", "edition": edition.value, "level": level.value,
         "province": province, "features": features},
        ensure_ascii=False, separators=(",", ":"),
    ).encode("utf-8")
    result = Boundaries(body=body, etag=hashlib.sha256(body).hexdigest()[:32])
    _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def layer_exists(edition: Edition, level: Level) -> bool:
    return level in LAYERS.get(edition, ())


