"""Master plans as data: load and validate the YAML files under ``registry/planning/plans/``.

A plan file describes one document (a provincial implementation plan, a national master plan,
a decree's checkable standards) and the rules the registry can check against it. Every rule
cites where it comes from (document, section, lines of our copy of the text), so an official
can read why a check fails. Targets that our sources do not confirm are written as ``null``:
the rule engine then reports them as NOT_SET, never as a pass (see DESIGN.md §7).

Validation. A plan file is checked with a JSON Schema (``plan_json_schema``, validated by the
``jsonschema`` library) built from the LIVE catalogues: facility type codes from
``facilities/types.yaml`` (the file ``flask facilities load-types`` loads), categories from
``facilities.vocab.Category`` and levels, services and target groups from
``facilities/catalogue.yaml``. A code that is not in a catalogue is refused with the allowed
values, so a rule can never silently count nothing. Checks that relate several parameters
(a scope needs a level, districts do not exist in 2025...) follow in Python. Every error names
the file, the rule and the path inside it (``rules[3].params.types[0]``), in Vietnamese
(``PlanFileError.detail``) and English (``detail_en``).

This module is pure: it reads YAML with ``yaml.safe_load`` and returns frozen dataclasses.

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

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from registry.facilities import catalogue
from registry.facilities.vocab import Category, FacilityLevel

PLANS_DIR = Path(__file__).with_name("plans")
TYPES_FILE = Path(catalogue.__file__).with_name("types.yaml")

FACILITY_STATUSES: frozenset[str] = frozenset(
    {"planned", "under_construction", "operating", "suspended", "closed"}
)
OWNERSHIPS: frozenset[str] = frozenset({"public", "non_public"})
#: Administrative unit levels (a rule's scope); a facility's own level is ``FacilityLevel``.
LEVELS: frozenset[str] = frozenset({"province", "district", "commune"})
EDITIONS: frozenset[str] = frozenset({"pre2025", "2025"})
SEVERITIES: frozenset[str] = frozenset({"error", "warning", "info"})
SCOPES: frozenset[str] = frozenset({"jurisdiction", "each_unit", "units", "unit_group"})
COUNT_BOUNDS: frozenset[str] = frozenset({"exact", "lower", "upper"})
#: Records a target may need that are not facility fields (see ``rules`` ``needs_record``).
NEEDED_RECORDS: frozenset[str] = frozenset({"investment_project"})
#: Investment project kinds (``investment.models.Kind`` values) for ``project_completed``.
PROJECT_KINDS: frozenset[str] = frozenset(
    {"new_construction", "upgrade", "expansion", "repair", "equipment"}
)
_OPEN_END = 9999


# --- the live catalogues ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The codes plan files may name, read from the catalogues the registry itself uses."""

    type_codes: tuple[str, ...]
    type_names: Mapping[str, tuple[str, str]]
    categories: tuple[str, ...]
    facility_levels: tuple[str, ...]
    services: tuple[str, ...]
    target_groups: tuple[str, ...]


@cache
def live_vocabulary() -> Vocabulary:
    """The type, category, level, service and target-group codes in force (cached)."""
    raw = yaml.safe_load(TYPES_FILE.read_text(encoding="utf-8")) or []
    names = {
        str(t["code"]): (str(t.get("name_vi") or t["code"]), str(t.get("name_en") or t["code"]))
        for t in raw
    }
    levels = catalogue.level_codes() or tuple(level.value for level in FacilityLevel)
    return Vocabulary(
        type_codes=tuple(names),
        type_names=MappingProxyType(names),
        categories=tuple(c.value for c in Category),
        facility_levels=tuple(levels),
        services=catalogue.service_codes(),
        target_groups=catalogue.target_group_codes(),
    )


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message names the file, the rule and the path.

    ``detail`` is the Vietnamese reason (shown to users), ``detail_en`` the English one.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        rule_code: str | None = None,
        *,
        message_en: str | None = None,
        where: str | None = None,
    ) -> None:
        self.path = str(path)
        self.rule_code = rule_code
        self.where = where
        self.detail = message
        self.detail_en = message_en or message
        place = f"{self.path}: rule {rule_code!r}" if rule_code else self.path
        if where:
            place = f"{place} ({where})"
        text = message if message_en is None else f"{message} — {message_en}"
        super().__init__(f"{place}: {text}")


class _Invalid(ValueError):
    """A validation failure inside one plan, before the file and rule are known."""

    def __init__(self, vi: str, en: str, where: str | None = None) -> None:
        super().__init__(en)
        self.vi, self.en, self.where = vi, en, where


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


# --- the schema ------------------------------------------------------------------------------

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXT = {"type": "string", "pattern": r"\S"}
_CODE = {"type": "string", "minLength": 1}
_TARGET = {"type": ["number", "null"], "minimum": 0}
_POSITIVE_TARGET = {"type": ["number", "null"], "exclusiveMinimum": 0}
_PERCENT = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}


def _enum_list(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": {"type": "string", "enum": sorted(values)}}


def _kind_params(v: Vocabulary) -> dict[str, dict[str, dict[str, Any]]]:
    filters: dict[str, dict[str, Any]] = {
        "types": _enum_list(v.type_codes),
        "categories": _enum_list(v.categories),
        "ownership": {"enum": sorted(OWNERSHIPS)},
        "statuses": _enum_list(FACILITY_STATUSES),
        "opened_from": _DATE,
        "levels": _enum_list(v.facility_levels),
        "services": _enum_list(v.services),
        "target_groups": _enum_list(v.target_groups),
        "facility": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "code": _CODE,
                "names": {"type": "array", "minItems": 1, "items": _TEXT},
            },
        },
        "criteria_supported": {"const": True},
        "needs_record": {"enum": sorted(NEEDED_RECORDS)},
    }
    scope: dict[str, dict[str, Any]] = {
        "scope": {"enum": sorted(SCOPES)},
        "level": {"enum": sorted(LEVELS)},
        "edition": {"enum": sorted(EDITIONS)},
        "units": {"type": ["array", "null"], "minItems": 1, "items": {"type": "string"}},
    }
    unit_min = {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"type": "string"},
        "additionalProperties": _TARGET,
    }
    no_ownership = {k: s for k, s in filters.items() if k != "ownership"}
    return {
        "min_count": {
            **filters,
            **scope,
            "min": _TARGET,
            "unit_min": unit_min,
            "min_share_of_units_pct": _PERCENT,
            "count_bound": {"enum": sorted(COUNT_BOUNDS)},
        },
        "non_public_share": {**no_ownership, **scope, "min_pct": _PERCENT},
        "total_capacity": {**filters, **scope, "min": _TARGET},
        "capacity_per_population": {**filters, **scope, "per": _POSITIVE, "min": _TARGET},
        "capacity_bounds": {**filters, "min": _TARGET, "max": _TARGET},
        "residents_within_capacity": {**filters},
        "licensing_required": {**filters, "residents_threshold": _POSITIVE},
        "coverage": {
            **filters,
            "level": {"enum": sorted(LEVELS)},
            "edition": {"enum": sorted(EDITIONS)},
            "distance_km": _POSITIVE_TARGET,
            "mode": {"enum": ["each_unit", "population_share"]},
            "min_pct": _PERCENT,
        },
        "spacing": {**filters, "min_distance_km": _POSITIVE_TARGET},
        "valid_admin_codes": {
            "subject": {"enum": ["facilities", "plan_units"]},
            "statuses": _enum_list(FACILITY_STATUSES),
        },
        "project_completed": {
            **filters,
            "project_kinds": _enum_list(PROJECT_KINDS),
            "by": _DATE,
        },
        "external_indicator": {
            "reason_vi": _TEXT,
            "reason_en": _TEXT,
            "target_text_vi": _TEXT,
            "target_text_en": _TEXT,
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
    "project_completed": frozenset({"project_kinds"}),
}
#: kind -> its parameters (their JSON Schemas, built from the live catalogues).
KIND_PARAMS: dict[str, dict[str, dict[str, Any]]] = _kind_params(live_vocabulary())
#: Parameters that say which facilities a rule is about; the kinds in ``_NEEDS_SUBJECT`` need
#: at least one of them.
SUBJECT_PARAMS = ("types", "categories", "services", "target_groups", "facility")
_NEEDS_SUBJECT = frozenset(
    {
        "min_count",
        "non_public_share",
        "total_capacity",
        "capacity_per_population",
        "capacity_bounds",
        "coverage",
        "spacing",
        "project_completed",
    }
)


def plan_json_schema(vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON Schema of a plan file, with the codes of ``vocabulary`` (default: live)."""
    kinds = _kind_params(vocabulary or live_vocabulary())
    citation = {
        "type": "object",
        "additionalProperties": False,
        "required": ["document"],
        "properties": {
            "document": _TEXT,
            "section": {"type": ["string", "null"]},
            "lines": {"type": ["string", "integer", "null"]},
            "quote": {"type": ["string", "null"]},
        },
    }
    rule_props = {
        "code": _TEXT,
        "kind": {"enum": sorted(kinds)},
        "title_vi": _TEXT,
        "title_en": _TEXT,
        "severity": {"enum": sorted(SEVERITIES)},
        "target_year": {"type": ["integer", "null"]},
        "source": citation,
        "params": {"type": ["object", "null"]},
        "note_vi": {"anyOf": [_TEXT, {"type": "null"}]},
        "note_en": {"anyOf": [_TEXT, {"type": "null"}]},
    }
    per_kind = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {
                "properties": {
                    "params": {
                        "type": ["object", "null"],
                        "additionalProperties": False,
                        "properties": params,
                        "required": sorted(REQUIRED_PARAMS[kind]),
                    }
                }
            },
        }
        for kind, params in kinds.items()
    ]
    rule = {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "kind", "title_vi", "title_en", "severity", "source"],
        "properties": rule_props,
        "allOf": per_kind,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "code",
            "title_vi",
            "title_en",
            "document",
            "issuing_body_vi",
            "issuing_body_en",
            "period",
            "jurisdiction",
            "rules",
        ],
        "properties": {
            "code": _TEXT,
            "title_vi": _TEXT,
            "title_en": _TEXT,
            "document": _TEXT,
            "issuing_body_vi": _TEXT,
            "issuing_body_en": _TEXT,
            "issued_on": {"anyOf": [_DATE, {"type": "null"}]},
            "period": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start"],
                "properties": {
                    "start": {"type": "integer"},
                    "end": {"type": ["integer", "null"]},
                },
            },
            "jurisdiction": {
                "type": "object",
                "additionalProperties": False,
                "required": ["scope", "edition"],
                "properties": {
                    "scope": {"enum": ["national", "provinces"]},
                    "edition": {"enum": sorted(EDITIONS)},
                    "province_codes": {
                        "type": ["array", "null"],
                        "items": {"type": "string"},
                    },
                },
            },
            "successor_of": {"type": ["string", "null"]},
            "notes_vi": {"type": ["string", "null"]},
            "notes_en": {"type": ["string", "null"]},
            "source_file": {"type": ["string", "null"]},
            "rules": {"type": "array", "minItems": 1, "items": rule},
        },
    }


@cache
def _validator(vocabulary: Vocabulary) -> jsonschema.Draft202012Validator:
    schema = plan_json_schema(vocabulary)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --- error messages --------------------------------------------------------------------------

_TYPE_VI = {
    "string": "chuỗi",
    "integer": "số nguyên",
    "number": "số",
    "array": "danh sách",
    "object": "bảng khoá–giá trị",
    "null": "để trống (null)",
    "boolean": "true/false",
}


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: jsonschema.ValidationError) -> tuple[str, str]:
    """Vietnamese and English text for one schema error."""
    v, inst = error.validator, error.instance
    if v == "enum":
        allowed = ", ".join(str(x) for x in error.validator_value)
        return (
            f"giá trị {inst!r} không có trong danh mục; các giá trị cho phép: {allowed}",
            f"unknown value {inst!r}; expected one of {list(error.validator_value)}",
        )
    if v == "const":
        return (f"chỉ nhận giá trị {error.validator_value!r}", f"must be {error.validator_value!r}")
    if v == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        if "string" in names and isinstance(inst, (int, float)):
            return (
                f"{inst!r} phải là chuỗi trong dấu ngoặc kép (mã giữ số 0 ở đầu)",
                f"{inst!r} must be a quoted string (codes keep leading zeros)",
            )
        return (
            f"{inst!r} phải là {' hoặc '.join(_TYPE_VI.get(n, n) for n in names)}",
            f"{inst!r} is not of type {' or '.join(names)}",
        )
    if v == "required":
        missing = [k for k in error.validator_value if k not in (inst or {})]
        return (f"thiếu {missing}", f"missing {missing}")
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(error.schema.get("properties", {})))
        return (f"khoá không được phép {extra}", f"unknown key(s) {extra}")
    if v in {"minItems", "minProperties", "minLength", "pattern"}:
        return ("không được để trống", "must be non-empty")
    if v == "minimum":
        return (f"{inst!r} phải từ 0 trở lên", f"{inst!r} must be zero or more")
    if v == "exclusiveMinimum":
        return (f"{inst!r} phải lớn hơn 0", f"{inst!r} must be positive")
    if v == "maximum":
        return (f"{inst!r} lớn hơn 100 %", f"{inst!r} is more than 100 %")
    return (error.message, error.message)


def _first_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """The most specific error: the deepest path first, then in file order."""

    def leaf(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        return error

    leaves = [leaf(e) for e in errors]
    return sorted(leaves, key=lambda e: (-len(e.absolute_path), [str(p) for p in e.path]))[0]


def _plain(value: Any) -> Any:
    """YAML values as JSON values: dates become ISO text; mapping keys stay as given."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- normalising and cross-field checks ------------------------------------------------------


def _date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Invalid(
            f"{value!r} không phải ngày hợp lệ (YYYY-MM-DD)",
            f"{value!r} is not a date (YYYY-MM-DD)",
            where,
        ) from None


def _normalise(key: str, value: Any, where: str) -> Any:
    if key in {"opened_from", "by"}:
        return value if isinstance(value, date) else _date(value, where)
    if key == "unit_min":
        return MappingProxyType(dict(value))
    if key == "facility":
        return MappingProxyType(
            {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        )
    if isinstance(value, list):
        return tuple(value)
    return value


def _check_params(kind: str, raw: Mapping[str, Any] | None, edition: str, where: str) -> Any:
    params = {k: _normalise(k, v, f"{where}.{k}") for k, v in (raw or {}).items()}
    if kind in _NEEDS_SUBJECT and not any(k in params for k in SUBJECT_PARAMS):
        raise _Invalid(
            "cần 'types', 'categories', 'services', 'target_groups' hoặc 'facility' để "
            "nói cơ sở nào được tính",
            "needs 'types' or 'categories' (or services, target_groups, facility) to say "
            "which facilities count",
            where,
        )
    if "edition" in KIND_PARAMS[kind]:
        params.setdefault("edition", edition)
    _check_scope(kind, params, where)
    return MappingProxyType(params)


def _check_scope(kind: str, params: dict[str, Any], where: str) -> None:
    scope = params.get("scope")
    level = params.get("level")

    def bad(vi: str, en: str) -> _Invalid:
        return _Invalid(vi, en, where)

    if level == "district" and params.get("edition") == "2025":
        raise bad(
            "bản danh mục 2025 không có cấp huyện; dùng edition 'pre2025'",
            "districts do not exist in the 2025 edition; use edition 'pre2025'",
        )
    if scope in {"each_unit", "units", "unit_group"} and level is None:
        raise bad(f"phạm vi {scope!r} cần 'level'", f"scope {scope!r} needs 'level'")
    if scope in {"units", "unit_group"} and "units" not in params and "unit_min" not in params:
        raise bad(
            f"phạm vi {scope!r} cần 'units' (hoặc 'unit_min')",
            f"scope {scope!r} needs 'units' (or 'unit_min')",
        )
    if "unit_min" in params and scope != "units":
        raise bad("'unit_min' chỉ dùng với phạm vi 'units'", "'unit_min' is only for scope 'units'")
    if "units" in params and scope not in {"units", "unit_group"}:
        raise bad(
            "'units' chỉ dùng với phạm vi 'units' và 'unit_group'",
            "'units' is only for scopes 'units' and 'unit_group'",
        )
    if "min_share_of_units_pct" in params and scope != "each_unit":
        raise bad(
            "'min_share_of_units_pct' chỉ dùng với phạm vi 'each_unit'",
            "'min_share_of_units_pct' is only for scope 'each_unit'",
        )
    if kind == "min_count" and "min" not in params and "unit_min" not in params:
        raise bad(
            "cần 'min' (hoặc 'unit_min' với phạm vi 'units'); để null nếu chưa biết",
            "needs 'min' (or 'unit_min' for scope 'units'); use null if unknown",
        )
    if kind == "capacity_bounds" and "min" not in params and "max" not in params:
        raise bad("cần 'min' và/hoặc 'max'", "needs 'min' and/or 'max'")
    if kind == "coverage" and params["mode"] == "population_share" and "min_pct" not in params:
        raise bad(
            "chế độ 'population_share' cần 'min_pct'", "mode 'population_share' needs 'min_pct'"
        )


def _citation(raw: Mapping[str, Any]) -> Citation:
    lines = raw.get("lines")
    return Citation(
        document=str(raw["document"]).strip(),
        section=None if raw.get("section") is None else str(raw["section"]),
        lines=None if lines is None else str(lines),
        quote=None if raw.get("quote") is None else str(raw["quote"]).strip(),
    )


def _rule(raw: Mapping[str, Any], index: int, edition: str, period: tuple[int, int]) -> Rule:
    where = f"rules[{index}]"
    target_year = raw.get("target_year")
    if target_year is not None and not period[0] <= target_year <= period[1]:
        raise _Invalid(
            f"năm mục tiêu {target_year} nằm ngoài kỳ kế hoạch",
            f"target_year {target_year} is outside the plan period",
            f"{where}.target_year",
        )
    text = {k: None if raw.get(k) is None else str(raw[k]).strip() for k in ("note_vi", "note_en")}
    return Rule(
        code=str(raw["code"]).strip(),
        kind=raw["kind"],
        title_vi=str(raw["title_vi"]).strip(),
        title_en=str(raw["title_en"]).strip(),
        severity=raw["severity"],
        target_year=target_year,
        source=_citation(raw["source"]),
        params=_check_params(raw["kind"], raw.get("params"), edition, f"{where}.params"),
        note_vi=text["note_vi"],
        note_en=text["note_en"],
    )


def _rule_label(data: Any, index: int) -> str:
    rules = data.get("rules") if isinstance(data, dict) else None
    raw = rules[index] if isinstance(rules, list) and index < len(rules) else None
    code = raw.get("code") if isinstance(raw, dict) else None
    return str(code) if code is not None else f"#{index + 1}"


_PARSED: dict[tuple[str, str, Vocabulary], Plan] = {}
_PARSED_LIMIT = 256


def parse_plan(
    data: Any, path: str | Path = "<memory>", *, vocabulary: Vocabulary | None = None
) -> Plan:
    """A ``Plan`` from the mapping read out of one YAML file; PlanFileError if it is invalid.

    ``vocabulary`` (default: the live catalogues) gives the codes rules may name. Plans are
    frozen, so a plan parsed before from the same data is returned again (checks re-read
    their plans from the database on every run).
    """
    vocab = vocabulary or live_vocabulary()
    try:
        key = (json.dumps(_plain(data), sort_keys=True), str(path), vocab)
    except (TypeError, ValueError):
        return _parse_plan(data, path, vocab)
    found = _PARSED.get(key)
    if found is None:
        found = _parse_plan(data, path, vocab)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = found
    return found


def _parse_plan(data: Any, path: str | Path, vocabulary: Vocabulary) -> Plan:
    if not isinstance(data, dict):
        raise PlanFileError(
            path, "tệp phải chứa một kế hoạch (một bảng khoá–giá trị)",
            message_en="the file must hold one mapping (a plan)",
        )  # fmt: skip
    errors = list(_validator(vocabulary).iter_errors(_plain(data)))
    if errors:
        error = _first_error(errors)
        where = _where(error.absolute_path)
        vi, en = _message(error)
        parts = list(error.absolute_path)
        rule_code = (
            _rule_label(data, parts[1]) if parts[:1] == ["rules"] and len(parts) > 1 else None
        )
        raise PlanFileError(path, vi, rule_code, message_en=en, where=where or None)

    period_raw = data["period"]
    start, end = period_raw["start"], period_raw.get("end")  # end null: until replaced
    period = (start, _OPEN_END if end is None else end)
    if period[0] > period[1]:
        raise PlanFileError(
            path,
            f"kỳ kế hoạch bắt đầu sau khi kết thúc: {period}",
            message_en=f"period starts after it ends: {period}",
            where="period",
        )
    j = data["jurisdiction"]
    codes = tuple(j.get("province_codes") or ())
    if j["scope"] == "provinces" and not codes:
        raise PlanFileError(
            path,
            "kế hoạch cấp tỉnh cần 'province_codes'",
            message_en="a provincial plan needs province_codes",
            where="jurisdiction",
        )
    if j["scope"] == "national" and codes:
        raise PlanFileError(
            path,
            "kế hoạch toàn quốc không nhận 'province_codes'",
            message_en="a national jurisdiction takes no province_codes",
            where="jurisdiction",
        )
    jurisdiction = Jurisdiction(j["scope"] == "national", frozenset(codes), j["edition"])
    issued_on = None if data.get("issued_on") is None else data["issued_on"]
    if isinstance(issued_on, str):
        try:
            issued_on = _date(issued_on, "issued_on")
        except _Invalid as exc:
            raise PlanFileError(path, exc.vi, message_en=exc.en, where=exc.where) from None

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"]):
        label = _rule_label(data, index)
        try:
            rule = _rule(raw, index, jurisdiction.edition, period)
        except _Invalid as exc:
            raise PlanFileError(path, exc.vi, label, message_en=exc.en, where=exc.where) from None
        if rule.code in seen:
            raise PlanFileError(
                path, "mã quy tắc bị trùng", rule.code, message_en="duplicate rule code"
            )
        seen.add(rule.code)
        rules.append(rule)

    return Plan(
        code=str(data["code"]).strip(),
        title_vi=str(data["title_vi"]).strip(),
        title_en=str(data["title_en"]).strip(),
        document=str(data["document"]).strip(),
        issuing_body_vi=str(data["issuing_body_vi"]).strip(),
        issuing_body_en=str(data["issuing_body_en"]).strip(),
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


def load_plan(path: str | Path, *, vocabulary: Vocabulary | None = None) -> Plan:
    """Read and validate one plan file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanFileError(
            path, f"không phải YAML hợp lệ: {exc}", message_en=f"not valid YAML: {exc}"
        ) from None
    except OSError as exc:
        raise PlanFileError(
            path, f"không đọc được tệp: {exc}", message_en=f"cannot be read: {exc}"
        ) from None
    return parse_plan(data, path, vocabulary=vocabulary)


def load_plans(paths: Iterable[str | Path] | None = None) -> list[Plan]:
    """Every plan file (default: the ones shipped in ``plans/``), sorted by plan code.

    Plan codes must be unique across files and ``successor_of`` must name a loaded plan.
    """
    files = sorted(PLANS_DIR.glob("*.yaml")) if paths is None else [Path(p) for p in paths]
    plans = [load_plan(path) for path in files]
    by_code: dict[str, Plan] = {}
    for plan in plans:
        if plan.code in by_code:
            raise PlanFileError(
                plan.path or "?",
                f"mã kế hoạch {plan.code!r} được dùng hai lần",
                message_en=f"plan code {plan.code!r} is used twice",
            )
        by_code[plan.code] = plan
    for plan in plans:
        if plan.successor_of is not None and plan.successor_of not in by_code:
            raise PlanFileError(
                plan.path or "?",
                f"successor_of nêu kế hoạch không có: {plan.successor_of!r}",
                message_en=f"successor_of names unknown plan {plan.successor_of!r}",
            )
    return sorted(plans, key=lambda p: p.code)


#: Facility type codes rules may name (the live ``types.yaml``); kept for callers.
FACILITY_TYPE_CODES: frozenset[str] = frozenset(live_vocabulary().type_codes)
