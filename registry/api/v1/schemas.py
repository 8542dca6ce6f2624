"""The shapes the API reads and writes (marshmallow): they give the OpenAPI document its
schemas and turn a body that does not fit into a 400 with one message per field.

Bounds are the database's (``integer`` is 32-bit, text columns have lengths, PostgreSQL
refuses NUL in text): a value past them is bad input, never a server error."""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from registry.facilities.vocab import Ownership, Status
from registry.http import INT_MAX
from registry.i18n import _


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


class Text(fields.String):
    """A string without NUL characters, at most ``max`` long."""

    def __init__(self, max: int, **kwargs: Any) -> None:
        validators: list[Any] = [validate.Length(max=max), _no_nul]
        if kwargs.pop("nonempty", False):
            validators.insert(0, validate.Length(min=1))
        super().__init__(validate=validators, **kwargs)


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError(_("NUL characters are not allowed."))


def _finite(value: float) -> None:
    if not math.isfinite(value):
        raise ma.ValidationError(_("Must be a finite number."))


def _box(value: str) -> None:
    """Four finite numbers: minLon,minLat,maxLon,maxLat, on the globe, minimum first."""
    parts = value.split(",")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise ma.ValidationError(_("Four numbers: minLon,minLat,maxLon,maxLat.")) from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ma.ValidationError(_("Four finite numbers: minLon,minLat,maxLon,maxLat."))
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ma.ValidationError(_("Degrees on the globe, minimum before maximum."))


def Count(**kwargs: Any) -> fields.Integer:  # noqa: N802 - a field factory reads as a field
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=INT_MAX), **kwargs)


def Enum(enum: Any, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.OneOf(_values(enum)), **kwargs)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class Lenient(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class PageArgsSchema(Lenient):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


# --- facilities ----------------------------------------------------------------------------


class FacilityQuery(Lenient):
    """The list's filters, as the HTML list takes them."""

    province = Text(2, metadata={"description": "Current province code"})
    district = Text(3, metadata={"description": "Pre-2025 district code"})
    commune = Text(5, metadata={"description": "Current commune code"})
    type = fields.List(Text(32), metadata={"description": "Facility type codes (repeatable)"})
    ownership = Enum(Ownership)
    status = fields.List(Enum(Status), metadata={"description": "Statuses (repeatable)"})
    capacity_min = Count()
    capacity_max = Count()
    q = Text(200, metadata={"description": "Search text (name, code, address as shown)"})
    bbox = fields.String(
        validate=[validate.Length(max=200), _box],
        metadata={"description": "minLon,minLat,maxLon,maxLat (WGS 84)"},
    )
    sort = fields.String(
        validate=validate.OneOf(
            [
                s
                for key in ("name", "code", "type", "status", "capacity", "residents", "updated")
                for s in (key, "-" + key)
            ]
        ),
        metadata={"description": "Sort key; a leading '-' sorts descending"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class FacilitySchema(ma.Schema):
    """A facility as the caller may see it. Where ``generalised`` is true the point is the
    commune's (or province's) representative point and address and notes are withheld."""

    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    type_code = fields.String(required=True)
    type_name_vi = fields.String(required=True)
    type_name_en = fields.String(required=True)
    category = fields.String(required=True)
    ownership = fields.String(required=True)
    managing_body = fields.String(allow_none=True)
    status = fields.String(required=True)
    status_changed_on = fields.String(allow_none=True, metadata={"format": "date"})
    province_code = fields.String(required=True)
    commune_code = fields.String(allow_none=True)
    old_province_code = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    generalised = fields.Boolean(required=True)
    location_approximate = fields.Boolean(required=True)
    location_precision = fields.String(required=True)
    level = fields.String(allow_none=True)
    service_codes = fields.List(fields.String(), required=True)
    target_groups = fields.List(fields.String(), required=True)
    criteria_supported_on = fields.String(allow_none=True, metadata={"format": "date"})
    opened_on = fields.String(allow_none=True, metadata={"format": "date"})
    closed_on = fields.String(allow_none=True, metadata={"format": "date"})
    design_capacity = fields.Integer(allow_none=True)
    capacity_by_group = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    residents = fields.Integer(allow_none=True)
    over_capacity = fields.Boolean(required=True)
    staff = fields.Integer(allow_none=True)
    services = fields.String(allow_none=True)
    registration_no = fields.String(allow_none=True)
    licence_no = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    version = fields.Integer(required=True)
    etag = fields.String(required=True)


class WarningsSchema(ma.Schema):
    facility = fields.Nested(FacilitySchema, required=True)
    warnings = fields.List(fields.String(), required=True)


class _FacilityFields(Strict):
    """What a client may write: the form's fields, by the service's names."""

    name = Text(255, nonempty=True)
    type_code = Text(32, nonempty=True)
    ownership = Enum(Ownership)
    managing_body = Text(255, allow_none=True)
    address = Text(500, allow_none=True)
    lon = fields.Float(
        allow_none=True, allow_nan=False, validate=[validate.Range(-180, 180), _finite]
    )
    lat = fields.Float(
        allow_none=True, allow_nan=False, validate=[validate.Range(-90, 90), _finite]
    )
    commune = Text(50, allow_none=True, metadata={"description": "Commune code or name"})
    district = Text(50, allow_none=True, metadata={"description": "Pre-2025 district"})
    location_approximate = fields.Boolean()
    opened_on = fields.Date(allow_none=True)
    level = Text(32, allow_none=True, metadata={"description": "Catalogue level code"})
    service_codes = fields.List(Text(64), validate=validate.Length(max=100))
    target_groups = fields.List(Text(64), validate=validate.Length(max=100))
    criteria_supported_on = fields.Date(allow_none=True)
    design_capacity = Count(allow_none=True)
    capacity_by_group = fields.Dict(keys=Text(32), values=Count(), validate=validate.Length(max=20))
    residents = Count(allow_none=True)
    staff = Count(allow_none=True)
    services = Text(5000, allow_none=True)
    registration_no = Text(100, allow_none=True)
    licence_no = Text(100, allow_none=True)
    notes = Text(5000, allow_none=True)
    reason = Text(1000, allow_none=True, metadata={"description": "Why (kept in the audit log)"})
    confirm_duplicates = fields.Boolean(
        load_default=False,
        metadata={"description": "Register although a similar facility lies close by"},
    )


class FacilityCreate(_FacilityFields):
    name = Text(255, nonempty=True, required=True)
    type_code = Text(32, nonempty=True, required=True)
    ownership = Enum(Ownership, required=True)
    province_code = Text(2, required=True)
    status = fields.String(
        load_default=Status.OPERATING.value,
        validate=validate.OneOf([s.value for s in Status if s is not Status.CLOSED]),
    )
    status_changed_on = fields.Date(allow_none=True)


class FacilityUpdate(_FacilityFields):
    """Fields left out keep their values; ``null`` clears an optional one."""


class StatusChange(Strict):
    status = Enum(Status, required=True)
    effective_on = fields.Date(required=True)
    reason = Text(1000, nonempty=True, required=True)


# --- geography ------------------------------------------------------------------------------


class UnitQuery(Lenient):
    edition = fields.String(load_default="2025", validate=validate.OneOf(["2025", "pre2025"]))
    level = fields.String(validate=validate.OneOf(["province", "district", "commune"]))
    province = Text(2)
    q = Text(100)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class UnitSchema(ma.Schema):
    edition = fields.String(required=True)
    level = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    full_name = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    division_type = fields.String(allow_none=True)
    province_code = fields.String(required=True)
    parent_code = fields.String(allow_none=True)
    population = fields.Integer(allow_none=True)
    population_year = fields.Integer(allow_none=True)
    area_km2 = fields.Float(allow_none=True)
    rep_lon = fields.Float(allow_none=True)
    rep_lat = fields.Float(allow_none=True)
    bbox = fields.List(fields.Float(), allow_none=True)


class UnitPath(ma.Schema):
    edition = fields.String(validate=validate.OneOf(["2025", "pre2025"]))


# --- planning -------------------------------------------------------------------------------


class PlanSchema(ma.Schema):
    code = fields.String(required=True)
    title_vi = fields.String(required=True)
    title_en = fields.String(allow_none=True)
    document = fields.String(allow_none=True)
    period_start = fields.Integer(allow_none=True)
    period_end = fields.Integer(allow_none=True)
    rules = fields.Integer(required=True, metadata={"description": "Number of rules"})


class CheckRequest(Strict):
    plans = fields.List(Text(64), validate=validate.Length(max=50))
    as_of = fields.Date(allow_none=True)
    scenario_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=INT_MAX))


class CheckQuery(Lenient):
    plan = fields.List(Text(64), metadata={"description": "Plan codes (repeatable); all if none"})
    as_of = fields.Date()
    scenario = fields.Integer(validate=validate.Range(min=1, max=INT_MAX))


class CheckReportSchema(ma.Schema):
    """The report of one check (the same JSON as the planning page's JSON download)."""

    class Meta:
        unknown = ma.INCLUDE

    schema = fields.String(required=True)
    generated_at = fields.String(required=True)
    as_of = fields.String(required=True)
    as_of_requested = fields.String(allow_none=True)
    jurisdiction = fields.String(allow_none=True)
    scenario = fields.Dict(allow_none=True)
    plans = fields.List(fields.Dict(), required=True)


class ScenarioItemSchema(ma.Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True)
    name = fields.String(allow_none=True)
    type_code = fields.String(allow_none=True)
    facility_id = fields.Integer(allow_none=True)
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    generalised = fields.Boolean(required=True)


class ScenarioSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    province_code = fields.String(allow_none=True)
    target_year = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ScenarioItemSchema), required=True)


class ScenarioSummary(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    province_code = fields.String(allow_none=True)
    target_year = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)
    items = fields.Integer(required=True)


# --- licensing and investment ----------------------------------------------------------------


class ApplicationQuery(Lenient):
    state = Text(32)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class ApplicationEventSchema(ma.Schema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String(required=True)
    occurred_on = fields.String(required=True)
    reason = fields.String(allow_none=True)


class ApplicationDocumentSchema(ma.Schema):
    code = fields.String(required=True)
    status = fields.String(required=True)
    uploaded = fields.Boolean(required=True)


class ApplicationSchema(ma.Schema):
    id = fields.Integer(required=True)
    receipt_code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    state = fields.String(required=True)
    channel = fields.String(required=True)
    province_code = fields.String(required=True)
    facility_id = fields.Integer(allow_none=True)
    facility_name = fields.String(required=True)
    new_facility = fields.Boolean(required=True)
    organisation = fields.String(required=True)
    received_on = fields.String(required=True)
    completed_on = fields.String(allow_none=True)
    due_on = fields.String(allow_none=True)
    decided_on = fields.String(allow_none=True)
    days_left = fields.Integer(allow_none=True)
    licence_id = fields.Integer(allow_none=True)
    version = fields.Integer(required=True)


class ApplicationDetailSchema(ApplicationSchema):
    refusal_reason = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(ApplicationDocumentSchema), required=True)
    events = fields.List(fields.Nested(ApplicationEventSchema), required=True)


class LicenceConditionSchema(ma.Schema):
    text = fields.String(required=True)
    deadline = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)


class LicenceSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    application_id = fields.Integer(required=True)
    facility_id = fields.Integer(allow_none=True)
    province_code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    issued_on = fields.String(required=True)
    authority_vi = fields.String(required=True)
    services = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    target_groups = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    suspended_from = fields.String(allow_none=True)
    suspended_until = fields.String(allow_none=True)
    conditions = fields.List(fields.Nested(LicenceConditionSchema), required=True)


class ProjectQuery(Lenient):
    stage = Text(32)
    kind = Text(32)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class FlagSchema(ma.Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True)
    message_vi = fields.String(required=True)
    message_en = fields.String(required=True)


class ProjectSchema(ma.Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    stage = fields.String(required=True)
    province_code = fields.String(required=True)
    facility_id = fields.Integer(allow_none=True)
    facility_name = fields.String(allow_none=True)
    approved_total_vnd = fields.Integer(allow_none=True)
    allocated_vnd = fields.Integer(required=True)
    disbursed_vnd = fields.Integer(required=True)
    physical_pct = fields.Integer(allow_none=True)
    progress_as_of = fields.String(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema), required=True)


class ProjectDetailSchema(ProjectSchema):
    owner = fields.String(required=True)
    description = fields.String(allow_none=True)
    capacity_before = fields.Integer(allow_none=True)
    capacity_after = fields.Integer(allow_none=True)
    level_after = fields.String(allow_none=True)
    planned_start = fields.String(allow_none=True)
    planned_end = fields.String(allow_none=True)
    accepted_on = fields.String(allow_none=True)
    settled_vnd = fields.Integer(allow_none=True)
    settled_on = fields.String(allow_none=True)
    version = fields.Integer(required=True)
