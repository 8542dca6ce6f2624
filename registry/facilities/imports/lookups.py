"""Batch data access for an import: the units and nearby facilities of a whole file, read once."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities import services
from registry.facilities.models import Facility, Status
from registry.geo import in_vietnam_bbox
from registry.geography import services as geography


class BatchLookups(services.Lookups):
    """The units and possible duplicates of all a file's points, read once: the outlines
    around the file's extent, and the open facilities near it on a 0.01° grid. Facilities
    written by the import itself are not in it: duplicates were confirmed before writing.
    Rows that name only units get their point from ``check``; a point outside the file's
    extent is looked up as ``services.Lookups`` does."""

    CELL = 0.01

    def __init__(self, session: Session, records: list[services.FacilityInput]) -> None:
        super().__init__(session)
        points = [
            (r.lon, r.lat)
            for r in records
            if r.lon is not None and r.lat is not None and in_vietnam_bbox(r.lon, r.lat)
        ]
        self.bounds: tuple[float, float, float, float] | None = None
        self.locator: geography.Locator | None = None
        self.grid: dict[tuple[str, int, int], list[Facility]] = {}
        self.communes: dict[str, list[Facility]] = {}
        if not points:
            return
        xs, ys = [x for x, _ in points], [y for _, y in points]
        bounds = self.bounds = (min(xs), min(ys), max(xs), max(ys))
        self.locator = geography.Locator(session, bounds)
        pad = 2 * self.CELL
        nearby = select(Facility).where(
            Facility.status != Status.CLOSED,
            Facility.lon.between(bounds[0] - pad, bounds[2] + pad),
            Facility.lat.between(bounds[1] - pad, bounds[3] + pad),
        )
        for facility in session.scalars(nearby).unique():
            key = (facility.type_code, *self._cell(facility.lon, facility.lat))
            self.grid.setdefault(key, []).append(facility)

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.CELL), math.floor(lat / self.CELL)

    def _inside(self, lon: float, lat: float) -> bool:
        if self.bounds is None:
            return False
        minx, miny, maxx, maxy = self.bounds
        return minx <= lon <= maxx and miny <= lat <= maxy

    def locate(self, lon: float, lat: float) -> geography.Location:
        if self.locator is None or not self._inside(lon, lat):
            return super().locate(lon, lat)
        return self.locator.locate(lon, lat)

    def near(self, type_code: str, lon: float, lat: float, pad: float) -> list[Facility]:
        if self.locator is None or pad > self.CELL or not self._inside(lon, lat):
            return list(super().near(type_code, lon, lat, pad))
        cx, cy = self._cell(lon, lat)
        return [
            f
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for f in self.grid.get((type_code, cx + dx, cy + dy), ())
            if abs(f.lon - lon) <= pad and abs(f.lat - lat) <= pad
        ]

    def in_commune(self, commune_code: str) -> list[Facility]:
        if commune_code not in self.communes:
            self.communes[commune_code] = list(super().in_commune(commune_code))
        return self.communes[commune_code]
