"""Scenarios of proposed changes: created, copied, filled with proposals, and adopted into
the registry once, all or nothing. A proposal that changes an existing facility refers to it
(``facility_id``) and never copies its location: what a scenario shows of it is the reader's
view of the facility (``item_views``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import clock
from registry.audit.context import set_reason
from registry.errors import RegistryError
from registry.facilities import read
from registry.facilities import services as facility_services
from registry.facilities.read import FacilityRecord, Reader
from registry.facilities.vocab import Ownership
from registry.facilities.vocab import Status as FacilityStatus
from registry.geography import services as geography
from registry.geography.models import Edition, Level
from registry.i18n import _l
from registry.models import utcnow
from registry.planning.models import ItemAction, Scenario, ScenarioItem
from registry.planning.services.plans import PlanningError


def visible_scenarios(session: Session, user: Any) -> list[Scenario]:
    stmt = select(Scenario).order_by(Scenario.created_at.desc(), Scenario.id.desc())
    if user.province_code is not None:
        stmt = stmt.where(Scenario.province_code == user.province_code)
    return list(session.scalars(stmt))


def create_scenario(
    session: Session,
    *,
    name: str,
    province_code: str,
    target_year: int,
    notes: str | None,
    actor_id: int | None,
) -> Scenario:
    """A new, empty scenario for one province."""
    if not name or not name.strip():
        raise PlanningError(str(_l("The name is required.")), field="name")
    scenario = Scenario(
        name=name.strip(),
        province_code=province_code,
        target_year=target_year,
        notes=notes or None,
        created_by_id=actor_id,
    )
    session.add(scenario)
    session.flush()
    return scenario


_COPIED = (
    "action",
    "facility_id",
    "name",
    "type_code",
    "ownership",
    "lon",
    "lat",
    "province_code",
    "commune_code",
    "old_province_code",
    "district_code",
    "design_capacity",
    "new_status",
    "notes",
)  # lon/lat: set on proposals only


def copy_scenario(
    session: Session, scenario: Scenario, *, name: str, actor_id: int | None
) -> Scenario:
    """A new scenario with the same items (not adopted), to try a variant."""
    new = create_scenario(
        session,
        name=name,
        province_code=scenario.province_code,
        target_year=scenario.target_year,
        notes=scenario.notes,
        actor_id=actor_id,
    )
    new.copied_from_id = scenario.id
    for item in scenario.items:
        new.items.append(ScenarioItem(**{k: getattr(item, k) for k in _COPIED}))
    session.flush()
    return new


def _ensure_open(scenario: Scenario) -> None:
    if scenario.adopted:
        raise PlanningError(str(_l("This scenario has been adopted and can no longer change.")))


def add_item(
    session: Session,
    scenario: Scenario,
    *,
    action: ItemAction,
    facility: FacilityRecord | None = None,
    name: str | None = None,
    type_code: str | None = None,
    ownership: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    design_capacity: int | None = None,
    new_status: str | None = None,
    notes: str | None = None,
) -> ScenarioItem:
    """Propose a change in the scenario; the registry is not touched. ``facility`` is the
    record (as the proposer sees it) a capacity, upgrade or closure proposal refers to."""
    _ensure_open(scenario)
    if design_capacity is not None and design_capacity < 0:
        raise PlanningError(str(_l("Cannot be negative.")), field="design_capacity")
    item = ScenarioItem(action=action, notes=notes or None, design_capacity=design_capacity)
    if action is ItemAction.ADD:
        if not name or not name.strip():
            raise PlanningError(str(_l("The name is required.")), field="name")
        if not facility_services.type_exists(session, type_code or ""):
            raise PlanningError(str(_l("Unknown facility type.")), field="type_code")
        if lon is None or lat is None:
            raise PlanningError(str(_l("The location is required.")), field="lat")
        where = geography.locate(session, lon, lat)
        if where.province is None or where.province.code != scenario.province_code:
            raise PlanningError(
                str(_l("The location is outside the scenario's province.")), field="lat"
            )
        item.name, item.type_code = name.strip(), type_code
        item.ownership = Ownership(ownership or "public").value
        item.lon, item.lat = lon, lat
        item.province_code = where.province.code
        item.commune_code = where.commune.code if where.commune else None
        item.old_province_code = where.old_province.code if where.old_province else None
        item.district_code = where.district.code if where.district else None
    else:
        if facility is None or facility.province_code != scenario.province_code:
            raise PlanningError(
                str(_l("Choose a facility of the scenario's province.")), field="facility_id"
            )
        if facility.status is FacilityStatus.CLOSED:
            raise PlanningError(str(_l("This facility is closed.")), field="facility_id")
        if action is ItemAction.CAPACITY and design_capacity is None:
            raise PlanningError(str(_l("Enter the new design capacity.")), field="design_capacity")
        if action is ItemAction.UPGRADE:
            if new_status not in FacilityStatus._value2member_map_ or new_status == "closed":
                raise PlanningError(str(_l("Choose the new status.")), field="new_status")
            item.new_status = new_status
        item.facility_id = facility.id
        item.name = facility.name
        item.type_code = facility.type_code
        item.province_code = facility.province_code
    scenario.items.append(item)
    session.flush()
    return item


def remove_item(session: Session, item: ScenarioItem) -> None:
    _ensure_open(item.scenario)
    item.scenario.items.remove(item)
    session.flush()


def adopt_scenario(
    session: Session, scenario: Scenario, *, actor_id: int | None, today: date | None = None
) -> list[Any]:
    """Write the scenario into the registry, all or nothing, once.

    New facilities are registered as *planned*; capacity changes, upgrades and closures go
    through the facility services. Every change carries the reason "Thông qua kịch bản <name>".
    """
    _ensure_open(scenario)
    today = today or clock.today()
    reason = f"Thông qua kịch bản {scenario.name}"
    created: list[Any] = []
    try:
        with session.begin_nested():
            for item in scenario.items:
                if item.action is ItemAction.ADD:
                    facility, _warnings = facility_services.register_facility(
                        session,
                        facility_services.FacilityInput(
                            name=item.name or "",
                            type_code=item.type_code or "",
                            ownership=Ownership(item.ownership or "public"),
                            province_code=item.province_code or scenario.province_code,
                            lon=float(item.lon or 0),
                            lat=float(item.lat or 0),
                            status=FacilityStatus.PLANNED,
                            design_capacity=item.design_capacity,
                            notes=item.notes,
                        ),
                        actor_id=actor_id,
                        confirm_duplicates=True,
                        reason=reason,
                        effective_on=today,
                    )
                    item.adopted_facility_id = facility.id
                    created.append(facility)
                    continue
                try:
                    facility = facility_services.for_update(session, item.facility_id or 0)
                except RegistryError:
                    raise PlanningError(
                        str(_l("A facility of this scenario no longer exists."))
                    ) from None
                if item.action in (ItemAction.UPGRADE, ItemAction.CLOSE):
                    target = (
                        FacilityStatus.CLOSED
                        if item.action is ItemAction.CLOSE
                        else FacilityStatus(item.new_status or facility.status)
                    )
                    if target is not facility.status:
                        facility_services.change_status(
                            session,
                            facility,
                            target,
                            effective_on=today,
                            reason=reason,
                            actor_id=actor_id,
                            expected_version=facility.version,
                        )
                if (
                    item.action in (ItemAction.CAPACITY, ItemAction.UPGRADE)
                    and item.design_capacity is not None
                ):
                    data = facility_services.FacilityInput.from_facility(facility)
                    data.design_capacity = item.design_capacity
                    facility_services.update_facility(
                        session,
                        facility,
                        data,
                        expected_version=facility.version,
                        actor_id=actor_id,
                        confirm_duplicates=True,
                        reason=reason,
                    )
                item.adopted_facility_id = facility.id
            set_reason(session, reason)
            scenario.adopted_at = utcnow()
            scenario.adopted_by_id = actor_id
            session.flush()
    except facility_services.ValidationFailed as exc:
        detail = "; ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
        raise PlanningError(
            str(_l("The scenario could not be adopted: %(detail)s", detail=detail))
        ) from None
    return created


@dataclass(frozen=True)
class ItemView:
    """A scenario item as one reader may see it: where it is shown and, for a change to an
    existing (or adopted) facility, that facility's record."""

    item_id: int
    lon: float | None
    lat: float | None
    generalised: bool
    facility: FacilityRecord | None


def item_views(session: Session, reader: Reader, scenario: Scenario) -> dict[int, ItemView]:
    """Where each item of the scenario is shown to the reader. A change to an existing
    facility, and an adopted proposal, is shown as the registry shows that facility; a
    proposal of a confidential type is shown at its commune's representative point to a
    reader who may not see confidential locations of the scenario's province."""
    linked = {i.facility_id or i.adopted_facility_id for i in scenario.items}
    records = {
        r.id: r
        for r in read.records(session, reader, ids=sorted(i for i in linked if i is not None))
    }
    confidential = set(read.confidential_types(session))
    exact = reader.may_see_exact and reader.covers(scenario.province_code)
    out: dict[int, ItemView] = {}
    for item in scenario.items:
        record = records.get(item.facility_id or item.adopted_facility_id or 0)
        if item.action is not ItemAction.ADD or item.adopted_facility_id:
            out[item.id] = ItemView(
                item.id,
                record.lon if record else None,
                record.lat if record else None,
                bool(record and record.generalised),
                record,
            )
        elif item.type_code in confidential and not exact:
            point = _commune_point(session, item.commune_code)
            out[item.id] = ItemView(
                item.id, point[0] if point else None, point[1] if point else None, True, None
            )
        else:
            out[item.id] = ItemView(item.id, item.lon, item.lat, False, None)
    return out


def _commune_point(session: Session, code: str | None) -> tuple[float, float] | None:
    unit = geography.unit_by_code(session, code, Edition.CURRENT, Level.COMMUNE) if code else None
    if unit is None or unit.rep_lon is None or unit.rep_lat is None:
        return None
    return unit.rep_lon, unit.rep_lat


def scenario_facilities(
    session: Session, reader: Reader, scenario: Scenario
) -> list[FacilityRecord]:
    """The open facilities of the scenario's province a proposal may refer to."""
    from registry.facilities.queries import FacilityFilter

    return read.records(session, reader, FacilityFilter(province=scenario.province_code))
