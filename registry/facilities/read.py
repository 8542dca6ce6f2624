"""The one read path for facilities: every page, export, map, analysis and later module reads
facilities here, as frozen records, never from the models.

One query applies, *in SQL*, the reader's jurisdiction and the confidential-location rule:
for a reader who may not see a confidential facility's exact place (no
``facilities.view_confidential`` permission, or a facility outside the reader's jurisdiction),
the point is the current commune's representative point (else the province's), and the street
address and the notes are withheld. Every filter (bounding box, distance, text search) runs on
those shown values, so no query aimed at the exact point can tell more than the same query at
the generalised point. A confidential facility with no generalised point at all is left out
rather than shown exactly.

One serializer (``as_dict``, ``to_feature``) turns a record into template data, a CSV/XLSX row
or a GeoJSON feature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    false,
    func,
    not_,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from registry.facilities import workflow
from registry.facilities.models import Facility, FacilityStatusChange, FacilityType
from registry.facilities.queries import SORTS, FacilityFilter
from registry.facilities.vocab import (
    FacilityLevel,
    LocationPrecision,
    Ownership,
    Status,
    over_capacity,
)
from registry.geo import bbox_around, distance_m, point
from registry.geography.models import AdminUnit, Edition, Level
from registry.text import fold

# Statuses that are history, not network: left out unless a filter asks for them.
HISTORY_STATUSES = (Status.CLOSED,)


@dataclass(frozen=True)
class Reader:
    """Who reads: a jurisdiction (a current province code, or None for national) and whether
    exact confidential locations may be shown there. Built from a user with ``Reader.of``."""

    province_code: str | None
    may_see_exact: bool

    @classmethod
    def of(cls, user: Any) -> Reader:
        if user is None or not getattr(user, "is_authenticated", False):
            return ANONYMOUS
        return cls(
            province_code=user.province_code,
            may_see_exact=bool(user.can("facilities.view_confidential")),
        )

    @property
    def national(self) -> bool:
        return self.province_code is None

    def covers(self, province_code: str | None) -> bool:
        return self.province_code is None or self.province_code == province_code


#: The registry itself (commands, background jobs, the services' own checks).
SYSTEM = Reader(province_code=None, may_see_exact=True)
#: Nobody in particular: public attributes only, whole country (public register, anonymous API).
ANONYMOUS = Reader(province_code=None, may_see_exact=False)


@dataclass(frozen=True, slots=True)
class FacilityRecord:
    """A facility as one reader may see it. ``lon``/``lat`` are the shown point;
    ``generalised`` says it is not the real one (and ``address``/``notes`` are withheld)."""

    id: int
    code: str
    name: str
    type_code: str
    type_name_vi: str
    type_name_en: str
    category: str
    confidential_type: bool
    ownership: Ownership
    managing_body: str | None
    status: Status
    status_changed_on: date | None
    province_code: str
    commune_code: str | None
    old_province_code: str | None
    district_code: str | None
    address: str | None
    lon: float
    lat: float
    generalised: bool
    location_approximate: bool
    opened_on: date | None
    closed_on: date | None
    design_capacity: int | None
    capacity_by_group: dict[str, int]
    residents: int | None
    staff: int | None
    services: str | None
    registration_no: str | None
    licence_no: str | None
    level: FacilityLevel | None
    service_codes: tuple[str, ...]
    target_groups: tuple[str, ...]
    criteria_supported_on: date | None
    location_precision: LocationPrecision
    notes: str | None
    is_demo: bool
    version: int
    updated_at: datetime | None

    def type_name(self, locale: str) -> str:
        return self.type_name_en if locale == "en" else self.type_name_vi

    @property
    def over_capacity(self) -> bool:
        """More residents than the design capacity (``vocab.over_capacity``)."""
        return over_capacity(self.residents, self.design_capacity)

    def __getitem__(self, key: str) -> Any:  # templates and exporters written for dicts
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


RECORD_FIELDS = tuple(f.name for f in fields(FacilityRecord))


# --- the shown values, in SQL ------------------------------------------------------------------


@dataclass(frozen=True)
class _Shown:
    """Column expressions for what a reader sees, and the joins they need."""

    lon: Any
    lat: Any
    generalised: Any
    address: Any
    notes: Any
    search: Any
    commune: Any = None
    province: Any = None

    def join(self, stmt: Select) -> Select:
        if self.commune is None:
            return stmt
        return stmt.outerjoin(
            self.commune, self._on(self.commune, Level.COMMUNE, Facility.commune_code)
        ).outerjoin(self.province, self._on(self.province, Level.PROVINCE, Facility.province_code))

    def _on(self, unit: Any, level: Level, column: Any) -> ColumnElement[Any]:
        return and_(
            self.generalised,
            unit.edition == Edition.CURRENT,
            unit.level == level,
            unit.code == column,
        )


def confidential_types(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(FacilityType.code)
            .where(FacilityType.confidential.is_(True))
            .order_by(FacilityType.code)
        )
    )


def _shown(session: Session, reader: Reader) -> _Shown:
    exact = _Shown(
        lon=Facility.lon,
        lat=Facility.lat,
        generalised=false(),
        address=Facility.address,
        notes=Facility.notes,
        search=Facility.search_text,
    )
    codes = confidential_types(session)
    if not codes or (reader.may_see_exact and reader.national):
        return exact
    hidden: ColumnElement[Any] = Facility.type_code.in_(codes)
    if reader.may_see_exact:  # exact only inside the reader's own province
        hidden = and_(hidden, Facility.province_code != reader.province_code)
    commune, province = aliased(AdminUnit), aliased(AdminUnit)
    return _Shown(
        lon=case((hidden, func.coalesce(commune.rep_lon, province.rep_lon)), else_=Facility.lon),
        lat=case((hidden, func.coalesce(commune.rep_lat, province.rep_lat)), else_=Facility.lat),
        generalised=hidden,
        address=case((hidden, null()), else_=Facility.address),
        notes=case((hidden, null()), else_=Facility.notes),
        search=case((hidden, Facility.search_public), else_=Facility.search_text),
        commune=commune,
        province=province,
    )


def _conditions(flt: FacilityFilter, shown: _Shown) -> list[ColumnElement[Any]]:
    """The filter on what the reader sees. Closed facilities only when asked for."""
    conditions: list[ColumnElement[Any]] = []
    if flt.province:
        conditions.append(Facility.province_code == flt.province)
    if flt.district:
        conditions.append(Facility.district_code == flt.district)
    if flt.commune:
        conditions.append(Facility.commune_code == flt.commune)
    if flt.types:
        conditions.append(Facility.type_code.in_(flt.types))
    if flt.ownership:
        conditions.append(Facility.ownership == flt.ownership)
    if flt.statuses:
        conditions.append(Facility.status.in_(flt.statuses))
    else:
        conditions.append(Facility.status.not_in(HISTORY_STATUSES))
    if flt.capacity_min is not None:
        conditions.append(Facility.design_capacity >= flt.capacity_min)
    if flt.capacity_max is not None:
        conditions.append(Facility.design_capacity <= flt.capacity_max)
    if flt.q:
        conditions.extend(
            shown.search.contains(word, autoescape=True) for word in fold(flt.q).split()
        )
    if flt.bbox:
        minx, miny, maxx, maxy = flt.bbox
        conditions.append(_in_box(shown, minx, miny, maxx, maxy))
    return conditions


def _in_box(shown: _Shown, minx: float, miny: float, maxx: float, maxy: float) -> Any:
    """The box on the point shown. Written as two branches, the stored point for rows shown
    exactly and the generalised point for the others, so the database can use its index on
    the stored point (and on the type) instead of computing the shown point for every row."""
    if shown.commune is None:
        return and_(Facility.lon.between(minx, maxx), Facility.lat.between(miny, maxy))
    return or_(
        and_(
            not_(shown.generalised),
            Facility.lon.between(minx, maxx),
            Facility.lat.between(miny, maxy),
        ),
        and_(
            shown.generalised,
            shown.lon.between(minx, maxx),
            shown.lat.between(miny, maxy),
        ),
    )


def _scoped(stmt: Select, reader: Reader, shown: _Shown, *, everywhere: bool) -> Select:
    """The reader's jurisdiction (unless ``everywhere``), and never a confidential facility
    without a point to show."""
    if not reader.national and not everywhere:
        stmt = stmt.where(Facility.province_code == reader.province_code)
    if shown.commune is not None:
        stmt = stmt.where(shown.lon.is_not(None))
    return stmt


_RECORD_COLUMNS = (
    Facility.id,
    Facility.code,
    Facility.name,
    Facility.type_code,
    FacilityType.name_vi,
    FacilityType.name_en,
    type_coerce(FacilityType.category, String),
    FacilityType.confidential,
    type_coerce(Facility.ownership, String),
    Facility.managing_body,
    type_coerce(Facility.status, String),
    Facility.status_changed_on,
    Facility.province_code,
    Facility.commune_code,
    Facility.old_province_code,
    Facility.district_code,
)
_RECORD_TAIL = (
    Facility.location_approximate,
    Facility.opened_on,
    Facility.closed_on,
    Facility.design_capacity,
    Facility.capacity_by_group,
    Facility.residents,
    Facility.staff,
    Facility.services,
    Facility.registration_no,
    Facility.licence_no,
    type_coerce(Facility.level, String),
    Facility.service_codes,
    Facility.target_groups,
    Facility.criteria_supported_on,
    type_coerce(Facility.location_precision, String),
)


def _select_records(
    session: Session,
    reader: Reader,
    flt: FacilityFilter | None,
    *,
    ids: Sequence[int] | None = None,
    everywhere: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
    provinces: Sequence[str] | None = None,
) -> Select:
    shown = _shown(session, reader)
    stmt: Select = select(
        *_RECORD_COLUMNS,
        shown.address,
        shown.lon,
        shown.lat,
        type_coerce(shown.generalised, Facility.is_demo.type),
        *_RECORD_TAIL,
        shown.notes,
        Facility.is_demo,
        Facility.version,
        Facility.updated_at,
    ).join(FacilityType, FacilityType.code == Facility.type_code)
    stmt = _scoped(shown.join(stmt), reader, shown, everywhere=everywhere)
    if flt is not None:
        stmt = stmt.where(*_conditions(flt, shown))
    if ids is not None:
        stmt = stmt.where(Facility.id.in_(list(ids)))
    if provinces is not None:
        stmt = stmt.where(Facility.province_code.in_(list(provinces)))
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        stmt = stmt.where(shown.lon.between(minx, maxx), shown.lat.between(miny, maxy))
    return stmt


# Codes to members by dictionary: calling the enum per row was a tenth of a large page.
_OWNERSHIPS = {m.value: m for m in Ownership}
_STATUSES = {m.value: m for m in Status}
_LEVELS = {m.value: m for m in FacilityLevel}
_PRECISIONS = {m.value: m for m in LocationPrecision}


def _record(row: Any) -> FacilityRecord:
    (
        fid,
        code,
        name,
        type_code,
        type_vi,
        type_en,
        category,
        confidential,
        ownership,
        managing_body,
        status,
        status_on,
        province,
        commune,
        old_province,
        district,
        address,
        lon,
        lat,
        generalised,
        approximate,
        opened_on,
        closed_on,
        capacity,
        by_group,
        residents,
        staff,
        services,
        registration_no,
        licence_no,
        level,
        service_codes,
        target_groups,
        criteria_supported_on,
        precision,
        notes,
        is_demo,
        version,
        updated_at,
    ) = row
    generalised = bool(generalised)
    return FacilityRecord(
        id=fid,
        code=code,
        name=name,
        type_code=type_code,
        type_name_vi=type_vi,
        type_name_en=type_en,
        category=category,
        confidential_type=bool(confidential),
        ownership=_OWNERSHIPS[ownership],
        managing_body=managing_body,
        status=_STATUSES[status],
        status_changed_on=status_on,
        province_code=province,
        commune_code=commune,
        old_province_code=old_province,
        district_code=district,
        address=address,
        lon=float(lon),
        lat=float(lat),
        generalised=generalised,
        location_approximate=bool(approximate) or generalised or precision != "exact",
        opened_on=opened_on,
        closed_on=closed_on,
        design_capacity=capacity,
        capacity_by_group=dict(by_group or {}),
        residents=residents,
        staff=staff,
        services=services,
        registration_no=registration_no,
        licence_no=licence_no,
        level=_LEVELS[level] if level else None,
        service_codes=tuple(service_codes or ()),
        target_groups=tuple(target_groups or ()),
        criteria_supported_on=criteria_supported_on,
        location_precision=_PRECISIONS[precision or "exact"],
        notes=notes,
        is_demo=bool(is_demo),
        version=version,
        updated_at=updated_at,
    )


def _sorted(stmt: Select, flt: FacilityFilter) -> Select:
    column = SORTS[flt.sort]
    order = column.desc().nulls_last() if flt.descending else column.asc()
    return stmt.order_by(order, Facility.id)


# --- reading -----------------------------------------------------------------------------------


def records(
    session: Session,
    reader: Reader,
    flt: FacilityFilter | None = None,
    *,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    everywhere: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
    provinces: Sequence[str] | None = None,
) -> list[FacilityRecord]:
    """The facilities the reader may see that match ``flt`` (all statuses when ``flt`` is
    None), sorted as the filter says (by id without one).

    ``everywhere`` lifts the jurisdiction for analyses that need supply across a border
    (cross-border coverage); what comes back is still only what the reader may see, and
    exact confidential points only inside the reader's own province. ``provinces`` narrows
    the result to some current provinces; ``bbox`` to a box around the shown points."""
    stmt = _select_records(
        session, reader, flt, ids=ids, everywhere=everywhere, bbox=bbox, provinces=provinces
    )
    stmt = _sorted(stmt, flt) if flt is not None else stmt.order_by(Facility.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return [_record(row) for row in session.execute(stmt)]


def count(session: Session, reader: Reader, flt: FacilityFilter) -> int:
    shown = _shown(session, reader)
    stmt = _scoped(
        shown.join(select(func.count(Facility.id))), reader, shown, everywhere=False
    ).where(*_conditions(flt, shown))
    return int(session.scalar(stmt) or 0)


def get(session: Session, reader: Reader, facility_id: int) -> FacilityRecord | None:
    """One facility as the reader sees it; None when it does not exist or lies outside the
    reader's jurisdiction (the two are not told apart)."""
    found = records(session, reader, ids=[facility_id])
    return found[0] if found else None


def by_code(session: Session, reader: Reader, code: str) -> FacilityRecord | None:
    fid = session.scalar(select(Facility.id).where(Facility.code == code))
    return get(session, reader, fid) if fid is not None else None


def nearest(
    session: Session,
    reader: Reader,
    lon: float,
    lat: float,
    *,
    radius_m: float,
    flt: FacilityFilter | None = None,
    everywhere: bool = False,
) -> list[tuple[float, FacilityRecord]]:
    """Facilities within ``radius_m`` of a point, nearest first, measured (geodesically) to
    the point the reader sees."""
    box = bbox_around(lon, lat, radius_m)
    here = point(lon, lat)
    found = []
    for record in records(session, reader, flt, everywhere=everywhere, bbox=box):
        distance = distance_m(here, point(record.lon, record.lat))
        if distance <= radius_m:
            found.append((distance, record))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return found


#: One marker of the map: id, code, name, type, status, ownership, capacity, version,
#: shown lon, shown lat, generalised, precision of the stored point.
MarkerRow = tuple[int, str, str, str, str, str, int | None, int, float, float, bool, str]


def marker_rows(
    session: Session, reader: Reader, flt: FacilityFilter, *, facility_id: int | None = None
) -> list[MarkerRow]:
    """Only what a map marker needs, as plain tuples ordered by id (the whole-country map
    reads tens of thousands: no records, no ORM)."""
    shown = _shown(session, reader)
    stmt = select(
        Facility.id,
        Facility.code,
        Facility.name,
        Facility.type_code,
        type_coerce(Facility.status, String),
        type_coerce(Facility.ownership, String),
        Facility.design_capacity,
        Facility.version,
        shown.lon,
        shown.lat,
        shown.generalised,
        type_coerce(Facility.location_precision, String),
    )
    stmt = _scoped(shown.join(stmt), reader, shown, everywhere=False)
    stmt = stmt.where(*_conditions(flt, shown))
    if facility_id is not None:
        stmt = stmt.where(Facility.id == facility_id)
    conn = session.connection()
    return [
        (*row[:10], bool(row[10]), row[11] or "exact")
        for row in conn.execute(stmt.order_by(Facility.id))
    ]


def unit_totals(
    session: Session, reader: Reader, flt: FacilityFilter, unit_field: str
) -> dict[str, tuple[int, int]]:
    """Count and design capacity of the filtered facilities per unit code (``unit_field`` one
    of province_code, commune_code, old_province_code, district_code). The bounding box does
    not apply: a unit's figure is about the whole unit."""
    column = {
        "province_code": Facility.province_code,
        "commune_code": Facility.commune_code,
        "old_province_code": Facility.old_province_code,
        "district_code": Facility.district_code,
    }[unit_field]
    shown = _shown(session, reader)
    unboxed = FacilityFilter(**{**flt.__dict__, "bbox": None})
    stmt: Select = select(
        column, func.count(Facility.id), func.coalesce(func.sum(Facility.design_capacity), 0)
    )
    stmt = _scoped(shown.join(stmt), reader, shown, everywhere=False)
    stmt = stmt.where(column.is_not(None), *_conditions(unboxed, shown)).group_by(column)
    return {code: (int(n), int(cap)) for code, n, cap in session.execute(stmt)}


def old_provinces_of(session: Session, province_codes: Iterable[str]) -> set[str]:
    """Pre-2025 provinces the registry's facilities in these current provinces lie in."""
    return set(
        session.scalars(
            select(Facility.old_province_code)
            .distinct()
            .where(
                Facility.province_code.in_(list(province_codes)),
                Facility.old_province_code.is_not(None),
            )
        )
    )


def statuses_on(session: Session, ids: Iterable[int], on: date) -> dict[int, Status | None]:
    """The status each facility had on a date (None: the registry knows of no status then).

    The one definition of "status on a date" (``workflow.timeline`` and ``workflow.status_on``
    over the recorded changes, their effective dates and the opening date): the check, the
    analyses and the pages all ask here."""
    wanted = list(dict.fromkeys(ids))
    out: dict[int, Status | None] = dict.fromkeys(wanted)
    if not wanted:
        return out
    changes: dict[int, list[tuple[date, Status]]] = {}
    rows = session.execute(
        select(
            FacilityStatusChange.facility_id,
            FacilityStatusChange.effective_on,
            type_coerce(FacilityStatusChange.to_status, String),
        )
        .where(FacilityStatusChange.facility_id.in_(wanted))
        .order_by(FacilityStatusChange.facility_id, FacilityStatusChange.id)
    )
    for fid, effective_on, to_status in rows:
        changes.setdefault(fid, []).append((effective_on, Status(to_status)))
    facts = session.execute(
        select(
            Facility.id,
            type_coerce(Facility.status, String),
            Facility.opened_on,
            Facility.closed_on,
        ).where(Facility.id.in_(wanted))
    )
    for fid, current, opened_on, closed_on in facts:
        out[fid] = workflow.status_on(
            workflow.timeline(changes.get(fid, ())),
            on,
            opened_on=opened_on,
            closed_on=closed_on,
            current=Status(current),
        )
    return out


# --- serializers -------------------------------------------------------------------------------


def as_dict(record: FacilityRecord) -> dict[str, Any]:
    """Template data and the source of every CSV/XLSX row."""
    return {name: getattr(record, name) for name in RECORD_FIELDS}


#: The properties of a facility feature in GeoJSON exports and the APIs.
FEATURE_PROPERTIES = (
    "code",
    "name",
    "type_code",
    "type_name_vi",
    "type_name_en",
    "category",
    "ownership",
    "managing_body",
    "status",
    "status_changed_on",
    "province_code",
    "commune_code",
    "old_province_code",
    "district_code",
    "address",
    "location_approximate",
    "location_precision",
    "generalised",
    "level",
    "service_codes",
    "target_groups",
    "criteria_supported_on",
    "opened_on",
    "closed_on",
    "design_capacity",
    "capacity_by_group",
    "residents",
    "over_capacity",
    "staff",
    "services",
    "registration_no",
    "licence_no",
    "notes",
    "updated_at",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def to_feature(
    record: FacilityRecord, *, properties: Sequence[str] = FEATURE_PROPERTIES, decimals: int = 6
) -> dict[str, Any]:
    """A GeoJSON (RFC 7946) feature of the shown point; ``id`` is the registry code."""
    return {
        "type": "Feature",
        "id": record.code,
        "geometry": {
            "type": "Point",
            "coordinates": [round(record.lon, decimals), round(record.lat, decimals)],
        },
        "properties": {key: _json_value(getattr(record, key)) for key in properties},
    }


# --- pages for the open interfaces -------------------------------------------------------------

#: Fields a page may be narrowed on by equality (OGC API property filters). Each is shown as
#: stored to every reader, generalised or not, so matching on it tells nothing more.
MATCHABLE: dict[str, Any] = {
    "code": Facility.code,
    "type_code": Facility.type_code,
    "category": FacilityType.category,
    "ownership": Facility.ownership,
    "status": Facility.status,
    "level": Facility.level,
    "province_code": Facility.province_code,
    "commune_code": Facility.commune_code,
    "old_province_code": Facility.old_province_code,
    "district_code": Facility.district_code,
}


def page(
    session: Session,
    reader: Reader,
    *,
    match: Mapping[str, str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    during: tuple[date | None, date | None] | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[int, list[FacilityRecord]]:
    """One page of the facilities the reader may see, in every status, ordered by id, and how
    many match in all: what the open interfaces serve, page after page.

    ``match`` narrows by equality on :data:`MATCHABLE` fields; ``bbox`` on the shown point,
    as the list's box does; ``during`` (either end open) to the facilities whose time in
    the network, from ``opened_on`` to ``closed_on`` (still open when not closed), meets
    the interval. A facility with no opening date has no known time and is left out.

    The page's ids are chosen on the facilities table alone (the shown point is computed
    only for the few facilities shown generalised), then read as records by ``records``,
    which applies the reader's scope once more: deep pages and the count stay cheap."""
    shown = _shown(session, reader)
    conditions: list[ColumnElement[Any]] = [
        MATCHABLE[name] == value for name, value in (match or {}).items()
    ]
    if not reader.national:
        conditions.append(Facility.province_code == reader.province_code)
    if during is not None:
        start, end = during
        conditions.append(Facility.opened_on.is_not(None))
        if end is not None:
            conditions.append(Facility.opened_on <= end)
        if start is not None:
            conditions.append(or_(Facility.closed_on.is_(None), Facility.closed_on >= start))
    exact: list[ColumnElement[Any]] = []
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        exact += [Facility.lon.between(minx, maxx), Facility.lat.between(miny, maxy)]
    if shown.commune is not None:  # some facilities are shown at a generalised point
        hidden = shown.join(select(Facility.id)).where(shown.generalised, shown.lon.is_not(None))
        if bbox is not None:
            hidden = hidden.where(_in_box(shown, *bbox))
        hidden = hidden.correlate(None)  # its own scan of the facilities, not the outer row
        conditions.append(or_(and_(not_(shown.generalised), *exact), Facility.id.in_(hidden)))
    else:
        conditions += exact

    def narrowed(stmt: Select) -> Select:
        if match and "category" in match:
            stmt = stmt.join(FacilityType, FacilityType.code == Facility.type_code)
        return stmt.where(*conditions)

    ids = list(
        session.scalars(
            narrowed(select(Facility.id)).order_by(Facility.id).limit(limit).offset(offset)
        )
    )
    found = records(session, reader, ids=ids) if ids else []
    if offset == 0 and len(ids) < limit:  # the whole result is on this page
        return len(found), found
    matched = session.scalar(narrowed(select(func.count(Facility.id))))
    return int(matched or 0), found


_DATE_PROPERTIES = frozenset(
    {"status_changed_on", "criteria_supported_on", "opened_on", "closed_on", "updated_at"}
)


def features(
    items: Sequence[FacilityRecord],
    *,
    properties: Sequence[str] = FEATURE_PROPERTIES,
    decimals: int = 6,
) -> list[dict[str, Any]]:
    """``to_feature`` of many records at once, the same dicts built faster (a page of the open
    interfaces holds up to ten thousand)."""
    values = attrgetter(*properties)
    dated = [name for name in properties if name in _DATE_PROPERTIES]
    out = []
    for record in items:
        props = dict(zip(properties, values(record), strict=True))
        for name in dated:
            value = props[name]
            if value is not None:
                props[name] = value.isoformat()
        out.append(
            {
                "type": "Feature",
                "id": record.code,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(record.lon, decimals), round(record.lat, decimals)],
                },
                "properties": props,
            }
        )
    return out


__all__ = [
    "ANONYMOUS",
    "FEATURE_PROPERTIES",
    "HISTORY_STATUSES",
    "MATCHABLE",
    "SYSTEM",
    "FacilityRecord",
    "MarkerRow",
    "Reader",
    "as_dict",
    "by_code",
    "confidential_types",
    "count",
    "features",
    "get",
    "marker_rows",
    "nearest",
    "old_provinces_of",
    "page",
    "records",
    "statuses_on",
    "to_feature",
    "unit_totals",
]
