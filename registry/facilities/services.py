"""Registering and changing facilities. Services flush, never commit; the caller owns the
transaction. Business rules raise ``RegistryError`` subclasses that carry field errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from registry import clock
from registry.audit.context import set_reason
from registry.errors import ConflictError, RegistryError
from registry.facilities import catalogue, places, workflow
from registry.facilities.models import (
    CodeSequence,
    Facility,
    FacilityStatusChange,
    FacilityType,
    LocationSource,
    Ownership,
    Status,
)
from registry.facilities.vocab import FacilityLevel, LocationPrecision, over_capacity
from registry.geo import distance_m, in_vietnam_bbox, point, to_db
from registry.geography import services as geography
from registry.i18n import _l
from registry.text import fold, similar

TYPES_FILE = Path(__file__).with_name("types.yaml")
DUPLICATE_DISTANCE_M = 200.0
DUPLICATE_NAME_SIMILARITY = 0.85
# Fields a user edits; everything else is derived or bookkeeping.
EDITABLE_FIELDS = (
    "name",
    "type_code",
    "ownership",
    "managing_body",
    "province_code",
    "address",
    "lon",
    "lat",
    "location_source",
    "location_approximate",
    "location_precision",
    "opened_on",
    "level",
    "service_codes",
    "target_groups",
    "criteria_supported_on",
    "design_capacity",
    "capacity_by_group",
    "residents",
    "staff",
    "services",
    "registration_no",
    "licence_no",
    "notes",
)


@dataclass
class FacilityInput:
    """What a form, an import row or the API supplies for one facility."""

    name: str
    type_code: str
    ownership: Ownership
    province_code: str
    # None when the source names only units (``commune``, ``district``): ``check`` then
    # takes the units' representative point.
    lon: float | None = None
    lat: float | None = None
    status: Status = Status.OPERATING
    # The date ``status`` took effect, when registering (None: the opening date for an
    # operating facility, else the day it is registered). Later changes: ``change_status``.
    status_changed_on: date | None = None
    managing_body: str | None = None
    address: str | None = None
    location_source: LocationSource = LocationSource.LATLON
    location_approximate: bool = False
    # What the stored point stands for: a surveyed point, or a unit's representative point.
    location_precision: LocationPrecision = LocationPrecision.EXACT
    # The units the source names (a code or a name, current or pre-2025; see ``places``):
    # the commune or ward, the pre-2025 district, the pre-2025 province code.
    commune: str | None = None
    district: str | None = None
    old_province: str | None = None
    opened_on: date | None = None
    # Catalogue codes (registry/facilities/catalogue.yaml); ``check`` refuses unknown ones.
    level: str | None = None
    service_codes: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    criteria_supported_on: date | None = None
    design_capacity: int | None = None
    capacity_by_group: dict[str, int] = field(default_factory=dict)
    residents: int | None = None
    staff: int | None = None
    services: str | None = None
    registration_no: str | None = None
    licence_no: str | None = None
    notes: str | None = None
    is_demo: bool = False

    @classmethod
    def from_facility(cls, facility: Facility) -> FacilityInput:
        values = {
            f.name: getattr(facility, f.name) for f in fields(cls) if f.name not in NAMED_UNITS
        }
        values["capacity_by_group"] = dict(facility.capacity_by_group or {})
        values.update(_catalogue_values(facility))
        if facility.location_precision is not LocationPrecision.EXACT:
            # A unit's point stays tied to the units it stands for through later edits.
            values.update(
                commune=facility.commune_code,
                district=facility.district_code,
                old_province=facility.old_province_code,
            )
        return cls(**values)

    @classmethod
    def from_record(cls, record: Any) -> FacilityInput:
        """The values as a reader sees them (``facilities.read.FacilityRecord``), e.g. for
        a conflict page; never written back for a generalised record."""
        values: dict[str, Any] = {
            f.name: getattr(record, f.name, None) for f in fields(cls) if hasattr(record, f.name)
        }
        values["capacity_by_group"] = dict(record.capacity_by_group or {})
        values.update(_catalogue_values(record))
        return cls(**values)


#: FacilityInput fields naming units as the source wrote them; not columns of a facility.
NAMED_UNITS = ("commune", "district", "old_province")


def _catalogue_values(source: Any) -> dict[str, Any]:
    """Level, services and target groups as plain codes and lists (a record holds an enum
    and tuples)."""
    level = getattr(source, "level", None)
    return {
        "level": None if level is None else str(getattr(level, "value", level)),
        "service_codes": list(getattr(source, "service_codes", None) or ()),
        "target_groups": list(getattr(source, "target_groups", None) or ()),
    }


class ValidationFailed(RegistryError):
    """Field errors (``errors``), warnings, and possible duplicates that need confirmation."""

    def __init__(
        self, errors: dict[str, list[str]], warnings: list[str], duplicates: list[Facility]
    ) -> None:
        first = next(iter(errors.values()), [""])[0] if errors else ""
        super().__init__(first or str(_l("Possible duplicate: please confirm.")))
        self.errors = errors
        self.warnings = warnings
        self.duplicates = duplicates


class EditConflict(ConflictError):
    """Someone saved the facility after this edit began; nothing was written."""

    def __init__(self, facility: Facility, attempted: FacilityInput) -> None:
        super().__init__(
            str(_l("This facility was changed by someone else while you were editing it."))
        )
        self.facility = facility
        self.attempted = attempted


class InvalidTransition(RegistryError):
    pass


@dataclass
class Checked:
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[Facility] = field(default_factory=list)
    units: geography.Location | None = None
    # The point to store and what it stands for (the given one, or the named units').
    lon: float | None = None
    lat: float | None = None
    precision: LocationPrecision = LocationPrecision.EXACT
    # Warnings with the field each concerns, for imports that show them by column.
    warned: list[tuple[str, str]] = field(default_factory=list)

    def error(self, name: str, message: object) -> None:
        self.errors.setdefault(name, []).append(str(message))

    def warn(self, name: str, message: object) -> None:
        self.warnings.append(str(message))
        self.warned.append((name, str(message)))


# --- types -----------------------------------------------------------------------------------


#: Keys a type may not carry: no law sets a design range per facility type (Decree 103/2017
#: sets none); a plan's capacity band belongs to the plan's rules for the facilities it names.
_RANGE_KEYS = ("capacity_min", "capacity_max", "capacity_source")


def load_types(session: Session, path: Path = TYPES_FILE) -> int:
    """Upsert facility types from YAML; returns how many there are. A design range in the
    file is refused, and one left in the database by an earlier version is cleared."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        given = [key for key in _RANGE_KEYS if entry.get(key) is not None]
        if given:
            raise ValueError(
                f"facility type {entry.get('code')}: {', '.join(given)} — no law sets a design "
                "range per type; put a plan's band in that plan's rules"
            )
    existing = {t.code: t for t in session.scalars(select(FacilityType))}
    for order, entry in enumerate(entries):
        ftype = existing.get(entry["code"]) or FacilityType(code=entry["code"])
        ftype.name_vi = entry["name_vi"]
        ftype.name_en = entry["name_en"]
        ftype.category = entry["category"]
        ftype.residential = bool(entry.get("residential", True))
        ftype.capacity_min = ftype.capacity_max = ftype.capacity_source = None
        ftype.default_radius_km = entry.get("default_radius_km")
        ftype.confidential = bool(entry.get("confidential", False))
        ftype.legal_basis = entry.get("legal_basis")
        ftype.marker_color = entry.get("marker_color", "#0d6efd")
        ftype.sort_order = order
        session.add(ftype)
    session.flush()
    return len(entries)


def facility_types(session: Session) -> list[FacilityType]:
    return list(session.scalars(select(FacilityType).order_by(FacilityType.sort_order)))


def type_categories(session: Session) -> dict[str, str]:
    """Facility type code -> category code."""
    return {t.code: t.category.value for t in facility_types(session)}


def type_exists(session: Session, code: str) -> bool:
    return session.get(FacilityType, code) is not None


def for_update(session: Session, facility_id: int) -> Facility:
    """The record to change, for the services below (callers read through
    ``facilities.read``; this is only the handle a write needs). Read afresh and locked until
    the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions hold the
    database's lock already): a concurrent save is seen as a new version, so the caller's
    version check answers a conflict instead of the flush failing on a stale row."""
    facility = session.get(
        Facility, facility_id, with_for_update={"of": Facility}, populate_existing=True
    )
    if facility is None:
        raise RegistryError(str(_l("This facility no longer exists.")))
    return facility


@dataclass(frozen=True)
class StatusChangeRow:
    """One recorded change: the date it took effect, when it was typed, and whether a change
    recorded later with an earlier date replaced it (``workflow.timeline``)."""

    effective_on: date
    from_status: Status | None
    to_status: Status
    reason: str
    recorded_at: datetime | None = None
    superseded: bool = False


def status_changes(session: Session, facility_id: int) -> list[StatusChangeRow]:
    """A facility's status history, latest effective date first."""
    rows = list(
        session.scalars(
            select(FacilityStatusChange)
            .where(FacilityStatusChange.facility_id == facility_id)
            .order_by(FacilityStatusChange.id)
        )
    )
    dropped = workflow.superseded([c.effective_on for c in rows])
    out = [
        StatusChangeRow(
            c.effective_on, c.from_status, c.to_status, c.reason, c.recorded_at, i in dropped
        )
        for i, c in enumerate(rows)
    ]
    return sorted(out, key=lambda r: r.effective_on, reverse=True)


def _recorded(facility: Facility) -> list[FacilityStatusChange]:
    """The facility's changes in the order they were recorded (read afresh: a change added
    in this session is not yet in the loaded relationship)."""
    session = object_session(facility)
    if session is None or facility.id is None:
        return []
    return list(
        session.scalars(
            select(FacilityStatusChange)
            .where(FacilityStatusChange.facility_id == facility.id)
            .order_by(FacilityStatusChange.id)
        )
    )


def vn2000_point(x: Any, y: Any, meridian_text: str) -> tuple[float, float]:
    """VN-2000 provincial-zone coordinates (northing ``x``, easting ``y``, the zone's central
    meridian as typed) as WGS 84 lon/lat; ``ValueError`` with a message for the user."""
    from registry.i18n import coordinate_message
    from registry.vn2000 import CoordinateError, parse_meridian, vn2000_to_wgs84

    if x is None or y is None:
        raise ValueError(str(_l("Enter both VN-2000 coordinates.")))
    try:
        return vn2000_to_wgs84(float(x), float(y), parse_meridian(meridian_text))
    except CoordinateError as exc:  # its message in the reader's language
        raise ValueError(coordinate_message(exc)) from exc


# --- validation ------------------------------------------------------------------------------


class Lookups:
    """Where ``check`` finds a point's units and the facilities a record may duplicate. This
    one asks the database for each record; a batch (an import) passes a subclass that read
    them once for all its records. The rules stay in ``check`` and ``find_duplicates``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._units: places.UnitCatalogue | None = None

    @property
    def units(self) -> places.UnitCatalogue:
        """The units records name, read once per province."""
        if self._units is None:
            self._units = places.UnitCatalogue(self.session)
        return self._units

    def locate(self, lon: float, lat: float) -> geography.Location:
        return geography.locate(self.session, lon, lat)

    def near(self, type_code: str, lon: float, lat: float, pad: float) -> Iterable[Facility]:
        """Open facilities of the type within ``pad`` degrees."""
        return self.session.scalars(
            select(Facility).where(
                Facility.type_code == type_code,
                Facility.status != Status.CLOSED,
                Facility.lon.between(lon - pad, lon + pad),
                Facility.lat.between(lat - pad, lat + pad),
            )
        )

    def in_commune(self, commune_code: str) -> Iterable[Facility]:
        """Open facilities of the commune."""
        return self.session.scalars(
            select(Facility).where(
                Facility.commune_code == commune_code, Facility.status != Status.CLOSED
            )
        )


def check(
    session: Session,
    data: FacilityInput,
    *,
    current: Facility | None = None,
    lookups: Lookups | None = None,
) -> Checked:
    """All shape-independent rules for a facility record, with messages per field."""
    lookups = lookups or Lookups(session)
    result = Checked()
    ftype = session.get(FacilityType, data.type_code)
    if ftype is None:
        result.error("type_code", _l("Unknown facility type."))
    if not data.name or not data.name.strip():
        result.error("name", _l("The name is required."))
    _check_location(result, data, lookups)
    _check_catalogue(result, data)
    _check_dates(result, data, current)
    if data.residents is not None and data.residents < 0:
        result.error("residents", _l("Cannot be negative."))
    if data.design_capacity is not None and data.design_capacity < 0:
        result.error("design_capacity", _l("Cannot be negative."))
    if over_capacity(data.residents, data.design_capacity):
        # Overcrowding is a fact to record and flag, not a reason to refuse the record.
        result.warn(
            "residents",
            _l(
                "Residents (%(residents)d) exceed the design capacity (%(capacity)d): the "
                "facility is recorded as over capacity.",
                residents=data.residents,
                capacity=data.design_capacity,
            ),
        )
    if (
        ftype is not None
        and not result.errors
        and result.lon is not None
        and result.lat is not None
    ):
        result.duplicates = find_duplicates(
            session,
            type_code=data.type_code,
            lon=result.lon,
            lat=result.lat,
            name=data.name,
            commune_code=result.units.commune.code
            if result.units and result.units.commune
            else None,
            exclude_id=current.id if current else None,
            lookups=lookups,
        )
    return result


def _check_location(result: Checked, data: FacilityInput, lookups: Lookups) -> None:
    """The point and the units: coordinates, named units, or both (see ``places``). Sets the
    point to store, its precision and the record's units on ``result``."""
    if (data.lon is None) != (data.lat is None):
        result.error("location", _l("Enter both the latitude and the longitude."))
        return
    named = None
    if data.commune or data.district or data.old_province:
        findings = places.resolve(
            lookups.units,
            data.province_code,
            commune=data.commune,
            district=data.district,
            old_province=data.old_province,
        )
        for name, message in findings.errors:
            result.error(name, message)
        if findings.units is None:
            return
        named = findings.units
    if data.lon is None or data.lat is None:
        if named is None:
            result.error(
                "location",
                _l("Enter the coordinates, or the commune or district the facility is in."),
            )
            return
        findings = places.Findings()
        places.fill_in(lookups.units, named, findings)
        for name, message in findings.warnings:
            result.warn(name, message)
        found = places.unit_point(lookups.units, named)
        if found is None:
            result.error("location", _l("These units have no point on the map."))
            return
        result.lon, result.lat, result.precision = found
        result.units = named.location(result.lon, result.lat, approximate=True)
        return
    if not in_vietnam_bbox(data.lon, data.lat):
        result.error("location", _l("The location is outside Vietnam."))
        return
    units = lookups.locate(data.lon, data.lat)
    result.lon, result.lat, result.precision = data.lon, data.lat, data.location_precision
    result.units = units
    if data.location_precision is LocationPrecision.EXACT:
        stand_in = places.stands_for(units, data.lon, data.lat)
        if stand_in is not None:
            # A unit's centre typed in as coordinates is that unit's point, not a survey.
            result.precision = stand_in[1]
            result.warn(
                "location",
                _l(
                    "These coordinates are the representative point of %(unit)s, not a "
                    "surveyed point: the location is recorded as approximate.",
                    unit=places.label(stand_in[0]),
                ),
            )
    if units.province is None:
        result.error("location", _l("The location is not inside any province of Vietnam."))
    elif units.province.code != data.province_code:
        result.error(
            "location",
            _l(
                "The location lies in %(found)s, not in the chosen province.",
                found=units.province.name,
            ),
        )
    elif named is not None:
        findings = places.Findings()
        places.cross_check(lookups.units, named, units, findings)
        for name, message in findings.errors:
            result.error(name, message)
        # The units the source names win over the outlines' slivers; the others are the
        # point's.
        result.units = geography.Location(
            lon=data.lon,
            lat=data.lat,
            province=named.province,
            commune=named.commune or units.commune,
            old_province=named.old_province or units.old_province,
            district=named.district or units.district,
            approximate=units.approximate,
        )


def _allowed(kind: str) -> str:
    return "; ".join(f"{e.name_vi} ({e.code})" for e in catalogue.catalogue().kind(kind))


def _check_catalogue(result: Checked, data: FacilityInput) -> None:
    """Level, services and target groups must be catalogue codes; the message names the
    allowed values. The central-criteria date cannot lie in the future."""
    if data.level is not None and not catalogue.is_level(data.level):
        result.error(
            "level",
            _l(
                "Unknown level “%(value)s”. Allowed: %(allowed)s.",
                value=data.level,
                allowed=_allowed("levels"),
            ),
        )
    unknown = catalogue.unknown("services", data.service_codes)
    if unknown:
        result.error(
            "service_codes",
            _l(
                "Unknown service “%(value)s”. Allowed: %(allowed)s.",
                value="; ".join(unknown),
                allowed=_allowed("services"),
            ),
        )
    unknown = catalogue.unknown("target_groups", data.target_groups)
    if unknown:
        result.error(
            "target_groups",
            _l(
                "Unknown target group “%(value)s”. Allowed: %(allowed)s.",
                value="; ".join(unknown),
                allowed=_allowed("target_groups"),
            ),
        )
    if data.criteria_supported_on is not None and data.criteria_supported_on > clock.today():
        result.error("criteria_supported_on", _l("The date cannot be in the future."))


def _check_dates(result: Checked, data: FacilityInput, current: Facility | None) -> None:
    """The dates things happened must fit the status and the recorded history: nothing after
    today for what has happened, no status before the opening of what it follows."""
    today = clock.today()
    status = current.status if current is not None else data.status
    opened = data.opened_on
    if opened is not None and opened > today and workflow.is_existing(status):
        result.error(
            "opened_on",
            _l("The opening date is after today, but the facility is recorded as existing."),
        )
    if current is None:
        since = data.status_changed_on
        if since is not None and since > today:
            result.error(
                "status_changed_on",
                _l("The status cannot take effect after today: record it once it has."),
            )
        if (
            since is not None
            and opened is not None
            and since < opened
            and workflow.is_existing(data.status)
        ):
            result.error(
                "status_changed_on",
                _l(
                    "The status took effect before the opening date (%(date)s).",
                    date=f"{opened:%d/%m/%Y}",
                ),
            )
        return
    if opened is None or opened == current.opened_on:
        return
    limit = _opening_limit(current)
    if limit is not None and opened > limit:
        result.error(
            "opened_on",
            _l(
                "The opening date is after the facility is recorded as existing (%(date)s).",
                date=f"{limit:%d/%m/%Y}",
            ),
        )


def _opening_limit(facility: Facility) -> date | None:
    """The latest opening date the recorded history allows: the first day it is recorded as
    existing, or, when that first record was dated by the opening date itself (and moves with
    it), the next change's date."""
    rows = _recorded(facility)
    if _dated_by_opening(facility, rows):
        return rows[1].effective_on if len(rows) > 1 else None
    for start, status in workflow.timeline((c.effective_on, c.to_status) for c in rows):
        if workflow.is_existing(status):
            return start
    return None


def _dated_by_opening(facility: Facility, rows: list[FacilityStatusChange]) -> bool:
    """Whether the registration's record is "operating since the opening date"."""
    return bool(
        rows
        and rows[0].from_status is None
        and rows[0].to_status is Status.OPERATING
        and facility.opened_on is not None
        and rows[0].effective_on == facility.opened_on
    )


def find_duplicates(
    session: Session,
    *,
    type_code: str,
    lon: float,
    lat: float,
    name: str,
    commune_code: str | None,
    exclude_id: int | None = None,
    lookups: Lookups | None = None,
) -> list[Facility]:
    """Possible duplicates: same type within 200 m, or a very similar name in the same
    commune. Closed facilities are history and are not flagged."""
    lookups = lookups or Lookups(session)
    pad = 0.01  # ~1 km box, then exact geodesic distance
    found: dict[int, Facility] = {}
    here = point(lon, lat)
    for other in lookups.near(type_code, lon, lat, pad):
        if (
            other.id != exclude_id
            and distance_m(here, point(other.lon, other.lat)) <= DUPLICATE_DISTANCE_M
        ):
            found[other.id] = other
    if commune_code:
        for other in lookups.in_commune(commune_code):
            if other.id == exclude_id or other.id in found:
                continue
            if similar(name, other.name) >= DUPLICATE_NAME_SIMILARITY:
                found[other.id] = other
    return list(found.values())


# --- writing ---------------------------------------------------------------------------------


def next_code(session: Session, province_code: str, type_code: str) -> str:
    """``<province>-<type>-<sequence>``; the sequence only grows, so codes are never reused."""
    return reserve_codes(session, province_code, type_code, 1)[0]


def reserve_codes(session: Session, province_code: str, type_code: str, n: int) -> list[str]:
    """The next ``n`` codes of a sequence, taken under one lock."""
    seq = session.get(CodeSequence, (province_code, type_code), with_for_update=True)
    if seq is None:
        seq = CodeSequence(province_code=province_code, type_code=type_code, last_value=0)
        session.add(seq)
    first = seq.last_value + 1
    seq.last_value += n
    session.flush()
    return [f"{province_code}-{type_code}-{value:04d}" for value in range(first, first + n)]


def _apply(facility: Facility, data: FacilityInput, checked: Checked) -> None:
    for name in EDITABLE_FIELDS:
        setattr(facility, name, getattr(data, name))
    facility.is_demo = data.is_demo
    facility.level = FacilityLevel(data.level) if data.level else None
    facility.service_codes = _in_catalogue_order("services", data.service_codes)
    facility.target_groups = _in_catalogue_order("target_groups", data.target_groups)
    if checked.lon is None or checked.lat is None:
        raise RegistryError(str(_l("The location is missing.")))  # check() reported it
    if data.lon is None or data.lat is None:
        facility.location_source = LocationSource.UNIT_POINT
    facility.lon, facility.lat = checked.lon, checked.lat
    facility.location_precision = checked.precision
    if checked.precision is not LocationPrecision.EXACT:
        facility.location_approximate = True
    facility.geom = to_db(point(checked.lon, checked.lat))
    units = checked.units
    facility.commune_code = units.commune.code if units and units.commune else None
    facility.old_province_code = units.old_province.code if units and units.old_province else None
    facility.district_code = units.district.code if units and units.district else None
    if units and units.approximate:
        facility.location_approximate = True
    public = (facility.code or "", data.name, data.managing_body or "")
    facility.search_public = " ".join(fold(part) for part in public if part)
    facility.search_text = " ".join(fold(part) for part in (*public, data.address or "") if part)


def _in_catalogue_order(kind: str, codes: Iterable[str]) -> list[str]:
    order = {code: i for i, code in enumerate(catalogue.codes(kind))}
    return sorted(set(codes), key=lambda code: order.get(code, len(order)))


def _raise_if_invalid(checked: Checked, confirm_duplicates: bool) -> None:
    if checked.errors or (checked.duplicates and not confirm_duplicates):
        raise ValidationFailed(checked.errors, checked.warnings, checked.duplicates)


def register_facility(
    session: Session,
    data: FacilityInput,
    *,
    actor_id: int | None,
    confirm_duplicates: bool = False,
    reason: str | None = None,
    effective_on: date | None = None,
    lookups: Lookups | None = None,
) -> tuple[Facility, list[str]]:
    """Create a facility with a new registry code; returns it and any warnings.

    Its status history starts when things happened, not when the record is typed (see
    ``initial_changes``); ``effective_on`` stands for ``data.status_changed_on``."""
    if effective_on is not None:
        data = replace(data, status_changed_on=effective_on)
    checked = check(session, data, lookups=lookups)
    _raise_if_invalid(checked, confirm_duplicates)
    set_reason(session, reason)
    changes = initial_changes(data, clock.today())
    facility = Facility(
        status=data.status,
        created_by_id=actor_id,
        updated_by_id=actor_id,
        status_changed_on=changes[-1][0],
        capacity_by_group={},
    )
    facility.code = next_code(session, data.province_code, data.type_code)
    _apply(facility, data, checked)
    session.add(facility)
    session.flush()
    session.add_all(_change_rows(facility, changes, reason, actor_id))
    session.flush()
    return facility, checked.warnings


def initial_changes(data: FacilityInput, today: date) -> list[tuple[date, Status | None, Status]]:
    """The status history a new record starts with, as (effective_on, from, to).

    An operating facility is operating from its opening date (else from the date its status
    took effect, else today); a suspended or closed one with an opening date was operating
    from then until its status took effect (else today); a planned one or one being built
    holds its status from the date given (else today)."""
    since = data.status_changed_on
    if data.status is Status.OPERATING:
        return [(data.opened_on or since or today, None, Status.OPERATING)]
    if workflow.is_existing(data.status) and data.opened_on is not None:
        return [
            (data.opened_on, None, Status.OPERATING),
            (since or today, Status.OPERATING, data.status),
        ]
    return [(since or today, None, data.status)]


def _change_rows(
    facility: Facility,
    changes: list[tuple[date, Status | None, Status]],
    reason: str | None,
    actor_id: int | None,
) -> list[FacilityStatusChange]:
    return [
        FacilityStatusChange(
            facility_id=facility.id,
            from_status=from_status,
            to_status=to_status,
            effective_on=effective_on,
            reason=reason or str(_l("Registered")),
            actor_id=actor_id,
        )
        for effective_on, from_status, to_status in changes
    ]


def update_facility(
    session: Session,
    facility: Facility,
    data: FacilityInput,
    *,
    expected_version: int,
    actor_id: int | None,
    confirm_duplicates: bool = False,
    reason: str | None = None,
    lookups: Lookups | None = None,
) -> list[str]:
    """Save an edit made on ``expected_version``. If the record moved on since, nothing is
    written and ``EditConflict`` carries both versions."""
    if facility.version != expected_version:
        raise EditConflict(facility, data)
    if data.province_code != facility.province_code:
        # Moving a record between provinces would move it out of its officials' jurisdiction.
        message = _l(
            "A facility cannot be moved to another province; close it and register it there."
        )
        raise ValidationFailed({"province_code": [str(message)]}, [], [])
    checked = check(session, data, current=facility, lookups=lookups)
    _raise_if_invalid(checked, confirm_duplicates)
    set_reason(session, reason)
    rows = _recorded(facility)
    moves = data.opened_on is not None and _dated_by_opening(facility, rows)
    _apply(facility, data, checked)
    if moves and data.opened_on is not None:
        # "Operating since the opening date": a corrected opening date corrects it.
        rows[0].effective_on = data.opened_on
        if len(rows) == 1:
            facility.status_changed_on = data.opened_on
    facility.updated_by_id = actor_id
    session.flush()
    return checked.warnings


class BatchValidationFailed(RegistryError):
    """Some records of a batch broke rules; ``failures`` maps their index to the reasons.
    Nothing was written."""

    def __init__(self, failures: dict[int, ValidationFailed]) -> None:
        super().__init__(str(_l("%(n)d records were refused.", n=len(failures))))
        self.failures = failures


def register_many(
    session: Session,
    items: list[FacilityInput],
    *,
    actor_id: int | None,
    confirm_duplicates: bool = False,
    reason: str | None = None,
    lookups: Lookups | None = None,
) -> list[Facility]:
    """``register_facility`` for many records at once (imports): the same checks for every
    record first, then codes and inserts in a few statements. All or nothing."""
    lookups = lookups or Lookups(session)
    checks = [check(session, data, lookups=lookups) for data in items]
    failures = {}
    for index, checked in enumerate(checks):
        try:
            _raise_if_invalid(checked, confirm_duplicates)
        except ValidationFailed as exc:
            failures[index] = exc
    if failures:
        raise BatchValidationFailed(failures)
    set_reason(session, reason)
    wanted: dict[tuple[str, str], int] = {}
    for data in items:
        wanted[data.province_code, data.type_code] = (
            wanted.get((data.province_code, data.type_code), 0) + 1
        )
    codes = {key: iter(reserve_codes(session, *key, n)) for key, n in wanted.items()}
    today = clock.today()
    facilities = []
    histories = []
    for data, checked in zip(items, checks, strict=True):
        changes = initial_changes(data, today)
        facility = Facility(
            status=data.status,
            created_by_id=actor_id,
            updated_by_id=actor_id,
            status_changed_on=changes[-1][0],
            capacity_by_group={},
        )
        facility.code = next(codes[data.province_code, data.type_code])
        _apply(facility, data, checked)
        facilities.append(facility)
        histories.append(changes)
    session.add_all(facilities)
    session.flush()
    for facility, changes in zip(facilities, histories, strict=True):
        session.add_all(_change_rows(facility, changes, reason, actor_id))
    session.flush()
    return facilities


def change_status(
    session: Session,
    facility: Facility,
    target: Status,
    *,
    effective_on: date,
    reason: str,
    actor_id: int | None,
    expected_version: int,
) -> Facility:
    """Explicit status change with a required reason; closing sets the closing date."""
    if facility.version != expected_version:
        raise ConflictError(str(_l("This facility was changed by someone else; reload it.")))
    if not reason or not reason.strip():
        raise RegistryError(str(_l("A reason is required.")), field="reason")
    if not workflow.can_transition(facility.status, target):
        raise InvalidTransition(str(_l("This status change is not allowed.")), field="status")
    _check_effective_date(facility, target, effective_on)
    set_reason(session, reason)
    session.add(
        FacilityStatusChange(
            facility_id=facility.id,
            from_status=facility.status,
            to_status=target,
            effective_on=effective_on,
            reason=reason.strip(),
            actor_id=actor_id,
        )
    )
    facility.status = target
    facility.status_changed_on = effective_on
    if target is Status.OPERATING and facility.opened_on is not None:
        # Recorded as operating since a date before its opening date: it opened then.
        facility.opened_on = min(facility.opened_on, effective_on)
    if target is Status.OPERATING and facility.opened_on is None:
        facility.opened_on = effective_on
    if target is Status.CLOSED:
        facility.closed_on = effective_on
    facility.updated_by_id = actor_id
    session.flush()
    return facility


def _check_effective_date(facility: Facility, target: Status, effective_on: date) -> None:
    """A change takes effect on a day that has come, not before the last change recorded
    after the registration, and nothing exists before it opened. A change dated before the
    registration's own record replaces it from that date (``workflow.timeline``): a facility
    registered today that has operated since 2005 is recorded as such."""
    if effective_on > clock.today():
        raise RegistryError(
            str(_l("The effective date is after today: record the change once it happens.")),
            field="effective_on",
        )
    later = [c for c in _recorded(facility) if c.from_status is not None]
    if later and effective_on < later[-1].effective_on:
        raise RegistryError(
            str(
                _l(
                    "The effective date is before the last recorded change (%(date)s).",
                    date=f"{later[-1].effective_on:%d/%m/%Y}",
                )
            ),
            field="effective_on",
        )
    opened = facility.opened_on
    if (
        opened is not None
        and effective_on < opened
        and target is not Status.OPERATING
        and workflow.is_existing(target)
    ):
        raise RegistryError(
            str(
                _l(
                    "The effective date is before the opening date (%(date)s).",
                    date=f"{opened:%d/%m/%Y}",
                )
            ),
            field="effective_on",
        )


def relocate_planned(
    session: Session,
    facility: Facility,
    lon: float,
    lat: float,
    *,
    reason: str,
    actor_id: int | None,
    expected_version: int,
) -> Facility:
    """Move a planned facility (map drag). Existing facilities are not moved this way."""
    if facility.status is not Status.PLANNED:
        raise InvalidTransition(str(_l("Only planned facilities can be moved on the map.")))
    if not reason or not reason.strip():
        raise RegistryError(str(_l("A reason is required.")), field="reason")
    data = FacilityInput.from_facility(facility)
    data.lon, data.lat = lon, lat
    data.location_source = LocationSource.MAP
    data.location_approximate = False
    data.location_precision = LocationPrecision.EXACT
    data.commune = data.district = data.old_province = None  # the new point says where
    update_facility(
        session,
        facility,
        data,
        expected_version=expected_version,
        actor_id=actor_id,
        confirm_duplicates=True,
        reason=reason.strip(),
    )
    return facility


def as_plain(facility: Facility) -> dict[str, Any]:
    """The editable fields as plain values, for conflict comparison and exports."""
    data = FacilityInput.from_facility(facility)
    return {f.name: getattr(data, f.name) for f in fields(data)}
