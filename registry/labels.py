"""Words for the codes the registry stores, built once for every page and report.

A page never shows a stored code (``GENERAL``, ``public``, ``min_count``, ``error``, ``False``,
``2025-07-01``, a province's GSO number) where an official expects a word. Enum labels come
from the modules that define the choice lists (facility forms, the catalogue, roles); the
planning vocabulary (rule kinds, severities, targets, results, proposal actions) is kept here
as plain strings, because facilities and geography, which know nothing of planning, reach this
module through the display filters.

Names of facility types and provinces live in the database: :func:`init_app` reads them once
per request, before a template renders (templates run no queries).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from registry.filters import format_date, format_datetime, format_number, parse_iso
from registry.i18n import _, _l

if TYPE_CHECKING:
    from flask import Flask

YES, NO = _l("Yes"), _l("No")

SEVERITY_LABELS = {
    "error": _l("Mandatory"),
    "warning": _l("Warning"),
    "info": _l("For information"),
}
RULE_KIND_LABELS = {
    "min_count": _l("Minimum number of facilities"),
    "non_public_share": _l("Share of non-public facilities"),
    "total_capacity": _l("Total capacity"),
    "capacity_per_population": _l("Capacity per 10,000 people"),
    "capacity_bounds": _l("Design capacity of the named facilities"),
    "residents_within_capacity": _l("Residents within design capacity"),
    "licensing_required": _l("Operating licence"),
    "coverage": _l("Service coverage by distance"),
    "spacing": _l("Distance between facilities"),
    "valid_admin_codes": _l("Valid administrative unit codes"),
    "external_indicator": _l("Indicator followed outside the registry"),
    "project_completed": _l("Works completed by an investment project"),
}
TARGET_KEY_LABELS = {
    "min": _l("Minimum"),
    "max": _l("Maximum"),
    "min_pct": _l("Minimum share (%)"),
    "distance_km": _l("Distance (km)"),
    "min_distance_km": _l("Minimum distance (km)"),
    "unit_min": _l("Minimum in the unit"),
}
RESULT_LABELS = {
    "pass": _l("Met"),
    "fail": _l("Not met"),
    "not_evaluable": _l("Not evaluable"),
    "not_set": _l("Target not set"),
}
# The same words as planning.forms.ACTION_LABELS (one msgid, one translation).
ITEM_ACTION_LABELS = {
    "add": _l("New facility"),
    "capacity": _l("Change capacity"),
    "upgrade": _l("Upgrade (status and capacity)"),
    "close": _l("Close"),
}
CATEGORY_LABELS = {
    "elderly": _l("Elderly people"),
    "children": _l("Children in special circumstances"),
    "disability": _l("Persons with disabilities"),
    "mental_health": _l("Mental health"),
    "general": _l("General social assistance"),
    "social_work": _l("Social work"),
    "drug_rehab": _l("Drug rehabilitation"),
    "counselling": _l("Counselling"),
    "shelter": _l("Shelter"),
    "victim_support": _l("Victim support"),
    "other": _l("Other"),
}
PRECISION_LABELS = {
    "exact": _l("Exact point"),
    "commune": _l("Approximate: centre of the commune"),
    "district": _l("Approximate: centre of the district"),
    "province": _l("Approximate: centre of the province"),
}
LOCATION_SOURCE_LABELS = {
    "map": _l("Click on the map"),
    "latlon": _l("Latitude / longitude"),
    "vn2000": _l("VN-2000 coordinates"),
    "unit_point": _l("Centre of an administrative unit"),
    "import": _l("Imported from a file"),
}
AUDIT_ENTITY_LABELS = {
    "facilities": _l("Facility"),
    "master_plans": _l("Plan"),
    "plan_rules": _l("Plan target"),
    "scenarios": _l("Scenario"),
    "scenario_items": _l("Scenario proposal"),
    "users": _l("User"),
}
# Field names of every audited table, for the audit log and histories.
FIELD_LABELS = {
    "name": _l("Name"),
    "code": _l("Code"),
    "type_code": _l("Type"),
    "ownership": _l("Ownership"),
    "managing_body": _l("Managing body"),
    "province_code": _l("Province"),
    "old_province_code": _l("Province (before 2025)"),
    "commune_code": _l("Commune code (current)"),
    "district_code": _l("District code (pre-2025)"),
    "address": _l("Address"),
    "lon": _l("Longitude"),
    "lat": _l("Latitude"),
    "location_approximate": _l("Approximate location"),
    "location_source": _l("How to enter the location"),
    "location_precision": _l("Location precision"),
    "level": _l("Level"),
    "service_codes": _l("Services offered"),
    "target_groups": _l("Target groups"),
    "criteria_supported_on": _l("Supported to the central criteria on"),
    "status": _l("Status"),
    "status_changed_on": _l("Effective date"),
    "opened_on": _l("Opened on"),
    "closed_on": _l("Closed on"),
    "design_capacity": _l("Design capacity"),
    "capacity_by_group": _l("Capacity by target group"),
    "residents": _l("Residents"),
    "staff": _l("Staff"),
    "services": _l("Services"),
    "registration_no": _l("Registration number"),
    "licence_no": _l("Licence number"),
    "notes": _l("Notes"),
    "is_demo": _l("Demo data"),
    "version": _l("Version"),
    "geom": _l("Location"),
    "action": _l("Proposal"),
    "new_status": _l("New status"),
    "facility_id": _l("Facility"),
    "adopted_facility_id": _l("Facility in the registry"),
    "scenario_id": _l("Scenario"),
    "target_year": _l("Target year"),
    "adopted_at": _l("Adopted"),
    "adopted_by_id": _l("Adopted by"),
    "copied_from_id": _l("Copied from"),
    "created_by_id": _l("Created by"),
    "updated_by_id": _l("Updated by"),
    "overrides": _l("Targets entered"),
    "params": _l("Targets"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "password_hash": _l("Password"),
    "role": _l("Role"),
    "active": _l("Active"),
    "failed_logins": _l("Failed logins"),
    "locked_until": _l("Locked until"),
    "last_login_at": _l("Last login"),
    "session_epoch": _l("Sessions ended"),
}

_STATUS_FIELDS = frozenset({"status", "new_status", "from_status", "to_status"})
_PROVINCE_FIELDS = frozenset({"province_code", "jurisdiction"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _facility_labels() -> dict[str, Mapping[Any, Any]]:
    """The facility forms' own choice labels (imported late: forms need the app's modules)."""
    from registry.auth.forms import ROLE_LABELS
    from registry.facilities.forms import OWNERSHIP_LABELS, STATUS_LABELS, TARGET_GROUPS

    return {
        "ownership": {str(k): v for k, v in OWNERSHIP_LABELS.items()},
        "status": {str(k): v for k, v in STATUS_LABELS.items()},
        "capacity_group": TARGET_GROUPS,
        "role": {str(k): v for k, v in ROLE_LABELS.items()},
    }


def _catalogue_label(kind: str, code: str, locale: str | None) -> str:
    from registry.facilities import catalogue

    try:
        return catalogue.label(kind, code, locale)
    except (KeyError, ValueError):
        return code


def label(kind: str, code: Any, *, locale: str | None = None) -> str:
    """The word for ``code`` of a vocabulary (``status``, ``severity``, ``rule_kind`` ...);
    the code itself when the vocabulary does not know it (never an empty cell)."""
    if code is None or code == "":
        return ""
    key = str(getattr(code, "value", code))
    static: Mapping[str, Any] | None = {
        "severity": SEVERITY_LABELS,
        "rule_kind": RULE_KIND_LABELS,
        "target_key": TARGET_KEY_LABELS,
        "result": RESULT_LABELS,
        "item_action": ITEM_ACTION_LABELS,
        "category": CATEGORY_LABELS,
        "precision": PRECISION_LABELS,
        "location_source": LOCATION_SOURCE_LABELS,
        "audit_entity": AUDIT_ENTITY_LABELS,
        "field": FIELD_LABELS,
    }.get(kind)
    if static is None and kind in ("levels", "services", "target_groups"):
        return _catalogue_label(kind, key, locale or _locale())
    if static is None:
        static = _facility_labels().get(kind, {})
    found = static.get(key)
    return key if found is None else str(found)


def yes_no(value: Any) -> str:
    return str(YES if value else NO)


def _locale() -> str:
    from flask import has_request_context
    from flask_babel import get_locale

    return str(get_locale() or "vi") if has_request_context() else "vi"


class Names:
    """Type and province names for one request: what a stored code reads as."""

    def __init__(
        self,
        types: Mapping[str, str] | None = None,
        provinces: Mapping[str, str] | None = None,
        old_provinces: Mapping[str, str] | None = None,
    ) -> None:
        self.types = dict(types or {})
        self.provinces = dict(provinces or {})
        self.old_provinces = dict(old_provinces or {})

    def type_name(self, code: str | None) -> str:
        return "" if not code else self.types.get(code, code)

    def province(self, code: str | None) -> str:
        if not code:
            return str(_("National"))
        return self.provinces.get(code) or self.old_provinces.get(code) or code

    def old_province(self, code: str | None) -> str:
        if not code:
            return ""
        return self.old_provinces.get(code) or self.provinces.get(code) or code

    def value(self, field: str, value: Any) -> str:
        """One stored value (an audit change, a conflict cell) as an official reads it."""
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return yes_no(value)
        if field in _STATUS_FIELDS:
            return label("status", value)
        if field in ("type_code", "type"):
            return self.type_name(str(value))
        if field in _PROVINCE_FIELDS:
            return self.province(str(value))
        if field == "old_province_code":
            return self.old_province(str(value))
        if field == "capacity_by_group" and isinstance(value, Mapping):
            groups = _facility_labels()["capacity_group"]
            return "; ".join(
                f"{groups.get(k, k)}: {format_number(v) if isinstance(v, int | float) else v}"
                for k, v in value.items()
            )
        if field == "service_codes":
            return "; ".join(label("services", v) for v in _as_list(value))
        if field == "target_groups":
            return "; ".join(label("target_groups", v) for v in _as_list(value))
        vocabulary = {
            "ownership": "ownership",
            "level": "levels",
            "location_precision": "precision",
            "location_source": "location_source",
            "action": "item_action",
            "category": "category",
            "role": "role",
            "severity": "severity",
            "kind": "rule_kind",
        }.get(field)
        if vocabulary is not None:
            return label(vocabulary, value)
        if isinstance(value, datetime):
            return format_datetime(value)
        if isinstance(value, date):
            return format_date(value)
        if isinstance(value, str) and _ISO_DATE.match(value) and parse_iso(value) is not None:
            parsed = parse_iso(value)
            return format_datetime(value) if isinstance(parsed, datetime) else format_date(value)
        if isinstance(value, int | float) and field not in ("lon", "lat"):
            return format_number(value, 0 if isinstance(value, int) else 2)
        if isinstance(value, Mapping):
            return "; ".join(f"{self._key(k)}: {self.value(str(k), v)}" for k, v in value.items())
        if isinstance(value, list | tuple):
            return "; ".join(self.value(field, v) for v in value)
        return str(value)

    @staticmethod
    def _key(key: Any) -> str:
        text = str(key)
        return label("target_key", text) if text in TARGET_KEY_LABELS else text


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, Iterable) else [str(value)]


def load_names() -> Names:
    """Type and province names from the database, once per request."""
    from flask import g, has_request_context
    from sqlalchemy import select

    from registry.extensions import db
    from registry.facilities.services import facility_types
    from registry.geography.models import AdminUnit, Edition, Level

    cached = g.get("_registry_names") if has_request_context() else None
    if cached is not None:
        return cached
    locale = _locale()
    session: Any = db.session  # the request's scoped session, as the views hand it over
    types = {t.code: t.name(locale) for t in facility_types(session)}
    rows = session.execute(
        select(AdminUnit.edition, AdminUnit.code, AdminUnit.name).where(
            AdminUnit.level == Level.PROVINCE
        )
    ).all()
    provinces = {code: name for edition, code, name in rows if edition == Edition.CURRENT}
    old = {code: name for edition, code, name in rows if edition != Edition.CURRENT}
    names = Names(types, provinces, old)
    if has_request_context():
        g._registry_names = names
    return names


# --- citations -------------------------------------------------------------------------------

# The sections of the research notes (shared/domain/README.md) that plan rules cite, by number.
_NOTE_SECTIONS = {
    "1": _l("Decision 1520/QĐ-LĐTBXH, the network master plan 2016–2025"),
    "2": _l("Decree 103/2017/NĐ-CP and later changes"),
    "3": _l("Drug-rehabilitation facilities"),
    "4": _l("Decision 565/QĐ-TTg, the targeted programme 2016–2020"),
    "5": _l("Public investment projects"),
    "6": _l("The 2025 administrative reorganisation"),
    "7": _l("Public holidays and working days"),
}
_NOTES_PATH = re.compile(
    r"(?:\(\s*)?(?:theo\s+)?shared/domain/README\.md(?:\s*§\s*(\d+))?(?:\s*\))?"
)
_CHECKS_LIST = re.compile(r'[,;]?\s*"Rules a registry can check automatically"\s*no\.\s*(\d+)')
_PLAN_TEXT = re.compile(r"shared/domain/[\w.\-]+\.txt")


def citation(text: str | None) -> str:
    """A citation as an official reads it: the research notes and plan transcripts the data
    cites by their file path are named in words ("the registry's legal research notes, part
    6: the 2025 administrative reorganisation")."""
    if not text:
        return ""

    def notes(match: re.Match[str]) -> str:
        number = match.group(1)
        words = str(_("the registry's legal research notes"))
        if number and number in _NOTE_SECTIONS:
            words += " " + str(
                _("(part %(number)s: %(title)s)", number=number, title=_NOTE_SECTIONS[number])
            )
        prefix = " " if match.group(0).startswith("(") else ""
        return prefix + str(_("according to %(source)s", source=words))

    out = _CHECKS_LIST.sub(
        lambda m: ", " + str(_("list of automatic checks, no. %(number)s", number=m.group(1))),
        text,
    )
    out = _NOTES_PATH.sub(notes, out)
    out = _PLAN_TEXT.sub(str(_("the plan's text as kept by the registry")), out)
    return re.sub(r"\s{2,}", " ", out).strip()


def lines_text(lines: str | None) -> str:
    """ "lines 51, 53" of the plan text the registry keeps, in words."""
    if not lines:
        return ""
    return str(_("lines %(lines)s of the plan text kept by the registry", lines=lines))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["citation"] = citation
    app.jinja_env.filters["yesno"] = yes_no
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["lines_text"] = lines_text

    @app.context_processor
    def _names() -> dict[str, object]:
        from flask_login import current_user
        from sqlalchemy.exc import SQLAlchemyError

        if not getattr(current_user, "is_authenticated", False):
            return {}
        try:
            names = load_names()
        except SQLAlchemyError:  # an error page while the database is failing
            names = Names()
        return {
            "names": names,
            "field_value": names.value,
            "type_label": names.type_name,
            "province_label": names.province,
        }
