"""Facilities as plain dicts for pages, exports, the map and the API, with confidential
locations generalised for users who may not see them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities.models import Facility
from registry.facilities.privacy import shown_location
from registry.geography.models import AdminUnit, Edition, Level

Point = tuple[float, float]


def generalised_points(session: Session, facilities: Iterable[Facility]) -> dict[str, Point]:
    """Representative points of the current communes and provinces of these facilities,
    keyed ``commune:<code>`` / ``province:<code>``: one query, not one per facility."""
    communes = {f.commune_code for f in facilities if f.confidential and f.commune_code}
    provinces = {f.province_code for f in facilities if f.confidential}
    if not communes and not provinces:
        return {}
    rows = session.execute(
        select(AdminUnit.level, AdminUnit.code, AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            ((AdminUnit.level == Level.COMMUNE) & AdminUnit.code.in_(communes))
            | ((AdminUnit.level == Level.PROVINCE) & AdminUnit.code.in_(provinces)),
        )
    )
    return {f"{level.value}:{code}": (lon, lat) for level, code, lon, lat in rows
            if lon is not None}


def present(facility: Facility, *, may_see_exact: bool, points: dict[str, Point]) -> dict[str, Any]:
    """Every attribute a reader may see; ``generalised`` says the point is not the real one."""
    shown = shown_location(
        lon=facility.lon, lat=facility.lat, address=facility.address,
        confidential=facility.confidential, may_see_exact=may_see_exact,
        commune_point=points.get(f"commune:{facility.commune_code}"),
        province_point=points.get(f"province:{facility.province_code}"),
    )
    return {
        "id": facility.id,
        "code": facility.code,
        "name": facility.name,
        "type_code": facility.type_code,
        "type_name_vi": facility.type.name_vi,
        "type_name_en": facility.type.name_en,
        "category": facility.type.category.value,
        "ownership": facility.ownership.value,
        "managing_body": facility.managing_body,
        "status": facility.status.value,
        "status_changed_on": facility.status_changed_on,
        "province_code": facility.province_code,
        "commune_code": facility.commune_code,
        "old_province_code": facility.old_province_code,
        "district_code": facility.district_code,
        "address": shown.address,
        "lon": shown.lon,
        "lat": shown.lat,
        "generalised": shown.generalised,
        "location_approximate": facility.location_approximate or shown.generalised,
        "opened_on": facility.opened_on,
        "closed_on": facility.closed_on,
        "design_capacity": facility.design_capacity,
        "capacity_by_group": dict(facility.capacity_by_group or {}),
        "residents": facility.residents,
        "staff": facility.staff,
        "services": facility.services,
        "registration_no": facility.registration_no,
        "licence_no": facility.licence_no,
        "notes": facility.notes,
        "is_demo": facility.is_demo,
        "version": facility.version,
        "updated_at": facility.updated_at,
    }


def present_many(session: Session, facilities: list[Facility], *,
                 may_see_exact: bool) -> list[dict[str, Any]]:
    points = {} if may_see_exact else generalised_points(session, facilities)
    return [present(f, may_see_exact=may_see_exact, points=points) for f in facilities]
