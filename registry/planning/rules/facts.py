"""The rule engine's inputs and outputs: plain facts, the context of a check, its results.

Result statuses (``Status``):

* ``PASS`` / ``FAIL`` — the registry holds what the rule needs and the target is met / not met.
* ``NOT_SET`` — the rule's target (or the units it names) is empty in the plan file because our
  sources do not give it (e.g. Decision 1520's per-province figures). Never a pass.
* ``NOT_EVALUABLE`` — the registry cannot decide: data missing (population, capacities,
  coordinates, licence flags, a facility's level, services or target groups), the check covers
  only part of the plan's jurisdiction, the target needs a record the registry does not hold
  (an investment project, the central-criteria mark), nothing is in the rule's scope (a
  standard checked on no facility, a named facility not found), or the target is not about
  facilities at all (kind ``external_indicator``). Evidence ``nothing_in_scope`` marks the
  "nothing in scope" case.

"As of" a date. A fact's ``status`` is the facility's status *on the context's* ``as_of``, as the
caller read it from the status history (``facilities.read.statuses_on``, the one definition of
"status on a date"); the engine never derives it again from the dates.

The context's look-up tables (``FactIndex``) live here rather than in ``engine`` because
``CheckContext.index`` builds them once and every rule and plan checked against that context
shares them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from registry.facilities import definitions
from registry.planning.plan_schema import Citation

REORGANISATION_DATE = date(2025, 7, 1)
#: Which statuses a rule counts unless it lists others: the one definition
#: (``facilities.definitions.COUNTED_STATUSES``) the map uses too.
DEFAULT_STATUSES: tuple[str, ...] = tuple(s.value for s in definitions.COUNTED_STATUSES)
LIVE_STATUSES: tuple[str, ...] = ("planned", "under_construction", "operating", "suspended")
NOT_YET_OPEN = frozenset({"planned", "under_construction"})


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a result status, not a password
    FAIL = "fail"
    NOT_EVALUABLE = "not_evaluable"
    NOT_SET = "not_set"


# --- input facts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FacilityFact:
    """What the rules need to know about one facility.

    ``province_code`` and ``commune_code`` are current (2025 edition) codes; ``district_code``
    and ``commune_code_pre2025`` are pre-2025 codes and may be None. ``ownership`` is
    ``public`` or ``non_public``; ``status`` one of planned, under_construction, operating,
    suspended, closed. ``approximate`` marks coordinates known only roughly.

    ``level`` (provincial, district, commune), ``service_codes`` and ``target_groups`` are
    catalogue codes (``facilities/catalogue.yaml``); None / empty means *not recorded*, which
    rules that scope by them treat as unknown, never as "no". ``criteria_supported_on`` is the
    date a trusted address was supported to the central criteria (DN 2735 l. 161).
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
    level: str | None = None
    service_codes: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    criteria_supported_on: date | None = None


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


class ProjectLike(Protocol):
    """What the rules read of an investment project (``registry.investment.facts.ProjectFact``
    satisfies it; the rules do not import it, being pure). ``kind`` and ``stage`` are the
    values of ``investment.models.Kind`` and ``investment.workflow.Stage``; ``accepted_on`` is
    the date of acceptance and handover; ``physical_pct`` / ``progress_as_of`` come from the
    latest progress report, ``progress`` holds every report as (as of, physical %), oldest
    first, so a check as of a past date reads the progress of that date; ``id`` is the project's
    record, for a link to it (None in pure tests)."""

    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def facility_id(self) -> int | None: ...
    @property
    def accepted_on(self) -> date | None: ...
    @property
    def physical_pct(self) -> int | None: ...
    @property
    def progress_as_of(self) -> date | None: ...
    @property
    def progress(self) -> tuple[tuple[date, int], ...]: ...


@dataclass(frozen=True)
class CheckContext:
    """Everything a check reads.

    ``jurisdiction_province_codes`` are current (2025) province codes the caller may see;
    None means the whole country. ``province_code_map`` maps pre-2025 province codes to their
    2025 successors (identity when absent). ``type_categories`` maps type codes to categories
    for rules that name categories. ``projects`` are the investment projects (not cancelled)
    the ``project_completed`` kind reads.
    """

    as_of: date
    facilities: Sequence[FacilityFact]
    units: Sequence[UnitFact] = ()
    jurisdiction_province_codes: frozenset[str] | None = None
    type_categories: Mapping[str, str] = field(default_factory=dict)
    province_code_map: Mapping[str, str] = field(default_factory=dict)
    projects: Sequence[ProjectLike] = ()

    @cached_property
    def index(self) -> FactIndex:
        """Look-up tables built once per context and shared by all rules and plans."""
        return FactIndex(self)


# --- results ---------------------------------------------------------------------------------


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


# --- indexes ---------------------------------------------------------------------------------


class FactIndex:
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

    def status(self, f: FacilityFact) -> str:
        """The facility's status on the context's date: the fact's own (see the module)."""
        return f.status

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
