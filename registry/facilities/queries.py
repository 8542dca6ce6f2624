"""The filter shared by the list, the map, exports and the API: same query parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, select

from registry.auth.services import scope_to_jurisdiction
from registry.facilities.models import Facility, Ownership, Status
from registry.text import fold

SORTS = {
    "name": Facility.name,
    "code": Facility.code,
    "type": Facility.type_code,
    "status": Facility.status,
    "capacity": Facility.design_capacity,
    "residents": Facility.residents,
    "updated": Facility.updated_at,
}


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@dataclass
class FacilityFilter:
    province: str | None = None
    district: str | None = None
    commune: str | None = None
    types: list[str] = field(default_factory=list)
    ownership: Ownership | None = None
    statuses: list[Status] = field(default_factory=list)
    capacity_min: int | None = None
    capacity_max: int | None = None
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> FacilityFilter:
        """Parse request arguments leniently: an unknown value is ignored, never an error."""
        statuses = [Status(s) for s in args.getlist("status") if s in Status._value2member_map_]
        ownership = args.get("ownership")
        bbox = None
        if args.get("bbox"):
            try:
                parts = [float(p) for p in args["bbox"].split(",")]
                if len(parts) == 4 and parts[0] <= parts[2] and parts[1] <= parts[3]:
                    bbox = (parts[0], parts[1], parts[2], parts[3])
            except ValueError:
                bbox = None
        sort = args.get("sort", "name")
        return cls(
            province=args.get("province") or None,
            district=args.get("district") or None,
            commune=args.get("commune") or None,
            types=[t for t in args.getlist("type") if t],
            ownership=Ownership(ownership) if ownership in Ownership._value2member_map_ else None,
            statuses=statuses,
            capacity_min=_int_or_none(args.get("capacity_min")),
            capacity_max=_int_or_none(args.get("capacity_max")),
            q=(args.get("q") or "").strip() or None,
            bbox=bbox,
            sort=sort.lstrip("-") if sort.lstrip("-") in SORTS else "name",
            descending=sort.startswith("-"),
            page=max(1, _int_or_none(args.get("page")) or 1),
        )

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """Query parameters for links (list ↔ map ↔ export keep the same filter)."""
        out: dict[str, Any] = {}
        values = {**self.__dict__, **changes}
        for key in ("province", "district", "commune", "q", "capacity_min", "capacity_max"):
            if values[key] not in (None, ""):
                out[key] = values[key]
        if values["types"]:
            out["type"] = list(values["types"])
        if values["ownership"]:
            out["ownership"] = values["ownership"].value
        if values["statuses"]:
            out["status"] = [s.value for s in values["statuses"]]
        sort = values["sort"]
        if sort != "name" or values["descending"]:
            out["sort"] = ("-" if values["descending"] else "") + sort
        if values["page"] and values["page"] != 1:
            out["page"] = values["page"]
        return out


def apply_filter(stmt: Select, flt: FacilityFilter, user: Any) -> Select:
    """Filters plus the user's jurisdiction. Closed facilities show only when asked for."""
    stmt = scope_to_jurisdiction(stmt, Facility.province_code, user)
    conditions = []
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
        conditions.append(Facility.status != Status.CLOSED)
    if flt.capacity_min is not None:
        conditions.append(Facility.design_capacity >= flt.capacity_min)
    if flt.capacity_max is not None:
        conditions.append(Facility.design_capacity <= flt.capacity_max)
    if flt.q:
        words = fold(flt.q).split()
        conditions.extend(Facility.search_text.contains(w, autoescape=True) for w in words)
    if flt.bbox:
        minx, miny, maxx, maxy = flt.bbox
        conditions.append(and_(Facility.lon.between(minx, maxx), Facility.lat.between(miny, maxy)))
    return stmt.where(*conditions) if conditions else stmt


def sorted_stmt(stmt: Select, flt: FacilityFilter) -> Select:
    column = SORTS[flt.sort]
    order = column.desc() if flt.descending else column.asc()
    return stmt.order_by(order.nulls_last() if flt.descending else order, Facility.id)


def facility_stmt(flt: FacilityFilter, user: Any) -> Select:
    return sorted_stmt(apply_filter(select(Facility), flt, user), flt)


def count_stmt(flt: FacilityFilter, user: Any) -> Select:
    return apply_filter(select(func.count(Facility.id)), flt, user)


