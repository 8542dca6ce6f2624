"""Plans as data: loading the plan files, the targets users enter (only where their
jurisdiction covers the plan), and a targets file imported all or nothing."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.audit.context import set_reason
from registry.errors import PermissionDenied, RegistryError
from registry.geography import services as geography
from registry.i18n import _l
from registry.planning import plan_schema
from registry.planning.models import MasterPlan, PlanRule

#: Parameters an authorised user may fill in or change (targets, not the rule's meaning).
TARGET_KEYS: tuple[str, ...] = ("min", "max", "min_pct", "distance_km", "min_distance_km")


class PlanningError(RegistryError):
    """A planning rule was broken (edit of an adopted scenario, invalid target...)."""


class TargetImportFailed(RegistryError):
    """A targets file with errors; nothing was imported. ``errors`` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(str(_l("The file has errors; nothing was imported.")))
        self.errors = errors


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
    counts = {
        "plans_created": 0,
        "plans_updated": 0,
        "rules_created": 0,
        "rules_updated": 0,
        "rules_removed": 0,
    }
    set_reason(session, "flask planning load")
    for plan in plans:
        row = session.scalars(select(MasterPlan).where(MasterPlan.code == plan.code)).first()
        if row is None:
            row = MasterPlan(code=plan.code)
            session.add(row)
            counts["plans_created"] += 1
        values = {
            "title_vi": plan.title_vi,
            "title_en": plan.title_en,
            "document": plan.document,
            "issuing_body_vi": plan.issuing_body_vi,
            "issuing_body_en": plan.issuing_body_en,
            "issued_on": plan.issued_on,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "national": plan.jurisdiction.national,
            "province_codes": sorted(plan.jurisdiction.province_codes),
            "edition": plan.jurisdiction.edition,
            "successor_of": plan.successor_of,
            "notes_vi": plan.notes_vi,
            "notes_en": plan.notes_en,
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
                "position": position,
                "kind": rule.kind,
                "title_vi": rule.title_vi,
                "title_en": rule.title_en,
                "severity": rule.severity,
                "target_year": rule.target_year,
                "source_document": rule.source.document,
                "source_section": rule.source.section,
                "source_lines": rule.source.lines,
                "source_quote": rule.source.quote,
                "note_vi": rule.note_vi,
                "note_en": rule.note_en,
                "params": _plain(rule.params),
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
    source = {
        "document": rule.source_document,
        "section": rule.source_section,
        "lines": rule.source_lines,
        "quote": rule.source_quote,
    }
    return {
        "code": rule.code,
        "kind": rule.kind,
        "title_vi": rule.title_vi,
        "title_en": rule.title_en,
        "severity": rule.severity,
        "target_year": rule.target_year,
        "source": {k: v for k, v in source.items() if v is not None},
        "note_vi": rule.note_vi,
        "note_en": rule.note_en,
        "params": dict(params),
    }


def plan_from_row(
    row: MasterPlan, overrides: Mapping[int, Mapping[str, Any]] | None = None
) -> plan_schema.Plan:
    """The validated ``Plan`` the engine checks, with user-entered targets applied.

    ``overrides`` (rule id -> parameters) lets a caller validate a change before saving it.
    """
    raw_rules = []
    for rule in row.rules:
        params = (overrides or {}).get(rule.id) or effective_params(rule)
        raw_rules.append(_raw_rule(rule, params))
    jurisdiction: dict[str, Any] = {
        "scope": "national" if row.national else "provinces",
        "edition": row.edition,
    }
    if not row.national:
        jurisdiction["province_codes"] = list(row.province_codes)
    raw = {
        "code": row.code,
        "title_vi": row.title_vi,
        "title_en": row.title_en,
        "document": row.document,
        "issuing_body_vi": row.issuing_body_vi,
        "issuing_body_en": row.issuing_body_en,
        "issued_on": row.issued_on,
        "period": {"start": row.period_start, "end": row.period_end},
        "jurisdiction": jurisdiction,
        "successor_of": row.successor_of,
        "notes_vi": row.notes_vi,
        "notes_en": row.notes_en,
        "source_file": row.source_file,
        "rules": raw_rules,
    }
    return plan_schema.parse_plan(raw, f"db:{row.code}")


def all_plans(session: Session) -> list[MasterPlan]:
    return list(
        session.scalars(
            select(MasterPlan).order_by(MasterPlan.code).options(selectinload(MasterPlan.rules))
        )
    )


def plan_by_code(session: Session, code: str) -> MasterPlan | None:
    """A plan with its rules loaded."""
    return session.scalars(
        select(MasterPlan).where(MasterPlan.code == code).options(selectinload(MasterPlan.rules))
    ).first()


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
    slots = [
        TargetSlot(key, None, params[key], key in overrides) for key in TARGET_KEYS if key in params
    ]
    for unit, value in (params.get("unit_min") or {}).items():
        slots.append(TargetSlot("unit_min", unit, value, unit in (overrides.get("unit_min") or {})))
    return slots


def target_province(session: Session, plan: MasterPlan, unit_code: str | None) -> str | None:
    """The current province a target speaks for: the plan's one province, or the province
    of the unit a national plan's per-unit target names; None for a national target."""
    if not plan.national and len(plan.province_codes) == 1:
        return geography.current_province_of(session, plan.province_codes[0], plan.edition)
    if unit_code:
        return geography.current_province_of(session, unit_code, plan.edition)
    return None


def ensure_may_edit(
    session: Session, plan: MasterPlan, unit_code: str | None, editor_province: str | None
) -> str | None:
    """Only users whose jurisdiction covers a target may change it: national users any;
    a provincial user their province's plan, or their own units' entries of a national plan.
    Returns the province the change belongs to (for the audit trail)."""
    province = target_province(session, plan, unit_code)
    if editor_province is None:
        return province
    covered = set()
    if not plan.national:
        covered = {
            geography.current_province_of(session, c, plan.edition) for c in plan.province_codes
        }
    if editor_province == province or (province is None and editor_province in covered):
        return province
    raise PermissionDenied(str(_l("This target belongs to another jurisdiction.")))


def set_rule_target(
    session: Session,
    rule: PlanRule,
    key: str,
    value: float | None,
    *,
    unit_code: str | None = None,
    reason: str,
    editor_province: str | None,
) -> PlanRule:
    """Enter or change one target of a rule (``value`` None: not set); audited with ``reason``
    under the province the target belongs to. ``editor_province`` is the editor's
    jurisdiction (None: national).

    Only existing target slots can be set, so a user cannot change what a rule counts.
    """
    province = ensure_may_edit(session, rule.plan, unit_code, editor_province)
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
    rule.audit_province = province
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


def import_targets(
    session: Session, rows: Sequence[TargetRow], *, reason: str, editor_province: str | None
) -> int:
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
        try:
            ensure_may_edit(session, plan, row.unit_code, editor_province)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            errors.append((row.row, exc.message))
            continue
        planned.append((rule, row))
    if errors:
        raise TargetImportFailed(errors)
    try:
        with session.begin_nested():
            for rule, row in planned:
                set_rule_target(
                    session,
                    rule,
                    row.key,
                    row.value,
                    unit_code=row.unit_code,
                    reason=reason,
                    editor_province=editor_province,
                )
    except PlanningError as exc:
        raise TargetImportFailed([(0, exc.message)]) from None
    return len(planned)
