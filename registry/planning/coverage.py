"""Coverage analysis: which demand points (unit representative points) lie within D km of a
facility, and how much population that covers, per unit and per group of units.

Pure: plain dataclasses and numpy arrays in, plain dataclasses out; no database, no Flask.

Distances (DESIGN.md §3: "never in degrees"):

* Candidate pairs are found on projected coordinates with a shapely 2 ``STRtree``
  (``query_nearest`` and ``query(..., predicate="dwithin")``), vectorised over all points.
* The projection is a **local azimuthal equidistant projection** (``+proj=aeqd`` on the WGS 84
  ellipsoid) centred on the bounding box of the points of one analysis. We chose it over a
  single UTM zone because Vietnam spans UTM zones 48N and 49N (islands reach 50N), where one zone
  distorts distances by 1 to 2 % at its far side; the local AEQD distorts by under 0.5 % over the
  whole country and by far less than 0.1 % within one province.
* The projection only *selects* candidates. Every distance that is reported or compared with a
  threshold is the geodesic distance on WGS 84 (``pyproj.Geod.inv``). Because the AEQD never
  shrinks distances and enlarges them at most by a factor ``k = (r/R) / sin(r/R)`` (r: the
  largest distance of a point from the centre), planar searches use the radius ``D·k`` and the
  geodesic check makes the result exact: a point is covered iff some facility is within D km
  along the ellipsoid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer

GEOD = Geod(ellps="WGS84")
MEAN_EARTH_RADIUS_M = 6_371_008.8
# Extra room on the planar search radius for the ellipsoid and rounding; only affects how many
# candidates the geodesic check sees, never the result.
_SEARCH_MARGIN = 1.01

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@lru_cache(maxsize=64)
def _aeqd_transformer(lon_0: float, lat_0: float) -> Transformer:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat_0} +lon_0={lon_0} +datum=WGS84 +units=m")
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """An azimuthal equidistant projection centred on (``lon_0``, ``lat_0``), in metres."""

    lon_0: float
    lat_0: float

    @classmethod
    def around(cls, lon: FloatArray, lat: FloatArray) -> LocalProjection:
        """The projection centred on the bounding box of the points (rounded to 0.01°)."""
        if lon.size == 0:
            return cls(106.0, 16.0)
        lon_0 = round((float(np.min(lon)) + float(np.max(lon))) / 2, 2)
        lat_0 = round((float(np.min(lat)) + float(np.max(lat))) / 2, 2)
        return cls(lon_0, lat_0)

    def forward(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = _aeqd_transformer(self.lon_0, self.lat_0).transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    @staticmethod
    def scale_bound(x: FloatArray, y: FloatArray) -> float:
        """Largest factor by which planar distances between these points exceed true ones."""
        if x.size == 0:
            return 1.0
        rho = float(np.sqrt(np.max(x * x + y * y))) / MEAN_EARTH_RADIUS_M
        if rho < 1e-9:
            return 1.0
        return rho / np.sin(min(rho, 3.0)) * _SEARCH_MARGIN


def _as_array(values: Sequence[float] | FloatArray) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def geodesic_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    """Geodesic distances on WGS 84, element by element, in km."""
    if np.size(lon1) == 0:
        return np.zeros(0, dtype=np.float64)
    _, _, metres = GEOD.inv(_as_array(lon1), _as_array(lat1), _as_array(lon2), _as_array(lat2))
    return np.asarray(metres, dtype=np.float64) / 1000.0


@dataclass(frozen=True, slots=True)
class NearestResult:
    """Per demand point: the nearest supply index (-1: none), its distance, whether covered."""

    index: IntArray
    distance_km: FloatArray
    covered: BoolArray


@dataclass(frozen=True, slots=True)
class PairResult:
    """All (a, b) pairs with a geodesic distance of at most the threshold."""

    a: IntArray
    b: IntArray
    distance_km: FloatArray


def _project_together(
    *arrays: tuple[FloatArray, FloatArray],
) -> tuple[list[tuple[FloatArray, FloatArray]], float]:
    all_lon = np.concatenate([lon for lon, _ in arrays])
    all_lat = np.concatenate([lat for _, lat in arrays])
    projection = LocalProjection.around(all_lon, all_lat)
    projected = [projection.forward(lon, lat) for lon, lat in arrays]
    all_x = np.concatenate([x for x, _ in projected])
    all_y = np.concatenate([y for _, y in projected])
    return projected, LocalProjection.scale_bound(all_x, all_y)


def pairs_within(
    a_lon: Sequence[float] | FloatArray,
    a_lat: Sequence[float] | FloatArray,
    b_lon: Sequence[float] | FloatArray,
    b_lat: Sequence[float] | FloatArray,
    distance_km: float,
) -> PairResult:
    """Every pair (point of A, point of B) at most ``distance_km`` apart (geodesic)."""
    alon, alat, blon, blat = map(_as_array, (a_lon, a_lat, b_lon, b_lat))
    empty = PairResult(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    if alon.size == 0 or blon.size == 0:
        return empty
    ((ax, ay), (bx, by)), k = _project_together((alon, alat), (blon, blat))
    tree = shapely.STRtree(shapely.points(bx, by))
    found = tree.query(
        shapely.points(ax, ay), predicate="dwithin", distance=distance_km * 1000.0 * k + 1.0
    )
    ia = found[0].astype(np.int64)
    ib = found[1].astype(np.int64)
    dist = geodesic_km(alon[ia], alat[ia], blon[ib], blat[ib])
    keep = dist <= distance_km
    return PairResult(ia[keep], ib[keep], dist[keep])


def pairs_within_self(
    lon: Sequence[float] | FloatArray, lat: Sequence[float] | FloatArray, distance_km: float
) -> PairResult:
    """Every pair (i < j) of points at most ``distance_km`` apart (geodesic)."""
    pairs = pairs_within(lon, lat, lon, lat, distance_km)
    keep = pairs.a < pairs.b
    return PairResult(pairs.a[keep], pairs.b[keep], pairs.distance_km[keep])


def nearest_within(
    demand_lon: Sequence[float] | FloatArray,
    demand_lat: Sequence[float] | FloatArray,
    supply_lon: Sequence[float] | FloatArray,
    supply_lat: Sequence[float] | FloatArray,
    distance_km: float,
) -> NearestResult:
    """For each demand point, the nearest supply point and whether it lies within D km.

    ``covered`` is exact (geodesic). ``distance_km`` is the geodesic distance to the planar
    nearest supply point, which is the true nearest one whenever the point is covered, and
    within the projection's scale bound of it otherwise.
    """
    dlon, dlat, slon, slat = map(_as_array, (demand_lon, demand_lat, supply_lon, supply_lat))
    n = dlon.size
    index = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf, dtype=np.float64)
    covered = np.zeros(n, dtype=np.bool_)
    if n == 0 or slon.size == 0:
        return NearestResult(index, dist, covered)
    ((dx, dy), (sx, sy)), k = _project_together((dlon, dlat), (slon, slat))
    tree = shapely.STRtree(shapely.points(sx, sy))
    found = tree.query_nearest(shapely.points(dx, dy), all_matches=False)
    index[found[0]] = found[1]
    dist[found[0]] = geodesic_km(dlon[found[0]], dlat[found[0]], slon[found[1]], slat[found[1]])
    covered = dist <= distance_km
    # The planar nearest may be slightly farther (geodesically) than another point: settle the
    # few ambiguous cases with an exact radius search.
    unsure = np.flatnonzero(~covered & (dist <= distance_km * k))
    if unsure.size:
        pairs = pairs_within(dlon[unsure], dlat[unsure], slon, slat, distance_km)
        for a, b, d in zip(
            pairs.a.tolist(), pairs.b.tolist(), pairs.distance_km.tolist(), strict=True
        ):
            i = unsure[a]
            if d < dist[i]:
                dist[i] = d
                index[i] = b
            covered[i] = True
    return NearestResult(index, dist, covered)


# --- per-unit coverage ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandPoint:
    """A place whose population needs a facility nearby: usually a unit's representative point.

    ``group_code`` groups points for summaries (e.g. a commune's province or district).
    ``population`` is None when unknown; the analysis then counts units instead of people.
    """

    code: str
    lon: float | None
    lat: float | None
    population: float | None = None
    name: str = ""
    group_code: str | None = None


@dataclass(frozen=True, slots=True)
class SupplyPoint:
    """A facility location (lon/lat, WGS 84)."""

    id: int | str
    lon: float
    lat: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class PointCoverage:
    """One demand point's result. ``covered`` is None when the point has no location."""

    code: str
    name: str
    group_code: str | None
    population: float | None
    covered: bool | None
    nearest_id: int | str | None
    nearest_km: float | None

    @property
    def covered_population(self) -> float | None:
        if self.population is None or self.covered is None:
            return None
        return self.population if self.covered else 0.0

    @property
    def uncovered_population(self) -> float | None:
        if self.population is None or self.covered is None:
            return None
        return 0.0 if self.covered else self.population


@dataclass(frozen=True, slots=True)
class GroupCoverage:
    """Summary of a group of demand points.

    ``basis`` is ``"population"`` when every located point of the group has a known population
    (then ``share_pct`` is the share of people covered) and ``"units"`` otherwise (then
    ``share_pct`` is the share of *units* covered, and population figures are partial).
    """

    group_code: str | None
    units_total: int
    units_located: int
    units_covered: int
    population_known_units: int
    population_total: float
    population_covered: float
    population_uncovered: float
    basis: str
    share_pct: float | None


@dataclass(frozen=True, slots=True)
class CoverageAnalysis:
    """Coverage of demand points by facilities within ``distance_km``."""

    distance_km: float
    points: tuple[PointCoverage, ...]
    groups: tuple[GroupCoverage, ...]
    total: GroupCoverage


def _summarise(group_code: str | None, rows: Sequence[PointCoverage]) -> GroupCoverage:
    located = [r for r in rows if r.covered is not None]
    covered = [r for r in located if r.covered]
    known = [r for r in located if r.population is not None]
    pop_total = float(sum(r.population or 0.0 for r in known))
    pop_cov = float(sum(r.population or 0.0 for r in known if r.covered))
    complete = bool(located) and len(known) == len(located)
    share: float | None
    if complete and pop_total > 0:
        basis, share = "population", 100.0 * pop_cov / pop_total
    else:
        basis = "units"
        share = 100.0 * len(covered) / len(located) if located else None
    return GroupCoverage(
        group_code=group_code,
        units_total=len(rows),
        units_located=len(located),
        units_covered=len(covered),
        population_known_units=len(known),
        population_total=pop_total,
        population_covered=pop_cov,
        population_uncovered=pop_total - pop_cov,
        basis=basis,
        share_pct=share,
    )


def analyse_coverage(
    demand: Sequence[DemandPoint], supply: Sequence[SupplyPoint], distance_km: float
) -> CoverageAnalysis:
    """Population covered and not covered by ``supply`` within ``distance_km``, per point and
    per ``group_code``. A point is covered when a facility lies within D km of it (geodesic)."""
    located = [i for i, d in enumerate(demand) if d.lon is not None and d.lat is not None]
    dlon = np.fromiter((demand[i].lon for i in located), np.float64, len(located))
    dlat = np.fromiter((demand[i].lat for i in located), np.float64, len(located))
    slon = np.fromiter((s.lon for s in supply), np.float64, len(supply))
    slat = np.fromiter((s.lat for s in supply), np.float64, len(supply))
    nearest = nearest_within(dlon, dlat, slon, slat, distance_km)

    by_index: dict[int, tuple[bool, int | str | None, float | None]] = {}
    for pos, i in enumerate(located):
        j = int(nearest.index[pos])
        by_index[i] = (
            bool(nearest.covered[pos]),
            supply[j].id if j >= 0 else None,
            float(nearest.distance_km[pos]) if j >= 0 else None,
        )
    points = []
    for i, d in enumerate(demand):
        covered, nearest_id, nearest_km = by_index.get(i, (None, None, None))
        points.append(
            PointCoverage(
                d.code, d.name, d.group_code, d.population, covered, nearest_id, nearest_km
            )
        )
    grouped: dict[str | None, list[PointCoverage]] = {}
    for row in points:
        grouped.setdefault(row.group_code, []).append(row)
    groups = tuple(
        _summarise(code, rows)
        for code, rows in sorted(
            grouped.items(), key=lambda item: "" if item[0] is None else item[0]
        )
    )
    return CoverageAnalysis(distance_km, tuple(points), groups, _summarise(None, points))
