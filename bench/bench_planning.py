"""Benchmark of the planning engine on the synthetic national data set (not a test).

Times, as medians over several runs:

1. one province's full check: every shipped plan plus a plan using every rule kind, over the
   province's own facilities and units (what a provincial service loads) — target < 100 ms;
2. the national check of the same plans over all facilities and units — target < 2 s;
3. coverage of 10,000 demand points by 20,000 facilities within 10 km — target < 1 s;
4. MCLP with 500 candidate sites, 10,000 demand points, k = 10 — target < 30 s.

Prints the figures and rewrites the "Planning" section of docs/BENCHMARKS.md (between the
``<!-- planning:start -->`` and ``<!-- planning:end -->`` markers), with the machine it ran on.

    python -m bench.bench_planning                 # full size, writes docs/BENCHMARKS.md
    python -m bench.bench_planning --facilities 500 --communes-per-province 3 --no-write
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import BENCHMARKS_FILE, machine, write_section
from bench.synthetic import SyntheticDataset, generate
from registry.planning import coverage as cov
from registry.planning import siting
from registry.planning.plan_schema import Plan, load_plans, parse_plan
from registry.planning.rules import CheckContext, FacilityFact, UnitFact, evaluate_all

REPO_ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- planning:start -->", "<!-- planning:end -->"
AS_OF = date(2026, 1, 1)

ALL_TYPES = ["ELDERLY", "CHILDREN", "DISABILITY", "MENTAL", "GENERAL", "SOCIAL_WORK", "OTHER"]

# A plan exercising every rule kind, at national scope, on the synthetic data (edition 2025,
# because the synthetic communes hang directly under their provinces).
BENCH_PLAN: dict[str, Any] = {
    "code": "BENCH-ALL-KINDS",
    "title_vi": "Kế hoạch thử nghiệm hiệu năng (mọi loại quy tắc)",
    "title_en": "Benchmark plan (every rule kind)",
    "document": "synthetic",
    "issuing_body_vi": "không có",
    "issuing_body_en": "none",
    "period": {"start": 2025, "end": 2030},
    "jurisdiction": {"scope": "national", "edition": "2025"},
    "rules": [
        {
            "code": f"B-{n:02d}",
            "kind": kind,
            "title_vi": kind,
            "title_en": kind,
            "severity": "info",
            "target_year": 2030,
            "source": {"document": "synthetic"},
            "params": params,
        }
        for n, (kind, params) in enumerate(
            [
                (
                    "min_count",
                    {"types": ["ELDERLY"], "scope": "each_unit", "level": "province", "min": 20},
                ),
                (
                    "min_count",
                    {
                        "types": ["DRUG_COMMUNITY"],
                        "scope": "each_unit",
                        "level": "commune",
                        "min": 1,
                        "min_share_of_units_pct": 10,
                    },
                ),
                (
                    "min_count",
                    {
                        "types": ALL_TYPES,
                        "ownership": "non_public",
                        "scope": "jurisdiction",
                        "min": 3000,
                    },
                ),
                (
                    "min_count",
                    {
                        "types": ["GENERAL"],
                        "scope": "units",
                        "level": "province",
                        "unit_min": {"75": 5, "66": 5, "01": None},
                    },
                ),
                (
                    "non_public_share",
                    {"types": ALL_TYPES, "scope": "each_unit", "level": "province", "min_pct": 40},
                ),
                (
                    "total_capacity",
                    {"types": ["ELDERLY"], "scope": "each_unit", "level": "province", "min": 500},
                ),
                (
                    "capacity_per_population",
                    {
                        "types": ALL_TYPES,
                        "scope": "each_unit",
                        "level": "province",
                        "per": 10000,
                        "min": 5,
                    },
                ),
                ("capacity_bounds", {"types": ["MENTAL", "GENERAL"], "min": 300, "max": 500}),
                ("residents_within_capacity", {}),
                ("licensing_required", {"residents_threshold": 10}),
                (
                    "coverage",
                    {
                        "types": ["SOCIAL_WORK"],
                        "level": "commune",
                        "distance_km": 20,
                        "mode": "each_unit",
                    },
                ),
                (
                    "coverage",
                    {
                        "types": ["GENERAL"],
                        "level": "commune",
                        "distance_km": 30,
                        "mode": "population_share",
                        "min_pct": 80,
                    },
                ),
                ("spacing", {"types": ["SHELTER"], "min_distance_km": 1}),
                ("valid_admin_codes", {"subject": "facilities"}),
                ("external_indicator", {"reason_vi": "thử", "reason_en": "test"}),
            ],
            start=1,
        )
    ],
}


@dataclass(frozen=True)
class Facts:
    facilities: list[FacilityFact]
    units: list[UnitFact]


def to_facts(ds: SyntheticDataset) -> Facts:
    """Synthetic dicts as rule-engine facts. Registration and licence flags are synthetic too:
    every non-public facility is registered, and one in ten lacks a licence."""
    facilities = [
        FacilityFact(
            id=f["id"],
            code=f["code"],
            name=f["name"],
            type_code=f["type_code"],
            ownership=f["ownership"],
            status=f["status"],
            province_code=f["province_code"],
            commune_code=f["commune_code"],
            lon=f["lon"],
            lat=f["lat"],
            design_capacity=f["design_capacity"],
            residents=f["residents"],
            has_registration=True,
            has_licence=f["id"] % 10 != 0,
        )
        for f in ds.facilities
    ]
    units: list[UnitFact] = []
    for p in ds.provinces:
        for edition in ("pre2025", "2025"):
            units.append(
                UnitFact(
                    p["code"], "province", p["name"], None, edition, population=p["population"]
                )
            )
    for c in ds.communes:
        units.append(
            UnitFact(
                c["code"],
                "commune",
                c["code"],
                c["province_code"],
                "2025",
                population=c["population"],
                rep_lon=c["point"].x,
                rep_lat=c["point"].y,
                province_code=c["province_code"],
            )
        )
    return Facts(facilities, units)


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(ds: SyntheticDataset, runs: int, mclp_runs: int, province: str) -> dict[str, Any]:
    facts = to_facts(ds)
    plans: list[Plan] = [*load_plans(), parse_plan(BENCH_PLAN, "bench")]
    n_rules = sum(len(p.rules) for p in plans)

    prov_facilities = [f for f in facts.facilities if f.province_code == province]
    prov_units = [u for u in facts.units if u.code == province or u.parent_code == province]

    def province_check() -> object:
        ctx = CheckContext(AS_OF, prov_facilities, prov_units, frozenset({province}))
        return evaluate_all(plans, ctx)

    def national_check() -> object:
        return evaluate_all(plans, CheckContext(AS_OF, facts.facilities, facts.units))

    demand = [
        cov.DemandPoint(
            c["code"], c["point"].x, c["point"].y, c["population"], group_code=c["province_code"]
        )
        for c in ds.communes[:10_000]
    ]
    supply = [cov.SupplyPoint(f.id, f.lon or 0.0, f.lat or 0.0) for f in facts.facilities]

    def coverage() -> object:
        return cov.analyse_coverage(demand, supply, 10.0)

    rng = np.random.default_rng(7)
    picks = rng.choice(len(ds.communes), min(500, len(ds.communes)), replace=False)
    candidates = [
        siting.CandidateSite(f"C{i}", ds.communes[i]["point"].x + 0.01, ds.communes[i]["point"].y)
        for i in picks.tolist()
    ]
    existing = [
        cov.SupplyPoint(f.id, f.lon or 0.0, f.lat or 0.0)
        for f in facts.facilities
        if f.type_code == "VICTIM_SUPPORT" and f.status == "operating"
    ]
    last: list[siting.SitingResult] = []

    def mclp() -> object:
        result = siting.suggest_sites_mclp(demand, existing, candidates, 10, 20.0, 60.0)
        last.append(result)
        return result

    def mclp_no_existing() -> object:
        # Harder case: nothing fixed, so every reachable demand point stays in the model.
        result = siting.suggest_sites_mclp(demand, [], candidates, 10, 20.0, 60.0)
        last_empty.append(result)
        return result

    last_empty: list[siting.SitingResult] = []
    national = evaluate_all(plans, CheckContext(AS_OF, facts.facilities, facts.units))
    statuses: dict[str, int] = {}
    for report in national:
        for status, n in report.counts.items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    figures = {
        "province": median_seconds(province_check, runs),
        "national": median_seconds(national_check, runs),
        "coverage": median_seconds(coverage, runs),
        "mclp": median_seconds(mclp, mclp_runs),
        "mclp_no_existing": median_seconds(mclp_no_existing, 1),
    }
    return {
        "figures": figures,
        "plans": len(plans),
        "rules": n_rules,
        "facilities": len(facts.facilities),
        "communes": len(ds.communes),
        "province": province,
        "province_facilities": len(prov_facilities),
        "demand": len(demand),
        "candidates": len(candidates),
        "existing": len(existing),
        "mclp": last[-1],
        "mclp_no_existing": last_empty[-1],
        "statuses": statuses,
        "runs": runs,
        "mclp_runs": mclp_runs,
    }


TARGETS = {
    "province": 0.1,
    "national": 2.0,
    "coverage": 1.0,
    "mclp": 30.0,
    "mclp_no_existing": 30.0,
}


def report(res: dict[str, Any], info: dict[str, str], seed: int) -> str:
    f = res["figures"]
    m: siting.SitingResult = res["mclp"]
    e: siting.SitingResult = res["mclp_no_existing"]

    def row(key: str, label: str) -> str:
        ok = "yes" if f[key] < TARGETS[key] else "**no**"
        return f"| {label} | {f[key] * 1000:,.0f} ms | < {TARGETS[key] * 1000:,.0f} ms | {ok} |"

    lines = [
        START,
        "## Planning",
        "",
        f"`python -m bench.bench_planning` on {date.today():%Y-%m-%d}: synthetic national data "
        f"set (seed {seed}; {res['facilities']:,} facilities, {res['communes']:,} communes, "
        f"63 provinces), {res['plans']} plans with {res['rules']} rules (every shipped plan "
        "plus one using every rule kind). Medians of "
        f"{res['runs']} runs ({res['mclp_runs']} for MCLP).",
        "",
        f"Machine: {info['nproc']} CPU ({info['cpu']}), Python {info['python']}, {info['system']}.",
        "",
        "| what | median | target | met |",
        "|---|---|---|---|",
        row(
            "province",
            f"one province's full check (province {res['province']}, "
            f"{res['province_facilities']} facilities)",
        ),
        row("national", "national check, all rules"),
        row(
            "coverage",
            f"coverage of {res['demand']:,} demand points by "
            f"{res['facilities']:,} facilities, 10 km",
        ),
        row(
            "mclp",
            f"MCLP, {res['candidates']} candidates, {res['demand']:,} demand points, "
            f"k=10, 20 km, {res['existing']} existing fixed",
        ),
        row("mclp_no_existing", "the same MCLP with no existing facility (harder; one run)"),
        "",
        f"MCLP: spopt model of {m.rows} rows x {m.columns} columns after exact reductions; "
        f"solver status {m.solver_status}; covered population "
        f"{m.covered_before:,.0f} -> {m.covered_after:,.0f}. Without existing facilities: "
        f"{e.rows} rows x {e.columns} columns, {e.solver_status}.",
        "",
        "National results by status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(res["statuses"].items()))
        + ".",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--communes-per-province", type=int, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mclp-runs", type=int, default=3)
    parser.add_argument("--province", default="75")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)

    ds = generate(args.seed, args.facilities, args.communes_per_province)
    res = run(ds, args.runs, args.mclp_runs, args.province)
    section = report(res, machine(), args.seed)
    for key, seconds in res["figures"].items():
        print(f"{key:>16}: {seconds * 1000:9.1f} ms  (target < {TARGETS[key] * 1000:,.0f} ms)")
    if not args.no_write:
        write_section(section, START, END)
        print(f"updated {BENCHMARKS_FILE}")
    return section


if __name__ == "__main__":
    main()
