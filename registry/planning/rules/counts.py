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

Every kind filters facilities the same way (``Run.select``): ``types`` / ``categories``,
``ownership``, ``statuses``, ``opened_from``, and the catalogue attributes ``levels``,
``services``, ``target_groups`` (a facility counts if it has one of those listed),
``criteria_supported`` (the dated central-criteria mark on or before the check date) and
``facility`` (one facility the plan names, by registry ``code`` or one of ``names``). A facility
with the attribute *not recorded* does not count, but while such facilities could close a
shortfall the result is NOT_EVALUABLE and names them (evidence ``unrecorded``).
``needs_record: investment_project`` says the target needs a record the registry does not hold:
with ``count_bound: lower`` a shortfall, with ``upper`` a reached count, is NOT_EVALUABLE with
that reason. A rule naming a facility the registry does not hold is NOT_EVALUABLE (nothing in
scope).

Count-type rules count only the statuses they list (parameter ``statuses``); the default is
``["operating"]``, so planned facilities count only where a rule says so.
"""

from __future__ import annotations

from typing import Any

from registry.facilities import definitions
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
from registry.planning.rules.facts import DEFAULT_STATUSES, FacilityFact
from registry.planning.rules.messages import rounded


@kind("min_count")
def _min_count(run: Run) -> Outcome:
    def measure(g: Group) -> Measure:
        # Facilities whose level, services, target groups or mark are not recorded could
        # count: the result is open only while they could close the gap.
        n, unknown = len(g.facilities), len(g.unrecorded)
        open_gap = unknown > 0 and g.target is not None and n < g.target <= n + unknown
        return Measure(float(n), not open_gap)

    return aggregate(run, "min", measure, "cơ sở", "facilities", run.p.get("count_bound", "exact"))


@kind("non_public_share")
def _non_public_share(run: Run) -> Outcome:
    def measure(g: Group) -> Measure:
        total = len(g.facilities)
        non_public = sum(1 for f in g.facilities if f.ownership == "non_public")
        extra: dict[str, Any] = {"non_public": non_public, "total": total}
        if not total and not g.unrecorded:
            extra["nothing_in_scope"] = True
        value = 100.0 * non_public / total if total else None
        return Measure(value, not g.unrecorded, extra)

    return aggregate(run, "min_pct", measure, "% ngoài công lập", "% non-public")


def _capacity(g: Group) -> tuple[float, list[FacilityFact]]:
    unknown = [f for f in g.facilities if f.design_capacity is None]
    return float(sum(f.design_capacity or 0 for f in g.facilities)), unknown


@kind("total_capacity")
def _total_capacity(run: Run) -> Outcome:
    def measure(g: Group) -> Measure:
        total, unknown = _capacity(g)
        return Measure(
            total,
            not unknown and not g.unrecorded,
            {"unknown": cut([fact_ref(f) for f in unknown])} if unknown else {},
        )

    return aggregate(run, "min", measure, "chỗ (công suất thiết kế)", "places (design capacity)")


@kind("capacity_per_population")
def _capacity_per_population(run: Run) -> Outcome:
    """The one definition of the figure: ``facilities.definitions`` (the map shows the same)."""
    per = float(run.p.get("per", definitions.PER_POPULATION))
    statuses = run.p.get("statuses", DEFAULT_STATUSES)

    def measure(g: Group) -> Measure:
        total, unknown = _capacity(g)
        extra: dict[str, Any] = {
            "capacity": rounded(total),
            "population": g.population,
            "per": rounded(per),
        }
        if unknown:
            extra["unknown"] = cut([fact_ref(f) for f in unknown])
        value = definitions.per_population(total, g.population, per)
        if value is None:
            return Measure(None, False, extra)
        return Measure(value, not unknown and not g.unrecorded, extra)

    out = aggregate(
        run,
        "min",
        measure,
        f"chỗ trên {rounded(per)} dân",
        f"places per {rounded(per)} inhabitants",
    )
    out.evidence["definition_vi"] = definitions.capacity_definition(statuses, per, "vi")
    out.evidence["definition_en"] = definitions.capacity_definition(statuses, per, "en")
    return out
