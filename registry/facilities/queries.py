"""The filter shared by the list, the map, exports and the API: same query parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.facilities.models import Facility, Ownership, Status

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
