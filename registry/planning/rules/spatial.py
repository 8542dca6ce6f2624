"""Spatial kinds: coverage of units by facilities, and spacing between facilities.

``coverage``
    Each unit of ``level`` has a matching facility within ``distance_km`` of its representative
    point (``mode: each_unit``), or at least ``min_pct`` % of the population does
    (``mode: population_share``). Distances are geodesic (``coverage`` module).
``spacing``
    No two matching facilities are closer than ``min_distance_km``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.planning import coverage as cov
from registry.planning.rules.engine import (
    Outcome,
    Run,
    cut,
    fact_ref,
    join_names,
    kind,
    not_evaluable,
    unrecorded_refs,
)
from registry.planning.rules.facts import LIVE_STATUSES, FacilityFact, Status
from registry.planning.rules.messages import LEVEL_EN, LEVEL_VI, rounded, unrecorded_reason


def _located(facilities: Iterable[FacilityFact]) -> tuple[list[FacilityFact], list[FacilityFact]]:
    located: list[FacilityFact] = []
    unlocated: list[FacilityFact] = []
    for f in facilities:
        (located if f.lon is not None and f.lat is not None else unlocated).append(f)
    return located, unlocated


@kind("coverage")
def _coverage(run: Run) -> Outcome:
    distance = run.p.get("distance_km")
    mode: str = run.p["mode"]
    if distance is None or (mode == "population_share" and run.p.get("min_pct") is None):
        return Outcome(
            Status.NOT_SET,
            "reason",
            {
                "reason_vi": "Chưa đặt bán kính hoặc tỷ lệ bao phủ.",
                "reason_en": "Coverage distance or share not set.",
            },
        )
    level: str = run.p["level"]
    units = run.area_units(level, run.edition)
    if not units:
        return not_evaluable(
            f"Không có danh mục đơn vị {LEVEL_VI.get(level, level)} trong phạm vi kiểm tra.",
            f"No {LEVEL_EN.get(level, level)} units are known in the area checked.",
        )
    facilities, _ = run.select()
    located, unlocated = _located(facilities)
    demand = [cov.DemandPoint(u.code, u.rep_lon, u.rep_lat, u.population, u.name) for u in units]
    supply = [
        cov.SupplyPoint(f.id, float(f.lon or 0.0), float(f.lat or 0.0), f.code) for f in located
    ]
    analysis = cov.analyse_coverage(demand, supply, float(distance))
    total = analysis.total
    failing = [
        {
            "code": r.code,
            "name": r.name,
            "nearest_km": None if r.nearest_km is None else round(r.nearest_km, 2),
            "nearest_id": r.nearest_id,
            "population": r.population,
        }
        for r in analysis.points
        if r.covered is False
    ]
    no_point = [r.code for r in analysis.points if r.covered is None]
    ev: dict[str, Any] = {
        "distance_km": rounded(distance),
        "n_units": total.units_total,
        "n_failing": len(failing),
        "failing_units": cut(failing),
        "failing_names": join_names([str(r["name"]) for r in failing]),
        "basis": total.basis,
        "population_total": rounded(total.population_total),
        "population_covered": rounded(total.population_covered),
        "units_covered": total.units_covered,
        "n_facilities": len(located),
    }
    if unlocated:
        ev["unlocated_facilities"] = cut([fact_ref(f) for f in unlocated])
    if no_point:
        ev["unknown"] = no_point
    aside = unrecorded_refs(run.unrecorded)
    if aside:
        # Facilities left aside only because an attribute is not recorded could cover the
        # units (or change the share) the result would otherwise report.
        ev["unrecorded"] = aside
        if failing or (mode == "population_share" and (total.share_pct or 0) < run.p["min_pct"]):
            vi, en = unrecorded_reason(aside, len(run.unrecorded))
            return not_evaluable(vi, en, **ev)
    if mode == "each_unit":
        if failing:
            return Outcome(Status.FAIL, "coverage_units", ev)
        if no_point:
            return not_evaluable(
                "Một số đơn vị chưa có điểm đại diện.",
                "Some units have no representative point.",
                **ev,
            )
        return Outcome(Status.PASS, "coverage_units", ev)
    target = run.p["min_pct"]
    ev["target"] = target
    if total.basis != "population" or no_point:
        return not_evaluable(
            "Chưa có dân số hoặc điểm đại diện của mọi đơn vị; chỉ đếm được số đơn vị "
            f"({total.units_covered}/{total.units_located} đơn vị trong bán kính).",
            "Population or representative points are missing for some units; only units can "
            f"be counted ({total.units_covered} of {total.units_located} units within reach).",
            **ev,
        )
    share = total.share_pct or 0.0
    ev["actual"] = rounded(share)
    return Outcome(Status.PASS if share >= target else Status.FAIL, "coverage_share", ev)


@kind("spacing")
def _spacing(run: Run) -> Outcome:
    distance = run.p.get("min_distance_km")
    if distance is None:
        return Outcome(
            Status.NOT_SET,
            "reason",
            {
                "reason_vi": "Chưa đặt khoảng cách tối thiểu.",
                "reason_en": "Minimum distance not set.",
            },
        )
    facilities, _ = run.select(LIVE_STATUSES)
    if not facilities and not run.unrecorded:
        return run.nothing_in_scope()
    located, unlocated = _located(facilities)
    pairs = cov.pairs_within_self(
        [float(f.lon or 0.0) for f in located],
        [float(f.lat or 0.0) for f in located],
        float(distance),
    )
    rows = [
        {"a": fact_ref(located[a]), "b": fact_ref(located[b]), "distance_km": round(d, 3)}
        for a, b, d in zip(
            pairs.a.tolist(), pairs.b.tolist(), pairs.distance_km.tolist(), strict=True
        )
    ]
    rows.sort(key=lambda r: r["distance_km"])
    ev: dict[str, Any] = {
        "target": rounded(distance),
        "n_checked": len(located),
        "n_failing": len(rows),
        "pairs": cut(rows),
    }
    if rows:
        return Outcome(Status.FAIL, "spacing", ev)
    if run.unrecorded:
        aside = unrecorded_refs(run.unrecorded)
        ev["unrecorded"] = aside
        vi, en = unrecorded_reason(aside, len(run.unrecorded))
        return not_evaluable(vi, en, **ev)
    if unlocated:
        ev["unknown"] = cut([fact_ref(f) for f in unlocated])
        return not_evaluable(
            "Một số cơ sở chưa có tọa độ.", "Some facilities have no coordinates.", **ev
        )
    return Outcome(Status.PASS, "spacing", ev)
