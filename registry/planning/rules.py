"""The rule engine: check a master plan's rules against plain facts about facilities and units.

Pure: no database, no Flask. Services turn models into ``FacilityFact`` / ``UnitFact``, build a
``CheckContext`` and call ``evaluate(plan, context)``; views render the ``PlanReport``.

Result statuses (``Status``):

* ``PASS`` / ``FAIL`` — the registry holds what the rule needs and the target is met / not met.
* ``NOT_SET`` — the rule's target (or the units it names) is empty in the plan file because our
  sources do not give it (e.g. Decision 1520's per-province figures). Never a pass.
* ``NOT_EVALUABLE`` — the registry cannot decide: data missing (population, capacities,
  coordinates, licence flags), the check covers only part of the plan's jurisdiction, or the
  target is not about facilities at all (kind ``external_indicator``).

"As of" a date. A facility's status at ``as_of`` (``effective_status``) is read from its current
status and its dates: closed on or before ``as_of`` → closed; opened after ``as_of`` → planned
(it did not operate yet); a facility closed after ``as_of`` was operating then. Count-type
rules count only the statuses they list (parameter ``statuses``); the default is
``["operating"]``, so planned facilities count only where a rule says so.

Messages. Every result carries a structured ``evidence`` dict (JSON-serialisable: numbers,
strings, lists of dicts) and a Vietnamese and an English message rendered from the templates in
``MESSAGES`` with that evidence. Evidence keys used across kinds:

``actual``, ``target``, ``shortfall`` — the measured value, the target, how far short;
``counted`` — facilities that count (``id``, ``code``, ``name``, ``unit``);
``failing_units`` — units short of target (``code``, ``name``, ``actual``, ``target``,
``shortfall``; coverage adds ``nearest_km``); ``unset_units`` — units with an empty target;
``failing_facilities`` — facilities breaking a standard, with the values involved;
``unknown`` — facilities or units whose data is missing; ``pairs`` — facilities too close
(``a``, ``b``, ``distance_km``); ``uncertain_membership`` — facilities placed in a pre-2025
province by their current province code only; ``reason_vi`` / ``reason_en`` — why a rule is
NOT_EVALUABLE; ``due`` — whether ``as_of`` has reached the end of the target year.

Rule kinds and their parameters (validated by ``plan_schema``):

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
``capacity_bounds``
    Each matching facility's design capacity lies within [``min``, ``max``].
``residents_within_capacity``
    Residents do not exceed design capacity.
``licensing_required``
    Decree 103/2017: a non-public facility with ``residents_threshold`` (10) or more residents
    needs an establishment registration and an operating licence.
``coverage``
    Each unit of ``level`` has a matching facility within ``distance_km`` of its representative
    point (``mode: each_unit``), or at least ``min_pct`` % of the population does
    (``mode: population_share``). Distances are geodesic (``coverage`` module).
``spacing``
    No two matching facilities are closer than ``min_distance_km``.
``valid_admin_codes``
    ``subject: facilities`` — facilities' unit codes exist in the catalogue in force at
    ``as_of`` (pre-2025 before 1/7/2025, the 2025 edition from then on; Decision 19/2025/QĐ-TTg);
    ``subject: plan_units`` — the unit codes a plan names existed at the plan's date.
``external_indicator``
    A target the registry cannot check (training rates, "models" that are not facilities):
    always NOT_EVALUABLE, with the reason given in the plan file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from registry.planning import coverage as cov
from registry.planning.plan_schema import Citation, Plan, Rule

REORGANISATION_DATE = date(2025, 7, 1)
DEFAULT_STATUSES: tuple[str, ...] = ("operating",)
_LIVE_STATUSES: tuple[str, ...] = ("planned", "under_construction", "operating", "suspended")
_NOT_YET_OPEN = frozenset({"planned", "under_construction"})
_LIST_LIMIT = 200  # evidence lists are cut here (the count stays exact)


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a result status, not a password
    FAIL = "fail"
    NOT_EVALUABLE = "not_evaluable"
    NOT_SET = "not_set"


# --- input facts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FacilityFact:
    """What the rules need to know about one facility.

    ``province_code`` and ``commune_code`` are current (2025 edition) codes; ``district_code``
    and ``commune_code_pre2025`` are pre-2025 codes and may be None. ``ownership`` is
    ``public`` or ``non_public``; ``status`` one of planned, under_construction, operating,
    suspended, closed. ``approximate`` marks coordinates known only roughly.
    """

    id: int | str
    code: str
    name: str
    type_code: str
    ownership: str
    status: str
    province_code: str | None
    commune_code: str | None = None
    district_code: str | None = None
    commune_code_pre2025: str | None = None
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    design_capacity: int | None = None
    residents: int | None = None
    has_registration: bool | None = None
    has_licence: bool | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class UnitFact:
    """An administrative unit of one edition (``pre2025`` or ``2025``).

    ``rep_lon``/``rep_lat`` is its representative (or population-weighted) point.
    ``province_code`` may be left None: it is then found through ``parent_code``.
    """

    code: str
    level: str
    name: str
    parent_code: str | None
    edition: str
    population: int | None = None
    population_year: int | None = None
    rep_lon: float | None = None
    rep_lat: float | None = None
    province_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to


@dataclass(frozen=True)
class CheckContext:
    """Everything a check reads.

    ``jurisdiction_province_codes`` are current (2025) province codes the caller may see;
    None means the whole country. ``province_code_map`` maps pre-2025 province codes to their
    2025 successors (identity when absent). ``type_categories`` maps type codes to categories
    for rules that name categories.
    """

    as_of: date
    facilities: Sequence[FacilityFact]
    units: Sequence[UnitFact] = ()
    jurisdiction_province_codes: frozenset[str] | None = None
    type_categories: Mapping[str, str] = field(default_factory=dict)
    province_code_map: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def index(self) -> _Index:
        """Look-up tables built once per context and shared by all rules and plans."""
        return _Index(self)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one rule, with evidence and messages in both languages."""

    plan_code: str
    rule_code: str
    kind: str
    title_vi: str
    title_en: str
    severity: str
    target_year: int | None
    due: bool | None
    status: Status
    message_vi: str
    message_en: str
    evidence: Mapping[str, Any]
    source: Citation


@dataclass(frozen=True, slots=True)
class PlanReport:
    """All rule results of one plan at ``as_of``, with counts by status."""

    plan_code: str
    as_of: date
    results: tuple[RuleResult, ...]
    counts: Mapping[Status, int]

    def by_status(self, status: Status) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status == status)

    def result(self, rule_code: str) -> RuleResult:
        for r in self.results:
            if r.rule_code == rule_code:
                return r
        raise KeyError(rule_code)


def effective_status(facility: FacilityFact, as_of: date) -> str:
    """The facility's status on ``as_of``, read from its current status and its dates."""
    if facility.closed_on is not None and facility.closed_on <= as_of:
        return "closed"
    if facility.opened_on is not None and facility.opened_on > as_of:
        return facility.status if facility.status in _NOT_YET_OPEN else "planned"
    if facility.status == "closed":
        # Closed later than as_of (closed_on > as_of): it was operating on as_of.
        return "operating" if facility.closed_on is not None else "closed"
    return facility.status


# --- indexes -------------------------------------------------------------------------------


class _Index:
    """Look-ups over one context: facilities by type, units by code, provinces of things."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.by_type: dict[str, list[FacilityFact]] = {}
        for f in ctx.facilities:
            self.by_type.setdefault(f.type_code, []).append(f)
        self.units: dict[tuple[str, str], UnitFact] = {}
        self.units_by_level: dict[tuple[str, str], list[UnitFact]] = {}
        for u in ctx.units:
            self.units[(u.edition, u.code)] = u
            self.units_by_level.setdefault((u.edition, u.level), []).append(u)
        self._unit_province: dict[tuple[str, str], str | None] = {}
        self._fac_province: dict[tuple[str, int | str], tuple[str | None, bool]] = {}
        successors: dict[str, int] = {}
        for new in ctx.province_code_map.values():
            successors[new] = successors.get(new, 0) + 1
        self.merged_provinces = frozenset(code for code, n in successors.items() if n > 1)
        self._status: dict[int | str, str] = {}

    def status(self, f: FacilityFact) -> str:
        found = self._status.get(f.id)
        if found is None:
            found = self._status[f.id] = effective_status(f, self.ctx.as_of)
        return found

    def unit(self, edition: str, code: str | None) -> UnitFact | None:
        return None if code is None else self.units.get((edition, code))

    def unit_province(self, unit: UnitFact) -> str | None:
        key = (unit.edition, unit.code)
        if key in self._unit_province:
            return self._unit_province[key]
        current: UnitFact | None = unit
        found: str | None = None
        for _ in range(4):
            if current is None:
                break
            if current.province_code is not None:
                found = current.province_code
                break
            if current.level == "province":
                found = current.code
                break
            current = self.unit(unit.edition, current.parent_code)
        self._unit_province[key] = found
        return found

    def facility_province(self, f: FacilityFact, edition: str) -> tuple[str | None, bool]:
        """The facility's province code in ``edition`` and whether that placement is uncertain.

        Pre-2025 provinces come from the pre-2025 district when it is known; otherwise from
        the current province code, flagged uncertain when that province merged several.
        """
        key = (edition, f.id)
        found = self._fac_province.get(key)
        if found is not None:
            return found
        if edition == "2025":
            found = (f.province_code, False)
        else:
            district = self.unit("pre2025", f.district_code)
            province = self.unit_province(district) if district is not None else None
            if province is not None:
                found = (province, False)
            else:
                found = (f.province_code, f.province_code in self.merged_provinces)
        self._fac_province[key] = found
        return found

    def facility_unit(self, f: FacilityFact, level: str, edition: str) -> str | None:
        if level == "province":
            return self.facility_province(f, edition)[0]
        if level == "district":
            return f.district_code if edition == "pre2025" else None
        return f.commune_code if edition == "2025" else f.commune_code_pre2025


# --- evaluation plumbing -------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    status: Status
    variant: str
    evidence: dict[str, Any]


def _ref(f: FacilityFact, unit: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "code": f.code, "name": f.name}
    if unit is not None:
        out["unit"] = unit
    return out


def _cut(items: list[Any]) -> list[Any]:
    return items[:_LIST_LIMIT]


def _num(value: float) -> float | int:
    """Round for display and evidence: integers stay integers, others keep 2 decimals."""
    if float(value).is_integer():
        return int(value)
    return round(float(value), 2)


def _reason(vi: str, en: str, **evidence: Any) -> _Outcome:
    return _Outcome(Status.NOT_EVALUABLE, "reason", {"reason_vi": vi, "reason_en": en,
                                                       **evidence})


class _Run:
    """One rule being evaluated: its parameters, the plan's area, and the facilities."""

    def __init__(self, plan: Plan, rule: Rule, ctx: CheckContext) -> None:
        self.plan = plan
        self.rule = rule
        self.ctx = ctx
        self.idx = ctx.index
        self.p = rule.params
        self.edition: str = self.p.get("edition", plan.jurisdiction.edition)

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
        return self.province_in_plan(code, edition) and self.province_in_context(code, edition)

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

    def not_covered(self) -> _Outcome:
        seen = sorted(self.ctx.jurisdiction_province_codes or ())
        j = self.plan.jurisdiction
        area = "toàn quốc" if j.national else ", ".join(sorted(j.province_codes))
        area_en = "the whole country" if j.national else ", ".join(sorted(j.province_codes))
        return _reason(
            f"Chỉ tiêu tính trên {area}; phạm vi kiểm tra chỉ gồm tỉnh {', '.join(seen)}.",
            f"The target applies to {area_en}; this check sees only provinces "
            f"{', '.join(seen)}.",
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
        self, default_statuses: Sequence[str] = DEFAULT_STATUSES, *, edition: str | None = None,
        ownership: str | None = None,
    ) -> tuple[list[FacilityFact], list[FacilityFact]]:
        """Facilities matching the rule's filter inside the area; and those placed uncertainly.

        ``opened_from`` keeps facilities opened on or after that date, plus ones not open yet.
        """
        edition = edition or self.edition
        statuses = frozenset(self.p.get("statuses", default_statuses))
        ownership = ownership or self.p.get("ownership")
        opened_from: date | None = self.p.get("opened_from")
        chosen: list[FacilityFact] = []
        uncertain: list[FacilityFact] = []
        for f in self._type_filter():
            if ownership is not None and f.ownership != ownership:
                continue
            status = self.idx.status(f)
            if status not in statuses:
                continue
            if opened_from is not None and status not in _NOT_YET_OPEN and (
                f.opened_on is None or f.opened_on < opened_from
            ):
                continue
            province, unsure = self.idx.facility_province(f, edition)
            if not self.in_area(province, edition):
                continue
            chosen.append(f)
            if unsure:
                uncertain.append(f)
        return chosen, uncertain

    # units -------------------------------------------------------------------------------
    def area_units(self, level: str, edition: str) -> list[UnitFact]:
        return [
            u for u in self.idx.units_by_level.get((edition, level), ())
            if self.in_area(self.idx.unit_province(u), edition)
        ]

    def unit_name(self, code: str, edition: str) -> str:
        unit = self.idx.unit(edition, code)
        return unit.name if unit is not None else code


# --- aggregate kinds (counts, shares, capacities) over a scope -----------------------------


@dataclass(slots=True)
class _Group:
    code: str | None
    name: str
    target: float | int | None
    facilities: list[FacilityFact]
    population: float | None


@dataclass(slots=True)
class _Measure:
    """A group's measured value; ``complete`` is False when missing data could change it."""

    value: float | None
    complete: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _groups(run: _Run, target_key: str) -> tuple[list[_Group], list[FacilityFact]] | _Outcome:
    """Split the selected facilities into the rule's scope groups, each with its target."""
    p = run.p
    scope: str = p["scope"]
    edition = run.edition
    if scope in {"units", "unit_group"} and "unit_min" not in p and p.get("units") is None:
        return _Outcome(Status.NOT_SET, "reason", {
            "reason_vi": "Chưa nhập danh sách đơn vị hành chính của chỉ tiêu.",
            "reason_en": "The units this target applies to have not been entered.",
        })
    facilities, uncertain = run.select()
    if scope == "jurisdiction":
        if not run.covers_plan:
            return run.not_covered()
        provinces = run.area_units("province", edition)
        population: float | None = None
        if provinces and all(u.population is not None for u in provinces):
            population = float(sum(u.population or 0 for u in provinces))
        return [_Group(None, "", p.get(target_key), facilities, population)], uncertain

    level: str = p["level"]
    members: dict[str, list[FacilityFact]] = {}
    for f in facilities:
        code = run.idx.facility_unit(f, level, edition)
        if code is not None:
            members.setdefault(code, []).append(f)

    def group(code: str, target: float | int | None) -> _Group:
        unit = run.idx.unit(edition, code)
        pop = float(unit.population) if unit is not None and unit.population is not None else None
        return _Group(code, run.unit_name(code, edition), target, members.get(code, []), pop)

    if scope == "each_unit":
        units = run.area_units(level, edition)
        if not units:
            return _reason(
                f"Không có danh mục đơn vị cấp {level} ({edition}) trong phạm vi kiểm tra.",
                f"No {level} units ({edition}) are known in the area checked.",
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
            return _reason(
                f"Nhóm đơn vị gồm {', '.join(outside)} nằm ngoài phạm vi kiểm tra.",
                f"Units {', '.join(outside)} of the group are outside the area checked.",
            )
        members_all = [f for c in codes for f in members.get(c, [])]
        pops = [run.idx.unit(edition, c) for c in codes]
        pop = (float(sum(u.population or 0 for u in pops if u is not None))
               if all(u is not None and u.population is not None for u in pops) else None)
        return [_Group(None, ", ".join(run.unit_name(c, edition) for c in codes),
                       p.get(target_key), members_all, pop)], uncertain
    if not inside:
        return _reason(
            "Các đơn vị của chỉ tiêu nằm ngoài phạm vi kiểm tra.",
            "The units this target names are outside the area checked.",
        )
    return [group(c, targets[c]) for c in inside], uncertain


def _unit_province_code(run: _Run, code: str, level: str) -> str | None:
    if level == "province":
        return code
    unit = run.idx.unit(run.edition, code)
    return run.idx.unit_province(unit) if unit is not None else None


def _compare(measure: _Measure, target: float | int | None, bound: str) -> Status:
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


_BOUND_REASONS = {
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


def _aggregate(
    run: _Run, target_key: str, measure: Callable[[_Group], _Measure], measure_vi: str,
    measure_en: str, count_bound: str = "exact",
) -> _Outcome:
    """Evaluate a scoped aggregate rule: measure each group, compare with its target."""
    found = _groups(run, target_key)
    if isinstance(found, _Outcome):
        return found
    groups, uncertain = found
    base: dict[str, Any] = {"measure_vi": measure_vi, "measure_en": measure_en}
    if uncertain:
        base["uncertain_membership"] = _cut([_ref(f) for f in uncertain])

    if run.p["scope"] in {"jurisdiction", "unit_group"}:
        g = groups[0]
        m = measure(g)
        status = _compare(m, g.target, count_bound)
        ev = {**base, **m.extra, "actual": None if m.value is None else _num(m.value),
              "target": g.target, "counted": _cut([_ref(f) for f in g.facilities])}
        if g.name:
            ev["units"] = g.name
        if g.target is not None and m.value is not None and m.value < g.target:
            ev["shortfall"] = _num(g.target - m.value)
        if status == Status.NOT_EVALUABLE:
            short = m.value is None or g.target is None or m.value < g.target
            key = "incomplete" if m.value is None or (short and not m.complete) else count_bound
            ev["reason_vi"], ev["reason_en"] = _BOUND_REASONS[key]
        return _Outcome(status, "total", ev)

    failing: list[dict[str, Any]] = []
    unset: list[str] = []
    unsure: list[dict[str, Any]] = []
    met = 0
    per_unit: list[dict[str, Any]] = []
    for g in groups:
        m = measure(g)
        status = _compare(m, g.target, count_bound)
        row = {"code": g.code, "name": g.name, "target": g.target,
               "actual": None if m.value is None else _num(m.value),
               "facilities": [f.code for f in g.facilities][:20]}
        per_unit.append(row)
        if status == Status.PASS:
            met += 1
        elif status == Status.NOT_SET:
            unset.append(str(g.code))
        elif status == Status.FAIL:
            shortfall = (g.target or 0) - (m.value or 0)
            failing.append({**row, "shortfall": _num(shortfall)})
        else:
            unsure.append(row)
    n = len(groups)
    ev = {**base, "n_units": n, "n_met": met, "n_failing": len(failing),
          "n_unset": len(unset), "failing_units": _cut(failing), "unset_units": unset,
          "per_unit": _cut(per_unit), "failing_names": _names([r["name"] for r in failing])}
    if unsure:
        ev["unknown"] = _cut(unsure)
    share = run.p.get("min_share_of_units_pct")
    if share is not None and run.p["scope"] == "each_unit" and not unset:
        ev["required_share_pct"] = share
        ev["actual_share_pct"] = _num(100.0 * met / n)
        if 100.0 * met / n >= share:
            return _Outcome(Status.PASS, "units", ev)
        if 100.0 * (met + len(unsure)) / n >= share:
            ev["reason_vi"], ev["reason_en"] = _BOUND_REASONS[
                "incomplete" if count_bound == "exact" else count_bound]
            return _Outcome(Status.NOT_EVALUABLE, "units", ev)
        return _Outcome(Status.FAIL, "units", ev)
    if failing:
        return _Outcome(Status.FAIL, "units", ev)
    if unset:
        return _Outcome(Status.NOT_SET, "units", ev)
    if unsure:
        key = "incomplete" if count_bound == "exact" else count_bound
        ev["reason_vi"], ev["reason_en"] = _BOUND_REASONS[key]
        return _Outcome(Status.NOT_EVALUABLE, "units", ev)
    return _Outcome(Status.PASS, "units", ev)


def _names(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", …" if len(names) > limit else "")


def _min_count(run: _Run) -> _Outcome:
    return _aggregate(run, "min", lambda g: _Measure(float(len(g.facilities))),
                      "cơ sở", "facilities", run.p.get("count_bound", "exact"))


def _non_public_share(run: _Run) -> _Outcome:
    def measure(g: _Group) -> _Measure:
        total = len(g.facilities)
        non_public = sum(1 for f in g.facilities if f.ownership == "non_public")
        extra = {"non_public": non_public, "total": total}
        return _Measure(100.0 * non_public / total if total else None, True, extra)

    return _aggregate(run, "min_pct", measure, "% ngoài công lập", "% non-public")


def _capacity(g: _Group) -> tuple[float, list[FacilityFact]]:
    unknown = [f for f in g.facilities if f.design_capacity is None]
    return float(sum(f.design_capacity or 0 for f in g.facilities)), unknown


def _total_capacity(run: _Run) -> _Outcome:
    def measure(g: _Group) -> _Measure:
        total, unknown = _capacity(g)
        return _Measure(total, not unknown,
                        {"unknown": _cut([_ref(f) for f in unknown])} if unknown else {})

    return _aggregate(run, "min", measure, "chỗ (công suất thiết kế)", "places (design capacity)")


def _capacity_per_population(run: _Run) -> _Outcome:
    per = float(run.p.get("per", 10_000))

    def measure(g: _Group) -> _Measure:
        total, unknown = _capacity(g)
        extra: dict[str, Any] = {"capacity": _num(total), "population": g.population,
                                 "per": _num(per)}
        if unknown:
            extra["unknown"] = _cut([_ref(f) for f in unknown])
        if not g.population:
            return _Measure(None, False, extra)
        return _Measure(total / g.population * per, not unknown, extra)

    return _aggregate(run, "min", measure, f"chỗ trên {_num(per)} dân",
                      f"places per {_num(per)} inhabitants")


# --- facility-level standards ----------------------------------------------------------------


def _facility_check(
    checked: list[FacilityFact], failing: list[dict[str, Any]], unknown: list[dict[str, Any]],
    reason: tuple[str, str], *, vacuous: _Outcome | None = None,
) -> _Outcome:
    if not checked and vacuous is not None:
        return vacuous
    ev: dict[str, Any] = {
        "n_checked": len(checked), "n_failing": len(failing), "n_unknown": len(unknown),
        "failing_facilities": _cut(failing), "unknown": _cut(unknown),
        "failing_names": _names([str(r["name"]) for r in failing]),
    }
    if failing:
        return _Outcome(Status.FAIL, "facilities", ev)
    if unknown:
        ev["reason_vi"], ev["reason_en"] = reason
        return _Outcome(Status.NOT_EVALUABLE, "facilities", ev)
    return _Outcome(Status.PASS, "facilities", ev)


def _capacity_bounds(run: _Run) -> _Outcome:
    low, high = run.p.get("min"), run.p.get("max")
    if low is None and high is None:
        return _Outcome(Status.NOT_SET, "reason", {
            "reason_vi": "Chưa đặt giới hạn công suất.", "reason_en": "Capacity bounds not set."})
    checked, _ = run.select(_LIVE_STATUSES)
    failing, unknown = [], []
    for f in checked:
        if f.design_capacity is None:
            unknown.append(_ref(f))
        elif (low is not None and f.design_capacity < low) or (
            high is not None and f.design_capacity > high
        ):
            failing.append({**_ref(f), "design_capacity": f.design_capacity,
                            "min": low, "max": high})
    none = _reason("Không có cơ sở thuộc loại này để kiểm tra công suất.",
                   "No facility of these types to check the capacity of.")
    out = _facility_check(checked, failing, unknown, (
        "Chưa có công suất thiết kế của một số cơ sở.",
        "Some facilities have no design capacity recorded."), vacuous=none)
    out.evidence.update({"min": low, "max": high})
    return out


def _residents_within_capacity(run: _Run) -> _Outcome:
    checked, _ = run.select(("operating", "suspended"))
    failing, unknown = [], []
    for f in checked:
        if f.residents is None or f.design_capacity is None:
            unknown.append(_ref(f))
        elif f.residents > f.design_capacity:
            failing.append({**_ref(f), "residents": f.residents,
                            "design_capacity": f.design_capacity,
                            "excess": f.residents - f.design_capacity})
    return _facility_check(checked, failing, unknown, (
        "Thiếu số đối tượng hoặc công suất thiết kế của một số cơ sở.",
        "Residents or design capacity are missing for some facilities."))


def _licensing_required(run: _Run) -> _Outcome:
    threshold = run.p["residents_threshold"]
    candidates, _ = run.select(("operating", "suspended"), ownership="non_public")
    checked: list[FacilityFact] = []
    failing, unknown = [], []
    for f in candidates:
        if f.residents is None:
            unknown.append({**_ref(f), "missing": ["residents"]})
            continue
        if f.residents < threshold:
            continue
        checked.append(f)
        missing = [name for name, flag in (("registration", f.has_registration),
                                           ("licence", f.has_licence)) if flag is False]
        unsure = [name for name, flag in (("registration", f.has_registration),
                                          ("licence", f.has_licence)) if flag is None]
        if missing:
            failing.append({**_ref(f), "residents": f.residents, "missing": missing})
        elif unsure:
            unknown.append({**_ref(f), "residents": f.residents, "unknown": unsure})
    out = _facility_check(checked + [f for f in candidates if f.residents is None], failing,
                          unknown, ("Chưa rõ số đối tượng hoặc tình trạng đăng ký/giấy phép "
                                    "của một số cơ sở.",
                                    "Residents or registration/licence status are unknown "
                                    "for some facilities."))
    out.evidence["residents_threshold"] = threshold
    return out


def _located(facilities: Iterable[FacilityFact]) -> tuple[list[FacilityFact], list[FacilityFact]]:
    located: list[FacilityFact] = []
    unlocated: list[FacilityFact] = []
    for f in facilities:
        (located if f.lon is not None and f.lat is not None else unlocated).append(f)
    return located, unlocated


def _coverage(run: _Run) -> _Outcome:
    distance = run.p.get("distance_km")
    mode: str = run.p["mode"]
    if distance is None or (mode == "population_share" and run.p.get("min_pct") is None):
        return _Outcome(Status.NOT_SET, "reason", {
            "reason_vi": "Chưa đặt bán kính hoặc tỷ lệ bao phủ.",
            "reason_en": "Coverage distance or share not set."})
    level: str = run.p["level"]
    units = run.area_units(level, run.edition)
    if not units:
        return _reason(f"Không có danh mục đơn vị cấp {level} trong phạm vi kiểm tra.",
                       f"No {level} units are known in the area checked.")
    facilities, _ = run.select()
    located, unlocated = _located(facilities)
    demand = [cov.DemandPoint(u.code, u.rep_lon, u.rep_lat, u.population, u.name)
              for u in units]
    supply = [cov.SupplyPoint(f.id, float(f.lon or 0.0), float(f.lat or 0.0), f.code)
              for f in located]
    analysis = cov.analyse_coverage(demand, supply, float(distance))
    total = analysis.total
    failing = [{"code": r.code, "name": r.name, "nearest_km": None if r.nearest_km is None
                else round(r.nearest_km, 2), "nearest_id": r.nearest_id,
                "population": r.population}
               for r in analysis.points if r.covered is False]
    no_point = [r.code for r in analysis.points if r.covered is None]
    ev: dict[str, Any] = {
        "distance_km": _num(distance), "n_units": total.units_total,
        "n_failing": len(failing), "failing_units": _cut(failing),
        "failing_names": _names([str(r["name"]) for r in failing]),
        "basis": total.basis, "population_total": _num(total.population_total),
        "population_covered": _num(total.population_covered),
        "units_covered": total.units_covered, "n_facilities": len(located),
    }
    if unlocated:
        ev["unlocated_facilities"] = _cut([_ref(f) for f in unlocated])
    if no_point:
        ev["unknown"] = no_point
    if mode == "each_unit":
        if failing:
            return _Outcome(Status.FAIL, "coverage_units", ev)
        if no_point:
            return _reason("Một số đơn vị chưa có điểm đại diện.",
                           "Some units have no representative point.", **ev)
        return _Outcome(Status.PASS, "coverage_units", ev)
    target = run.p["min_pct"]
    ev["target"] = target
    if total.basis != "population" or no_point:
        return _reason(
            "Chưa có dân số hoặc điểm đại diện của mọi đơn vị; chỉ đếm được số đơn vị "
            f"({total.units_covered}/{total.units_located} đơn vị trong bán kính).",
            "Population or representative points are missing for some units; only units can "
            f"be counted ({total.units_covered} of {total.units_located} units within reach).",
            **ev)
    share = total.share_pct or 0.0
    ev["actual"] = _num(share)
    return _Outcome(Status.PASS if share >= target else Status.FAIL, "coverage_share", ev)


def _spacing(run: _Run) -> _Outcome:
    distance = run.p.get("min_distance_km")
    if distance is None:
        return _Outcome(Status.NOT_SET, "reason", {
            "reason_vi": "Chưa đặt khoảng cách tối thiểu.",
            "reason_en": "Minimum distance not set."})
    facilities, _ = run.select(_LIVE_STATUSES)
    located, unlocated = _located(facilities)
    pairs = cov.pairs_within_self([float(f.lon or 0.0) for f in located],
                                  [float(f.lat or 0.0) for f in located], float(distance))
    rows = [{"a": _ref(located[a]), "b": _ref(located[b]), "distance_km": round(d, 3)}
            for a, b, d in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.distance_km.tolist(),
                               strict=True)]
    rows.sort(key=lambda r: r["distance_km"])
    ev: dict[str, Any] = {"target": _num(distance), "n_checked": len(located),
                          "n_failing": len(rows), "pairs": _cut(rows)}
    if rows:
        return _Outcome(Status.FAIL, "spacing", ev)
    if unlocated:
        ev["unknown"] = _cut([_ref(f) for f in unlocated])
        return _reason("Một số cơ sở chưa có tọa độ.", "Some facilities have no coordinates.",
                       **ev)
    return _Outcome(Status.PASS, "spacing", ev)


def _valid_admin_codes(run: _Run) -> _Outcome:
    if run.p["subject"] == "plan_units":
        return _plan_unit_codes(run)
    as_of = run.ctx.as_of
    edition = "2025" if as_of >= REORGANISATION_DATE else "pre2025"
    valid = {(u.level, u.code): u for u in run.ctx.units
             if u.edition == edition and u.valid_on(as_of)}
    provinces = {code for level, code in valid if level == "province"}
    if not provinces:
        return _reason(f"Chưa có danh mục đơn vị hành chính ({edition}) có hiệu lực ngày "
                       f"{as_of:%d/%m/%Y}.",
                       f"No administrative unit catalogue ({edition}) in force on "
                       f"{as_of:%d/%m/%Y} is loaded.")
    communes_of: set[str | None] = {run.idx.unit_province(u) for (level, _), u in valid.items()
                                    if level == "commune"}
    facilities, _ = run.select(_LIVE_STATUSES, edition=edition)
    failing, unknown = [], []
    for f in facilities:
        problems: list[str] = []
        province = f.province_code if edition == "2025" else run.idx.facility_province(
            f, "pre2025")[0]
        if province not in provinces:
            problems.append(f"province {province}")
        commune = f.commune_code if edition == "2025" else f.commune_code_pre2025
        district = f.district_code if edition == "pre2025" else None
        if district is not None:
            unit = valid.get(("district", district))
            if unit is None or run.idx.unit_province(unit) != province:
                problems.append(f"district {district}")
        if commune is None:
            if edition == "2025":
                problems.append("commune missing")
        elif province in communes_of:
            unit = valid.get(("commune", commune))
            if unit is None or run.idx.unit_province(unit) != province:
                problems.append(f"commune {commune}")
        elif not problems:
            unknown.append(_ref(f))
            continue
        if problems:
            failing.append({**_ref(f), "problems": problems})
    out = _facility_check(facilities, failing, unknown, (
        "Chưa có danh mục xã của một số tỉnh để kiểm tra.",
        "The commune catalogue of some provinces is not loaded."))
    out.evidence["edition"] = edition
    return out


def _plan_unit_codes(run: _Run) -> _Outcome:
    plan = run.plan
    day = plan.issued_on or date(plan.period_start, 1, 1)
    edition = plan.jurisdiction.edition
    known = {(u.level, u.code) for u in run.ctx.units
             if u.edition == edition and u.valid_on(day)}
    if not known:
        return _reason(f"Chưa có danh mục đơn vị hành chính ({edition}).",
                       f"No administrative unit catalogue ({edition}) is loaded.")
    wanted: set[tuple[str, str]] = {("province", c) for c in plan.jurisdiction.province_codes}
    for rule in plan.rules:
        level = rule.params.get("level")
        if level is None or rule.params.get("edition", edition) != edition:
            continue
        codes = list(rule.params.get("units") or ()) + list(rule.params.get("unit_min") or ())
        wanted.update((level, c) for c in codes)
    bad = sorted(wanted - known)
    ev: dict[str, Any] = {"n_checked": len(wanted), "n_failing": len(bad),
                          "failing_units": [{"level": lv, "code": c} for lv, c in bad],
                          "failing_names": _names([f"{lv} {c}" for lv, c in bad]),
                          "date": day.isoformat(), "date_vi": f"{day:%d/%m/%Y}",
                          "edition": edition}
    return _Outcome(Status.FAIL if bad else Status.PASS, "plan_units", ev)


def _external_indicator(run: _Run) -> _Outcome:
    ev = {"reason_vi": run.p["reason_vi"], "reason_en": run.p["reason_en"]}
    for key in ("target_text_vi", "target_text_en"):
        if key in run.p:
            ev[key] = run.p[key]
    return _Outcome(Status.NOT_EVALUABLE, "reason", ev)


EVALUATORS: dict[str, Callable[[_Run], _Outcome]] = {
    "min_count": _min_count,
    "non_public_share": _non_public_share,
    "total_capacity": _total_capacity,
    "capacity_per_population": _capacity_per_population,
    "capacity_bounds": _capacity_bounds,
    "residents_within_capacity": _residents_within_capacity,
    "licensing_required": _licensing_required,
    "coverage": _coverage,
    "spacing": _spacing,
    "valid_admin_codes": _valid_admin_codes,
    "external_indicator": _external_indicator,
}


# --- messages --------------------------------------------------------------------------------

#: (variant, status) -> (Vietnamese template, English template); rendered with the evidence.
MESSAGES: dict[tuple[str, Status], tuple[str, str]] = {
    ("total", Status.PASS): (
        "Đạt: {actual} {measure_vi} (chỉ tiêu tối thiểu {target}).",
        "Met: {actual} {measure_en} (minimum {target}).",
    ),
    ("total", Status.FAIL): (
        "Chưa đạt: {actual} {measure_vi}, chỉ tiêu tối thiểu {target}, còn thiếu {shortfall}.",
        "Not met: {actual} {measure_en} against a minimum of {target}; {shortfall} short.",
    ),
    ("total", Status.NOT_SET): (
        "Chưa đặt chỉ tiêu (không có trong nguồn đã xác minh); hiện có {actual} {measure_vi}.",
        "Target not set (not in our confirmed sources); currently {actual} {measure_en}.",
    ),
    ("total", Status.NOT_EVALUABLE): (
        "{reason_vi} Hiện có {actual} {measure_vi}, chỉ tiêu {target}.",
        "{reason_en} Currently {actual} {measure_en}, target {target}.",
    ),
    ("units", Status.PASS): (
        "Đạt: {n_met}/{n_units} đơn vị đạt chỉ tiêu ({measure_vi}).",
        "Met: {n_met} of {n_units} units reach the target ({measure_en}).",
    ),
    ("units", Status.FAIL): (
        "Chưa đạt: {n_failing}/{n_units} đơn vị chưa đạt chỉ tiêu: {failing_names}.",
        "Not met: {n_failing} of {n_units} units fall short: {failing_names}.",
    ),
    ("units", Status.NOT_SET): (
        "Chưa đặt chỉ tiêu cho {n_unset}/{n_units} đơn vị (không có trong nguồn đã xác minh).",
        "Target not set for {n_unset} of {n_units} units (not in our confirmed sources).",
    ),
    ("units", Status.NOT_EVALUABLE): ("{reason_vi}", "{reason_en}"),
    ("facilities", Status.PASS): (
        "Đạt: đã kiểm tra {n_checked} cơ sở, không có vi phạm.",
        "Met: {n_checked} facilities checked, none in breach.",
    ),
    ("facilities", Status.FAIL): (
        "Vi phạm: {n_failing}/{n_checked} cơ sở: {failing_names}.",
        "In breach: {n_failing} of {n_checked} facilities: {failing_names}.",
    ),
    ("facilities", Status.NOT_EVALUABLE): (
        "{reason_vi} Số cơ sở thiếu số liệu: {n_unknown}.",
        "{reason_en} Facilities with missing data: {n_unknown}."),
    ("coverage_units", Status.PASS): (
        "Đạt: cả {n_units} đơn vị có cơ sở trong bán kính {distance_km} km.",
        "Met: all {n_units} units have a facility within {distance_km} km.",
    ),
    ("coverage_units", Status.FAIL): (
        "Chưa đạt: {n_failing}/{n_units} đơn vị không có cơ sở trong bán kính {distance_km} km: "
        "{failing_names}.",
        "Not met: {n_failing} of {n_units} units have no facility within {distance_km} km: "
        "{failing_names}.",
    ),
    ("coverage_share", Status.PASS): (
        "Đạt: {actual}% dân số ở trong bán kính {distance_km} km (tối thiểu {target}%).",
        "Met: {actual}% of the population lives within {distance_km} km (minimum {target}%).",
    ),
    ("coverage_share", Status.FAIL): (
        "Chưa đạt: {actual}% dân số ở trong bán kính {distance_km} km (tối thiểu {target}%).",
        "Not met: {actual}% of the population lives within {distance_km} km "
        "(minimum {target}%).",
    ),
    ("spacing", Status.PASS): (
        "Đạt: không có hai cơ sở nào gần nhau dưới {target} km ({n_checked} cơ sở).",
        "Met: no two of {n_checked} facilities are closer than {target} km.",
    ),
    ("spacing", Status.FAIL): (
        "Vi phạm: {n_failing} cặp cơ sở gần nhau dưới {target} km.",
        "In breach: {n_failing} pairs of facilities are closer than {target} km.",
    ),
    ("plan_units", Status.PASS): (
        "Đạt: cả {n_checked} mã đơn vị hành chính của kế hoạch hợp lệ ngày {date_vi}.",
        "Met: all {n_checked} unit codes the plan names were valid on {date}.",
    ),
    ("plan_units", Status.FAIL): (
        "Mã đơn vị hành chính không hợp lệ ngày {date_vi}: {failing_names}.",
        "Unit codes not valid on {date}: {failing_names}.",
    ),
    ("reason", Status.NOT_SET): ("{reason_vi}", "{reason_en}"),
    ("reason", Status.NOT_EVALUABLE): ("{reason_vi}", "{reason_en}"),
}
_FALLBACK: dict[Status, tuple[str, str]] = {
    Status.NOT_SET: ("Chưa đặt chỉ tiêu (không có trong nguồn đã xác minh).",
                     "Target not set (not in our confirmed sources)."),
    Status.NOT_EVALUABLE: ("{reason_vi}", "{reason_en}"),
    Status.PASS: ("Đạt.", "Met."),
    Status.FAIL: ("Chưa đạt.", "Not met."),
}


class _Display(dict[str, Any]):
    """Evidence for templates: numbers formatted, missing keys shown as '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


def _display(evidence: Mapping[str, Any]) -> _Display:
    out = _Display()
    for key, value in evidence.items():
        if value is None:
            out[key] = "?"
        elif isinstance(value, float):
            out[key] = str(_num(value))
        else:
            out[key] = value
    return out


def render_messages(variant: str, status: Status, evidence: Mapping[str, Any],
                    rule: Rule, due: bool | None) -> tuple[str, str]:
    """The Vietnamese and English messages for a result, from ``MESSAGES``."""
    vi, en = MESSAGES.get((variant, status), _FALLBACK[status])
    values = _display(evidence)
    vi, en = vi.format_map(values), en.format_map(values)
    if status == Status.FAIL and due is False and rule.target_year is not None:
        vi = f"(Chưa đến hạn {rule.target_year}) {vi}"
        en = f"(Target year {rule.target_year} not reached yet) {en}"
    return vi, en


# --- entry points ----------------------------------------------------------------------------


def evaluate_rule(plan: Plan, rule: Rule, context: CheckContext) -> RuleResult:
    """Check one rule of ``plan`` against the context."""
    outcome = EVALUATORS[rule.kind](_Run(plan, rule, context))
    due = None if rule.target_year is None else context.as_of >= date(rule.target_year, 12, 31)
    evidence = dict(outcome.evidence)
    evidence["due"] = due
    vi, en = render_messages(outcome.variant, outcome.status, evidence, rule, due)
    return RuleResult(
        plan_code=plan.code, rule_code=rule.code, kind=rule.kind, title_vi=rule.title_vi,
        title_en=rule.title_en, severity=rule.severity, target_year=rule.target_year, due=due,
        status=outcome.status, message_vi=vi, message_en=en, evidence=evidence,
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
