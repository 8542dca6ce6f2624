"""Licensing domain logic: plain functions taking a session and plain values.

Views parse and render; these functions check the rules, change the records and leave the
commit to the request edge. Facilities are read through ``facilities.read`` and changed only
through ``facilities.services`` (the licence number, capacity and status follow a licence).
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from registry import clock as app_clock
from registry.audit.context import set_actor, set_reason
from registry.errors import ConflictError, NotFound, RegistryError
from registry.facilities import read
from registry.facilities import services as facilities
from registry.facilities.vocab import Ownership, Status
from registry.i18n import _l
from registry.licensing import workflow
from registry.licensing.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    Channel,
    DocumentStatus,
    Inspection,
    Licence,
    LicenceCondition,
    LicenceStatus,
)
from registry.licensing.workflow import State

# Facility standards an inspection checks (shared/domain/README.md §2, Decree 103/2017);
# ``confirmed`` False where the domain file marks the source unconfirmed (shown on screen).
INSPECTION_CRITERIA: tuple[tuple[str, str, str, bool], ...] = (
    (
        "land",
        "Diện tích đất ≥30 m²/người (nông thôn) hoặc ≥10 m²/người (đô thị)",
        "Decree 103/2017 Art. 24",
        True,
    ),
    ("rooms", "Phòng ở 6 m²/người, 8 m²/người chăm sóc 24 giờ", "Decree 103/2017", False),
    (
        "environment",
        "Giao thông, cây xanh, thoát nước, biển tên, tường rào, chiếu sáng",
        "Decree 103/2017",
        True,
    ),
    (
        "staff",
        "Nhân viên công tác xã hội 1/≤100 đối tượng; ≥1 nhà tâm lý",
        "Circular 33/2017/TT-BLĐTBXH Art. 5",
        True,
    ),
    ("head", "Người đứng đầu đủ năng lực hành vi, không tiền án", "Decree 103/2017 Art. 26", True),
)
CRITERION_RESULTS = ("met", "not_met", "not_checked")
# Decree 103/2017 Art. 32(1): a suspension lasts at most six months.
MAX_SUSPENSION_MONTHS = 6


class LicensingError(RegistryError):
    pass


# --- procedures and the clock ------------------------------------------------------------------


def procedure(code: str) -> Any:
    from registry.licensing import procedures

    try:
        return procedures.procedure(code)
    except KeyError:
        raise NotFound(str(_l("Unknown procedure."))) from None


def all_procedures() -> tuple[Any, ...]:
    from registry.licensing import procedures

    return tuple(procedures.procedures())


@lru_cache(maxsize=1)
def calendar() -> Any:
    from registry.licensing import clock

    return clock.WorkCalendar.load()


def pauses_of(app: Application, started_on: date | None) -> list[Any]:
    """Supplement requests after the clock started: each pauses it until the supplement."""
    from registry.licensing import clock

    out: list[Any] = []
    open_start: date | None = None
    for event in app.events:
        if event.to_state is State.SUPPLEMENT_REQUESTED and open_start is None:
            open_start = event.occurred_on
        elif event.from_state is State.SUPPLEMENT_REQUESTED and open_start is not None:
            if started_on is not None and event.occurred_on > started_on:
                out.append(clock.Pause(max(open_start, started_on), event.occurred_on))
            open_start = None
    if open_start is not None and started_on is not None and app.state not in workflow.FINAL:
        out.append(clock.Pause(max(open_start, started_on), None))
    return out


def clock_start(app: Application) -> date | None:
    proc = procedure(app.procedure_code)
    return app.received_on if proc.clock_starts == "receipt" else app.completed_on


def compute_due(app: Application) -> date | None:
    from registry.licensing import clock

    started = clock_start(app)
    if started is None:
        return None
    return clock.due_date(
        started, procedure(app.procedure_code).time_limit_days, calendar(), pauses_of(app, started)
    )


def days_left(app: Application, today: date | None = None) -> int | None:
    from registry.licensing import clock

    if app.due_on is None or app.state in workflow.FINAL:
        return None
    return int(clock.working_days_left(app.due_on, today or app_clock.today(), calendar()))


# --- creating applications ---------------------------------------------------------------------


@dataclass
class ApplicationInput:
    procedure_code: str
    organisation: str
    representative: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    # An existing facility by its registry code, or a new one (planned, non-public).
    facility_code: str | None = None
    facility_name: str | None = None
    type_code: str | None = None
    province_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    facility_address: str | None = None
    design_capacity: int | None = None
    received_on: date | None = None
    provided: Sequence[str] = field(default_factory=tuple)  # documents handed in on paper


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _receipt_code(province: str, on: date) -> str:
    return f"{province}-{on:%y%m%d}-{secrets.token_hex(3).upper()}"


def _facility_for(
    session: Session, data: ApplicationInput, actor_id: int | None
) -> tuple[int, str, str, bool]:
    """(facility id, name, province, created) for an application."""
    if data.facility_code:
        record = read.by_code(session, read.SYSTEM, data.facility_code.strip())
        if record is None:
            raise LicensingError(
                str(_l("No facility has this registry code.")), field="facility_code"
            )
        if record.ownership is not Ownership.NON_PUBLIC:
            raise LicensingError(
                str(_l("Only non-public facilities are licensed here.")), field="facility_code"
            )
        return record.id, record.name, record.province_code, False
    missing = [
        name
        for name in ("facility_name", "type_code", "province_code", "lon", "lat")
        if getattr(data, name) in (None, "")
    ]
    if missing:
        raise LicensingError(
            str(_l("Give the registry code of the facility, or the new facility's details.")),
            field=missing[0],
        )
    facility, _warnings = facilities.register_facility(
        session,
        facilities.FacilityInput(
            name=str(data.facility_name).strip(),
            type_code=str(data.type_code),
            ownership=Ownership.NON_PUBLIC,
            province_code=str(data.province_code),
            lon=data.lon,
            lat=data.lat,
            status=Status.PLANNED,
            managing_body=data.organisation,
            address=data.facility_address,
            design_capacity=data.design_capacity,
        ),
        actor_id=actor_id,
        confirm_duplicates=True,
        reason=str(_l("Facility of a licensing application")),
    )
    return facility.id, facility.name, facility.province_code, True


def _new_application(
    session: Session,
    data: ApplicationInput,
    *,
    channel: Channel,
    actor: Any,
) -> Application:
    proc = procedure(data.procedure_code)
    if not data.organisation.strip() or not data.representative.strip():
        raise LicensingError(str(_l("The organisation and its representative are required.")))
    set_actor(session, actor if actor is not None else "applicant")
    actor_id = getattr(actor, "id", None)
    facility_id, name, province, created = _facility_for(session, data, actor_id)
    today = data.received_on or app_clock.today()
    app = Application(
        receipt_code=_receipt_code(province, today),
        procedure_code=proc.code,
        state=State.RECEIVED,
        channel=channel,
        province_code=province,
        facility_id=facility_id,
        facility_name=name,
        new_facility=created,
        organisation=data.organisation.strip(),
        representative=data.representative.strip(),
        email=(data.email or "").strip() or None,
        phone=(data.phone or "").strip() or None,
        address=(data.address or "").strip() or None,
        received_on=today,
        created_by_id=actor_id,
    )
    for doc in proc.documents:
        app.documents.append(
            ApplicationDocument(
                code=doc.code,
                status=DocumentStatus.PROVIDED
                if doc.code in data.provided
                else DocumentStatus.MISSING,
            )
        )
    app.events.append(
        ApplicationEvent(
            from_state=None,
            to_state=State.RECEIVED,
            occurred_on=today,
            actor_id=actor_id,
            actor_label=getattr(actor, "username", None) or "applicant",
            reason=str(_l("Application received")),
        )
    )
    session.add(app)
    app.due_on = compute_due(app)
    session.flush()
    return app


def submit_online(
    session: Session, data: ApplicationInput, files: Mapping[str, Any]
) -> tuple[Application, str]:
    """An applicant's online application, with its uploads; returns it and the private
    tracking token (only its hash is stored)."""
    app = _new_application(session, data, channel=Channel.ONLINE, actor=None)
    for doc in app.documents:
        upload = files.get(doc.code)
        if upload is not None and upload.filename:
            _store(doc, upload)
    token = secrets.token_urlsafe(32)
    app.tracking_hash = hash_token(token)
    session.flush()
    _mail(app, "receipt", token=token)
    return app, token


def record_counter(
    session: Session, data: ApplicationInput, *, actor: Any
) -> tuple[Application, str]:
    """A paper application received at the counter; the documents handed in are ticked."""
    app = _new_application(session, data, channel=Channel.COUNTER, actor=actor)
    token = secrets.token_urlsafe(32)
    app.tracking_hash = hash_token(token)
    session.flush()
    _mail(app, "receipt", token=token)
    return app, token


def _store(doc: ApplicationDocument, upload: Any) -> None:
    from registry import storage

    stored = storage.save_upload(upload)
    doc.file_key = stored.key
    doc.original_name = stored.original_name[:255]
    doc.mime = stored.mime
    doc.size = stored.size
    doc.sha256 = stored.sha256
    doc.uploaded_at = app_clock.now()
    doc.status = DocumentStatus.PROVIDED
    doc.reason = None


# --- reading -----------------------------------------------------------------------------------


def _loaded() -> Any:
    return select(Application).options(
        selectinload(Application.documents),
        selectinload(Application.events),
        selectinload(Application.inspections),
        selectinload(Application.licence).selectinload(Licence.conditions),
        selectinload(Application.assigned_to),
    )


def get_application(session: Session, application_id: int, user: Any) -> Application:
    """The application, loaded for a page; NotFound outside the user's jurisdiction (the two
    are not told apart)."""
    app = session.scalars(
        _loaded().where(Application.id == application_id).execution_options(populate_existing=True)
    ).first()
    if app is None or not user.covers(app.province_code):
        raise NotFound(str(_l("Application not found.")))
    return app


def by_token(session: Session, token: str) -> Application:
    if not token or len(token) > 100:
        raise NotFound(str(_l("Application not found.")))
    app = session.scalars(
        _loaded()
        .where(Application.tracking_hash == hash_token(token))
        .execution_options(populate_existing=True)
    ).first()
    if app is None:
        raise NotFound(str(_l("Application not found.")))
    return app


def document_of(app: Application, document_id: int) -> ApplicationDocument:
    for doc in app.documents:
        if doc.id == document_id and doc.file_key:
            return doc
    raise NotFound(str(_l("Document not found.")))


def audit_download(session: Session, app: Application, what: str, who: Any) -> None:
    """Every download (a dossier document by its code, an inspection photo as
    ``photo:<name>``) leaves an event in the application's history."""
    set_actor(session, who)
    session.add(
        ApplicationEvent(
            application_id=app.id,
            application=app,
            from_state=app.state,
            to_state=app.state,
            occurred_on=app_clock.today(),
            actor_id=getattr(who, "id", None),
            actor_label=getattr(who, "username", None) or str(who),
            reason=f"download:{what}",
        )
    )
    session.flush()


# --- the workflow ------------------------------------------------------------------------------


def _check_version(app: Application, expected_version: int | None) -> None:
    if expected_version is not None and app.version != expected_version:
        raise ConflictError(str(_l("This application was changed by someone else; reload it.")))


def transition(
    session: Session,
    app: Application,
    target: State | str,
    *,
    actor: Any,
    reason: str | None = None,
    on: date | None = None,
    expected_version: int | None = None,
) -> Application:
    """Move the application; audited with who, when and why. Invalid moves raise."""
    _check_version(app, expected_version)
    try:
        tgt = workflow.check(app.state, target, reason)
    except workflow.TransitionError as exc:
        raise LicensingError(exc.message_vi, field="target") from None
    today = on or app_clock.today()
    if tgt is State.UNDER_REVIEW:
        required = {d.code for d in procedure(app.procedure_code).documents if d.required}
        missing = [
            d.code
            for d in app.documents
            if d.code in required and d.status is not DocumentStatus.PROVIDED
        ]
        if missing:
            raise LicensingError(
                str(_l("The dossier is not complete: request a supplement first.")), field="target"
            )
        if app.completed_on is None:
            app.completed_on = today
    set_actor(session, actor if actor is not None else "applicant")
    set_reason(session, (reason or "").strip() or None)
    app.events.append(
        ApplicationEvent(
            from_state=app.state,
            to_state=tgt,
            occurred_on=today,
            actor_id=getattr(actor, "id", None),
            actor_label=getattr(actor, "username", None) or "applicant",
            reason=(reason or "").strip() or None,
        )
    )
    app.state = tgt
    if tgt in workflow.DECIDED:
        app.decided_on = today
    if tgt is State.REFUSED:
        app.refusal_reason = (reason or "").strip()
    app.due_on = compute_due(app) if tgt not in workflow.FINAL else app.due_on
    session.flush()
    return app


def request_supplement(
    session: Session,
    app: Application,
    *,
    actor: Any,
    reason: str,
    rejected: Sequence[str] = (),
    base_url: str = "",
    expected_version: int | None = None,
) -> Application:
    """Ask for a supplement; the documents named are marked rejected with the reason."""
    for doc in app.documents:
        if doc.code in rejected:
            doc.status = DocumentStatus.REJECTED
            doc.reason = reason.strip() if reason else None
    transition(
        session,
        app,
        State.SUPPLEMENT_REQUESTED,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
    )
    _mail(app, "supplement", url=base_url)
    return app


def mark_document(
    session: Session,
    app: Application,
    document_id: int,
    status: DocumentStatus | str,
    *,
    actor: Any,
    reason: str | None = None,
) -> ApplicationDocument:
    status = DocumentStatus(status)
    if app.state in workflow.FINAL:
        raise LicensingError(str(_l("The application is closed.")))
    if status is DocumentStatus.REJECTED and not (reason or "").strip():
        raise LicensingError(str(_l("A rejected document needs a reason.")), field="reason")
    doc = next((d for d in app.documents if d.id == document_id), None)
    if doc is None:
        raise NotFound(str(_l("Document not found.")))
    set_actor(session, actor)
    set_reason(session, (reason or "").strip() or None)
    doc.status = status
    doc.reason = (reason or "").strip() or None
    session.flush()
    return doc


def upload_supplement(
    session: Session, app: Application, files: Mapping[str, Any]
) -> list[ApplicationDocument]:
    """The applicant answers a supplement request through the tracking link."""
    if app.state is not State.SUPPLEMENT_REQUESTED:
        raise LicensingError(str(_l("No supplement is requested for this application.")))
    done = []
    for doc in app.documents:
        upload = files.get(doc.code)
        if upload is not None and upload.filename:
            _store(doc, upload)
            done.append(doc)
    if not done:
        raise LicensingError(str(_l("Choose at least one file.")))
    set_actor(session, "applicant")
    transition(session, app, State.SUPPLEMENT_RECEIVED, actor=None, reason=None)
    return done


def assign(
    session: Session, app: Application, officer: Any, *, actor: Any, reason: str | None = None
) -> Application:
    if officer is not None and (
        not officer.can("licensing.process") or not officer.covers(app.province_code)
    ):
        raise LicensingError(
            str(_l("This user cannot process applications of this province.")),
            field="officer",
        )
    set_actor(session, actor)
    set_reason(session, reason or str(_l("Officer assigned")))
    app.assigned_to_id = officer.id if officer is not None else None
    app.assigned_to = officer
    session.flush()
    return app


def officers_for(session: Session, province_code: str) -> list[Any]:
    from registry.auth.models import User
    from registry.auth.permissions import PERMISSIONS

    roles = [r.value for r in PERMISSIONS["licensing.process"]]
    stmt = (
        select(User)
        .where(User.active.is_(True), User.role.in_(roles))
        .where(or_(User.province_code.is_(None), User.province_code == province_code))
        .order_by(User.username)
    )
    return list(session.scalars(stmt))


def schedule_inspection(
    session: Session, app: Application, *, on: date, team: str, actor: Any
) -> Inspection:
    if not team.strip():
        raise LicensingError(str(_l("Name the inspection team.")), field="team")
    transition(
        session,
        app,
        State.INSPECTION_SCHEDULED,
        actor=actor,
        reason=str(_l("Inspection scheduled")),
    )
    inspection = Inspection(scheduled_on=on, team=team.strip(), checklist={})
    app.inspections.append(inspection)
    session.flush()
    return inspection


def record_inspection(
    session: Session,
    app: Application,
    *,
    inspected_on: date,
    checklist: Mapping[str, str],
    findings: str | None,
    actor: Any,
    photos: Sequence[Any] = (),
) -> Inspection:
    if not app.inspections or app.state is not State.INSPECTION_SCHEDULED:
        raise LicensingError(str(_l("No inspection is scheduled for this application.")))
    if inspected_on > app_clock.today():
        raise LicensingError(str(_l("The inspection date is after today.")), field="inspected_on")
    inspection = app.inspections[-1]
    codes = {c[0] for c in INSPECTION_CRITERIA}
    inspection.checklist = {
        k: v for k, v in checklist.items() if k in codes and v in CRITERION_RESULTS
    }
    inspection.findings = (findings or "").strip() or None
    inspection.inspected_on = inspected_on
    inspection.photos = [*inspection.photos, *_stored_photos(photos)]
    transition(
        session, app, State.INSPECTED, actor=actor, reason=inspection.findings, on=inspected_on
    )
    return inspection


def _stored_photos(photos: Sequence[Any]) -> list[dict[str, Any]]:
    """Store the inspection's photos (JPEG or PNG, checked from content like every upload);
    a PDF is a document of the dossier, not a photo."""
    from registry import storage

    return storage.save_photos(
        photos,
        lambda: LicensingError(
            str(_l("An inspection photo must be a JPEG or PNG image.")), field="photos"
        ),
    )


def inspection_photo(app: Application, inspection_id: int, index: int) -> dict[str, Any]:
    """One photo of one of this application's inspections (NotFound otherwise)."""
    for inspection in app.inspections:
        if inspection.id == inspection_id and 0 <= index < len(inspection.photos or []):
            return dict(inspection.photos[index])
    raise NotFound(str(_l("This photo does not exist.")))


def _licence_number(session: Session, province: str, on: date) -> str:
    fmt = current_app.config.get("LICENSING_NUMBER_FORMAT", "{seq:03d}/GP-{province}")
    start = date(on.year, 1, 1)
    seq = (
        session.scalar(
            select(func.count(Licence.id)).where(
                Licence.province_code == province, Licence.issued_on >= start
            )
        )
        or 0
    )
    while True:
        seq += 1
        number = fmt.format(seq=seq, province=province, year=on.year)
        if session.scalar(select(Licence.id).where(Licence.number == number)) is None:
            return number


def authority_of(app: Application, on: date) -> Any:
    """The body that decides this application on ``on`` (``procedures.Authority``), named for
    the province by its full name ("Tỉnh Đồng Nai" gives "Sở Y tế tỉnh Đồng Nai"); None when
    the data names no body for that level and date."""
    from sqlalchemy.orm import object_session

    from registry.geography.models import Edition
    from registry.geography.services import unit_by_code
    from registry.licensing import procedures

    session = object_session(app)
    unit = unit_by_code(session, app.province_code, Edition.CURRENT) if session else None
    province = unit.full_name if unit is not None else app.province_code
    try:
        return procedures.authority_for(procedure(app.procedure_code), province, on)
    except procedures.NoAuthority:
        return None


def authority_vi(app: Application, on: date) -> str:
    authority = authority_of(app, on)
    return str(authority.name_vi) if authority is not None else str(_l("Licensing authority"))


def approve(
    session: Session,
    app: Application,
    *,
    actor: Any,
    capacity: int | None = None,
    services: str | None = None,
    target_groups: Sequence[str] = (),
    conditions: Sequence[tuple[str, date | None]] = (),
    reason: str | None = None,
    base_url: str = "",
    expected_version: int | None = None,
) -> Licence:
    """Approve and issue the licence; the facility's licence number, capacity and status
    follow through the registry's services (audited there)."""
    if capacity is not None and capacity < 0:
        raise LicensingError(str(_l("The capacity cannot be negative.")), field="capacity")
    today = app_clock.today()
    transition(
        session,
        app,
        State.APPROVED,
        actor=actor,
        reason=reason or str(_l("Approved")),
        expected_version=expected_version,
    )
    licence = Licence(
        number=_licence_number(session, app.province_code, today),
        application_id=app.id,
        facility_id=app.facility_id,
        province_code=app.province_code,
        procedure_code=app.procedure_code,
        issued_on=today,
        authority_vi=authority_vi(app, today),
        services=(services or "").strip() or None,
        capacity=capacity,
        target_groups=list(target_groups),
        status=LicenceStatus.VALID,
    )
    for text, deadline in conditions:
        if text.strip():
            licence.conditions.append(LicenceCondition(text=text.strip(), deadline=deadline))
    if app.facility_id is not None:
        # An amendment or re-issue supersedes the facility's licence in force.
        for old in session.scalars(
            select(Licence).where(
                Licence.facility_id == app.facility_id,
                Licence.status.in_([LicenceStatus.VALID.value, LicenceStatus.SUSPENDED.value]),
            )
        ):
            old.status = LicenceStatus.SUPERSEDED
    app.licence = licence
    session.add(licence)
    session.flush()
    if app.facility_id is not None:
        _follow_in_registry(session, app.facility_id, licence, actor)
    _mail(app, "decision", url=base_url)
    return licence


def _follow_in_registry(session: Session, facility_id: int, licence: Licence, actor: Any) -> None:
    facility = facilities.for_update(session, facility_id)
    why = str(_l("Licence %(number)s issued", number=licence.number))
    data = facilities.FacilityInput.from_facility(facility)
    data.licence_no = licence.number
    if licence.capacity is not None:
        data.design_capacity = licence.capacity
    facilities.update_facility(
        session,
        facility,
        data,
        expected_version=facility.version,
        actor_id=getattr(actor, "id", None),
        confirm_duplicates=True,
        reason=why,
    )
    if facility.status in (Status.PLANNED, Status.UNDER_CONSTRUCTION, Status.SUSPENDED):
        facilities.change_status(
            session,
            facility,
            Status.OPERATING,
            effective_on=licence.issued_on,
            reason=why,
            actor_id=getattr(actor, "id", None),
            expected_version=facility.version,
        )


def refuse(
    session: Session,
    app: Application,
    *,
    actor: Any,
    reason: str,
    base_url: str = "",
    expected_version: int | None = None,
) -> Application:
    transition(
        session,
        app,
        State.REFUSED,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
    )
    _mail(app, "decision", url=base_url)
    return app


def close_condition(
    session: Session, licence: Licence, condition_id: int, *, note: str, actor: Any
) -> LicenceCondition:
    cond = next((c for c in licence.conditions if c.id == condition_id), None)
    if cond is None:
        raise NotFound(str(_l("Condition not found.")))
    if not note.strip():
        raise LicensingError(str(_l("A reason is required.")), field="note")
    set_actor(session, actor)
    cond.closed_on = app_clock.today()
    cond.closed_note = note.strip()
    session.flush()
    return cond


# --- licences after the decision ---------------------------------------------------------------


def get_licence(session: Session, licence_id: int, user: Any) -> Licence:
    licence = session.get(Licence, licence_id)
    if licence is None or not user.covers(licence.province_code):
        raise NotFound(str(_l("Licence not found.")))
    return licence


def _add_months(d: date, months: int) -> date:
    import calendar as cal

    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    return date(year, month, min(d.day, cal.monthrange(year, month)[1]))


def suspend_licence(
    session: Session,
    licence: Licence,
    *,
    start: date,
    until: date,
    reason: str,
    actor: Any,
) -> Licence:
    """Suspend for at most six months (Decree 103/2017 Art. 32(1)); the facility is recorded
    as suspended in the registry."""
    if licence.status is not LicenceStatus.VALID:
        raise LicensingError(str(_l("Only a licence in force can be suspended.")))
    if not reason.strip():
        raise LicensingError(str(_l("A reason is required.")), field="reason")
    if until <= start:
        raise LicensingError(str(_l("The suspension must end after it starts.")), field="until")
    if until > _add_months(start, MAX_SUSPENSION_MONTHS):
        raise LicensingError(
            str(_l("A suspension lasts at most six months (Decree 103/2017 Art. 32).")),
            field="until",
        )
    set_actor(session, actor)
    set_reason(session, reason.strip())
    licence.status = LicenceStatus.SUSPENDED
    licence.suspended_from, licence.suspended_until = start, until
    session.flush()
    _facility_status(session, licence, Status.SUSPENDED, start, reason.strip(), actor)
    return licence


def reinstate_licence(session: Session, licence: Licence, *, reason: str, actor: Any) -> Licence:
    if licence.status is not LicenceStatus.SUSPENDED:
        raise LicensingError(str(_l("The licence is not suspended.")))
    if not reason.strip():
        raise LicensingError(str(_l("A reason is required.")), field="reason")
    set_actor(session, actor)
    set_reason(session, reason.strip())
    licence.status = LicenceStatus.VALID
    licence.suspended_from = licence.suspended_until = None
    session.flush()
    _facility_status(session, licence, Status.OPERATING, app_clock.today(), reason.strip(), actor)
    return licence


def revoke_licence(session: Session, licence: Licence, *, reason: str, actor: Any) -> Licence:
    """Revoke; the licence number leaves the facility's registry record."""
    if licence.status not in (LicenceStatus.VALID, LicenceStatus.SUSPENDED):
        raise LicensingError(str(_l("The licence is no longer in force.")))
    if not reason.strip():
        raise LicensingError(str(_l("A reason is required.")), field="reason")
    set_actor(session, actor)
    set_reason(session, reason.strip())
    licence.status = LicenceStatus.REVOKED
    session.flush()
    if licence.facility_id is not None:
        facility = facilities.for_update(session, licence.facility_id)
        if facility.licence_no == licence.number:
            data = facilities.FacilityInput.from_facility(facility)
            data.licence_no = None
            facilities.update_facility(
                session,
                facility,
                data,
                expected_version=facility.version,
                actor_id=getattr(actor, "id", None),
                confirm_duplicates=True,
                reason=reason.strip(),
            )
    return licence


def _facility_status(
    session: Session, licence: Licence, target: Status, on: date, reason: str, actor: Any
) -> None:
    if licence.facility_id is None:
        return
    from registry.facilities import workflow as facility_workflow

    facility = facilities.for_update(session, licence.facility_id)
    if facility.status is target or not facility_workflow.can_transition(facility.status, target):
        return
    facilities.change_status(
        session,
        facility,
        target,
        effective_on=min(on, app_clock.today()),
        reason=reason,
        actor_id=getattr(actor, "id", None),
        expected_version=facility.version,
    )


@dataclass(frozen=True)
class LicenceRow:
    id: int
    number: str
    application_id: int
    status: str
    suspended_until: date | None


def expired_suspensions(
    session: Session, user: Any, *, today: date | None = None
) -> list[LicenceRow]:
    """Suspended licences whose suspension has ended: reinstate or revoke (Art. 32(1))."""
    today = today or app_clock.today()
    stmt = select(Licence).where(
        Licence.status == LicenceStatus.SUSPENDED.value, Licence.suspended_until < today
    )
    if user.province_code is not None:
        stmt = stmt.where(Licence.province_code == user.province_code)
    return [
        LicenceRow(lic.id, lic.number, lic.application_id, lic.status.value, lic.suspended_until)
        for lic in session.scalars(stmt.order_by(Licence.suspended_until))
    ]


# --- the officer's queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    id: int
    receipt_code: str
    procedure_code: str
    procedure_vi: str
    facility_name: str
    organisation: str
    state: State
    state_vi: str
    received_on: date
    due_on: date | None
    days_left: int | None
    assigned_to: str | None
    channel: str


@dataclass(frozen=True)
class Queue:
    mine: list[QueueRow]
    overdue: list[QueueRow]
    due_this_week: list[QueueRow]
    awaiting_supplement: list[QueueRow]
    by_state: dict[str, list[QueueRow]]
    stats: list[dict[str, Any]]
    expired_suspensions: list[LicenceRow] = field(default_factory=list)


def _row(app: Application, today: date, locale: str) -> QueueRow:
    try:
        proc_vi = procedure(app.procedure_code).name_vi
    except NotFound:
        proc_vi = app.procedure_code
    return QueueRow(
        id=app.id,
        receipt_code=app.receipt_code,
        procedure_code=app.procedure_code,
        procedure_vi=proc_vi,
        facility_name=app.facility_name,
        organisation=app.organisation,
        state=app.state,
        state_vi=workflow.label(app.state, locale),
        received_on=app.received_on,
        due_on=app.due_on,
        days_left=days_left(app, today),
        assigned_to=app.assigned_to.username if app.assigned_to is not None else None,
        channel=app.channel.value,
    )


def visible(session: Session, user: Any) -> list[Application]:
    stmt = select(Application).options(
        selectinload(Application.assigned_to), selectinload(Application.events)
    )
    if user.province_code is not None:
        stmt = stmt.where(Application.province_code == user.province_code)
    return list(session.scalars(stmt.order_by(Application.received_on, Application.id)))


def queue(session: Session, user: Any, *, today: date | None = None, locale: str = "vi") -> Queue:
    """The officer's work: their own, overdue, due this week, awaiting a supplement, by state."""
    today = today or app_clock.today()
    apps = visible(session, user)
    rows = [_row(a, today, locale) for a in apps]
    open_rows = [r for r in rows if r.state not in workflow.FINAL]
    week_end = today + timedelta(days=6 - today.weekday())
    by_state: dict[str, list[QueueRow]] = {}
    for r in rows:
        by_state.setdefault(r.state.value, []).append(r)
    return Queue(
        mine=[
            r
            for r, a in zip(rows, apps, strict=True)
            if a.assigned_to_id == user.id and r.state not in workflow.FINAL
        ],
        overdue=[
            r
            for r in open_rows
            if r.days_left is not None
            and r.days_left < 0
            and r.state not in workflow.WAITING_FOR_APPLICANT
        ],
        due_this_week=[
            r for r in open_rows if r.due_on is not None and today <= r.due_on <= week_end
        ],
        awaiting_supplement=[r for r in open_rows if r.state is State.SUPPLEMENT_REQUESTED],
        by_state={s.value: by_state[s.value] for s in State if s.value in by_state},
        stats=statistics_of(apps),
        expired_suspensions=expired_suspensions(session, user, today=today),
    )


def statistics_of(apps: Sequence[Application]) -> list[dict[str, Any]]:
    """On-time rate and median processing time (working days from the clock's start to the
    decision) per procedure and year of decision."""
    from registry.licensing import clock

    groups: dict[tuple[str, int], list[tuple[bool, int]]] = {}
    for app in apps:
        if app.state not in workflow.DECIDED or app.decided_on is None:
            continue
        started = clock_start(app)
        if started is None:
            continue
        used = int(
            clock.working_days_used(started, app.decided_on, calendar(), pauses_of(app, started))
        )
        on_time = app.due_on is None or app.decided_on <= app.due_on
        groups.setdefault((app.procedure_code, app.decided_on.year), []).append((on_time, used))
    out = []
    for (code, year), items in sorted(groups.items()):
        out.append(
            {
                "procedure": code,
                "year": year,
                "decided": len(items),
                "on_time_rate": sum(1 for ok, _ in items if ok) / len(items),
                "median_days": statistics.median(d for _, d in items),
            }
        )
    return out


def reminders(session: Session, *, within: int, today: date | None = None) -> list[QueueRow]:
    """Open applications due within ``within`` working days, and the overdue ones."""
    today = today or app_clock.today()
    stmt = (
        select(Application)
        .options(selectinload(Application.assigned_to), selectinload(Application.events))
        .where(Application.state.not_in([s.value for s in workflow.FINAL]))
        .where(Application.due_on.is_not(None))
        .order_by(Application.due_on, Application.id)
    )
    rows = [_row(a, today, "vi") for a in session.scalars(stmt)]
    return [r for r in rows if r.days_left is not None and r.days_left <= within]


# --- the public register -----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    number: str
    issued_on: date
    status: str
    capacity: int | None
    facility_code: str
    facility_name: str
    type_name: str
    province_code: str
    commune_code: str | None
    authority_vi: str


def public_register(
    session: Session, *, q: str | None = None, locale: str = "vi"
) -> list[RegisterRow]:
    """Licences in force or suspended of non-public facilities, as anyone may see them: the
    facility through the read model as the anonymous reader (confidential places masked)."""
    from registry.text import fold

    licences = list(
        session.scalars(
            select(Licence)
            .where(Licence.status.in_([LicenceStatus.VALID.value, LicenceStatus.SUSPENDED.value]))
            .where(Licence.facility_id.is_not(None))
            .order_by(Licence.issued_on.desc(), Licence.id.desc())
        )
    )
    ids = [lic.facility_id for lic in licences if lic.facility_id is not None]
    shown = {r.id: r for r in read.records(session, read.ANONYMOUS, ids=ids)} if ids else {}
    needle = fold(q.strip()) if q and q.strip() else None
    out = []
    for lic in licences:
        record = shown.get(lic.facility_id or 0)
        if record is None or record.ownership is not Ownership.NON_PUBLIC:
            continue
        row = RegisterRow(
            number=lic.number,
            issued_on=lic.issued_on,
            status=lic.status.value,
            capacity=lic.capacity if lic.capacity is not None else record.design_capacity,
            facility_code=record.code,
            facility_name=record.name,
            type_name=record.type_name(locale),
            province_code=record.province_code,
            commune_code=record.commune_code,
            authority_vi=lic.authority_vi,
        )
        if needle and needle not in fold(f"{row.number} {row.facility_name} {row.type_name}"):
            continue
        out.append(row)
    return out


def licence_of_facility(session: Session, facility_id: int) -> Licence | None:
    return session.scalars(
        select(Licence)
        .where(Licence.facility_id == facility_id)
        .order_by(Licence.issued_on.desc(), Licence.id.desc())
    ).first()


# --- mail --------------------------------------------------------------------------------------


def mail_view(app: Application, url: str) -> Any:
    from registry.licensing.mail import MailApplication

    try:
        proc_vi = procedure(app.procedure_code).name_vi
    except NotFound:
        proc_vi = app.procedure_code
    return MailApplication(
        receipt_code=app.receipt_code,
        procedure_vi=proc_vi,
        facility_name=app.facility_name,
        due_on=app.due_on,
        tracking_url=url,
        state_vi=workflow.label(app.state),
        reason=app.refusal_reason or (app.events[-1].reason if app.events else None),
    )


def tracking_url(token: str) -> str:
    from flask import has_request_context, url_for

    if has_request_context():
        return url_for("licensing.track", token=token, _external=True)
    return f"/licensing/track/{token}"


def _mail(app: Application, kind: str, *, token: str | None = None, url: str = "") -> bool:
    """Send the applicant's notice; never fails the request (``send_mail`` logs)."""
    if not app.email:
        return False
    from registry import notify
    from registry.licensing import mail

    link = tracking_url(token) if token else url
    builder = {
        "receipt": mail.receipt_mail,
        "supplement": mail.supplement_mail,
        "decision": mail.decision_mail,
    }[kind]
    subject, body = builder(mail_view(app, link))
    try:
        return bool(notify.send_mail([app.email], subject, body))
    except Exception:
        current_app.logger.exception("licensing mail failed")
        return False


def send_deadline_mails(session: Session, rows: Sequence[QueueRow]) -> int:
    """The deadline notice to each application's assigned officer; returns how many went."""
    from registry import notify
    from registry.licensing import mail

    base = str(current_app.config.get("LICENSING_PUBLIC_URL") or "").rstrip("/")
    sent = 0
    for row in rows:
        app = session.get(Application, row.id)
        officer = app.assigned_to if app is not None else None
        if app is None or officer is None or not getattr(officer, "email", None):
            continue
        view = mail_view(app, f"{base}/licensing/applications/{app.id}")
        subject, body = mail.deadline_mail(view, days_left=row.days_left)
        if notify.send_mail([officer.email], subject, body):
            sent += 1
    return sent
