"""Geometry helpers: the one place where database geometries become shapely or GeoJSON.

Geometry is stored in WGS 84 (EPSG:4326). Distances are computed geodesically (pyproj) or in
a metric projection; never in degrees.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Geod
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from registry.bounds import VIETNAM_BBOX

WGS84 = 4326
GEOD = Geod(ellps="WGS84")


def to_shapely(value: Any) -> BaseGeometry | None:
    """A stored geometry (WKB/WKT element, WKT text, GeoJSON dict) as a shapely geometry."""
    if value is None:
        return None
    if isinstance(value, BaseGeometry):
        return value
    if isinstance(value, WKBElement):
        return to_shape(value)
    if isinstance(value, WKTElement):
        return shapely.from_wkt(value.data.split(";", 1)[-1])
    if isinstance(value, dict):
        return shape(value)
    if isinstance(value, str):
        return shapely.from_wkt(value.split(";", 1)[-1])
    if isinstance(value, (bytes, memoryview)):
        return shapely.from_wkb(bytes(value))
    raise TypeError(f"not a geometry: {type(value).__name__}")


def to_db(geom: BaseGeometry | None) -> WKBElement | None:
    """A shapely geometry as a value for a ``Geometry(srid=4326)`` column."""
    if geom is None:
        return None
    return from_shape(geom, srid=WGS84)


def geometry_to_wkt(value: Any) -> str | None:
    """WKT of a stored geometry, or None when the value is not a geometry."""
    try:
        geom = to_shapely(value)
    except (TypeError, shapely.errors.GEOSException):
        return None
    return geom.wkt if geom is not None else None


def to_geojson(value: Any, precision: int | None = 6) -> dict[str, Any] | None:
    geom = to_shapely(value)
    if geom is None:
        return None
    if precision is not None:
        geom = shapely.set_precision(geom, 10**-precision)
    return mapping(geom)


def point(lon: float, lat: float) -> Point:
    return Point(lon, lat)


def in_vietnam_bbox(lon: float, lat: float) -> bool:
    minx, miny, maxx, maxy = VIETNAM_BBOX
    return minx <= lon <= maxx and miny <= lat <= maxy


def distance_m(a: Point, b: Point) -> float:
    """Geodesic distance in metres between two WGS 84 points."""
    _, _, dist = GEOD.inv(a.x, a.y, b.x, b.y)
    return float(dist)


def bbox_around(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box holding every point within ``radius_m`` of (lon, lat), for an indexed
    prefilter before the exact geodesic distance: the north and south offsets, and the east
    offset taken at whichever edge lies further from the equator (meridians converge)."""
    north = GEOD.fwd(lon, lat, 0, radius_m)[1]
    south = GEOD.fwd(lon, lat, 180, radius_m)[1]
    edge = max(abs(north), abs(south))
    east = GEOD.fwd(lon, edge if lat >= 0 else -edge, 90, radius_m)[0]
    span = (east - lon) * 1.001
    return (lon - span, south, lon + span, north)
