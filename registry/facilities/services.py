"""Registering and changing facilities. Services flush, never commit; the caller owns the
transaction. Business rules raise ``RegistryError`` subclasses that carry field errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.context import set_reason
from registry.errors import ConflictError, RegistryError
from registry.facilities import workflow
from registry.facilities.models import (
    CodeSequence,
    Facility,
    FacilityStatusChange,
    FacilityType,
    LocationSource,
    Ownership,
    Status,
)
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
    "opened_on",
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
    lon: float
    lat: float
    status: Status = Status.OPERATING
    managing_body: str | None = None
    address: str | None = None
    location_source: LocationSource = LocationSource.LATLON
    location_approximate: bool = False
    opened_on: date | None = None
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
        values = {f.name: getattr(facility, f.name) for f in fields(cls)}
        values["capacity_by_group"] = dict(facility.capacity_by_group or {})
        return cls(**values)

    @classmethod
    def from_record(cls, record: Any) -> FacilityInput:
        """The values as a reader sees them (``facilities.read.FacilityRecord``), e.g. for
        a conflict page; never written back for a generalised record."""
        values: dict[str, Any] = {
            f.name: getattr(record, f.name, None) for f in fields(cls) if hasattr(record, f.name)
        }
        values["capacity_by_group"] = dict(record.capacity_by_group or {})
        return cls(**values)


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

    def error(self, name: str, message: object) -> None:
        self.errors.setdefault(name, []).append(str(message))


# --- types -----------------------------------------------------------------------------------


def load_types(session: Session, path: Path = TYPES_FILE) -> int:
    """Upsert facility types from YAML; returns how many there are."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    existing = {t.code: t for t in session.scalars(select(FacilityType))}
    for order, entry in enumerate(entries):
        ftype = existing.get(entry["code"]) or FacilityType(code=entry["code"])
        ftype.name_vi = entry["name_vi"]
        ftype.name_en = entry["name_en"]
        ftype.category = entry["category"]
        ftype.residential = bool(entry.get("residential", True))
        ftype.capacity_min = entry.get("capacity_min")
        ftype.capacity_max = entry.get("capacity_max")
        ftype.capacity_source = entry.get("capacity_source")
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
    ``facilities.read``; this is only the handle a write needs)."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise RegistryError(str(_l("This facility no longer exists.")))
    return facility


@dataclass(frozen=True)
class StatusChangeRow:
    effective_on: date
    from_status: Status | None
    to_status: Status
    reason: str


def status_changes(session: Session, facility_id: int) -> list[StatusChangeRow]:
    """A facility's status history, latest first."""
    rows = session.scalars(
        select(FacilityStatusChange)
        .where(FacilityStatusChange.facility_id == facility_id)
        .order_by(FacilityStatusChange.effective_on.desc(), FacilityStatusChange.id.desc())
    )
    return [StatusChangeRow(c.effective_on, c.from_status, c.to_status, c.reason) for c in rows]


def vn2000_point(x: Any, y: Any, meridian_text: str) -> tuple[float, float]:
    """VN-2000 provincial-zone coordinates (northing ``x``, easting ``y``, the zone's central
    meridian as typed) as WGS 84 lon/lat; ``ValueError`` with a message for the user."""
    from registry.vn2000 import parse_meridian, vn2000_to_wgs84

    if x is None or y is None:
        raise ValueError(str(_l("Enter both VN-2000 coordinates.")))
    return vn2000_to_wgs84(float(x), float(y), parse_meridian(meridian_text))


# --- validation ------------------------------------------------------------------------------


class Lookups:
    """Where ``check`` finds a point's units and the facilities a record may duplicate. This
    one asks the database for each record; a batch (an import) passes a subclass that read
    them once for all its records. The rules stay in ``check`` and ``find_duplicates``."""

    def __init__(self, session: Session) -> None:
        self.session = session

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
    if not in_vietnam_bbox(data.lon, data.lat):
        result.error("location", _l("The location is outside Vietnam."))
    else:
        units = lookups.locate(data.lon, data.lat)
        result.units = units
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
    if data.residents is not None and data.residents < 0:
        result.error("residents", _l("Cannot be negative."))
    if data.design_capacity is not None and data.design_capacity < 0:
        result.error("design_capacity", _l("Cannot be negative."))
    if (
        data.residents is not None
        and data.design_capacity is not None
        and data.residents > data.design_capacity
    ):
        result.error(
            "residents",
            _l(
                "Residents (%(residents)d) exceed the design capacity (%(capacity)d).",
                residents=data.residents,
                capacity=data.design_capacity,
            ),
        )
    if ftype is not None and data.design_capacity is not None:
        _check_capacity_bounds(result, ftype, data, current)
    if ftype is not None and not result.errors:
        result.duplicates = find_duplicates(
            session,
            type_code=data.type_code,
            lon=data.lon,
            lat=data.lat,
            name=data.name,
            commune_code=result.units.commune.code
            if result.units and result.units.commune
            else None,
            exclude_id=current.id if current else None,
            lookups=lookups,
        )
    return result


def _check_capacity_bounds(
    result: Checked, ftype: FacilityType, data: FacilityInput, current: Facility | None
) -> None:
    """Outside the type's design bounds: an error for planned facilities (they can still be
    designed right), a warning for existing ones (the registry records what is there)."""
    low, high, cap = ftype.capacity_min, ftype.capacity_max, data.design_capacity
    if cap is None or ((low is None or cap >= low) and (high is None or cap <= high)):
        return
    message = _l(
        "Design capacity %(capacity)d is outside %(low)s–%(high)s for this type (%(source)s).",
        capacity=cap,
        low=low if low is not None else "…",
        high=high if high is not None else "…",
        source=ftype.capacity_source or "",
    )
    status = current.status if current else data.status
    if status in (Status.PLANNED, Status.UNDER_CONSTRUCTION):
        result.error("design_capacity", message)
    else:
        result.warnings.append(str(message))


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
    facility.geom = to_db(point(data.lon, data.lat))
    units = checked.units
    facility.commune_code = units.commune.code if units and units.commune else None
    facility.old_province_code = units.old_province.code if units and units.old_province else None
    facility.district_code = units.district.code if units and units.district else None
    if units and units.approximate:
        facility.location_approximate = True
    public = (facility.code or "", data.name, data.managing_body or "")
    facility.search_public = " ".join(fold(part) for part in public if part)
    facility.search_text = " ".join(fold(part) for part in (*public, data.address or "") if part)


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
    """Create a facility with a new registry code; returns it and any warnings."""
    checked = check(session, data, lookups=lookups)
    _raise_if_invalid(checked, confirm_duplicates)
    set_reason(session, reason)
    facility = Facility(
        status=data.status,
        created_by_id=actor_id,
        updated_by_id=actor_id,
        status_changed_on=effective_on or date.today(),
        capacity_by_group={},
    )
    facility.code = next_code(session, data.province_code, data.type_code)
    _apply(facility, data, checked)
    session.add(facility)
    session.flush()
    session.add(
        FacilityStatusChange(
            facility_id=facility.id,
            from_status=None,
            to_status=data.status,
            effective_on=data.opened_on or facility.status_changed_on,
            reason=reason or str(_l("Registered")),
            actor_id=actor_id,
        )
    )
    session.flush()
    return facility, checked.warnings


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
    _apply(facility, data, checked)
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
    today = date.today()
    facilities = []
    for data, checked in zip(items, checks, strict=True):
        facility = Facility(
            status=data.status,
            created_by_id=actor_id,
            updated_by_id=actor_id,
            status_changed_on=today,
            capacity_by_group={},
        )
        facility.code = next(codes[data.province_code, data.type_code])
        _apply(facility, data, checked)
        facilities.append(facility)
    session.add_all(facilities)
    session.flush()
    session.add_all(
        FacilityStatusChange(
            facility_id=facility.id,
            from_status=None,
            to_status=data.status,
            effective_on=data.opened_on or today,
            reason=reason or str(_l("Registered")),
            actor_id=actor_id,
        )
        for facility, data in zip(facilities, items, strict=True)
    )
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
    if target is Status.OPERATING and facility.opened_on is None:
        facility.opened_on = effective_on
    if target is Status.CLOSED:
        facility.closed_on = effective_on
    facility.updated_by_id = actor_id
    session.flush()
    return facility


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
