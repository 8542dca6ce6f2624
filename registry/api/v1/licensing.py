"""``/api/v1/licensing``: licence applications and licences, read only, for the roles that
process them (licensing.view) and only in the caller's jurisdiction: a provincial token
never sees another province's files, which read as not found.

Applicants' contact details and dossier files are not served here: the officers' pages keep
them (and log every download)."""

from __future__ import annotations

from typing import Any

from registry.api.v1 import schemas
from registry.api.v1.common import (
    LINK_HEADER,
    PageRequest,
    api_blueprint,
    caller,
    link_header,
    needs,
    not_found,
    page_schema,
    paged,
    sliced,
)
from registry.errors import NotFound
from registry.extensions import db
from registry.i18n import _
from registry.licensing import services as licensing

blp = api_blueprint(
    "api_licensing",
    __name__,
    description="Licence applications and licences of non-public facilities.",
)

ApplicationList = page_schema("ApplicationList", schemas.ApplicationSchema)
LicenceList = page_schema("LicenceList", schemas.LicenceSchema)


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _application_json(app: Any) -> dict[str, Any]:
    licence = app.__dict__.get("licence")
    return {
        "id": app.id,
        "receipt_code": app.receipt_code,
        "procedure_code": app.procedure_code,
        "state": app.state.value,
        "channel": app.channel.value,
        "province_code": app.province_code,
        "facility_id": app.facility_id,
        "facility_name": app.facility_name,
        "new_facility": bool(app.new_facility),
        "organisation": app.organisation,
        "received_on": app.received_on.isoformat(),
        "completed_on": _day(app.completed_on),
        "due_on": _day(app.due_on),
        "decided_on": _day(app.decided_on),
        "days_left": licensing.days_left(app),
        "licence_id": licence.id if licence is not None else None,
        "version": app.version,
    }


def _licence_json(licence: Any) -> dict[str, Any]:
    return {
        "id": licence.id,
        "number": licence.number,
        "application_id": licence.application_id,
        "facility_id": licence.facility_id,
        "province_code": licence.province_code,
        "procedure_code": licence.procedure_code,
        "issued_on": licence.issued_on.isoformat(),
        "authority_vi": licence.authority_vi,
        "services": licence.services,
        "capacity": licence.capacity,
        "target_groups": list(licence.target_groups or []),
        "status": licence.status.value,
        "suspended_from": _day(licence.suspended_from),
        "suspended_until": _day(licence.suspended_until),
        "conditions": [
            {"text": c.text, "deadline": _day(c.deadline), "closed_on": _day(c.closed_on)}
            for c in licence.conditions
        ],
    }


@blp.route("/licensing/applications")
@blp.arguments(schemas.ApplicationQuery, location="query", as_kwargs=False)
@blp.response(200, ApplicationList, headers=LINK_HEADER)
@needs("licensing.view")
def list_applications(args: dict[str, Any]):
    """Applications of the caller's jurisdiction, oldest first; ``state`` narrows them."""
    user = caller()
    apps = licensing.visible(db.session, user)
    if args.get("state"):
        apps = [a for a in apps if a.state.value == args["state"]]
    req = PageRequest.of(args)
    body = paged([_application_json(a) for a in sliced(apps, req)], len(apps), req)
    return body, 200, link_header(body)


@blp.route("/licensing/applications/<int:application_id>")
@blp.response(200, schemas.ApplicationDetailSchema)
@needs("licensing.view")
def get_application(application_id: int):
    """One application with its dossier checklist (no files) and its steps."""
    user = caller()
    try:
        app = licensing.get_application(db.session, application_id, user)
    except NotFound:
        raise not_found(_("No such application.")) from None
    return {
        **_application_json(app),
        "refusal_reason": app.refusal_reason,
        "documents": [
            {"code": d.code, "status": d.status.value, "uploaded": d.file_key is not None}
            for d in app.documents
        ],
        "events": [
            {
                "from_state": e.from_state.value if e.from_state else None,
                "to_state": e.to_state.value,
                "occurred_on": e.occurred_on.isoformat(),
                "reason": e.reason,
            }
            for e in app.events
        ],
    }


@blp.route("/licensing/licences")
@blp.arguments(schemas.PageArgsSchema, location="query", as_kwargs=False)
@blp.response(200, LicenceList, headers=LINK_HEADER)
@needs("licensing.view")
def list_licences(args: dict[str, Any]):
    """Licences issued in the caller's jurisdiction, by application."""
    user = caller()
    licences = [a.licence for a in licensing.visible(db.session, user) if a.licence is not None]
    req = PageRequest.of(args)
    body = paged([_licence_json(li) for li in sliced(licences, req)], len(licences), req)
    return body, 200, link_header(body)


@blp.route("/licensing/licences/<int:licence_id>")
@blp.response(200, schemas.LicenceSchema)
@needs("licensing.view")
def get_licence(licence_id: int):
    user = caller()
    try:
        licence = licensing.get_licence(db.session, licence_id, user)
    except NotFound:
        raise not_found(_("No such licence.")) from None
    return _licence_json(licence)
