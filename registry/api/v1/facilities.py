"""``/api/v1/facilities``: list (the list page's filters), read, register, edit, change status.

Reads go through ``facilities.read`` with the caller's reader, so a confidential facility is
generalised exactly as on the pages. Writes call ``facilities.services`` with the rules of the
forms; an edit or status change names the version it was made on (``If-Match``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from registry.api.models import aware
from registry.api.problems import ApiProblem
from registry.api.v1 import schemas
from registry.api.v1.common import (
    ETAG_HEADER,
    IF_MATCH,
    LINK_HEADER,
    PageRequest,
    api_blueprint,
    caller,
    etag_of,
    expected_version,
    from_registry_error,
    link_header,
    needs,
    not_found,
    page_schema,
    paged,
)
from registry.errors import ConflictError, RegistryError
from registry.extensions import db
from registry.facilities import read, services
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import FacilityRecord, Reader
from registry.facilities.vocab import LocationPrecision, LocationSource, Ownership, Status
from registry.i18n import _

blp = api_blueprint(
    "api_facilities",
    __name__,
    description="Social assistance facilities, as the caller may see them.",
)

FacilityList = page_schema("FacilityList", schemas.FacilitySchema)
KIND = "facility"
#: What a caller who sees a facility generalised may neither see nor change.
WITHHELD = frozenset(
    {"lon", "lat", "address", "notes", "location_approximate", "commune", "district"}
)


def facility_json(record: FacilityRecord) -> dict[str, Any]:
    """A record as the API shows it: the feature's properties, the shown point, the version."""
    feature = read.to_feature(record)
    lon, lat = feature["geometry"]["coordinates"]
    return {
        "id": record.id,
        **feature["properties"],
        "lon": lon,
        "lat": lat,
        # RFC 3339 with its offset (SQLite hands the time back without one).
        "updated_at": aware(record.updated_at).isoformat() if record.updated_at else None,
        "version": record.version,
        "etag": etag_of(KIND, record.id, record.version),
    }


def _headers(record: FacilityRecord) -> dict[str, str]:
    return {"ETag": etag_of(KIND, record.id, record.version)}


def _filter(args: dict[str, Any]) -> FacilityFilter:
    """The list page's own parsing (``FacilityFilter.from_args``) once the shape is checked."""
    values: MultiDict[str, Any] = MultiDict()
    for key, value in args.items():
        if key in ("page", "per_page"):
            continue
        for item in value if isinstance(value, list) else [value]:
            values.add(key, str(item))
    return FacilityFilter.from_args(values)


@blp.route("/facilities")
@blp.arguments(schemas.FacilityQuery, location="query", as_kwargs=False)
@blp.response(200, FacilityList, headers=LINK_HEADER)
@needs("facilities.view")
def list_facilities(args: dict[str, Any]):
    """Facilities matching the filters, a page at a time (permission facilities.view)."""
    user = caller()
    reader = Reader.of(user)
    flt = _filter(args)
    req = PageRequest.of(args)
    total = read.count(db.session, reader, flt)
    rows = read.records(db.session, reader, flt, limit=req.per_page, offset=req.offset)
    body = paged([facility_json(r) for r in rows], total, req)
    return body, 200, link_header(body)


@blp.route("/facilities/<int:facility_id>")
@blp.response(200, schemas.FacilitySchema, headers=ETAG_HEADER)
@needs("facilities.view")
def get_facility(facility_id: int):
    """One facility; its ETag is what an edit sends back in If-Match."""
    user = caller()
    record = read.get(db.session, Reader.of(user), facility_id)
    if record is None:
        raise not_found(_("No such facility."))
    return facility_json(record), 200, _headers(record)


def _validation_problem(exc: services.ValidationFailed, reader: Reader) -> ApiProblem:
    """Field errors → 422; only possible duplicates → 409 naming those the caller may see."""
    if exc.errors:
        errors = [
            {"field": "lat" if name == "location" else name, "in": "json", "message": message}
            for name, messages in exc.errors.items()
            for message in messages
        ]
        return ApiProblem(422, errors[0]["message"], kind="validation-error", errors=errors)
    ids = [d.id for d in exc.duplicates]
    db.session.rollback()
    seen = read.records(db.session, reader, ids=ids) if ids else []
    return ApiProblem(
        409,
        _(
            "A similar facility is registered close by. Send confirm_duplicates: true to "
            "register it anyway."
        ),
        kind="possible-duplicate",
        errors=[
            {"field": "confirm_duplicates", "in": "json", "message": f"{r.code} {r.name}"}
            for r in seen
        ],
    )


def _location(body: dict[str, Any]) -> dict[str, Any]:
    """Coordinates (both or neither); without them the named commune or district's point."""
    lon, lat = body.get("lon"), body.get("lat")
    if (lon is None) != (lat is None):
        missing = "lat" if lat is None else "lon"
        raise ApiProblem(
            400,
            _("Give both lon and lat, or neither (then the commune or district's point)."),
            errors=[{"field": missing, "in": "json", "message": _("Missing coordinate.")}],
        )
    if lon is not None:
        return {
            "lon": lon,
            "lat": lat,
            "location_source": LocationSource.LATLON,
            "location_precision": LocationPrecision.EXACT,
        }
    return {
        "lon": None,
        "lat": None,
        "location_source": LocationSource.UNIT_POINT,
        "location_precision": LocationPrecision.EXACT,
    }


_INPUT_FIELDS = (
    "name",
    "type_code",
    "managing_body",
    "address",
    "commune",
    "district",
    "location_approximate",
    "opened_on",
    "level",
    "service_codes",
    "target_groups",
    "criteria_supported_on",
    "design_capacity",
    "capacity_by_group",
    "residents",
    "staff",
    "services",
    "registration_no",
    "licence_no",
    "notes",
)


@blp.route("/facilities", methods=["POST"])
@blp.arguments(schemas.FacilityCreate)
@blp.response(201, schemas.WarningsSchema, headers=ETAG_HEADER)
@needs("facilities.edit")
def create_facility(body: dict[str, Any]):
    """Register a facility (permission facilities.edit; a status other than planned also
    needs facilities.change_status; only in the caller's jurisdiction)."""
    user = caller()
    status = Status(body["status"])
    if status is not Status.PLANNED and not user.can("facilities.change_status"):
        raise ApiProblem(
            403,
            _("Your role may register planned facilities only."),
            errors=[{"field": "status", "in": "json", "message": _("Not allowed.")}],
        )
    if not user.covers(body["province_code"]):
        raise ApiProblem(403, _("This province is outside your jurisdiction."))
    values = {key: body[key] for key in _INPUT_FIELDS if key in body}
    data = services.FacilityInput(
        ownership=Ownership(body["ownership"]),
        province_code=body["province_code"],
        status=status,
        status_changed_on=body.get("status_changed_on"),
        **{**values, **_location(body)},
    )
    reader = Reader.of(user)
    try:
        facility, warnings = services.register_facility(
            db.session,
            data,
            actor_id=user.id,
            confirm_duplicates=body["confirm_duplicates"],
            reason=body.get("reason") or None,
        )
    except services.ValidationFailed as exc:
        problem = _validation_problem(exc, reader)
        db.session.rollback()
        raise problem from None
    except RegistryError as exc:
        db.session.rollback()
        raise from_registry_error(exc) from None
    db.session.commit()
    record = read.get(db.session, reader, facility.id)
    if record is None:  # registered outside what the caller may see: not expected
        raise not_found()
    headers = {
        **_headers(record),
        "Location": url_for("api_facilities.get_facility", facility_id=record.id),
    }
    return {"facility": facility_json(record), "warnings": warnings}, 201, headers


def _editable(user: Any, facility_id: int) -> FacilityRecord:
    record = read.get(db.session, Reader.of(user), facility_id)
    if record is None:
        raise not_found(_("No such facility."))
    return record


@blp.route("/facilities/<int:facility_id>", methods=["PATCH"])
@blp.arguments(schemas.FacilityUpdate)
@blp.response(200, schemas.WarningsSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
@needs("facilities.edit")
def update_facility(body: dict[str, Any], facility_id: int):
    """Change some fields of a facility made on the version in If-Match (facilities.edit).
    A stale ETag gets 412 and nothing is written."""
    user = caller()
    record = _editable(user, facility_id)
    version = expected_version(KIND, record.id, record.version)
    if record.status is Status.CLOSED:
        raise ApiProblem(
            409, _("Closed facilities are kept for history and cannot be edited."), kind="closed"
        )
    withheld = sorted(WITHHELD & body.keys()) if record.generalised else []
    if withheld:
        raise ApiProblem(
            403,
            _("You may not see or change this facility's location, address or notes."),
            errors=[{"field": name, "in": "json", "message": _("Withheld.")} for name in withheld],
        )
    facility = services.for_update(db.session, record.id)
    data = services.FacilityInput.from_facility(facility)
    values = {key: body[key] for key in _INPUT_FIELDS if key in body}
    if "lon" in body or "lat" in body:
        values.update(_location(body))
        if "commune" not in body and "district" not in body:
            values.update(commune=None, district=None, old_province=None)
    elif "commune" in body or "district" in body:
        values.update(_location({}))
    data = replace(data, **values)
    reader = Reader.of(user)
    try:
        warnings = services.update_facility(
            db.session,
            facility,
            data,
            expected_version=version,
            actor_id=user.id,
            confirm_duplicates=body["confirm_duplicates"],
            reason=body.get("reason") or None,
        )
    except services.EditConflict:
        db.session.rollback()
        raise _stale() from None
    except services.ValidationFailed as exc:
        problem = _validation_problem(exc, reader)
        db.session.rollback()
        raise problem from None
    except RegistryError as exc:
        db.session.rollback()
        raise from_registry_error(exc) from None
    db.session.commit()
    saved = _editable(user, record.id)
    return {"facility": facility_json(saved), "warnings": warnings}, 200, _headers(saved)


def _stale() -> ApiProblem:
    return ApiProblem(
        412,
        _("The record was changed since you read it. Read it again and retry."),
        kind="precondition-failed",
    )


@blp.route("/facilities/<int:facility_id>/status", methods=["POST"])
@blp.arguments(schemas.StatusChange)
@blp.response(200, schemas.FacilitySchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
@needs("facilities.change_status")
def change_status(body: dict[str, Any], facility_id: int):
    """Change a facility's status with the date it took effect and a reason
    (facilities.change_status), on the version in If-Match."""
    user = caller()
    record = _editable(user, facility_id)
    version = expected_version(KIND, record.id, record.version)
    try:
        services.change_status(
            db.session,
            services.for_update(db.session, record.id),
            Status(body["status"]),
            effective_on=body["effective_on"],
            reason=body["reason"],
            actor_id=user.id,
            expected_version=version,
        )
    except ConflictError:
        db.session.rollback()
        raise _stale() from None
    except RegistryError as exc:
        db.session.rollback()
        raise from_registry_error(exc) from None
    db.session.commit()
    saved = _editable(user, record.id)
    return facility_json(saved), 200, _headers(saved)
