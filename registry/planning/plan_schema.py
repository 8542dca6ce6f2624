"""Master plans as data: load and validate the YAML files under ``registry/planning/plans/``.

A plan file describes one document (a provincial implementation plan, a national master plan,
a decree's checkable standards) and the rules the registry can check against it. Every rule
cites where it comes from (document, section, lines of our copy of the text), so an official
can read why a check fails. Targets that our sources do not confirm are written as ``null``:
the rule engine then reports them as NOT_SET, never as a pass (see DESIGN.md §7).

This module is pure: it reads YAML with ``yaml.safe_load`` and returns frozen dataclasses.
Errors name the file and, where there is one, the rule (``PlanFileError``).

File layout (keys in brackets are optional)::

    code, title_vi, title_en, document, issuing_body_vi, issuing_body_en,
    [issued_on], period: {start, end (null: until replaced)},
    jurisdiction: {scope, [province_codes], edition},
    [successor_of], [notes_vi], [notes_en], [source_file],
    rules: [{code, kind, title_vi, title_en, severity, target_year,
             source: {document, [section], [lines], [quote]}, [note_vi], [note_en], params}]

The parameters each rule kind accepts are listed in ``KIND_PARAMS``; their meaning is documented
in ``registry.planning.rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

PLANS_DIR = Path(__file__).with_name("plans")

#: Facility type codes seeded by the core (registry.facilities); rules may only name these.
FACILITY_TYPE_CODES: frozenset[str] = frozenset(
    {
        "ELDERLY",
        "CHILDREN",
        "DISABILITY",
        "MENTAL",
        "GENERAL",
        "SOCIAL_WORK",
        "OTHER",
        "DRUG_PUBLIC",
        "DRUG_VOLUNTARY",
        "DRUG_COMMUNITY",
        "COUNSELLING",
        "SHELTER",
        "VICTIM_SUPPORT",
    }
)
FACILITY_STATUSES: frozenset[str] = frozenset(
    {"planned", "under_construction", "operating", "suspended", "closed"}
)
OWNERSHIPS: frozenset[str] = frozenset({"public", "non_public"})
LEVELS: frozenset[str] = frozenset({"province", "district", "commune"})
EDITIONS: frozenset[str] = frozenset({"pre2025", "2025"})
SEVERITIES: frozenset[str] = frozenset({"error", "warning", "info"})
SCOPES: frozenset[str] = frozenset({"jurisdiction", "each_unit", "units", "unit_group"})
COUNT_BOUNDS: frozenset[str] = frozenset({"exact", "lower", "upper"})
_OPEN_END = 9999


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message names the file and the rule."""

    def __init__(self, path: str | Path, message: str, rule_code: str | None = None) -> None:
        self.path = str(path)
        self.rule_code = rule_code
        self.detail = message
        where = f"{self.path}: rule {rule_code!r}" if rule_code else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from: the document, its section/article, and lines of our copy."""

    document: str
    section: str | None = None
    lines: str | None = None
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The area a plan governs: the whole country or a set of provinces (codes of ``edition``)."""

    national: bool
    province_codes: frozenset[str]
    edition: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One checkable target or standard of a plan; ``params`` depend on ``kind``."""

    code: str
    kind: str
    title_vi: str
    title_en: str
    severity: str
    target_year: int | None
    source: Citation
    params: Mapping[str, Any]
    note_vi: str | None = None
    note_en: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A master plan or set of standards, with its rules."""

    code: str
    title_vi: str
    title_en: str
    document: str
    issuing_body_vi: str
    issuing_body_en: str
    issued_on: date | None
    period_start: int
    period_end: int | None
    jurisdiction: Jurisdiction
    rules: tuple[Rule, ...]
    successor_of: str | None = None
    notes_vi: str | None = None
    notes_en: str | None = None
    source_file: str | None = None
    path: str | None = field(default=None, compare=False)

    def rule(self, code: str) -> Rule:
        """The rule with ``code``; KeyError if the plan has none."""
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)


# --- parameter validators ----------------------------------------------------------------
# Each returns the normalised value or raises ValueError with a short reason.

Validator = Callable[[Any], Any]


def _code_list(allowed: frozenset[str] | None = None) -> Validator:
    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise ValueError("must be a non-empty list")
        out = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"{item!r} must be a quoted string (codes keep leading zeros)")
            if allowed is not None and item not in allowed:
                raise ValueError(f"unknown value {item!r}; expected one of {sorted(allowed)}")
            out.append(item)
        return tuple(out)

    return check


def _nullable_code_list(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _code_list()(value)


def _choice(allowed: frozenset[str]) -> Validator:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {sorted(allowed)}")
        return str(value)

    return check


def _number(value: Any, *, nullable: bool, positive: bool = False) -> float | int | None:
    if value is None:
        if nullable:
            return None
        raise ValueError("must not be empty")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{value!r} must be {'positive' if positive else 'zero or more'}")
    return value


def _target(value: Any) -> float | int | None:
    """A target value: a number, or null when our sources do not give it (reported NOT_SET)."""
    return _number(value, nullable=True)


def _positive_target(value: Any) -> float | int | None:
    return _number(value, nullable=True, positive=True)


def _percent(value: Any) -> float | int | None:
    number = _number(value, nullable=True)
    if number is not None and number > 100:
        raise ValueError(f"{value!r} is more than 100 %")
    return number


def _positive(value: Any) -> float | int:
    number = _number(value, nullable=False, positive=True)
    return 0 if number is None else number


def _unit_targets(value: Any) -> Mapping[str, float | int | None]:
    if not isinstance(value, dict) or not value:
        raise ValueError("must be a non-empty mapping of unit code to target (or null)")
    out: dict[str, float | int | None] = {}
    for code, target in value.items():
        if not isinstance(code, str):
            raise ValueError(f"unit code {code!r} must be a quoted string")
        out[code] = _target(target)
    return MappingProxyType(out)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true/false")
    return value


_FILTER: dict[str, Validator] = {
    "types": _code_list(FACILITY_TYPE_CODES),
    "categories": _code_list(),
    "ownership": _choice(OWNERSHIPS),
    "statuses": _code_list(FACILITY_STATUSES),
    "opened_from": _date,
}
_SCOPE: dict[str, Validator] = {
    "scope": _choice(SCOPES),
    "level": _choice(LEVELS),
    "edition": _choice(EDITIONS),
    "units": _nullable_code_list,
}

#: kind -> {parameter: validator}. ``REQUIRED_PARAMS`` says which must be present.
KIND_PARAMS: dict[str, dict[str, Validator]] = {
    "min_count": {
        **_FILTER,
        **_SCOPE,
        "min": _target,
        "unit_min": _unit_targets,
        "min_share_of_units_pct": _percent,
        "count_bound": _choice(COUNT_BOUNDS),
    },
    "non_public_share": {
        **{k: v for k, v in _FILTER.items() if k != "ownership"},
        **_SCOPE,
        "min_pct": _percent,
    },
    "total_capacity": {**_FILTER, **_SCOPE, "min": _target},
    "capacity_per_population": {**_FILTER, **_SCOPE, "per": _positive, "min": _target},
    "capacity_bounds": {**_FILTER, "min": _target, "max": _target},
    "residents_within_capacity": {**_FILTER},
    "licensing_required": {**_FILTER, "residents_threshold": _positive},
    "coverage": {
        **_FILTER,
        "level": _choice(LEVELS),
        "edition": _choice(EDITIONS),
        "distance_km": _positive_target,
        "mode": _choice(frozenset({"each_unit", "population_share"})),
        "min_pct": _percent,
    },
    "spacing": {**_FILTER, "min_distance_km": _positive_target},
    "valid_admin_codes": {
        "subject": _choice(frozenset({"facilities", "plan_units"})),
        "statuses": _code_list(FACILITY_STATUSES),
    },
    "external_indicator": {
        "reason_vi": _text,
        "reason_en": _text,
        "target_text_vi": _text,
        "target_text_en": _text,
    },
}
REQUIRED_PARAMS: dict[str, frozenset[str]] = {
    "min_count": frozenset({"scope"}),
    "non_public_share": frozenset({"scope", "min_pct"}),
    "total_capacity": frozenset({"scope", "min"}),
    "capacity_per_population": frozenset({"scope", "min"}),
    "capacity_bounds": frozenset(),
    "residents_within_capacity": frozenset(),
    "licensing_required": frozenset({"residents_threshold"}),
    "coverage": frozenset({"level", "distance_km", "mode"}),
    "spacing": frozenset({"min_distance_km"}),
    "valid_admin_codes": frozenset({"subject"}),
    "external_indicator": frozenset({"reason_vi", "reason_en"}),
}
#: Kinds whose facility filter needs ``types`` or ``categories``.
_NEEDS_TYPES = frozenset(
    {
        "min_count",
        "non_public_share",
        "total_capacity",
        "capacity_per_population",
        "capacity_bounds",
        "coverage",
        "spacing",
    }
)


def _check_params(kind: str, raw: Any, edition: str) -> Mapping[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("params must be a mapping")
    spec = KIND_PARAMS[kind]
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for kind {kind!r}")
    missing = sorted(REQUIRED_PARAMS[kind] - set(raw))
    if missing:
        raise ValueError(f"missing parameter(s) {missing} for kind {kind!r}")
    params: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            params[key] = spec[key](value)
        except ValueError as exc:
            raise ValueError(f"parameter {key!r}: {exc}") from None
    if kind in _NEEDS_TYPES and "types" not in params and "categories" not in params:
        raise ValueError("needs 'types' or 'categories' to say which facilities count")
    if "edition" in spec:
        params.setdefault("edition", edition)
    _check_scope(kind, params)
    return MappingProxyType(params)


def _check_scope(kind: str, params: dict[str, Any]) -> None:
    scope = params.get("scope")
    level = params.get("level")
    if level == "district" and params.get("edition") == "2025":
        raise ValueError("districts do not exist in the 2025 edition; use edition 'pre2025'")
    if scope in {"each_unit", "units", "unit_group"} and level is None:
        raise ValueError(f"scope {scope!r} needs 'level'")
    if scope in {"units", "unit_group"} and "units" not in params and "unit_min" not in params:
        raise ValueError(f"scope {scope!r} needs 'units' (or 'unit_min')")
    if "unit_min" in params and scope != "units":
        raise ValueError("'unit_min' is only for scope 'units'")
    if "units" in params and scope not in {"units", "unit_group"}:
        raise ValueError("'units' is only for scopes 'units' and 'unit_group'")
    if "min_share_of_units_pct" in params and scope != "each_unit":
        raise ValueError("'min_share_of_units_pct' is only for scope 'each_unit'")
    if kind == "min_count" and "min" not in params and "unit_min" not in params:
        raise ValueError("needs 'min' (or 'unit_min' for scope 'units'); use null if unknown")
    if kind == "capacity_bounds" and "min" not in params and "max" not in params:
        raise ValueError("needs 'min' and/or 'max'")
    if kind == "coverage" and params["mode"] == "population_share" and "min_pct" not in params:
        raise ValueError("mode 'population_share' needs 'min_pct'")


def _require(data: Mapping[str, Any], key: str) -> Any:
    if key not in data or data[key] is None:
        raise ValueError(f"missing {key!r}")
    return data[key]


def _parse_citation(raw: Any) -> Citation:
    if not isinstance(raw, dict):
        raise ValueError("source must be a mapping with at least 'document'")
    unknown = sorted(set(raw) - {"document", "section", "lines", "quote"})
    if unknown:
        raise ValueError(f"unknown source key(s) {unknown}")
    lines = raw.get("lines")
    return Citation(
        document=_text(_require(raw, "document")),
        section=None if raw.get("section") is None else str(raw["section"]),
        lines=None if lines is None else str(lines),
        quote=None if raw.get("quote") is None else str(raw["quote"]).strip(),
    )


_RULE_KEYS = frozenset(
    {
        "code",
        "kind",
        "title_vi",
        "title_en",
        "severity",
        "target_year",
        "source",
        "params",
        "note_vi",
        "note_en",
    }
)
_PLAN_KEYS = frozenset(
    {
        "code",
        "title_vi",
        "title_en",
        "document",
        "issuing_body_vi",
        "issuing_body_en",
        "issued_on",
        "period",
        "jurisdiction",
        "successor_of",
        "notes_vi",
        "notes_en",
        "source_file",
        "rules",
    }
)


def _parse_rule(raw: Any, edition: str, period: tuple[int, int]) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError("a rule must be a mapping")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}")
    kind = _require(raw, "kind")
    if kind not in KIND_PARAMS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KIND_PARAMS)}")
    target_year = raw.get("target_year")
    if target_year is not None:
        if isinstance(target_year, bool) or not isinstance(target_year, int):
            raise ValueError(f"target_year {target_year!r} is not a year")
        if not period[0] <= target_year <= period[1]:
            raise ValueError(f"target_year {target_year} is outside the plan period")
    return Rule(
        code=_text(raw["code"]),
        kind=kind,
        title_vi=_text(_require(raw, "title_vi")),
        title_en=_text(_require(raw, "title_en")),
        severity=_choice(SEVERITIES)(_require(raw, "severity")),
        target_year=target_year,
        source=_parse_citation(_require(raw, "source")),
        params=_check_params(kind, raw.get("params"), edition),
        note_vi=None if raw.get("note_vi") is None else _text(raw["note_vi"]),
        note_en=None if raw.get("note_en") is None else _text(raw["note_en"]),
    )


def _parse_jurisdiction(raw: Any) -> Jurisdiction:
    if not isinstance(raw, dict):
        raise ValueError("jurisdiction must be a mapping")
    scope = _choice(frozenset({"national", "provinces"}))(_require(raw, "scope"))
    edition = _choice(EDITIONS)(_require(raw, "edition"))
    codes: tuple[str, ...] = ()
    if scope == "provinces":
        codes = _code_list()(_require(raw, "province_codes"))
    elif raw.get("province_codes"):
        raise ValueError("a national jurisdiction takes no province_codes")
    return Jurisdiction(
        national=scope == "national", province_codes=frozenset(codes), edition=edition
    )


def parse_plan(data: Any, path: str | Path = "<memory>") -> Plan:
    """A ``Plan`` from the mapping read out of one YAML file; PlanFileError if it is invalid."""
    if not isinstance(data, dict):
        raise PlanFileError(path, "the file must hold one mapping (a plan)")
    try:
        unknown = sorted(set(data) - _PLAN_KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}")
        period_raw = _require(data, "period")
        if not isinstance(period_raw, dict):
            raise ValueError("period must be a mapping with 'start' and 'end'")
        start = int(_require(period_raw, "start"))
        end = period_raw.get("end")  # null: in force until replaced (standards)
        period = (start, _OPEN_END if end is None else int(end))
        if period[0] > period[1]:
            raise ValueError(f"period starts after it ends: {period}")
        jurisdiction = _parse_jurisdiction(_require(data, "jurisdiction"))
        issued_on = None if data.get("issued_on") is None else _date(data["issued_on"])
        header = {
            key: _text(_require(data, key))
            for key in (
                "code",
                "title_vi",
                "title_en",
                "document",
                "issuing_body_vi",
                "issuing_body_en",
            )
        }
        raw_rules = _require(data, "rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise ValueError("rules must be a non-empty list")
    except ValueError as exc:
        raise PlanFileError(path, str(exc)) from None

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        label = raw.get("code") if isinstance(raw, dict) else None
        label = str(label) if label is not None else f"#{index + 1}"
        try:
            rule = _parse_rule(raw, jurisdiction.edition, period)
        except (ValueError, KeyError) as exc:
            raise PlanFileError(path, str(exc), rule_code=label) from None
        if rule.code in seen:
            raise PlanFileError(path, "duplicate rule code", rule_code=rule.code)
        seen.add(rule.code)
        rules.append(rule)

    return Plan(
        **header,
        issued_on=issued_on,
        period_start=period[0],
        period_end=None if period[1] == _OPEN_END else period[1],
        jurisdiction=jurisdiction,
        rules=tuple(rules),
        successor_of=data.get("successor_of"),
        notes_vi=data.get("notes_vi"),
        notes_en=data.get("notes_en"),
        source_file=data.get("source_file"),
        path=str(path),
    )


def load_plan(path: str | Path) -> Plan:
    """Read and validate one plan file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanFileError(path, f"not valid YAML: {exc}") from None
    except OSError as exc:
        raise PlanFileError(path, f"cannot be read: {exc}") from None
    return parse_plan(data, path)


def load_plans(paths: Iterable[str | Path] | None = None) -> list[Plan]:
    """Every plan file (default: the ones shipped in ``plans/``), sorted by plan code.

    Plan codes must be unique across files and ``successor_of`` must name a loaded plan.
    """
    files = sorted(PLANS_DIR.glob("*.yaml")) if paths is None else [Path(p) for p in paths]
    plans = [load_plan(path) for path in files]
    by_code: dict[str, Plan] = {}
    for plan in plans:
        if plan.code in by_code:
            raise PlanFileError(plan.path or "?", f"plan code {plan.code!r} is used twice")
        by_code[plan.code] = plan
    for plan in plans:
        if plan.successor_of is not None and plan.successor_of not in by_code:
            raise PlanFileError(
                plan.path or "?", f"successor_of names unknown plan {plan.successor_of!r}"
            )
    return sorted(plans, key=lambda p: p.code)
