"""Siting with spopt MCLP / LSCP: existing facilities fixed, optimal on small instances."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from registry.planning import coverage as cov
from registry.planning.coverage import GEOD, DemandPoint, SupplyPoint
from registry.planning.siting import (
    CandidateSite,
    SitingError,
    suggest_sites_lscp,
    suggest_sites_mclp,
)

ORIGIN = (106.82, 10.95)


def _east(km: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(ORIGIN[0], ORIGIN[1], 90.0, km * 1000.0)
    return float(lon), float(lat)


def line_demand(populations: list[float | None]) -> list[DemandPoint]:
    """Demand points every 10 km along a line, codes d0, d1, ..."""
    return [DemandPoint(f"d{i}", *_east(10.0 * i), population=p) for i, p in enumerate(populations)]


def candidate(cid: str, km: float) -> CandidateSite:
    return CandidateSite(cid, *_east(km), name=cid.upper())


POPS: list[float | None] = [100, 100, 100, 500, 500, 50, 50, 50, 900]
CANDIDATES = [
    candidate("a", 10.0),
    candidate("b", 35.0),
    candidate("c", 60.0),
    candidate("z", 80.0),
]


@pytest.mark.parametrize(
    ("existing_km", "k", "chosen", "gain"),
    [
        ([], 1, ["b"], 1000.0),  # b (35 km) reaches d3, d4: 1000 people
        ([], 2, ["b", "z"], 1900.0),  # then z reaches d8: 900
        ([40.0], 1, ["z"], 900.0),  # an existing site already covers d3, d4: b adds nothing
        ([], 4, ["b", "z", "a", "c"], 2050.0),  # budget >= useful sites: all, no solver
    ],
)
def test_mclp_chooses_the_best_sites_with_existing_fixed(
    existing_km: list[float], k: int, chosen: list[str], gain: float
) -> None:
    existing = [SupplyPoint(f"e{i}", *_east(km)) for i, km in enumerate(existing_km)]
    result = suggest_sites_mclp(line_demand(POPS), existing, CANDIDATES, k, 6.0)
    assert [s.candidate_id for s in result.chosen] == chosen
    assert result.gain == pytest.approx(gain)
    assert sum(s.added_demand for s in result.chosen) == pytest.approx(gain)
    assert result.optimal
    assert result.basis == "population"
    assert result.demand_total == pytest.approx(2350.0)


def test_mclp_reports_each_site_and_unreachable_demand() -> None:
    result = suggest_sites_mclp(line_demand(POPS), [], CANDIDATES, 1, 6.0)
    site = result.chosen[0]
    assert (site.candidate_id, site.name) == ("b", "B")
    assert site.covered_codes == ("d3", "d4")
    assert site.standalone_demand == pytest.approx(1000.0)
    # d0, d2, d5 and d7 lie 10 km or more from every candidate, farther than 6 km.
    assert result.unreachable_codes == ("d0", "d2", "d5", "d7")
    assert result.unreachable_demand == pytest.approx(300.0)


def test_units_basis_when_population_unknown() -> None:
    result = suggest_sites_mclp(line_demand([1, None, 1, 1, 1, 1, 1, 1, 1]), [], CANDIDATES, 1, 6.0)
    assert result.basis == "units"
    assert result.gain == pytest.approx(2.0)


@pytest.mark.parametrize("seed", [3, 11])
def test_mclp_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    demand = [
        DemandPoint(f"d{i}", float(lon), float(lat), float(w))
        for i, (lon, lat, w) in enumerate(
            zip(
                rng.uniform(106.5, 107.2, 40),
                rng.uniform(10.6, 11.3, 40),
                rng.integers(1, 1000, 40),
                strict=True,
            )
        )
    ]
    candidates = [
        CandidateSite(f"c{i}", float(lon), float(lat))
        for i, (lon, lat) in enumerate(
            zip(rng.uniform(106.5, 107.2, 9), rng.uniform(10.6, 11.3, 9), strict=True)
        )
    ]
    existing = [SupplyPoint("e", 106.85, 10.95)]
    distance = 12.0
    result = suggest_sites_mclp(demand, existing, candidates, 3, distance)

    weights = np.array([d.population for d in demand], dtype=float)
    dlon = [d.lon for d in demand]
    dlat = [d.lat for d in demand]
    base = cov.nearest_within(dlon, dlat, [106.85], [10.95], distance).covered
    reach = np.zeros((len(candidates), len(demand)), dtype=bool)
    pairs = cov.pairs_within(
        [c.lon for c in candidates], [c.lat for c in candidates], dlon, dlat, distance
    )
    reach[pairs.a, pairs.b] = True
    best = max(
        float(weights[base | reach[list(combo)].any(axis=0)].sum())
        for combo in combinations(range(len(candidates)), 3)
    )
    assert result.covered_after == pytest.approx(best)
    assert result.optimal


@pytest.mark.parametrize(
    ("existing_km", "expected"),
    [([], {"a", "b", "c", "z"}), ([40.0, 80.0], {"a", "c"})],
)
def test_lscp_uses_the_fewest_sites(existing_km: list[float], expected: set[str]) -> None:
    existing = [SupplyPoint(f"e{i}", *_east(km)) for i, km in enumerate(existing_km)]
    # With 11 km every demand point can be reached; a covers d0-d2, b d3-d4, c d5-d7, z d8.
    result = suggest_sites_lscp(line_demand(POPS), existing, CANDIDATES, 11.0)
    assert {s.candidate_id for s in result.chosen} == expected
    assert result.covered_after == pytest.approx(result.demand_total)
    assert result.optimal


def test_lscp_with_nothing_left_to_cover_solves_nothing() -> None:
    existing = [SupplyPoint(f"e{i}", *_east(10.0 * i)) for i in range(9)]
    result = suggest_sites_lscp(line_demand(POPS), existing, CANDIDATES, 5.0)
    assert result.chosen == ()
    assert result.rows == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: suggest_sites_mclp(line_demand(POPS), [], CANDIDATES, 0, 5.0), "k must"),
        (lambda: suggest_sites_mclp(line_demand(POPS), [], CANDIDATES, 1, 0.0), "distance_km"),
        (
            lambda: suggest_sites_lscp([DemandPoint("x", None, None, 1.0)], [], CANDIDATES, 5.0),
            "location",
        ),
    ],
)
def test_invalid_inputs_raise(call: object, message: str) -> None:
    with pytest.raises(SitingError, match=message):
        call()  # type: ignore[operator]
