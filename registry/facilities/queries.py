"""The filter shared by the list, the map, exports and the API: same query parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.facilities.models import Facility, Ownership, Status
from registry.http import INT_MAX, parse_float, parse_int

SORTS = {
    "name": Facility.name_key,  # Vietnamese alphabet (D < Đ < E), read from an index
    "code": Facility.code,
    "type": Facility.type_code,
    "status": Facility.status,
    "capacity": Facility.design_capacity,
    "residents": Facility.residents,
    "updated": Facility.updated_at,
}


# Pages past this are no page anyone reads; the list clamps to the last page anyway.
PAGE_MAX = 100_000
# Codes (province, district, commune, type) are short; a search text is a few words.
CODE_MAX_LEN = 50
QUERY_MAX_LEN = 200


def _ints(values: list[str]) -> list[int]:
    """Counts and ids fit the database's ``integer``; others are dropped."""
    ints = (parse_int(v, low=0, high=INT_MAX) for v in values)
    return [v for v in ints if v is not None]


def _int_or_none(value: str | None, high: int = INT_MAX) -> int | None:
    """A count within ``0..high`` (the database's ``integer`` by default), else ignored."""
    return parse_int(value, low=0, high=high)


def _text(value: str | None, max_len: int = CODE_MAX_LEN) -> str | None:
    """A stripped value, ignored when empty, too long or holding a NUL (PostgreSQL refuses
    NUL in text)."""
    value = (value or "").strip()
    return value if value and len(value) <= max_len and "\x00" not in value else None


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in degrees, finite and on the globe, min before max."""
    parts = (value or "").split(",")
    if len(parts) != 4:
        return None
    minx, maxx = (parse_float(parts[i], low=-180.0, high=180.0) for i in (0, 2))
    miny, maxy = (parse_float(parts[i], low=-90.0, high=90.0) for i in (1, 3))
    if minx is None or miny is None or maxx is None or maxy is None:
        return None
    if minx > maxx or miny > maxy:
        return None
    return (minx, miny, maxx, maxy)


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
        sort = args.get("sort", "name")
        return cls(
            province=_text(args.get("province")),
            district=_text(args.get("district")),
            commune=_text(args.get("commune")),
            types=[t for t in map(_text, args.getlist("type")) if t],
            ownership=Ownership(ownership) if ownership in Ownership._value2member_map_ else None,
            statuses=statuses,
            capacity_min=_int_or_none(args.get("capacity_min")),
            capacity_max=_int_or_none(args.get("capacity_max")),
            q=_text(args.get("q"), QUERY_MAX_LEN),
            bbox=_bbox(args.get("bbox")),
            sort=sort.lstrip("-") if sort.lstrip("-") in SORTS else "name",
            descending=sort.startswith("-"),
            page=max(1, _int_or_none(args.get("page"), PAGE_MAX) or 1),
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
