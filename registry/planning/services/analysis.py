"""Coverage and siting over the registry as the reader may see it.

Supply across the province's border counts where it can serve the province (within the
analysis distance of the province's extent) and only as the reader may see it: a
confidential facility the reader may not locate serves from its generalised point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import clock
from registry.demand import protect
from registry.demand import read as demand_read
from registry.demand.protect import Shown
from registry.demand.read import DemandReader, LayerSummary
from registry.facilities.read import Reader
from registry.geography import services as geography
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l
from registry.planning import coverage as cov
from registry.planning import siting
from registry.planning.models import ItemAction, Scenario
from registry.planning.services.checks import apply_scenario, facility_facts, scenario_as_of
from registry.planning.services.plans import PlanningError
from registry.planning.services.scenarios import item_views

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320


@dataclass(frozen=True)
class DemandBasis:
    """Coverage weighted by a demand layer instead of population, as one reader may see it:
    every count and sum that is published comes from ``demand.read``'s protection."""

    layer: LayerSummary
    shown: dict[str, Shown]  # per commune code
    total: Shown
    covered: Shown
    uncovered: Shown


@dataclass(frozen=True)
class CoverageRun:
    analysis: cov.CoverageAnalysis
    demand: list[cov.DemandPoint]
    supply: list[cov.SupplyPoint]
    basis_population: bool
    demand_basis: DemandBasis | None = None


def demand_points(
    session: Session, province_code: str, level: str, counts: dict[str, int] | None = None
) -> list[cov.DemandPoint]:
    """Representative points of a province's communes (2025) or pre-2025 districts, weighted
    by population, or by a demand layer's ``counts`` per current commune when given (a
    commune the layer does not hold is unknown)."""
    if level == "district":
        old_codes = [
            old for old, new in geography.province_code_map(session).items() if new == province_code
        ] or [province_code]
        stmt = select(AdminUnit).where(
            AdminUnit.edition == Edition.PRE2025,
            AdminUnit.level == Level.DISTRICT,
            AdminUnit.province_code.in_(old_codes),
        )
    else:
        stmt = select(AdminUnit).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_code == province_code,
        )
    units = session.scalars(stmt.order_by(AdminUnit.code)).all()

    def weight(unit: AdminUnit) -> float | None:
        if counts is not None:
            found = counts.get(unit.code)
            return float(found) if found is not None else None
        return float(unit.population) if unit.population is not None else None

    return [cov.DemandPoint(u.code, u.rep_lon, u.rep_lat, weight(u), u.name) for u in units]


def reach_box(
    session: Session, province_code: str, distance_km: float
) -> tuple[float, float, float, float] | None:
    """The province's current extent grown by ``distance_km``: where supply can serve it."""
    row = session.execute(
        select(
            func.min(AdminUnit.min_lon),
            func.min(AdminUnit.min_lat),
            func.max(AdminUnit.max_lon),
            func.max(AdminUnit.max_lat),
        ).where(AdminUnit.edition == Edition.CURRENT, AdminUnit.province_code == province_code)
    ).one()
    if any(v is None for v in row):
        return None
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in row)
    pad_lat = distance_km / KM_PER_DEGREE_LAT
    widest = math.radians(min(89.0, max(abs(min_lat), abs(max_lat)) + pad_lat))
    pad_lon = distance_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(widest))
    return (min_lon - pad_lon, min_lat - pad_lat, max_lon + pad_lon, max_lat + pad_lat)


def supply_points(
    session: Session,
    reader: Reader,
    type_codes: Sequence[str],
    *,
    province_code: str,
    distance_km: float,
    scenario: Scenario | None = None,
    statuses: Sequence[str] = ("operating",),
    as_of: date | None = None,
) -> list[cov.SupplyPoint]:
    """Facilities of these types (with the scenario applied) that can serve the province,
    at the points the reader sees."""
    as_of = as_of or (scenario_as_of(scenario) if scenario else clock.today())
    box = reach_box(session, province_code, distance_km)
    facts = (
        facility_facts(session, reader, as_of=as_of, everywhere=True, bbox=box)
        if box is not None
        else []
    )
    if scenario is not None:
        facts = apply_scenario(facts, scenario, item_views(session, reader, scenario), as_of=as_of)
    wanted = set(type_codes)
    return [
        cov.SupplyPoint(f.id, float(f.lon), float(f.lat), f.code)
        for f in facts
        if f.type_code in wanted
        and f.lon is not None
        and f.lat is not None
        and f.status in statuses
    ]


def coverage(
    session: Session,
    reader: Reader,
    *,
    province_code: str,
    type_codes: Sequence[str],
    distance_km: float,
    level: str,
    scenario: Scenario | None = None,
    demand_layer: int | None = None,
    demand_reader: DemandReader | None = None,
) -> CoverageRun:
    """Population (or units, where population is unknown) within reach of a facility; with
    ``demand_layer``, the layer's counts on the current communes instead of population."""
    counts, summary = None, None
    if demand_layer is not None and demand_reader is not None:
        summary, counts = layer_counts(session, demand_reader, demand_layer, province_code)
        level = "commune"
    demand = demand_points(session, province_code, level, counts)
    supply = supply_points(
        session,
        reader,
        type_codes,
        province_code=province_code,
        distance_km=distance_km,
        scenario=scenario,
    )
    analysis = cov.analyse_coverage(demand, supply, distance_km)
    basis = None
    if summary is not None and demand_reader is not None:
        basis = _published(analysis, summary, demand_reader)
    return CoverageRun(analysis, demand, supply, analysis.total.basis == "population", basis)


def layer_counts(
    session: Session, reader: DemandReader, layer_id: int, province_code: str
) -> tuple[LayerSummary, dict[str, int]]:
    """A demand layer of the province the reader may see, with its plain counts (for the
    analysis only: what is published goes through the reader's protection)."""
    summary = demand_read.layer_summary(session, reader, layer_id)
    counts = demand_read.exact_counts(session, reader, layer_id)
    if summary is None or counts is None or summary.province_code != province_code:
        raise PlanningError(str(_l("No such demand layer for this province.")))
    return summary, counts


@dataclass(frozen=True)
class SitingDemand:
    """A siting run weighted by a demand layer, as the reader may see its figures."""

    layer: LayerSummary
    total: Shown
    before: Shown
    after: Shown
    added: dict[str, Shown]  # per candidate id
    standalone: dict[str, Shown]


def published_siting(
    result: siting.SitingResult,
    layer: LayerSummary,
    counts: dict[str, int],
    reader: DemandReader,
) -> SitingDemand:
    """The figures of a siting run over a demand layer: a site's gain is the sum of the
    communes it newly covers; the other figures hold every count."""
    values = list(counts.values())
    if result.basis != "population":  # some commune has no count: the figures count units

        def units(value: float) -> Shown:
            return protect.show(round(value), reader.threshold, permitted=True)

        return SitingDemand(
            layer=layer,
            total=units(result.demand_total),
            before=units(result.covered_before),
            after=units(result.covered_after),
            added={s.candidate_id: units(s.added_demand) for s in result.chosen},
            standalone={s.candidate_id: units(s.standalone_demand) for s in result.chosen},
        )
    return SitingDemand(
        layer=layer,
        total=reader.aggregate(result.demand_total, values),
        before=reader.aggregate(result.covered_before, values),
        after=reader.aggregate(result.covered_after, values),
        added={
            s.candidate_id: reader.sum(counts.get(c) for c in s.covered_codes)
            for s in result.chosen
        },
        standalone={
            s.candidate_id: reader.aggregate(s.standalone_demand, values) for s in result.chosen
        },
    )


def _published(
    analysis: cov.CoverageAnalysis, layer: LayerSummary, reader: DemandReader
) -> DemandBasis:
    def counted(point: cov.PointCoverage) -> int | None:
        return None if point.population is None else int(point.population)

    points = analysis.points
    return DemandBasis(
        layer=layer,
        shown={p.code: reader.show(counted(p)) for p in points},
        total=reader.sum(counted(p) for p in points),
        covered=reader.sum(counted(p) for p in points if p.covered),
        uncovered=reader.sum(counted(p) for p in points if p.covered is False),
    )


def siting_candidates(
    session: Session, reader: Reader, province_code: str, scenario: Scenario | None = None
) -> list[siting.CandidateSite]:
    """Candidate sites: the 2025 communes' representative points, plus the scenario's
    proposals at the points the reader sees."""
    out = [
        siting.CandidateSite(f"U{d.code}", float(d.lon), float(d.lat), d.name)
        for d in demand_points(session, province_code, "commune")
        if d.lon is not None and d.lat is not None
    ]
    if scenario is not None:
        views = item_views(session, reader, scenario)
        for item in scenario.items:
            view = views.get(item.id)
            if (
                item.action is ItemAction.ADD
                and view is not None
                and view.lon is not None
                and view.lat is not None
            ):
                out.append(
                    siting.CandidateSite(
                        f"S{item.id}", float(view.lon), float(view.lat), item.name or ""
                    )
                )
    return out


def suggest_sites(
    session: Session,
    reader: Reader,
    *,
    province_code: str,
    type_codes: Sequence[str],
    distance_km: float,
    level: str,
    model: str,
    k: int,
    time_limit_s: float,
    scenario: Scenario | None = None,
    demand_counts: dict[str, int] | None = None,
) -> tuple[siting.SitingResult, dict[str, siting.CandidateSite]]:
    """Run MCLP (k new sites) or LSCP (fewest sites) with the existing network fixed; the
    current communes weighted by ``demand_counts`` (a demand layer) when given."""
    if demand_counts is not None:
        level = "commune"
    demand = demand_points(session, province_code, level, demand_counts)
    existing = supply_points(
        session,
        reader,
        type_codes,
        province_code=province_code,
        distance_km=distance_km,
        scenario=scenario,
    )
    candidates = siting_candidates(session, reader, province_code, scenario)
    if model == "lscp":
        result = siting.suggest_sites_lscp(demand, existing, candidates, distance_km, time_limit_s)
    else:
        result = siting.suggest_sites_mclp(
            demand, existing, candidates, k, distance_km, time_limit_s
        )
    return result, {c.id: c for c in candidates}
