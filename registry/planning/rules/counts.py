"""Aggregate kinds: facility counts, shares and capacity totals over a scope.

``min_count``
    At least ``min`` facilities matching the filter (``types`` / ``categories``, ``ownership``,
    ``statuses``, ``opened_from``) in the scope: ``jurisdiction`` (the plan's area, total),
    ``each_unit`` of a ``level`` (optionally only ``min_share_of_units_pct`` % of them),
    ``units`` (each named unit, matched by code; ``unit_min`` gives per-unit targets) or
    ``unit_group`` (the named units together). ``count_bound`` says how the registry's count
    relates to what the target counts: ``exact``; ``lower`` when the target also counts things
    the registry does not hold (a shortfall is then NOT_EVALUABLE); ``upper`` when the target
    counts only facilities meeting a condition the registry does not record (meeting the
    number is then NOT_EVALUABLE, a shortfall is a FAIL).
``non_public_share``
    Non-public facilities are at least ``min_pct`` % of the matching facilities.
``total_capacity``
    The summed design capacity is at least ``min``.
``capacity_per_population``
    Design capacity per ``per`` inhabitants (default 10,000) is at least ``min``.

Count-type rules count only the statuses they list (parameter ``statuses``); the default is
``["operating"]``, so planned facilities count only where a rule says so.
"""

from __future__ import annotations

from typing import Any

from registry.planning.rules.engine import (
    Group,
    Measure,
    Outcome,
    Run,
    aggregate,
    cut,
    fact_ref,
    kind,
)
from registry.planning.rules.facts import FacilityFact
from registry.planning.rules.messages import rounded


@kind("min_count")
def _min_count(run: Run) -> Outcome:
    return aggregate(
        run,
        "min",
        lambda g: Measure(float(len(g.facilities))),
        "cơ sở",
        "facilities",
        run.p.get("count_bound", "exact"),
    )


@kind("non_public_share")
def _non_public_share(run: Run) -> Outcome:
    def measure(g: Group) -> Measure:
        total = len(g.facilities)
        non_public = sum(1 for f in g.facilities if f.ownership == "non_public")
        extra = {"non_public": non_public, "total": total}
        return Measure(100.0 * non_public / total if total else None, True, extra)

    return aggregate(run, "min_pct", measure, "% ngoài công lập", "% non-public")


def _capacity(g: Group) -> tuple[float, list[FacilityFact]]:
    unknown = [f for f in g.facilities if f.design_capacity is None]
    return float(sum(f.design_capacity or 0 for f in g.facilities)), unknown


@kind("total_capacity")
def _total_capacity(run: Run) -> Outcome:
    def measure(g: Group) -> Measure:
        total, unknown = _capacity(g)
        return Measure(
            total, not unknown, {"unknown": cut([fact_ref(f) for f in unknown])} if unknown else {}
        )

    return aggregate(run, "min", measure, "chỗ (công suất thiết kế)", "places (design capacity)")


@kind("capacity_per_population")
def _capacity_per_population(run: Run) -> Outcome:
    per = float(run.p.get("per", 10_000))

    def measure(g: Group) -> Measure:
        total, unknown = _capacity(g)
        extra: dict[str, Any] = {
            "capacity": rounded(total),
            "population": g.population,
            "per": rounded(per),
        }
        if unknown:
            extra["unknown"] = cut([fact_ref(f) for f in unknown])
        if not g.population:
            return Measure(None, False, extra)
        return Measure(total / g.population * per, not unknown, extra)

    return aggregate(
        run,
        "min",
        measure,
        f"chỗ trên {rounded(per)} dân",
        f"places per {rounded(per)} inhabitants",
    )
