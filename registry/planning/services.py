"""Planning over the live registry: plans stored as data, check contexts built from the
registry, scenarios of proposed facilities and their adoption, coverage and siting.

Services flush, never commit: the view, command or test owns the transaction. The pure engine
(``rules``, ``coverage``, ``siting``) does the analysis; this module only turns database rows
into the plain facts it reads.

Scenarios. A scenario describes the network as it would be once implemented: in its checks,
proposed new facilities count as *operating* from 1 January of the scenario's target year
(the default "as of" of a scenario check is 31 December of that year), capacity changes and
closures replace the registry's values. The registry itself changes only on adoption.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from registry.audit.context import set_reason
from registry.errors import RegistryError
from registry.facilities import services as facility_services
from registry.facilities.models import Facility, FacilityType, Ownership
from registry.facilities.models import Status as FacilityStatus
from registry.geography import services as geography
from registry.geography.models import AdminUnit, AdminUnitSuccession, Edition, Level
from registry.i18n import _l
from registry.models import utcnow
from registry.planning import coverage as cov
from registry.planning import plan_schema, rules, siting
from registry.planning.models import ItemAction, MasterPlan, PlanRule, Scenario, ScenarioItem

#: Parameters an authorised user may fill in or change (targets, not the rule's meaning).
TARGET_KEYS: tuple[str, ...] = ("min", "max", "min_pct", "distance_km", "min_distance_km")


class PlanningError(RegistryError):
    """A planning rule was broken (edit of an adopted scenario, invalid target...)."""


class TargetImportFailed(RegistryError):
    """A targets file with errors; nothing was imported. ``errors`` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(str(_l("The file has errors; nothing was imported.")))
        self.errors = errors


# --- plans as data ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Plan parameters as JSON-storable values (tuples and read-only mappings become plain)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_plans(session: Session, plans: Iterable[plan_schema.Plan] | None = None) -> dict[str, int]:
    """Upsert the plan files into ``MasterPlan``/``PlanRule`` rows; idempotent.

    Values a user entered (``PlanRule.overrides``) are kept; rules no longer in a file are
    removed. Returns counts of plans and rules created and updated.
    """
    plans = plan_schema.load_plans() if plans is None else list(plans)
    counts = {"plans_created": 0, "plans_updated": 0, "rules_created": 0, "rules_updated": 0,
              "rules_removed": 0}
    set_reason(session, "flask planning load")
    for plan in plans:
        row = session.scalars(select(MasterPlan).where(MasterPlan.code == plan.code)).first()
        if row is None:
            row = MasterPlan(code=plan.code)
            session.add(row)
            counts["plans_created"] += 1
        values = {
            "title_vi": plan.title_vi, "title_en": plan.title_en, "document": plan.document,
            "issuing_body_vi": plan.issuing_body_vi, "issuing_body_en": plan.issuing_body_en,
            "issued_on": plan.issued_on, "period_start": plan.period_start,
            "period_end": plan.period_end, "national": plan.jurisdiction.national,
            "province_codes": sorted(plan.jurisdiction.province_codes),
            "edition": plan.jurisdiction.edition, "successor_of": plan.successor_of,
            "notes_vi": plan.notes_vi, "notes_en": plan.notes_en,
            "source_file": plan.source_file,
        }
        changed = _assign(row, values)
        if changed and row.id is not None:
            counts["plans_updated"] += 1
        existing = {r.code: r for r in row.rules}
        for position, rule in enumerate(plan.rules):
            rrow = existing.pop(rule.code, None)
            if rrow is None:
                rrow = PlanRule(code=rule.code, overrides={})
                row.rules.append(rrow)
                counts["rules_created"] += 1
                is_new = True
            else:
                is_new = False
            rule_values = {
                "position": position, "kind": rule.kind, "title_vi": rule.title_vi,
                "title_en": rule.title_en, "severity": rule.severity,
                "target_year": rule.target_year, "source_document": rule.source.document,
                "source_section": rule.source.section, "source_lines": rule.source.lines,
                "source_quote": rule.source.quote, "note_vi": rule.note_vi,
                "note_en": rule.note_en, "params": _plain(rule.params),
            }
            if _assign(rrow, rule_values) and not is_new:
                counts["rules_updated"] += 1
        for gone in existing.values():
            row.rules.remove(gone)
            counts["rules_removed"] += 1
    session.flush()
    return counts


def _assign(obj: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def effective_params(rule: PlanRule) -> dict[str, Any]:
    """The file's parameters with the user-entered targets applied."""
    params = copy.deepcopy(dict(rule.params or {}))
    for key, value in (rule.overrides or {}).items():
        if key == "unit_min" and isinstance(value, Mapping):
            merged = dict(params.get("unit_min") or {})
            merged.update(value)
            params["unit_min"] = merged
        else:
            params[key] = value
    return params


def _raw_rule(rule: PlanRule, params: Mapping[str, Any]) -> dict[str, Any]:
    source = {"document": rule.source_document, "section": rule.source_section,
              "lines": rule.source_lines, "quote": rule.source_quote}
    return {
        "code": rule.code, "kind": rule.kind, "title_vi": rule.title_vi,
        "title_en": rule.title_en, "severity": rule.severity, "target_year": rule.target_year,
        "source": {k: v for k, v in source.items() if v is not None},
        "note_vi": rule.note_vi, "note_en": rule.note_en, "params": dict(params),
    }


def plan_from_row(row: MasterPlan, overrides: Mapping[int, Mapping[str, Any]] | None = None
                  ) -> plan_schema.Plan:
    """The validated ``Plan`` the engine checks, with user-entered targets applied.

    ``overrides`` (rule id -> parameters) lets a caller validate a change before saving it.
    """
    raw_rules = []
    for rule in row.rules:
        params = (overrides or {}).get(rule.id) or effective_params(rule)
        raw_rules.append(_raw_rule(rule, params))
    jurisdiction: dict[str, Any] = {"scope": "national" if row.national else "provinces",
                                    "edition": row.edition}
    if not row.national:
        jurisdiction["province_codes"] = list(row.province_codes)
    raw = {
        "code": row.code, "title_vi": row.title_vi, "title_en": row.title_en,
        "document": row.document, "issuing_body_vi": row.issuing_body_vi,
        "issuing_body_en": row.issuing_body_en, "issued_on": row.issued_on,
        "period": {"start": row.period_start, "end": row.period_end},
        "jurisdiction": jurisdiction, "successor_of": row.successor_of,
        "notes_vi": row.notes_vi, "notes_en": row.notes_en, "source_file": row.source_file,
        "rules": raw_rules,
    }
    return plan_schema.parse_plan(raw, f"db:{row.code}")


def all_plans(session: Session) -> list[MasterPlan]:
    return list(session.scalars(select(MasterPlan).order_by(MasterPlan.code)
                                .options(selectinload(MasterPlan.rules))))


def plan_by_code(session: Session, code: str) -> MasterPlan | None:
    return session.scalars(select(MasterPlan).where(MasterPlan.code == code)).first()


@dataclass(frozen=True)
class TargetSlot:
    """One target a user can fill in: a parameter, or one unit's entry of ``unit_min``."""

    key: str
    unit_code: str | None
    value: float | int | None
    edited: bool

    @property
    def field_id(self) -> str:
        return self.key if self.unit_code is None else f"unit_min:{self.unit_code}"


def target_slots(rule: PlanRule) -> list[TargetSlot]:
    """The targets of a rule, with their current value (None: not set)."""
    params = effective_params(rule)
    overrides = rule.overrides or {}
    slots = [TargetSlot(key, None, params[key], key in overrides)
             for key in TARGET_KEYS if key in params]
    for unit, value in (params.get("unit_min") or {}).items():
        slots.append(TargetSlot("unit_min", unit, value,
                                unit in (overrides.get("unit_min") or {})))
    return slots


def set_rule_target(session: Session, rule: PlanRule, key: str, value: float | None, *,
                    unit_code: str | None = None, reason: str) -> PlanRule:
    """Enter or change one target of a rule (``value`` None: not set); audited with ``reason``.

    Only existing target slots can be set, so a user cannot change what a rule counts.
    """
    if not reason or not reason.strip():
        raise PlanningError(str(_l("A reason is required.")), field="reason")
    slots = {(s.key, s.unit_code) for s in target_slots(rule)}
    if (key, unit_code) not in slots:
        raise PlanningError(str(_l("This rule has no such target.")))
    if value is not None and float(value).is_integer():
        value = int(value)
    overrides = copy.deepcopy(dict(rule.overrides or {}))
    if key == "unit_min":
        overrides.setdefault("unit_min", {})[unit_code] = value
    else:
        overrides[key] = value
    candidate = dict(rule.params or {})
    probe = PlanRule(params=candidate, overrides=overrides)
    try:
        plan_from_row(rule.plan, {rule.id: effective_params(probe)})
    except plan_schema.PlanFileError as exc:
        raise PlanningError(exc.detail) from None
    set_reason(session, reason.strip())
    rule.overrides = overrides
    session.flush()
    return rule


@dataclass(frozen=True)
class TargetRow:
    """One row of a targets file: which plan, rule, unit (optional) and value (empty: unset)."""

    row: int
    plan_code: str
    rule_code: str
    key: str
    unit_code: str | None
    value: float | None


def import_targets(session: Session, rows: Sequence[TargetRow], *, reason: str) -> int:
    """Apply a targets file all-or-nothing; ``TargetImportFailed`` lists every bad row."""
    errors: list[tuple[int, str]] = []
    plans = {p.code: p for p in all_plans(session)}
    planned: list[tuple[PlanRule, TargetRow]] = []
    for row in rows:
        plan = plans.get(row.plan_code)
        rule = next((r for r in plan.rules if r.code == row.rule_code), None) if plan else None
        if rule is None:
            errors.append((row.row, str(_l("Unknown plan or rule."))))
            continue
        if (row.key, row.unit_code) not in {(s.key, s.unit_code) for s in target_slots(rule)}:
            errors.append((row.row, str(_l("This rule has no such target."))))
            continue
        if row.value is not None and row.value < 0:
            errors.append((row.row, str(_l("Cannot be negative."))))
            continue
        planned.append((rule, row))
    if errors:
        raise TargetImportFailed(errors)
    try:
        with session.begin_nested():
            for rule, row in planned:
                set_rule_target(session, rule, row.key, row.value, unit_code=row.unit_code,
                                reason=reason)
    except PlanningError as exc:
        raise TargetImportFailed([(0, exc.message)]) from None
    return len(planned)


# --- check context from the registry ---------------------------------------------------------


def _facility_fact(f: Facility, status: str) -> rules.FacilityFact:
    return rules.FacilityFact(
        id=f.id, code=f.code, name=f.name, type_code=f.type_code,
        ownership=f.ownership.value, status=status, province_code=f.province_code,
        commune_code=f.commune_code, district_code=f.district_code,
        category=f.type.category.value if f.type else None, lon=f.lon, lat=f.lat,
        design_capacity=f.design_capacity, residents=f.residents,
        has_registration=bool(f.registration_no), has_licence=bool(f.licence_no),
        opened_on=f.opened_on, closed_on=f.closed_on, approximate=f.location_approximate,
    )


def facility_facts(session: Session, *, as_of: date,
                   province_codes: Iterable[str] | None = None) -> list[rules.FacilityFact]:
    """Facts about every facility (planned ones included), with its status on ``as_of`` read
    from the status history; facilities not yet registered on ``as_of`` are left out."""
    stmt = select(Facility).options(selectinload(Facility.status_changes))
    if province_codes is not None:
        stmt = stmt.where(Facility.province_code.in_(list(province_codes)))
    facts = []
    for f in session.scalars(stmt).unique():
        status = facility_services.status_on(f, as_of) if f.status_changes else f.status
        if status is None:
            continue
        facts.append(_facility_fact(f, FacilityStatus(status).value))
    return facts


def unit_facts(session: Session) -> list[rules.UnitFact]:
    """Every administrative unit of both editions, without outlines."""
    rows = session.execute(select(
        AdminUnit.id, AdminUnit.parent_id, AdminUnit.code, AdminUnit.level, AdminUnit.name,
        AdminUnit.edition, AdminUnit.population, AdminUnit.population_year, AdminUnit.rep_lon,
        AdminUnit.rep_lat, AdminUnit.province_code, AdminUnit.valid_from, AdminUnit.valid_to,
    )).all()
    code_of = {r.id: r.code for r in rows}
    return [
        rules.UnitFact(
            code=r.code, level=Level(r.level).value, name=r.name,
            parent_code=code_of.get(r.parent_id), edition=Edition(r.edition).value,
            population=r.population, population_year=r.population_year, rep_lon=r.rep_lon,
            rep_lat=r.rep_lat, province_code=r.province_code, valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in rows
    ]


def province_code_map(session: Session) -> dict[str, str]:
    """Pre-2025 province code -> its 2025 successor, from the recorded successions."""
    old, new = aliased(AdminUnit), aliased(AdminUnit)
    rows = session.execute(
        select(old.code, new.code)
        .join(AdminUnitSuccession, AdminUnitSuccession.old_unit_id == old.id)
        .join(new, AdminUnitSuccession.new_unit_id == new.id)
        .where(old.level == Level.PROVINCE, new.level == Level.PROVINCE)
        .order_by(old.code, AdminUnitSuccession.partial, new.code)
    ).all()
    out: dict[str, str] = {}
    for old_code, new_code in rows:
        out.setdefault(old_code, new_code)
    return out


def type_categories(session: Session) -> dict[str, str]:
    return {t.code: t.category.value for t in session.scalars(select(FacilityType))}


def apply_scenario(facts: Sequence[rules.FacilityFact], scenario: Scenario
                   ) -> list[rules.FacilityFact]:
    """The facts as the scenario would leave them (see the module docstring)."""
    by_id: dict[int | str, rules.FacilityFact] = {f.id: f for f in facts}
    opened = date(scenario.target_year, 1, 1)
    for item in scenario.items:
        if item.action is ItemAction.ADD:
            fact = rules.FacilityFact(
                id=f"S{item.id}", code=f"KB-{item.id}", name=item.name or "",
                type_code=item.type_code or "", ownership=item.ownership or "public",
                status="operating", province_code=item.province_code,
                commune_code=item.commune_code, district_code=item.district_code,
                lon=item.lon, lat=item.lat, design_capacity=item.design_capacity,
                opened_on=opened,
            )
            by_id[fact.id] = fact
            continue
        current = by_id.get(item.facility_id) if item.facility_id is not None else None
        if current is None:
            continue
        if item.action is ItemAction.CAPACITY:
            by_id[current.id] = replace(current, design_capacity=item.design_capacity)
        elif item.action is ItemAction.UPGRADE:
            by_id[current.id] = replace(
                current, status=item.new_status or current.status,
                design_capacity=item.design_capacity if item.design_capacity is not None
                else current.design_capacity)
        elif item.action is ItemAction.CLOSE:
            by_id[current.id] = replace(current, status="closed", closed_on=None)
    return list(by_id.values())


def scenario_as_of(scenario: Scenario) -> date:
    """A scenario is checked at the end of its target year unless asked otherwise."""
    return date(scenario.target_year, 12, 31)


def build_context(session: Session, *, as_of: date, jurisdiction: str | None,
                  scenario: Scenario | None = None) -> rules.CheckContext:
    """The engine's input read from the live registry (and the scenario, if any).

    ``jurisdiction`` is the user's current province code (None: national); a scenario narrows
    it to the scenario's province.
    """
    if scenario is not None:
        jurisdiction = scenario.province_code
    codes = None if jurisdiction is None else [jurisdiction]
    facts = facility_facts(session, as_of=as_of, province_codes=codes)
    if scenario is not None:
        facts = apply_scenario(facts, scenario)
    return rules.CheckContext(
        as_of=as_of, facilities=tuple(facts), units=tuple(unit_facts(session)),
        jurisdiction_province_codes=None if jurisdiction is None else frozenset(codes or ()),
        type_categories=type_categories(session), province_code_map=province_code_map(session),
    )


@dataclass(frozen=True)
class CheckRun:
    """The reports of one check, with what it was run on."""

    as_of: date
    jurisdiction: str | None
    scenario: Scenario | None
    reports: list[tuple[MasterPlan, rules.PlanReport]]


def run_check(session: Session, plan_codes: Sequence[str] | None, *, as_of: date | None,
              jurisdiction: str | None, scenario: Scenario | None = None,
              context: rules.CheckContext | None = None) -> CheckRun:
    """Check the named plans (all when None) against the registry or a scenario."""
    if as_of is None:
        as_of = scenario_as_of(scenario) if scenario is not None else date.today()
    rows = all_plans(session)
    if plan_codes:
        wanted = set(plan_codes)
        rows = [r for r in rows if r.code in wanted]
        missing = wanted - {r.code for r in rows}
        if missing:
            raise PlanningError(str(_l("Unknown plan: %(codes)s",
                                       codes=", ".join(sorted(missing)))))
    ctx = context or build_context(session, as_of=as_of, jurisdiction=jurisdiction,
                                   scenario=scenario)
    reports = [(row, rules.evaluate(plan_from_row(row), ctx)) for row in rows]
    return CheckRun(as_of, scenario.province_code if scenario else jurisdiction, scenario,
                    reports)


# --- scenarios -------------------------------------------------------------------------------


def visible_scenarios(session: Session, user: Any) -> list[Scenario]:
    stmt = select(Scenario).order_by(Scenario.created_at.desc(), Scenario.id.desc())
    if user.province_code is not None:
        stmt = stmt.where(Scenario.province_code == user.province_code)
    return list(session.scalars(stmt))


def create_scenario(session: Session, *, name: str, province_code: str, target_year: int,
                    notes: str | None, actor_id: int | None) -> Scenario:
    """A new, empty scenario for one province."""
    if not name or not name.strip():
        raise PlanningError(str(_l("The name is required.")), field="name")
    scenario = Scenario(name=name.strip(), province_code=province_code,
                        target_year=target_year, notes=notes or None, created_by_id=actor_id)
    session.add(scenario)
    session.flush()
    return scenario


_COPIED = ("action", "facility_id", "name", "type_code", "ownership", "lon", "lat",
           "province_code", "commune_code", "old_province_code", "district_code",
           "design_capacity", "new_status", "notes")


def copy_scenario(session: Session, scenario: Scenario, *, name: str,
                  actor_id: int | None) -> Scenario:
    """A new scenario with the same items (not adopted), to try a variant."""
    new = create_scenario(session, name=name, province_code=scenario.province_code,
                          target_year=scenario.target_year, notes=scenario.notes,
                          actor_id=actor_id)
    new.copied_from_id = scenario.id
    for item in scenario.items:
        new.items.append(ScenarioItem(**{k: getattr(item, k) for k in _COPIED}))
    session.flush()
    return new


def _ensure_open(scenario: Scenario) -> None:
    if scenario.adopted:
        raise PlanningError(str(_l("This scenario has been adopted and can no longer change.")))


def add_item(
    session: Session, scenario: Scenario, *, action: ItemAction, facility: Facility | None = None,
    name: str | None = None, type_code: str | None = None, ownership: str | None = None,
    lon: float | None = None, lat: float | None = None, design_capacity: int | None = None,
    new_status: str | None = None, notes: str | None = None,
) -> ScenarioItem:
    """Propose a change in the scenario; the registry is not touched."""
    _ensure_open(scenario)
    if design_capacity is not None and design_capacity < 0:
        raise PlanningError(str(_l("Cannot be negative.")), field="design_capacity")
    item = ScenarioItem(action=action, notes=notes or None, design_capacity=design_capacity)
    if action is ItemAction.ADD:
        if not name or not name.strip():
            raise PlanningError(str(_l("The name is required.")), field="name")
        if session.get(FacilityType, type_code or "") is None:
            raise PlanningError(str(_l("Unknown facility type.")), field="type_code")
        if lon is None or lat is None:
            raise PlanningError(str(_l("The location is required.")), field="lat")
        where = geography.locate(session, lon, lat)
        if where.province is None or where.province.code != scenario.province_code:
            raise PlanningError(str(_l("The location is outside the scenario's province.")),
                                field="lat")
        item.name, item.type_code = name.strip(), type_code
        item.ownership = Ownership(ownership or "public").value
        item.lon, item.lat = lon, lat
        item.province_code = where.province.code
        item.commune_code = where.commune.code if where.commune else None
        item.old_province_code = where.old_province.code if where.old_province else None
        item.district_code = where.district.code if where.district else None
    else:
        if facility is None or facility.province_code != scenario.province_code:
            raise PlanningError(str(_l("Choose a facility of the scenario's province.")),
                                field="facility_id")
        if facility.status is FacilityStatus.CLOSED:
            raise PlanningError(str(_l("This facility is closed.")), field="facility_id")
        if action is ItemAction.CAPACITY and design_capacity is None:
            raise PlanningError(str(_l("Enter the new design capacity.")),
                                field="design_capacity")
        if action is ItemAction.UPGRADE:
            if new_status not in FacilityStatus._value2member_map_ or new_status == "closed":
                raise PlanningError(str(_l("Choose the new status.")), field="new_status")
            item.new_status = new_status
        item.facility_id = facility.id
        item.name = facility.name
        item.type_code = facility.type_code
        item.province_code = facility.province_code
        item.lon, item.lat = facility.lon, facility.lat
    scenario.items.append(item)
    session.flush()
    return item


def remove_item(session: Session, item: ScenarioItem) -> None:
    _ensure_open(item.scenario)
    item.scenario.items.remove(item)
    session.flush()


def adopt_scenario(session: Session, scenario: Scenario, *, actor_id: int | None,
                   today: date | None = None) -> list[Facility]:
    """Write the scenario into the registry, all or nothing, once.

    New facilities are registered as *planned*; capacity changes, upgrades and closures go
    through the facility services. Every change carries the reason "Thông qua kịch bản <name>".
    """
    _ensure_open(scenario)
    today = today or date.today()
    reason = f"Thông qua kịch bản {scenario.name}"
    created: list[Facility] = []
    try:
        with session.begin_nested():
            for item in scenario.items:
                if item.action is ItemAction.ADD:
                    facility, _warnings = facility_services.register_facility(
                        session, facility_services.FacilityInput(
                            name=item.name or "", type_code=item.type_code or "",
                            ownership=Ownership(item.ownership or "public"),
                            province_code=item.province_code or scenario.province_code,
                            lon=float(item.lon or 0), lat=float(item.lat or 0),
                            status=FacilityStatus.PLANNED,
                            design_capacity=item.design_capacity, notes=item.notes),
                        actor_id=actor_id, confirm_duplicates=True, reason=reason,
                        effective_on=today)
                    item.adopted_facility_id = facility.id
                    created.append(facility)
                    continue
                facility = session.get(Facility, item.facility_id)
                if facility is None:
                    raise PlanningError(str(_l("A facility of this scenario no longer exists.")))
                if item.action in (ItemAction.UPGRADE, ItemAction.CLOSE):
                    target = (FacilityStatus.CLOSED if item.action is ItemAction.CLOSE
                              else FacilityStatus(item.new_status or facility.status))
                    if target is not facility.status:
                        facility_services.change_status(
                            session, facility, target, effective_on=today, reason=reason,
                            actor_id=actor_id, expected_version=facility.version)
                if item.action in (ItemAction.CAPACITY, ItemAction.UPGRADE) and \
                        item.design_capacity is not None:
                    data = facility_services.FacilityInput.from_facility(facility)
                    data.design_capacity = item.design_capacity
                    facility_services.update_facility(
                        session, facility, data, expected_version=facility.version,
                        actor_id=actor_id, confirm_duplicates=True, reason=reason)
                item.adopted_facility_id = facility.id
            set_reason(session, reason)
            scenario.adopted_at = utcnow()
            scenario.adopted_by_id = actor_id
            session.flush()
    except facility_services.ValidationFailed as exc:
        detail = "; ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
        raise PlanningError(str(_l("The scenario could not be adopted: %(detail)s",
                                   detail=detail))) from None
    return created


# --- coverage and siting ---------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRun:
    analysis: cov.CoverageAnalysis
    demand: list[cov.DemandPoint]
    supply: list[cov.SupplyPoint]
    basis_population: bool


def demand_points(session: Session, province_code: str, level: str) -> list[cov.DemandPoint]:
    """Representative points of a province's communes (2025) or pre-2025 districts."""
    if level == "district":
        old_codes = [old for old, new in province_code_map(session).items()
                     if new == province_code] or [province_code]
        stmt = select(AdminUnit).where(AdminUnit.edition == Edition.PRE2025,
                                       AdminUnit.level == Level.DISTRICT,
                                       AdminUnit.province_code.in_(old_codes))
    else:
        stmt = select(AdminUnit).where(AdminUnit.edition == Edition.CURRENT,
                                       AdminUnit.level == Level.COMMUNE,
                                       AdminUnit.province_code == province_code)
    units = session.scalars(stmt.order_by(AdminUnit.code)).all()
    return [cov.DemandPoint(u.code, u.rep_lon, u.rep_lat,
                            float(u.population) if u.population is not None else None, u.name)
            for u in units]


def supply_points(session: Session, type_codes: Sequence[str], *,
                  scenario: Scenario | None = None, statuses: Sequence[str] = ("operating",),
                  as_of: date | None = None) -> list[cov.SupplyPoint]:
    """Facilities of these types (with the scenario applied) usable as service points."""
    as_of = as_of or (scenario_as_of(scenario) if scenario else date.today())
    facts = facility_facts(session, as_of=as_of)
    if scenario is not None:
        facts = apply_scenario(facts, scenario)
    wanted = set(type_codes)
    return [cov.SupplyPoint(f.id, float(f.lon), float(f.lat), f.code) for f in facts
            if f.type_code in wanted and f.lon is not None and f.lat is not None
            and rules.effective_status(f, as_of) in statuses]


def coverage(session: Session, *, province_code: str, type_codes: Sequence[str],
             distance_km: float, level: str, scenario: Scenario | None = None) -> CoverageRun:
    """Population (or units, where population is unknown) within reach of a facility."""
    demand = demand_points(session, province_code, level)
    supply = supply_points(session, type_codes, scenario=scenario)
    analysis = cov.analyse_coverage(demand, supply, distance_km)
    return CoverageRun(analysis, demand, supply, analysis.total.basis == "population")


def siting_candidates(session: Session, province_code: str,
                      scenario: Scenario | None = None) -> list[siting.CandidateSite]:
    """Candidate sites: the 2025 communes' representative points, plus the scenario's points."""
    out = [siting.CandidateSite(f"U{d.code}", float(d.lon), float(d.lat), d.name)
           for d in demand_points(session, province_code, "commune")
           if d.lon is not None and d.lat is not None]
    if scenario is not None:
        out += [siting.CandidateSite(f"S{i.id}", float(i.lon), float(i.lat), i.name or "")
                for i in scenario.items if i.action is ItemAction.ADD and i.lon is not None
                and i.lat is not None]
    return out


def suggest_sites(session: Session, *, province_code: str, type_codes: Sequence[str],
                  distance_km: float, level: str, model: str, k: int, time_limit_s: float,
                  scenario: Scenario | None = None
                  ) -> tuple[siting.SitingResult, dict[str, siting.CandidateSite]]:
    """Run MCLP (k new sites) or LSCP (fewest sites) with the existing network fixed."""
    demand = demand_points(session, province_code, level)
    existing = supply_points(session, type_codes, scenario=scenario)
    candidates = siting_candidates(session, province_code, scenario)
    if model == "lscp":
        result = siting.suggest_sites_lscp(demand, existing, candidates, distance_km,
                                           time_limit_s)
    else:
        result = siting.suggest_sites_mclp(demand, existing, candidates, k, distance_km,
                                           time_limit_s)
    return result, {c.id: c for c in candidates}
