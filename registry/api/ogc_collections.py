"""The collections OGC API – Features serves, as plain values: no request, no response.

``facilities`` is read through ``facilities.read`` for the caller's reader, so a confidential
facility is at its generalised point for whoever may not see the exact one, and an anonymous
caller gets the public attributes only. The administrative units come in one collection per
organisation (before and since 1 July 2025) and level, reference data anyone may read.

``items`` and ``item`` return GeoJSON (RFC 7946) features as dicts; the HTTP layer
(``registry.api.ogc``) adds links and writes JSON or HTML. Coordinates are WGS 84
longitude/latitude (CRS84) and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry.bounds import VIETNAM_BBOX
from registry.facilities import read
from registry.facilities.read import FacilityRecord, Reader
from registry.facilities.vocab import Category, FacilityLevel, Ownership, Status
from registry.geo import to_geojson
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
# Six decimals of a degree is about 10 cm: every digit the registry stores for a point.
DECIMALS = 6

#: Facility properties an anonymous caller does not get: the registry's own working notes and
#: the figures about the people living there.
NOT_PUBLIC = frozenset({"notes", "residents", "staff", "capacity_by_group", "over_capacity"})
PUBLIC_PROPERTIES = tuple(p for p in read.FEATURE_PROPERTIES if p not in NOT_PUBLIC)


@dataclass(frozen=True)
class Queryable:
    """A property the items may be filtered on by equality (``?status=operating``)."""

    name: str
    title: Any
    values: tuple[str, ...] | None = None  # the only values it can take, when it is a code


@dataclass(frozen=True)
class Collection:
    id: str
    title: Any
    description: Any
    queryables: tuple[Queryable, ...]
    #: The properties whose interval ``datetime`` is matched against (start, end).
    temporal: tuple[str, str]
    edition: Edition | None = None
    level: Level | None = None

    @property
    def is_facilities(self) -> bool:
        return self.edition is None or self.level is None

    @property
    def unit_kind(self) -> tuple[Edition, Level]:
        """The organisation and level of a collection of administrative units."""
        if self.edition is None or self.level is None:
            raise TypeError(f"{self.id} is not a collection of administrative units")
        return self.edition, self.level

    def queryable(self, name: str) -> Queryable | None:
        return next((q for q in self.queryables if q.name == name), None)


@dataclass(frozen=True)
class Query:
    """What the items request asks for, already checked."""

    limit: int = 100
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    during: tuple[date | None, date | None] | None = None
    match: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    matched: int
    features: list[dict[str, Any]]
    #: For the HTML page: the facility records behind the features (empty for units).
    records: Sequence[FacilityRecord] = ()


def _values(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


_FACILITY_QUERYABLES = (
    Queryable("code", _l("Code")),
    Queryable("type_code", _l("Type")),
    Queryable("category", _l("Category"), _values(Category)),
    Queryable("ownership", _l("Ownership"), _values(Ownership)),
    Queryable("status", _l("Status"), _values(Status)),
    Queryable("level", _l("Level"), _values(FacilityLevel)),
    Queryable("province_code", _l("Province")),
    Queryable("commune_code", _l("Commune code (current)")),
    Queryable("old_province_code", _l("Province (before 2025)")),
    Queryable("district_code", _l("District code (pre-2025)")),
)
_UNIT_QUERYABLES = (
    Queryable("code", _l("Code")),
    Queryable("name", _l("Name")),
    Queryable("province_code", _l("Province")),
    Queryable("parent_code", _l("Code of the unit above")),
    Queryable("division_type", _l("Kind of unit")),
)

FACILITIES = Collection(
    id="facilities",
    title=_l("Social assistance facilities"),
    description=_l(
        "Facilities of the registry in every status. The location of a confidential facility "
        "(shelters, victim support) is its commune's centre for anyone who may not see the "
        "exact point; without an account only the public attributes are given. The time of a "
        "facility is from its opening date to its closing date."
    ),
    queryables=_FACILITY_QUERYABLES,
    temporal=("opened_on", "closed_on"),
)

_UNIT_TITLES: dict[tuple[Edition, Level], Any] = {
    (Edition.CURRENT, Level.PROVINCE): _l("Provinces since 1 July 2025"),
    (Edition.CURRENT, Level.COMMUNE): _l("Communes since 1 July 2025"),
    (Edition.PRE2025, Level.PROVINCE): _l("Provinces before 1 July 2025"),
    (Edition.PRE2025, Level.DISTRICT): _l("Districts before 1 July 2025"),
    (Edition.PRE2025, Level.COMMUNE): _l("Communes before 1 July 2025"),
}
_WHEN = {
    Edition.CURRENT: _l("since the reorganisation of 1 July 2025"),
    Edition.PRE2025: _l("before the reorganisation of 1 July 2025"),
}


def _unit_description(edition: Edition) -> Any:
    return _l(
        "Administrative units of Viet Nam with their GSO codes, as organised %(when)s. A unit "
        "without an outline in the registry's reference data has no geometry. The time of a "
        "unit is the period its organisation was in force.",
        when=_WHEN[edition],
    )


def _unit_collection(edition: Edition, level: Level) -> Collection:
    return Collection(
        id=f"admin-units-{edition.value}-{level.value}",
        title=_UNIT_TITLES[(edition, level)],
        description=_unit_description(edition),
        queryables=_UNIT_QUERYABLES,
        temporal=("valid_from", "valid_to"),
        edition=edition,
        level=level,
    )


#: Every collection, in the order the collections page lists them.
COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        FACILITIES,
        *(_unit_collection(edition, level) for edition, level in _UNIT_TITLES),
    )
}


def properties_for(reader: Reader) -> tuple[str, ...]:
    """The facility properties this reader gets: all of them for an account, the public ones
    for nobody."""
    return PUBLIC_PROPERTIES if reader is read.ANONYMOUS else read.FEATURE_PROPERTIES


# --- extents -----------------------------------------------------------------------------------


def extent(session: Session, collection: Collection, reader: Reader) -> dict[str, Any]:
    """The collection's spatial and temporal extent. For facilities, the country's box (or
    the reader's province's): never one drawn around the stored points, which could tell where
    a lone confidential facility is."""
    if collection.is_facilities:
        box: tuple[float, ...] | None = VIETNAM_BBOX
        if not reader.national:
            box = _unit_box(session, Edition.CURRENT, Level.PROVINCE, reader.province_code)
        interval: list[str | None] = [None, None]
    else:
        edition, level = collection.unit_kind
        box = _unit_box(session, edition, level, None)
        if edition is Edition.CURRENT:
            interval = ["2025-07-01T00:00:00Z", None]
        else:
            interval = [None, "2025-06-30T23:59:59Z"]
    out: dict[str, Any] = {"temporal": {"interval": [interval], "trs": GREGORIAN}}
    if box is not None:
        out["spatial"] = {"bbox": [[round(v, DECIMALS) for v in box]], "crs": CRS84}
    return out


def _unit_box(
    session: Session, edition: Edition, level: Level, province_code: str | None
) -> tuple[float, float, float, float] | None:
    stmt = select(
        func.min(AdminUnit.min_lon),
        func.min(AdminUnit.min_lat),
        func.max(AdminUnit.max_lon),
        func.max(AdminUnit.max_lat),
    ).where(AdminUnit.edition == edition, AdminUnit.level == level)
    if province_code is not None:
        stmt = stmt.where(AdminUnit.province_code == province_code)
    minx, miny, maxx, maxy = session.execute(stmt).one()
    if minx is None or miny is None or maxx is None or maxy is None:
        return None
    return (float(minx), float(miny), float(maxx), float(maxy))


# --- items -------------------------------------------------------------------------------------


def items(session: Session, collection: Collection, reader: Reader, query: Query) -> Page:
    """One page of the collection's features that match ``query``, and how many match."""
    if collection.is_facilities:
        matched, records = read.page(
            session,
            reader,
            match=query.match,
            bbox=query.bbox,
            during=query.during,
            limit=query.limit,
            offset=query.offset,
        )
        properties = properties_for(reader)
        features = read.features(records, properties=properties, decimals=DECIMALS)
        return Page(matched=matched, features=features, records=records)
    return _unit_page(session, collection, query)


def item(
    session: Session, collection: Collection, reader: Reader, feature_id: str
) -> tuple[dict[str, Any], FacilityRecord | None] | None:
    """One feature by its id (a facility's registry code, a unit's GSO code), with the
    facility record behind it; None when the reader may not see it or it does not exist."""
    if collection.is_facilities:
        _, records = read.page(session, reader, match={"code": feature_id}, limit=1)
        if not records:
            return None
        record = records[0]
        return read.to_feature(record, properties=properties_for(reader)), record
    page = _unit_page(session, collection, Query(limit=1, match={"code": feature_id}))
    return (page.features[0], None) if page.features else None


_PARENT = aliased(AdminUnit)
_UNIT_MATCH: dict[str, Any] = {
    "code": AdminUnit.code,
    "name": AdminUnit.name,
    "province_code": AdminUnit.province_code,
    "parent_code": _PARENT.code,
    "division_type": AdminUnit.division_type,
}


def _true(predicate: Any, dialect: str) -> Any:
    """A spatial predicate as a condition: PostGIS answers a boolean, SpatiaLite 1, 0 or -1
    (-1 when it cannot tell, which is not a yes)."""
    return predicate == 1 if dialect == "sqlite" else predicate


def _unit_conditions(collection: Collection, query: Query, dialect: str) -> list[Any]:
    edition, level = collection.unit_kind
    conditions: list[Any] = [AdminUnit.edition == edition, AdminUnit.level == level]
    conditions += [_UNIT_MATCH[name] == value for name, value in query.match.items()]
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        envelope = func.ST_GeomFromText(
            f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))",
            4326,
        )
        conditions += [
            AdminUnit.geom.is_not(None),
            AdminUnit.max_lon >= minx,
            AdminUnit.min_lon <= maxx,
            AdminUnit.max_lat >= miny,
            AdminUnit.min_lat <= maxy,
            _true(func.ST_Intersects(AdminUnit.geom, envelope), dialect),
        ]
    if query.during is not None:
        start, end = query.during
        if end is not None:
            conditions.append(or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= end))
        if start is not None:
            conditions.append(or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to >= start))
    return conditions


def _unit_select(
    session: Session, columns: Sequence[Any], collection: Collection, query: Query
) -> Select:
    dialect = session.get_bind().dialect.name
    stmt: Select = select(*columns).outerjoin(_PARENT, _PARENT.id == AdminUnit.parent_id)
    return stmt.where(and_(*_unit_conditions(collection, query, dialect)))


def _unit_page(session: Session, collection: Collection, query: Query) -> Page:
    stmt = _unit_select(
        session,
        (
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.full_name,
            AdminUnit.name_en,
            AdminUnit.division_type,
            AdminUnit.province_code,
            _PARENT.code,
            AdminUnit.valid_from,
            AdminUnit.valid_to,
            AdminUnit.population,
            AdminUnit.population_year,
            AdminUnit.area_km2,
            AdminUnit.geom,
        ),
        collection,
        query,
    )
    rows = session.execute(
        stmt.order_by(AdminUnit.code).limit(query.limit).offset(query.offset)
    ).all()
    features = [_unit_feature(collection, row) for row in rows]
    if query.offset == 0 and len(features) < query.limit:
        matched = len(features)
    else:
        counted = _unit_select(session, (func.count(AdminUnit.id),), collection, query)
        matched = int(session.scalar(counted) or 0)
    return Page(matched=matched, features=features)


def _unit_feature(collection: Collection, row: Any) -> dict[str, Any]:
    (
        code,
        name,
        full_name,
        name_en,
        division_type,
        province_code,
        parent_code,
        valid_from,
        valid_to,
        population,
        population_year,
        area_km2,
        geom,
    ) = row
    known = population if population_year is not None else None  # a figure without its year
    edition, level = collection.unit_kind
    return {
        "type": "Feature",
        "id": code,
        "geometry": to_geojson(geom, precision=DECIMALS) if geom is not None else None,
        "properties": {
            "code": code,
            "name": name,
            "full_name": full_name,
            "name_en": name_en,
            "division_type": division_type,
            "edition": edition.value,
            "level": level.value,
            "province_code": province_code,
            "parent_code": parent_code,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_to": valid_to.isoformat() if valid_to else None,
            "population": known,
            "population_year": population_year if known is not None else None,
            "area_km2": area_km2,
        },
    }
