"""The machinery every rule kind shares, the registry of kinds, and the entry points.

``Run`` is one rule being checked: its parameters, the plan's area (plan jurisdiction and the
caller's jurisdiction, across the 2025 reorganisation) and the facilities its filter selects.
``aggregate`` measures scoped counts, shares and capacities group by group against their
targets; ``facility_check`` sums up per-facility standards. Each kind module registers its
evaluators in ``KINDS`` with ``@kind("...")``; ``evaluate_rule`` looks the kind up there.

Evidence lists are cut at ``LIST_LIMIT`` entries (the counts stay exact).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from registry.planning.plan_schema import Plan, Rule
from registry.planning.rules.facts import (
    DEFAULT_STATUSES,
    NOT_YET_OPEN,
    CheckContext,
    FacilityFact,
    PlanReport,
    RuleResult,
    Status,
    UnitFact,
)
from registry.planning.rules.messages import (
    EDITION_EN,
    EDITION_VI,
    LEVEL_EN,
    LEVEL_VI,
    describe_scope,
    names_facility,
    render_messages,
    rounded,
    unrecorded_reason,
)

LIST_LIMIT = 200


# --- evaluation plumbing ---------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    status: Status
    variant: str
    evidence: dict[str, Any]


def fact_ref(f: FacilityFact, unit: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "code": f.code, "name": f.name}
    if unit is not None:
        out["unit"] = unit
    return out


def cut(items: list[Any]) -> list[Any]:
    return items[:LIST_LIMIT]


def join_names(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", …" if len(names) > limit else "")


def not_evaluable(vi: str, en: str, **evidence: Any) -> Outcome:
    return Outcome(Status.NOT_EVALUABLE, "reason", {"reason_vi": vi, "reason_en": en, **evidence})


#: (level, services, target groups, mark not recorded) -> the names of what is missing; shared
#: tuples, so setting thousands of facilities aside allocates nothing per facility.
_MISSING: dict[tuple[bool, ...], tuple[str, ...]] = {
    flags: tuple(
        name
        for name, flag in zip(
            ("level", "services", "target_groups", "criteria_supported_on"), flags, strict=True
        )
        if flag
    )
    for flags in itertools.product((False, True), repeat=4)
}


class Run:
    """One rule being evaluated: its parameters, the plan's area, and the facilities."""

    def __init__(self, plan: Plan, rule: Rule, ctx: CheckContext) -> None:
        self.plan = plan
        self.rule = rule
        self.ctx = ctx
        self.idx = ctx.index
        self.p = rule.params
        self.edition: str = self.p.get("edition", plan.jurisdiction.edition)
        #: Facilities left out of the last ``select`` only because an attribute the rule
        #: scopes by is not recorded, with the names of those attributes.
        self.unrecorded: list[tuple[FacilityFact, tuple[str, ...]]] = []
        self.named_found = False
        self._in_area: dict[tuple[str | None, str], bool] = {}

    # jurisdiction ------------------------------------------------------------------------
    def _current(self, code: str, edition: str) -> str:
        return self.ctx.province_code_map.get(code, code) if edition == "pre2025" else code

    def province_in_plan(self, code: str | None, edition: str) -> bool:
        j = self.plan.jurisdiction
        if j.national:
            return True
        if code is None:
            return False
        if edition == j.edition:
            return code in j.province_codes
        if j.edition == "pre2025":  # rule speaks 2025 codes, plan pre-2025 ones
            return code in {self._current(c, "pre2025") for c in j.province_codes}
        return self._current(code, edition) in j.province_codes

    def province_in_context(self, code: str | None, edition: str) -> bool:
        allowed = self.ctx.jurisdiction_province_codes
        if allowed is None:
            return True
        return code is not None and self._current(code, edition) in allowed

    def in_area(self, code: str | None, edition: str) -> bool:
        key = (code, edition)
        found = self._in_area.get(key)
        if found is None:
            found = self._in_area[key] = self.province_in_plan(
                code, edition
            ) and self.province_in_context(code, edition)
        return found

    @cached_property
    def covers_plan(self) -> bool:
        """Whether the context sees the plan's whole jurisdiction (needed for totals)."""
        allowed = self.ctx.jurisdiction_province_codes
        if allowed is None:
            return True
        j = self.plan.jurisdiction
        if j.national:
            return False
        return all(self._current(c, j.edition) in allowed for c in j.province_codes)

    def not_covered(self) -> Outcome:
        seen = ", ".join(
            self.unit_name(c, "2025") for c in sorted(self.ctx.jurisdiction_province_codes or ())
        )
        j = self.plan.jurisdiction
        names = ", ".join(self.unit_name(c, j.edition) for c in sorted(j.province_codes))
        area = "toàn quốc" if j.national else names
        area_en = "the whole country" if j.national else names
        return not_evaluable(
            f"Chỉ tiêu tính trên {area}; phạm vi kiểm tra chỉ gồm {seen}.",
            f"The target applies to {area_en}; this check sees only {seen}.",
        )

    # facilities --------------------------------------------------------------------------
    def _type_filter(self) -> Iterable[FacilityFact]:
        types = self.p.get("types")
        categories = self.p.get("categories")
        if types is None and categories is None:
            return self.ctx.facilities
        out: list[FacilityFact] = []
        if types is not None:
            for t in dict.fromkeys(types):
                out.extend(self.idx.by_type.get(t, ()))
        if categories is not None:
            wanted = set(categories)
            chosen = set(types or ())
            for f in self.ctx.facilities:
                if f.type_code in chosen:
                    continue
                category = f.category or self.ctx.type_categories.get(f.type_code)
                if category in wanted:
                    out.append(f)
        return out

    def select(
        self,
        default_statuses: Sequence[str] = DEFAULT_STATUSES,
        *,
        edition: str | None = None,
        ownership: str | None = None,
    ) -> tuple[list[FacilityFact], list[FacilityFact]]:
        """Facilities matching the rule's filter inside the area; and those placed uncertainly.

        ``opened_from`` keeps facilities opened on or after that date, plus ones not open yet.
        ``facility`` keeps the one facility the plan names (registry code or the plan's name
        for it). ``levels``, ``services``, ``target_groups`` and ``criteria_supported`` keep
        facilities whose record says so; a facility that matches everything else but has the
        attribute *not recorded* is kept aside in ``self.unrecorded`` (with what is missing),
        so a shortfall it could fill is not evaluable rather than failed. ``self.named_found``
        says whether the named facility exists in the area at all (any status).
        """
        edition = edition or self.edition
        statuses = frozenset(self.p.get("statuses", default_statuses))
        ownership = ownership or self.p.get("ownership")
        opened_from: date | None = self.p.get("opened_from")
        named = self.p.get("facility")
        chosen: list[FacilityFact] = []
        uncertain: list[FacilityFact] = []
        self.unrecorded = []
        self.named_found = False
        for f in self._type_filter():
            if ownership is not None and f.ownership != ownership:
                continue
            if named is not None and not names_facility(named, f):
                continue
            province, unsure = self.idx.facility_province(f, edition)
            if not self.in_area(province, edition):
                continue
            self.named_found = True
            status = self.idx.status(f)
            if status not in statuses:
                continue
            if (
                opened_from is not None
                and status not in NOT_YET_OPEN
                and (f.opened_on is None or f.opened_on < opened_from)
            ):
                continue
            verdict = self._attributes(f)
            if verdict is None:
                continue
            if verdict:
                self.unrecorded.append((f, verdict))
                continue
            chosen.append(f)
            if unsure:
                uncertain.append(f)
        return chosen, uncertain

    @cached_property
    def _wanted(self) -> tuple[frozenset[str] | None, ...]:
        """The catalogue filters of the rule (levels, services, target groups), as sets."""
        return tuple(
            None if self.p.get(key) is None else frozenset(self.p[key])
            for key in ("levels", "services", "target_groups")
        )

    def _attributes(self, f: FacilityFact) -> tuple[str, ...] | None:
        """``()`` if the facility's recorded level, services, target groups and central-
        criteria mark match the rule; None if a recorded one does not; otherwise the names
        of the attributes that are not recorded."""
        levels, services, groups = self._wanted
        criteria = self.p.get("criteria_supported")
        if levels is None and services is None and groups is None and not criteria:
            return ()
        no_level = no_services = no_groups = no_mark = False
        if levels is not None:
            if f.level is None:
                no_level = True
            elif f.level not in levels:
                return None
        if services is not None:
            if not f.service_codes:
                no_services = True
            elif services.isdisjoint(f.service_codes):
                return None
        if groups is not None:
            if not f.target_groups:
                no_groups = True
            elif groups.isdisjoint(f.target_groups):
                return None
        if criteria:
            if f.criteria_supported_on is None:
                no_mark = True
            elif f.criteria_supported_on > self.ctx.as_of:
                return None
        return _MISSING[(no_level, no_services, no_groups, no_mark)]

    def nothing_in_scope(self, scope: tuple[str, str] | None = None) -> Outcome:
        """NOT_EVALUABLE: no facility is in the rule's scope, so there is nothing to judge.
        ``scope`` describes it (Vietnamese, English) where the kind narrows the filter."""
        vi, en = describe_scope(self.p)
        if scope is not None:
            vi, en = (
                (scope[0], scope[1])
                if vi == "mọi cơ sở"
                else (f"{vi}; {scope[0]}", f"{en}; {scope[1]}")
            )
        if self.p.get("facility") is not None and not self.named_found:
            return not_evaluable(
                f"Không đánh giá được (không có gì trong phạm vi): sổ đăng ký không có cơ sở "
                f"được kế hoạch nêu tên ({vi}) trong phạm vi kiểm tra.",
                f"Not evaluable (nothing in scope): the registry holds no facility the plan "
                f"names ({en}) in the area checked.",
                nothing_in_scope=True,
            )
        return not_evaluable(
            f"Không đánh giá được (không có gì trong phạm vi): không có cơ sở nào thuộc phạm "
            f"vi của quy tắc ({vi}).",
            f"Not evaluable (nothing in scope): no facility is in the rule's scope ({en}).",
            nothing_in_scope=True,
        )

    # units -------------------------------------------------------------------------------
    def area_units(self, level: str, edition: str) -> list[UnitFact]:
        return [
            u
            for u in self.idx.units_by_level.get((edition, level), ())
            if self.in_area(self.idx.unit_province(u), edition)
        ]

    def unit_name(self, code: str, edition: str) -> str:
        unit = self.idx.unit(edition, code)
        return unit.name if unit is not None else code


# --- aggregates over a scope (counts, shares, capacities) ------------------------------------


@dataclass(slots=True)
class Group:
    code: str | None
    name: str
    target: float | int | None
    facilities: list[FacilityFact]
    population: float | None
    #: Facilities that would count but for an attribute not recorded, with what is missing.
    unrecorded: list[tuple[FacilityFact, tuple[str, ...]]] = field(default_factory=list)


@dataclass(slots=True)
class Measure:
    """A group's measured value; ``complete`` is False when missing data could change it."""

    value: float | None
    complete: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def scope_groups(run: Run, target_key: str) -> tuple[list[Group], list[FacilityFact]] | Outcome:
    """Split the selected facilities into the rule's scope groups, each with its target."""
    p = run.p
    scope: str = p["scope"]
    edition = run.edition
    if scope in {"units", "unit_group"} and "unit_min" not in p and p.get("units") is None:
        return Outcome(
            Status.NOT_SET,
            "reason",
            {
                "reason_vi": "Chưa nhập danh sách đơn vị hành chính của chỉ tiêu.",
                "reason_en": "The units this target applies to have not been entered.",
            },
        )
    facilities, uncertain = run.select()
    if p.get("facility") is not None and not run.named_found:
        return run.nothing_in_scope()
    if scope == "jurisdiction":
        if not run.covers_plan:
            return run.not_covered()
        provinces = run.area_units("province", edition)
        population: float | None = None
        if provinces and all(u.population is not None for u in provinces):
            population = float(sum(u.population or 0 for u in provinces))
        group_all = Group(None, "", p.get(target_key), facilities, population, run.unrecorded)
        return [group_all], uncertain

    level: str = p["level"]
    members: dict[str, list[FacilityFact]] = {}
    for f in facilities:
        code = run.idx.facility_unit(f, level, edition)
        if code is not None:
            members.setdefault(code, []).append(f)
    unrecorded: dict[str, list[tuple[FacilityFact, tuple[str, ...]]]] = {}
    for f, missing in run.unrecorded:
        code = run.idx.facility_unit(f, level, edition)
        if code is not None:
            unrecorded.setdefault(code, []).append((f, missing))

    def group(code: str, target: float | int | None) -> Group:
        unit = run.idx.unit(edition, code)
        pop = float(unit.population) if unit is not None and unit.population is not None else None
        return Group(
            code,
            run.unit_name(code, edition),
            target,
            members.get(code, []),
            pop,
            unrecorded.get(code, []),
        )

    if scope == "each_unit":
        units = run.area_units(level, edition)
        if not units:
            return not_evaluable(
                f"Không có danh mục đơn vị {LEVEL_VI.get(level, level)} "
                f"({EDITION_VI.get(edition, edition)}) trong phạm vi kiểm tra.",
                f"No {LEVEL_EN.get(level, level)} units ({EDITION_EN.get(edition, edition)}) "
                "are known in the area checked.",
            )
        return [group(u.code, p.get(target_key)) for u in units], uncertain

    codes: tuple[str, ...]
    targets: Mapping[str, float | int | None]
    if "unit_min" in p:
        targets = p["unit_min"]
        codes = tuple(targets)
    else:
        codes = p["units"]
        targets = {c: p.get(target_key) for c in codes}
    inside = [c for c in codes if run.in_area(_unit_province_code(run, c, level), edition)]
    outside = [c for c in codes if c not in inside]
    if scope == "unit_group":
        if outside:
            return not_evaluable(
                f"Nhóm đơn vị gồm {', '.join(outside)} nằm ngoài phạm vi kiểm tra.",
                f"Units {', '.join(outside)} of the group are outside the area checked.",
            )
        members_all = [f for c in codes for f in members.get(c, [])]
        unrecorded_all = [u for c in codes for u in unrecorded.get(c, [])]
        pops = [run.idx.unit(edition, c) for c in codes]
        pop = (
            float(sum(u.population or 0 for u in pops if u is not None))
            if all(u is not None and u.population is not None for u in pops)
            else None
        )
        return [
            Group(
                None,
                ", ".join(run.unit_name(c, edition) for c in codes),
                p.get(target_key),
                members_all,
                pop,
                unrecorded_all,
            )
        ], uncertain
    if not inside:
        return not_evaluable(
            "Các đơn vị của chỉ tiêu nằm ngoài phạm vi kiểm tra.",
            "The units this target names are outside the area checked.",
        )
    return [group(c, targets[c]) for c in inside], uncertain


def _unit_province_code(run: Run, code: str, level: str) -> str | None:
    if level == "province":
        return code
    unit = run.idx.unit(run.edition, code)
    return run.idx.unit_province(unit) if unit is not None else None


def compare_target(measure: Measure, target: float | int | None, bound: str) -> Status:
    if target is None:
        return Status.NOT_SET
    if measure.value is None:
        return Status.NOT_EVALUABLE
    met = measure.value >= target
    if met:
        return Status.NOT_EVALUABLE if bound == "upper" else Status.PASS
    if not measure.complete or bound == "lower":
        return Status.NOT_EVALUABLE
    return Status.FAIL


BOUND_REASONS = {
    "lower": (
        "Sổ đăng ký chỉ chứa một phần những gì chỉ tiêu tính (xem ghi chú của quy tắc); "
        "số đếm được chưa đủ nhưng không kết luận được là chưa đạt.",
        "The registry holds only part of what the target counts (see the rule's note); "
        "the count is short, but that does not show the target is missed.",
    ),
    "upper": (
        "Số cơ sở trong sổ đăng ký đạt chỉ tiêu, nhưng chỉ tiêu chỉ tính các cơ sở đáp ứng "
        "điều kiện mà sổ đăng ký không ghi (xem ghi chú của quy tắc).",
        "The registry count reaches the target, but the target counts only facilities "
        "meeting a condition the registry does not record (see the rule's note).",
    ),
    "incomplete": (
        "Thiếu số liệu (công suất hoặc dân số) nên chưa kết luận được.",
        "Data is missing (capacity or population), so no conclusion can be drawn.",
    ),
}

#: needs_record -> count_bound -> (vi, en): the target needs a record the registry does not
#: hold yet. ``lower``: a shortfall is not a miss; ``upper``: reaching the count is not a pass.
NEEDED_RECORD_REASONS: dict[str, dict[str, tuple[str, str]]] = {
    "investment_project": {
        "lower": (
            "Chỉ tiêu cần một hồ sơ dự án đầu tư (đề án, dự án xây dựng đã hoàn thành hay "
            "chưa), mà việc đếm cơ sở không cho biết; chỉ cơ sở đang xây dựng hoặc đang hoạt "
            "động mới chứng minh được. Chưa đánh giá được cho đến khi có cơ sở như vậy.",
            "The target needs an investment project record (whether the scheme or "
            "construction project was completed), which counting facilities does not show; "
            "only a facility under "
            "construction or operating shows it. Not evaluable until such a facility is "
            "recorded.",
        ),
        "upper": (
            "Cơ sở có trong sổ đăng ký, nhưng việc nâng cấp, mở rộng hay hoàn thiện cơ sở hạ "
            "tầng cần một hồ sơ dự án đầu tư, mà việc đếm cơ sở không cho biết (loại quy tắc "
            "project_completed đọc dự án đầu tư).",
            "The facility is in the registry, but whether it was upgraded, extended or its "
            "infrastructure completed needs an investment project record, which counting "
            "facilities does not show (the project_completed rule kind reads investment "
            "projects).",
        ),
    },
}


def _reason(
    run: Run, key: str, unrecorded: list[dict[str, Any]], n_unrecorded: int | None = None
) -> tuple[str, str]:
    """Why an aggregate is NOT_EVALUABLE: unrecorded attributes, a record the registry does
    not hold (``needs_record``), or the generic bound reasons."""
    if key == "incomplete" and unrecorded:
        return unrecorded_reason(unrecorded, n_unrecorded)
    needed = run.p.get("needs_record")
    if needed is not None and key in {"lower", "upper"}:
        return NEEDED_RECORD_REASONS[needed][key]
    return BOUND_REASONS[key]


def unrecorded_refs(
    items: Sequence[tuple[FacilityFact, tuple[str, ...]]], limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """Evidence rows (at most ``limit``) for facilities set aside as not recorded."""
    return [{**fact_ref(f), "missing": list(missing)} for f, missing in items[:limit]]


def aggregate(
    run: Run,
    target_key: str,
    measure: Callable[[Group], Measure],
    measure_vi: str,
    measure_en: str,
    count_bound: str = "exact",
) -> Outcome:
    """Evaluate a scoped aggregate rule: measure each group, compare with its target."""
    found = scope_groups(run, target_key)
    if isinstance(found, Outcome):
        return found
    groups, uncertain = found
    base: dict[str, Any] = {"measure_vi": measure_vi, "measure_en": measure_en}
    if uncertain:
        base["uncertain_membership"] = cut([fact_ref(f) for f in uncertain])

    if run.p["scope"] in {"jurisdiction", "unit_group"}:
        g = groups[0]
        m = measure(g)
        if m.extra.pop("nothing_in_scope", False):
            return run.nothing_in_scope()
        if g.unrecorded:
            m.extra["unrecorded"] = unrecorded_refs(g.unrecorded)
            m.extra["n_unrecorded"] = len(g.unrecorded)
        status = compare_target(m, g.target, count_bound)
        ev = {
            **base,
            **m.extra,
            "actual": None if m.value is None else rounded(m.value),
            "target": g.target,
            "counted": cut([fact_ref(f) for f in g.facilities]),
        }
        if g.name:
            ev["units"] = g.name
        if g.target is not None and m.value is not None and m.value < g.target:
            ev["shortfall"] = rounded(g.target - m.value)
        if status == Status.NOT_EVALUABLE:
            short = m.value is None or g.target is None or m.value < g.target
            key = "incomplete" if m.value is None or (short and not m.complete) else count_bound
            ev["reason_vi"], ev["reason_en"] = _reason(
                run, key, ev.get("unrecorded", []), ev.get("n_unrecorded")
            )
        return Outcome(status, "total", ev)

    failing: list[dict[str, Any]] = []
    unset: list[str] = []
    unsure: list[dict[str, Any]] = []
    met = 0
    per_unit: list[dict[str, Any]] = []
    unrecorded_rows: list[dict[str, Any]] = []
    n_unrecorded = 0
    for g in groups:
        m = measure(g)
        m.extra.pop("nothing_in_scope", None)
        status = compare_target(m, g.target, count_bound)
        n_unrecorded += len(g.unrecorded)
        if len(unrecorded_rows) < LIST_LIMIT:
            unrecorded_rows.extend(unrecorded_refs(g.unrecorded, LIST_LIMIT - len(unrecorded_rows)))
        row = {
            "code": g.code,
            "name": g.name,
            "target": g.target,
            "actual": None if m.value is None else rounded(m.value),
            "facilities": [f.code for f in g.facilities][:20],
        }
        per_unit.append(row)
        if status == Status.PASS:
            met += 1
        elif status == Status.NOT_SET:
            unset.append(str(g.code))
        elif status == Status.FAIL:
            shortfall = (g.target or 0) - (m.value or 0)
            failing.append({**row, "shortfall": rounded(shortfall)})
        else:
            unsure.append(row)
    n = len(groups)
    ev = {
        **base,
        "n_units": n,
        "n_met": met,
        "n_failing": len(failing),
        "n_unset": len(unset),
        "failing_units": cut(failing),
        "unset_units": unset,
        "per_unit": cut(per_unit),
        "failing_names": join_names([r["name"] for r in failing]),
    }
    if unsure:
        ev["unknown"] = cut(unsure)
    if unrecorded_rows:
        ev["unrecorded"] = unrecorded_rows
        ev["n_unrecorded"] = n_unrecorded
    share = run.p.get("min_share_of_units_pct")
    if share is not None and run.p["scope"] == "each_unit" and not unset:
        ev["required_share_pct"] = share
        ev["actual_share_pct"] = rounded(100.0 * met / n)
        if 100.0 * met / n >= share:
            return Outcome(Status.PASS, "units", ev)
        if 100.0 * (met + len(unsure)) / n >= share:
            ev["reason_vi"], ev["reason_en"] = _reason(
                run,
                "incomplete" if count_bound == "exact" else count_bound,
                unrecorded_rows,
                n_unrecorded,
            )
            return Outcome(Status.NOT_EVALUABLE, "units", ev)
        return Outcome(Status.FAIL, "units", ev)
    if failing:
        return Outcome(Status.FAIL, "units", ev)
    if unset:
        return Outcome(Status.NOT_SET, "units", ev)
    if unsure:
        key = "incomplete" if count_bound == "exact" or unrecorded_rows else count_bound
        ev["reason_vi"], ev["reason_en"] = _reason(run, key, unrecorded_rows, n_unrecorded)
        return Outcome(Status.NOT_EVALUABLE, "units", ev)
    return Outcome(Status.PASS, "units", ev)


# --- per-facility checks ---------------------------------------------------------------------


def facility_check(
    checked: list[FacilityFact],
    failing: list[dict[str, Any]],
    unknown: list[dict[str, Any]],
    reason: tuple[str, str],
    *,
    run: Run | None = None,
    vacuous: Outcome | None = None,
) -> Outcome:
    """A per-facility standard: FAIL if any facility breaks it, NOT_EVALUABLE if data is
    missing. With ``run``, no facility in scope is NOT_EVALUABLE (nothing in scope): a
    standard checked on nothing is never met; ``vacuous`` gives another outcome for that."""
    aside = [] if run is None else unrecorded_refs(run.unrecorded)
    if not checked and not failing and not unknown and not aside:
        if vacuous is not None:
            return vacuous
        if run is not None:
            return run.nothing_in_scope()
    ev: dict[str, Any] = {
        "n_checked": len(checked),
        "n_failing": len(failing),
        "n_unknown": len(unknown),
        "failing_facilities": cut(failing),
        "unknown": cut(unknown),
        "failing_names": join_names([str(r["name"]) for r in failing]),
    }
    if aside:
        ev["unrecorded"] = cut(aside)
    if failing:
        return Outcome(Status.FAIL, "facilities", ev)
    if unknown:
        ev["reason_vi"], ev["reason_en"] = reason
        return Outcome(Status.NOT_EVALUABLE, "facilities", ev)
    if aside:
        # Facilities the standard may apply to, but whose level, services or target groups
        # are not recorded, have not been checked.
        n_aside = len(run.unrecorded) if run is not None else len(aside)
        ev["reason_vi"], ev["reason_en"] = unrecorded_reason(aside, n_aside)
        ev["n_unknown"] = n_aside
        return Outcome(Status.NOT_EVALUABLE, "facilities", ev)
    return Outcome(Status.PASS, "facilities", ev)


# --- the registry of kinds -------------------------------------------------------------------

Evaluator = Callable[[Run], Outcome]

#: kind -> evaluator; each kind module fills it with ``@kind("...")`` when the package loads.
KINDS: dict[str, Evaluator] = {}


def kind(name: str) -> Callable[[Evaluator], Evaluator]:
    """Register the decorated function as the evaluator of rule kind ``name``."""

    def register(evaluator: Evaluator) -> Evaluator:
        if name in KINDS:
            raise ValueError(f"rule kind {name!r} is registered twice")
        KINDS[name] = evaluator
        return evaluator

    return register


# --- entry points ----------------------------------------------------------------------------


def evaluate_rule(plan: Plan, rule: Rule, context: CheckContext) -> RuleResult:
    """Check one rule of ``plan`` against the context."""
    outcome = KINDS[rule.kind](Run(plan, rule, context))
    due = None if rule.target_year is None else context.as_of >= date(rule.target_year, 12, 31)
    evidence = dict(outcome.evidence)
    evidence["due"] = due
    vi, en = render_messages(outcome.variant, outcome.status, evidence, rule, due)
    return RuleResult(
        plan_code=plan.code,
        rule_code=rule.code,
        kind=rule.kind,
        title_vi=rule.title_vi,
        title_en=rule.title_en,
        severity=rule.severity,
        target_year=rule.target_year,
        due=due,
        status=outcome.status,
        message_vi=vi,
        message_en=en,
        evidence=evidence,
        source=rule.source,
    )


def evaluate(plan: Plan, context: CheckContext) -> PlanReport:
    """Check every rule of ``plan`` and count the results by status."""
    results = tuple(evaluate_rule(plan, rule, context) for rule in plan.rules)
    counts = {status: 0 for status in Status}
    for r in results:
        counts[r.status] += 1
    return PlanReport(plan.code, context.as_of, results, counts)


def evaluate_all(plans: Iterable[Plan], context: CheckContext) -> list[PlanReport]:
    """Check several plans against one context (look-up tables are built once)."""
    return [evaluate(plan, context) for plan in plans]
