"""Coverage analysis: geodesic-exact thresholds, per-unit and per-group results."""

from __future__ import annotations

import numpy as np
import pytest

from registry.planning import coverage as cov
from registry.planning.coverage import GEOD, DemandPoint, SupplyPoint

BUON_MA_THUOT = (108.05, 12.67)


def _at(
    km: float, azimuth: float = 0.0, origin: tuple[float, float] = BUON_MA_THUOT
) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, km * 1000.0)
    return float(lon), float(lat)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [((106.0, 0.0), (106.1, 0.0), 11.132), ((105.85, 21.03), (105.85, 21.03), 0.0)],
)
def test_geodesic_km(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    got = cov.geodesic_km(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))
    assert got[0] == pytest.approx(km, abs=1e-3)


@pytest.mark.parametrize(
    ("supply_km", "azimuth", "distance", "covered"),
    [
        (9.99, 0.0, 10.0, True),
        (10.01, 0.0, 10.0, False),
        (9.995, 90.0, 10.0, True),
        (10.005, 90.0, 10.0, False),
        (0.0, 0.0, 0.5, True),
    ],
)
def test_threshold_is_geodesic(
    supply_km: float, azimuth: float, distance: float, covered: bool
) -> None:
    s = _at(supply_km, azimuth)
    result = cov.nearest_within([BUON_MA_THUOT[0]], [BUON_MA_THUOT[1]], [s[0]], [s[1]], distance)
    assert bool(result.covered[0]) is covered
    assert result.distance_km[0] == pytest.approx(supply_km, abs=1e-6)


def test_no_supply_means_nothing_covered() -> None:
    result = cov.nearest_within([108.0, 108.1], [12.0, 12.1], [], [], 10.0)
    assert result.covered.tolist() == [False, False]
    assert result.index.tolist() == [-1, -1]
    assert np.isinf(result.distance_km).all()


def _random_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    # Spread over the whole country's extent, where the projection distorts most.
    return rng.uniform(102.2, 109.4, n), rng.uniform(8.6, 23.3, n)


def _brute_force(
    dlon: np.ndarray, dlat: np.ndarray, slon: np.ndarray, slat: np.ndarray
) -> np.ndarray:
    a = np.repeat(np.arange(dlon.size), slon.size)
    b = np.tile(np.arange(slon.size), dlon.size)
    return cov.geodesic_km(dlon[a], dlat[a], slon[b], slat[b]).reshape(dlon.size, slon.size)


@pytest.mark.parametrize(("seed", "distance"), [(1, 25.0), (2, 60.0), (3, 120.0)])
def test_national_coverage_matches_brute_force(seed: int, distance: float) -> None:
    rng = np.random.default_rng(seed)
    dlon, dlat = _random_points(rng, 300)
    slon, slat = _random_points(rng, 200)
    full = _brute_force(dlon, dlat, slon, slat)
    result = cov.nearest_within(dlon, dlat, slon, slat, distance)
    assert result.covered.tolist() == (full.min(axis=1) <= distance).tolist()
    covered = result.covered
    assert np.allclose(result.distance_km[covered], full.min(axis=1)[covered])

    pairs = cov.pairs_within(dlon, dlat, slon, slat, distance)
    expected = set(zip(*np.nonzero(full <= distance), strict=True))
    assert set(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == {
        (int(i), int(j)) for i, j in expected
    }


def test_pairs_within_self_lists_each_pair_once() -> None:
    lon, lat = zip(*[_at(0.0), _at(1.0), _at(2.5), _at(50.0)], strict=True)
    pairs = cov.pairs_within_self(list(lon), list(lat), 2.0)
    assert sorted(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == [(0, 1), (1, 2)]


def _demand(km: float, population: float | None, group: str, code: str) -> DemandPoint:
    lon, lat = _at(km)
    return DemandPoint(code, lon, lat, population, name=code, group_code=group)


@pytest.mark.parametrize(
    ("populations", "basis", "share"),
    [((100.0, 300.0, 600.0), "population", 40.0), ((100.0, None, 600.0), "units", 200 / 3)],
)
def test_analysis_per_unit_and_group(
    populations: tuple[float | None, ...], basis: str, share: float
) -> None:
    demand = [
        _demand(0.0, populations[0], "A", "a1"),
        _demand(5.0, populations[1], "A", "a2"),
        _demand(30.0, populations[2], "B", "b1"),
    ]
    analysis = cov.analyse_coverage(demand, [SupplyPoint("s", *_at(2.0))], 10.0)
    assert [p.covered for p in analysis.points] == [True, True, False]
    assert [p.nearest_id for p in analysis.points] == ["s", "s", "s"]
    assert analysis.points[2].nearest_km == pytest.approx(28.0, abs=1e-6)
    assert analysis.points[2].uncovered_population == populations[2]
    assert analysis.total.basis == basis
    assert analysis.total.share_pct == pytest.approx(share)
    groups = {g.group_code: g for g in analysis.groups}
    assert (groups["A"].units_covered, groups["B"].units_covered) == (2, 0)
    assert groups["B"].population_uncovered == 600.0
    assert groups["B"].share_pct == 0.0


def test_unlocated_demand_is_reported_not_guessed() -> None:
    demand = [DemandPoint("x", None, None, 1000.0), _demand(0.0, 500.0, "A", "a")]
    analysis = cov.analyse_coverage(demand, [SupplyPoint(1, *_at(0.0))], 5.0)
    assert analysis.points[0].covered is None
    assert analysis.points[0].covered_population is None
    assert analysis.total.units_located == 1
    assert analysis.total.population_total == 500.0
    assert analysis.total.basis == "population"


def test_empty_inputs() -> None:
    analysis = cov.analyse_coverage([], [], 10.0)
    assert analysis.points == ()
    assert analysis.total.share_pct is None
