"""Map data: facilities as compact GeoJSON, administrative boundaries, and capacity per unit.

Capacity per 10,000 population follows the one definition (``facilities.definitions``), the
one the plan check uses: operating facilities only, whatever statuses the map shows.

Everything here takes plain values and a session, so the map page, the JSON endpoints and the
benchmark share it. Facilities come from ``facilities.read``: a reader without
``facilities.view_confidential`` gets a confidential facility at the commune's representative
point (else the province's), never the exact one, and the bounding box applies to that point.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.facilities import definitions, read
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import Reader
from registry.facilities.vocab import LocationPrecision, Status
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
# Which facility field holds the unit code of each layer.
_UNIT_FIELD = {
    (Edition.PRE2025, Level.PROVINCE): "old_province_code",
    (Edition.PRE2025, Level.DISTRICT): "district_code",
    (Edition.CURRENT, Level.PROVINCE): "province_code",
    (Edition.CURRENT, Level.COMMUNE): "commune_code",
}
PER_POPULATION = definitions.PER_POPULATION
PLANNED = Status.PLANNED.value
EXACT = LocationPrecision.EXACT.value

Row = read.MarkerRow
_encode = json.encoder.encode_basestring  # the C encoder; keeps Vietnamese letters as UTF-8


def _feature(
    fid: int,
    code: str,
    name: str,
    type_code: str,
    status: str,
    ownership: str,
    capacity: int | None,
    version: int,
    lon: float,
    lat: float,
    generalised: bool,
    precision: str = EXACT,
) -> dict[str, Any]:
    """One facility as a GeoJSON feature, with only what a marker and its popup need.

    ``gen`` appears only on generalised points; ``prec`` only on points that stand for a
    unit (the commune's, district's or province's representative point), so the popup says
    the place is approximate; ``ver`` (for the optimistic lock) only on planned facilities,
    the only ones that can be moved on the map. Every feature lies in the reader's
    jurisdiction, so no province is sent."""
    properties: dict[str, Any] = {
        "code": code,
        "name": name,
        "type": type_code,
        "status": status,
        "own": ownership,
        "cap": capacity,
    }
    if generalised:
        properties["gen"] = True
    elif precision != EXACT:
        properties["prec"] = precision
    if status == PLANNED:
        properties["ver"] = version
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {
            "type": "Point",
            "coordinates": [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)],
        },
        "properties": properties,
    }


# ``_feature`` as JSON text, for the whole-country document: formatting text is several times
# faster than building 20,000 dicts and encoding them (tests check both give one document).
_FEATURE_TEXT = (
    '{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%r,%r]},'
    '"properties":{"code":%s,"name":%s,"type":%s,"status":%s,"own":%s,"cap":%s%s}}'
)


def facility_rows(
    session: Session, flt: FacilityFilter, reader: Reader, *, facility_id: int | None = None
) -> list[Row]:
    """The filtered facilities the reader may see, as marker tuples ordered by id, with the
    shown location (see ``facilities.read``)."""
    return read.marker_rows(session, reader, flt, facility_id=facility_id)


def facility_features(
    session: Session, flt: FacilityFilter, reader: Reader, *, facility_id: int | None = None
) -> list[dict[str, Any]]:
    """``facility_rows`` as GeoJSON feature dicts."""
    return [_feature(*row) for row in facility_rows(session, flt, reader, facility_id=facility_id)]


def features_geojson(session: Session, flt: FacilityFilter, reader: Reader) -> bytes:
    """The map data document: a compact GeoJSON FeatureCollection (no spaces, UTF-8)."""
    rows = facility_rows(session, flt, reader)
    words: dict[str, str] = {}  # type codes, statuses and ownerships repeat: encode once

    def word(value: str) -> str:
        encoded = words.get(value)
        if encoded is None:
            encoded = words[value] = _encode(value)
        return encoded

    parts = []
    for fid, code, name, type_code, status, own, cap, version, lon, lat, gen, prec in rows:
        extra = ',"gen":true' if gen else ""
        if not gen and prec != EXACT:
            extra += f',"prec":{word(prec)}'
        if status == PLANNED:
            extra += f',"ver":{int(version)}'
        parts.append(
            _FEATURE_TEXT
            % (
                fid,
                round(lon, COORD_DECIMALS),
                round(lat, COORD_DECIMALS),
                _encode(code),
                _encode(name),
                word(type_code),
                word(status),
                word(own),
                "null" if cap is None else str(int(cap)),
                extra,
            )
        )
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
        """Design capacity per 10,000 people (``facilities.definitions``); None where the
        population (with its year) is not known."""
        population = definitions.known_population(self.population, self.population_year)
        value = definitions.per_population(self.capacity, population, PER_POPULATION)
        return None if value is None else round(value, 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "cap": self.capacity,
            "n": self.facilities,
            "pop": self.population,
            "year": self.population_year,
            "per10k": self.per_10k,
        }


def _scope_provinces(flt: FacilityFilter, reader: Reader) -> set[str] | None:
    """Current province codes the figures may speak for: the filter's province and the
    reader's jurisdiction; None means the whole country."""
    scope: set[str] | None = None
    if flt.province:
        scope = {flt.province}
    if reader.province_code is not None:
        scope = {reader.province_code} if scope is None else scope & {reader.province_code}
    return scope


def capacity_by_unit(
    session: Session, flt: FacilityFilter, reader: Reader, edition: Edition, level: Level
) -> dict[str, UnitCapacity]:
    """Design capacity of the filtered facilities per unit of one layer, with the unit's
    population where its census year is known.

    Only the statuses the definition counts (``definitions.COUNTED_STATUSES``) are summed,
    whatever statuses the filter shows: the figure is the plan check's. The bounding box is
    ignored (a unit's figure is about the whole unit). Units outside the filter's province or
    the reader's jurisdiction are left out: their facilities are not counted, so a ratio there
    would be wrong, and the map shows them as "no data"."""
    counted = replace(flt, statuses=list(definitions.COUNTED_STATUSES))
    totals = read.unit_totals(session, reader, counted, _UNIT_FIELD[(edition, level)])
    units = select(
        AdminUnit.code, AdminUnit.province_code, AdminUnit.population, AdminUnit.population_year
    ).where(AdminUnit.edition == edition, AdminUnit.level == level)
    scope = _scope_provinces(flt, reader)
    if scope is not None:
        # A merged province kept one of the old codes; the old provinces inside a current
        # one are those its facilities record.
        allowed = (
            scope
            if edition is Edition.CURRENT
            else set(scope) | read.old_provinces_of(session, scope)
        )
        units = units.where(AdminUnit.province_code.in_(allowed))
    out: dict[str, UnitCapacity] = {}
    for code, _province, population, year in session.execute(units):
        n, cap = totals.get(code, (0, 0))
        known = population if year is not None else None
        out[code] = UnitCapacity(
            capacity=cap, facilities=n, population=known, population_year=year if known else None
        )
    return out


# --- boundaries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundaries:
    body: bytes
    etag: str


_CACHE: OrderedDict[tuple[Any, ...], Boundaries] = OrderedDict()
_CACHE_SIZE = 32


def _fingerprint(
    session: Session, edition: Edition, level: Level, province: str | None
) -> tuple[Any, ...]:
    """A cheap summary that changes when the layer is reloaded or edited."""
    stmt = select(
        func.count(AdminUnit.id),
        func.max(AdminUnit.id),
        func.sum(AdminUnit.population),
        func.sum(AdminUnit.population_year),
        func.sum(AdminUnit.rep_lon),
        func.sum(AdminUnit.rep_lat),
        func.sum(AdminUnit.min_lon),
        func.sum(AdminUnit.max_lat),
    ).where(AdminUnit.edition == edition, AdminUnit.level == level)
    if province:
        stmt = stmt.where(AdminUnit.province_code == province)
    row = session.execute(stmt).one()
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def boundaries(
    session: Session, edition: Edition, level: Level, *, province: str | None = None
) -> Boundaries:
    """One layer of administrative units as GeoJSON, simplified for display, with an ETag.

    Built once per database state and kept in a small in-process cache: the national district
    layer takes a moment to simplify, and it changes only when the reference data is reloaded.
    """
    bind = session.get_bind()
    key = (
        str(bind.engine.url),
        edition,
        level,
        province,
        _fingerprint(session, edition, level, province),
    )
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    tolerance = SIMPLIFY_TOLERANCE[(level, province is not None)]
    stmt = (
        select(
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.full_name,
            AdminUnit.name_en,
            AdminUnit.province_code,
            AdminUnit.population,
            AdminUnit.population_year,
            AdminUnit.geom,
        )
        .where(AdminUnit.edition == edition, AdminUnit.level == level, AdminUnit.geom.is_not(None))
        .order_by(AdminUnit.code)
    )
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
        features.append(
            {
                "type": "Feature",
                "id": row.code,
                "geometry": geometry,
                "properties": {
                    "code": row.code,
                    "name": row.name,
                    "full_name": row.full_name,
                    "name_en": row.name_en,
                    "province_code": row.province_code,
                    "population": known,
                    "population_year": row.population_year if known else None,
                },
            }
        )
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "edition": edition.value,
            "level": level.value,
            "province": province,
            "features": features,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    result = Boundaries(body=body, etag=hashlib.sha256(body).hexdigest()[:32])
    _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def layer_exists(edition: Edition, level: Level) -> bool:
    return level in LAYERS.get(edition, ())
