"""Siting suggestions: where new facilities would cover the most demand (PySAL ``spopt``).

Two models, both with the existing facilities **fixed** (pre-selected, they cannot be dropped):

* **MCLP** (maximal covering location problem, ``spopt.locate.MCLP``): choose ``k`` new sites
  among candidate points to maximise the demand (population, or units when populations are not
  all known) lying within ``distance_km`` of some facility.
* **LSCP** (location set covering problem, ``spopt.locate.LSCP``): the fewest new sites so that
  every demand point that *can* be covered is within ``distance_km`` of a facility.

Coverage is geodesic (see ``registry.planning.coverage``). spopt builds a dense model, one term
per (demand point, candidate) pair, so before calling it we apply exact reductions that leave
the optimum unchanged:

* every existing facility becomes one pre-selected column, the "existing network", covering
  one aggregated row that carries all demand already covered (``predefined_facilities_arr``);
* demand no candidate can reach is dropped (nothing can change it) and reported as
  unreachable;
* demand points reached by exactly the same set of candidates are merged into one row whose
  weight is their sum;
* candidates that reach no uncovered demand are dropped; when no more than ``k`` candidates
  remain, they are all chosen without calling the solver.

The solver is CBC through PuLP, ``PULP_CBC_CMD(msg=False, timeLimit=...)``. When the time limit
stops it before optimality, the best solution found is returned with ``optimal=False``.

``spopt`` is imported on first use (it takes a few seconds to import), so importing this
module stays cheap for the web app.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pulp

from registry.planning import coverage as cov

if TYPE_CHECKING:
    from spopt.locate import LSCP, MCLP

DEFAULT_TIME_LIMIT_S = 30.0


class SitingError(ValueError):
    """Siting cannot run with these inputs, or the solver found no solution."""


@dataclass(frozen=True, slots=True)
class CandidateSite:
    """A point where a new facility could be built."""

    id: str
    lon: float
    lat: float
    name: str = ""


@dataclass(frozen=True, slots=True)
class ChosenSite:
    """A suggested site and the coverage it adds.

    ``added_demand`` attributes newly covered demand to sites in the order listed (largest
    first), so the values add up to the model's total gain; ``standalone_demand`` is what the
    site would add on its own to the existing network.
    """

    candidate_id: str
    name: str
    added_demand: float
    standalone_demand: float
    covered_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SitingResult:
    """The suggestion of one model run.

    ``basis`` says what demand counts: ``population`` when every demand point has a known
    population, else ``units`` (each point weighs 1).
    """

    model: str
    distance_km: float
    k: int | None
    chosen: tuple[ChosenSite, ...]
    basis: str
    demand_total: float
    covered_before: float
    covered_after: float
    unreachable_demand: float
    unreachable_codes: tuple[str, ...]
    optimal: bool
    solver_status: str
    solve_seconds: float
    rows: int
    columns: int

    @property
    def gain(self) -> float:
        return self.covered_after - self.covered_before


@dataclass(slots=True)
class _Problem:
    """The reduced instance handed to spopt."""

    weights: np.ndarray  # per demand point
    basis: str
    covered_before: np.ndarray  # bool per demand point
    reach: list[list[int]]  # candidate index -> uncovered demand indices it reaches
    row_members: list[list[int]]  # merged row -> demand indices
    row_candidates: list[tuple[int, ...]]  # merged row -> candidate indices
    useful: list[int]  # candidate indices reaching some uncovered demand
    unreachable: np.ndarray  # bool per demand point


def _prepare(
    demand: Sequence[cov.DemandPoint],
    existing: Sequence[cov.SupplyPoint],
    candidates: Sequence[CandidateSite],
    distance_km: float,
) -> _Problem:
    if distance_km <= 0:
        raise SitingError("distance_km must be positive")
    if any(d.lon is None or d.lat is None for d in demand):
        raise SitingError("every demand point needs a location")
    dlon = np.array([d.lon for d in demand], dtype=np.float64)
    dlat = np.array([d.lat for d in demand], dtype=np.float64)
    if all(d.population is not None for d in demand) and demand:
        weights, basis = np.array([float(d.population or 0) for d in demand]), "population"
    else:
        weights, basis = np.ones(len(demand)), "units"
    before = cov.nearest_within(
        dlon, dlat, [s.lon for s in existing], [s.lat for s in existing], distance_km
    ).covered
    pairs = cov.pairs_within(
        [c.lon for c in candidates], [c.lat for c in candidates], dlon, dlat, distance_km
    )
    reach: list[list[int]] = [[] for _ in candidates]
    reached_by: list[list[int]] = [[] for _ in demand]
    for c, d in zip(pairs.a.tolist(), pairs.b.tolist(), strict=True):
        if not before[d]:
            reach[c].append(d)
            reached_by[d].append(c)
    rows: dict[tuple[int, ...], list[int]] = {}
    for d, cands in enumerate(reached_by):
        if cands:
            rows.setdefault(tuple(sorted(cands)), []).append(d)
    unreachable = np.array(
        [not before[d] and not reached_by[d] for d in range(len(demand))], dtype=bool
    )
    return _Problem(
        weights=weights,
        basis=basis,
        covered_before=before,
        reach=reach,
        row_members=list(rows.values()),
        row_candidates=list(rows.keys()),
        useful=[c for c, hit in enumerate(reach) if hit],
        unreachable=unreachable,
    )


def _cost_matrix(problem: _Problem, with_existing: bool) -> tuple[np.ndarray, dict[int, int]]:
    """Rows: [existing-covered aggregate] + merged rows; columns: [existing] + useful sites.

    Entries are 0 where a column reaches a row and +inf elsewhere (spopt keeps cost <= radius).
    """
    offset = 1 if with_existing else 0
    column = {c: j + offset for j, c in enumerate(problem.useful)}
    cost = np.full((len(problem.row_candidates) + offset, len(problem.useful) + offset), np.inf)
    if with_existing:
        cost[0, 0] = 0.0
    for r, cands in enumerate(problem.row_candidates):
        cost[r + offset, [column[c] for c in cands]] = 0.0
    return cost, column


def _solver(time_limit_s: float) -> pulp.LpSolver:
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)


def _solve(model: MCLP | LSCP, time_limit_s: float) -> tuple[bool, str]:
    try:
        model.solve(_solver(time_limit_s), results=False)
    except RuntimeError as exc:  # spopt: "Model is not solved: ..."
        raise SitingError(str(exc)) from None
    sol_status = model.problem.sol_status
    return sol_status == pulp.LpSolutionOptimal, pulp.LpSolution[sol_status]


def _chosen_columns(model: MCLP | LSCP, column: dict[int, int]) -> list[int]:
    values = {j: (var.value() or 0.0) for j, var in enumerate(model.fac_vars)}
    return [c for c, j in column.items() if values[j] > 0.5]


def _attribute(
    problem: _Problem,
    chosen: list[int],
    demand: Sequence[cov.DemandPoint],
    candidates: Sequence[CandidateSite],
) -> tuple[tuple[ChosenSite, ...], float]:
    """Order chosen sites by gain (largest first) and credit each demand point once."""
    w = problem.weights
    standalone = {c: float(w[problem.reach[c]].sum()) for c in chosen}
    taken = np.zeros(len(w), dtype=bool)
    sites = []
    remaining = list(chosen)
    while remaining:
        best = max(
            remaining,
            key=lambda c: (float(w[[d for d in problem.reach[c] if not taken[d]]].sum()), -c),
        )
        remaining.remove(best)
        new = [d for d in problem.reach[best] if not taken[d]]
        taken[new] = True
        cand = candidates[best]
        sites.append(
            ChosenSite(
                cand.id,
                cand.name,
                float(w[new].sum()),
                standalone[best],
                tuple(demand[d].code for d in sorted(problem.reach[best])),
            )
        )
    return tuple(sites), float(w[taken].sum())


def _result(
    model_name: str,
    problem: _Problem,
    demand: Sequence[cov.DemandPoint],
    candidates: Sequence[CandidateSite],
    chosen: list[int],
    distance_km: float,
    k: int | None,
    optimal: bool,
    status: str,
    seconds: float,
    rows: int,
    columns: int,
) -> SitingResult:
    sites, gain = _attribute(problem, chosen, demand, candidates)
    before = float(problem.weights[problem.covered_before].sum())
    return SitingResult(
        model=model_name,
        distance_km=distance_km,
        k=k,
        chosen=sites,
        basis=problem.basis,
        demand_total=float(problem.weights.sum()),
        covered_before=before,
        covered_after=before + gain,
        unreachable_demand=float(problem.weights[problem.unreachable].sum()),
        unreachable_codes=tuple(
            demand[i].code for i in np.flatnonzero(problem.unreachable).tolist()
        ),
        optimal=optimal,
        solver_status=status,
        solve_seconds=seconds,
        rows=rows,
        columns=columns,
    )


def suggest_sites_mclp(
    demand: Sequence[cov.DemandPoint],
    existing: Sequence[cov.SupplyPoint],
    candidates: Sequence[CandidateSite],
    k: int,
    distance_km: float,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> SitingResult:
    """Choose ``k`` candidate sites maximising demand within ``distance_km`` (existing fixed)."""
    if k < 1:
        raise SitingError("k must be at least 1")
    started = time.perf_counter()
    problem = _prepare(demand, existing, candidates, distance_km)
    if len(problem.useful) <= k:
        # Every useful candidate fits in the budget: that is optimal, no solver needed.
        return _result(
            "MCLP",
            problem,
            demand,
            candidates,
            problem.useful,
            distance_km,
            k,
            True,
            "Optimal (all useful candidates)",
            time.perf_counter() - started,
            0,
            0,
        )
    from spopt.locate import MCLP

    with_existing = bool(existing)
    cost, column = _cost_matrix(problem, with_existing)
    row_weights = [float(problem.weights[m].sum()) for m in problem.row_members]
    if with_existing:
        row_weights.insert(0, float(problem.weights[problem.covered_before].sum()))
    predefined = None
    if with_existing:
        predefined = np.zeros(cost.shape[1], dtype=int)
        predefined[0] = 1
    model = MCLP.from_cost_matrix(
        cost,
        np.array(row_weights),
        service_radius=float(distance_km),
        p_facilities=k + (1 if with_existing else 0),
        predefined_facilities_arr=predefined,
    )
    optimal, status = _solve(model, time_limit_s)
    chosen = _chosen_columns(model, column)
    return _result(
        "MCLP",
        problem,
        demand,
        candidates,
        chosen,
        distance_km,
        k,
        optimal,
        status,
        time.perf_counter() - started,
        cost.shape[0],
        cost.shape[1],
    )


def suggest_sites_lscp(
    demand: Sequence[cov.DemandPoint],
    existing: Sequence[cov.SupplyPoint],
    candidates: Sequence[CandidateSite],
    distance_km: float,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> SitingResult:
    """The fewest candidate sites covering all reachable demand (existing fixed)."""
    started = time.perf_counter()
    problem = _prepare(demand, existing, candidates, distance_km)
    if not problem.row_candidates:
        return _result(
            "LSCP",
            problem,
            demand,
            candidates,
            [],
            distance_km,
            None,
            True,
            "Optimal (nothing left to cover)",
            time.perf_counter() - started,
            0,
            0,
        )
    from spopt.locate import LSCP

    with_existing = bool(existing)
    cost, column = _cost_matrix(problem, with_existing)
    predefined = None
    if with_existing:
        predefined = np.zeros(cost.shape[1], dtype=int)
        predefined[0] = 1
    model = LSCP.from_cost_matrix(
        cost, service_radius=float(distance_km), predefined_facilities_arr=predefined
    )
    optimal, status = _solve(model, time_limit_s)
    chosen = _chosen_columns(model, column)
    return _result(
        "LSCP",
        problem,
        demand,
        candidates,
        chosen,
        distance_km,
        None,
        optimal,
        status,
        time.perf_counter() - started,
        cost.shape[0],
        cost.shape[1],
    )
