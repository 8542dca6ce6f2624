"""Licensing pages: the officer's queue and application pages, the counter form, the public
online application, the private tracking page and the public register."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from registry import clock as app_clock
from registry import database
from registry.auth.decorators import requires
from registry.cells import guard
from registry.errors import NotFound, RegistryError
from registry.extensions import db, limiter
from registry.forms import choices
from registry.i18n import _
from registry.licensing import bp, services, workflow
from registry.licensing.forms import (
    ApplyForm,
    ApproveForm,
    AssignForm,
    CounterForm,
    DocumentForm,
    InspectionForm,
    ReasonForm,
    RefuseForm,
    ScheduleInspectionForm,
    SupplementForm,
    SuspendForm,
    TransitionForm,
    UploadForm,
)
from registry.licensing.models import Application, LicenceStatus
from registry.licensing.workflow import State


def _apply_limit() -> str:
    return str(current_app.config.get("LICENSING_APPLY_LIMIT") or "10 per hour")


def _not_throttled() -> bool:
    return not current_app.config.get("LICENSING_THROTTLE_ENABLED", True)


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")


def _flash_error(exc: RegistryError) -> None:
    flash(exc.message, "danger")


def _files() -> dict[str, Any]:
    return {key[4:]: f for key, f in request.files.items() if key.startswith("doc_") and f.filename}


def _fill_choices(form: ApplyForm) -> None:
    from registry.facilities import services as facilities
    from registry.geography.services import province_choices

    locale = _locale()
    form.type_code.choices = choices(
        [("", "—")] + [(t.code, t.name(locale)) for t in facilities.facility_types(db.session)]
    )
    form.province_code.choices = choices([("", "—"), *province_choices()])


def _input(form: ApplyForm, procedure_code: str) -> services.ApplicationInput:
    return services.ApplicationInput(
        procedure_code=procedure_code,
        organisation=form.organisation.data or "",
        representative=form.representative.data or "",
        email=form.email.data,
        phone=form.phone.data,
        address=form.address.data,
        facility_code=(form.facility_code.data or "").strip() or None,
        facility_name=form.facility_name.data,
        type_code=form.type_code.data or None,
        province_code=form.province_code.data or None,
        lon=form.lon.data,
        lat=form.lat.data,
        facility_address=form.facility_address.data,
        design_capacity=form.design_capacity.data,
    )


def _procedure_view(proc: Any) -> dict[str, Any]:
    return {
        "code": proc.code,
        "name": proc.name_en if _locale() == "en" else proc.name_vi,
        "time_limit_days": proc.time_limit_days,
        "clock_starts": proc.clock_starts,
        "level": proc.level,
        "source": "; ".join(proc.legal_basis_vi),
        "confirmed": proc.confirmed,
        "note": proc.note_vi,
        "documents": [
            {
                "code": d.code,
                "name": d.name_en if _locale() == "en" else d.name_vi,
                "form_no": d.form_no,
                "required": d.required,
            }
            for d in proc.documents
        ],
    }


def _application_view(app: Application) -> dict[str, Any]:
    """Everything a page shows of one application, as plain data (templates run no queries)."""
    locale = _locale()
    proc = _procedure_view(services.procedure(app.procedure_code))
    names = {d["code"]: d for d in proc["documents"]}
    licence = app.licence
    return {
        "id": app.id,
        "receipt_code": app.receipt_code,
        "procedure": proc,
        "state": app.state.value,
        "state_label": workflow.label(app.state, locale),
        "final": app.state in workflow.FINAL,
        "channel": app.channel.value,
        "province_code": app.province_code,
        "facility_id": app.facility_id,
        "facility_name": app.facility_name,
        "new_facility": app.new_facility,
        "organisation": app.organisation,
        "representative": app.representative,
        "email": app.email,
        "phone": app.phone,
        "received_on": app.received_on,
        "completed_on": app.completed_on,
        "due_on": app.due_on,
        "days_left": services.days_left(app),
        "decided_on": app.decided_on,
        "refusal_reason": app.refusal_reason,
        "assigned_to": app.assigned_to.username if app.assigned_to is not None else None,
        "version": app.version,
        "documents": [
            {
                "id": d.id,
                "code": d.code,
                "name": names.get(d.code, {}).get("name", d.code),
                "form_no": names.get(d.code, {}).get("form_no"),
                "required": names.get(d.code, {}).get("required", True),
                "status": d.status.value,
                "reason": d.reason,
                "has_file": bool(d.file_key),
                "original_name": d.original_name,
                "size": d.size,
            }
            for d in app.documents
        ],
        "events": [
            {
                "from": workflow.label(e.from_state, locale) if e.from_state else None,
                "to": workflow.label(e.to_state, locale),
                "on": e.occurred_on,
                "at": e.recorded_at,
                "by": e.actor_label,
                "reason": e.reason,
                "download": (e.reason or "").startswith("download:"),
            }
            for e in app.events
        ],
        "requests": [
            {"on": e.occurred_on, "reason": e.reason}
            for e in app.events
            if e.to_state is State.SUPPLEMENT_REQUESTED
        ],
        "inspections": [
            {
                "id": i.id,
                "photos": [{"name": p["name"]} for p in (i.photos or [])],
                "scheduled_on": i.scheduled_on,
                "team": i.team,
                "inspected_on": i.inspected_on,
                "checklist": dict(i.checklist or {}),
                "findings": i.findings,
            }
            for i in app.inspections
        ],
        "licence": None
        if licence is None
        else {
            "id": licence.id,
            "suspended_from": licence.suspended_from,
            "suspended_until": licence.suspended_until,
            "number": licence.number,
            "issued_on": licence.issued_on,
            "authority": licence.authority_vi,
            "capacity": licence.capacity,
            "services": licence.services,
            "status": licence.status.value,
            "conditions": [
                {
                    "id": c.id,
                    "text": c.text,
                    "deadline": c.deadline,
                    "closed_on": c.closed_on,
                    "closed_note": c.closed_note,
                }
                for c in licence.conditions
            ],
        },
        "next_states": [(s.value, workflow.label(s, locale)) for s in workflow.allowed(app.state)],
    }


def _load(application_id: int) -> Application:
    try:
        return services.get_application(db.session, application_id, current_user)
    except NotFound:
        abort(404)


def _version(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- the officer's pages -----------------------------------------------------------------------


@bp.route("/")
@requires("licensing.view")
def index():
    q = services.queue(db.session, current_user, locale=_locale())
    procs = [_procedure_view(p) for p in services.all_procedures()]
    return render_template(
        "licensing/queue.html",
        queue=q,
        procedures=procs,
        state_labels={s.value: workflow.label(s, _locale()) for s in State},
    )


@bp.route("/applications/<int:application_id>")
@requires("licensing.view")
def application(application_id: int):
    app = _load(application_id)
    view = _application_view(app)
    transition_form = TransitionForm(version=str(app.version))
    transition_form.target.choices = choices(view["next_states"])
    assign_form = AssignForm()
    assign_form.officer.choices = choices(
        [("", "—")]
        + [
            (str(u.id), u.full_name or u.username)
            for u in services.officers_for(db.session, app.province_code)
        ]
    )
    return render_template(
        "licensing/application.html",
        app=view,
        transition_form=transition_form,
        assign_form=assign_form,
        supplement_form=SupplementForm(version=str(app.version)),
        document_form=DocumentForm(),
        schedule_form=ScheduleInspectionForm(),
        inspection_form=InspectionForm(),
        approve_form=ApproveForm(version=str(app.version)),
        refuse_form=RefuseForm(version=str(app.version)),
        suspend_form=SuspendForm(),
        reason_form=ReasonForm(),
        criteria=services.INSPECTION_CRITERIA,
    )


def _back(application_id: int):
    return redirect(url_for("licensing.application", application_id=application_id))


def _commit_or_flash(fn: Any, done: str) -> bool:
    try:
        fn()
    except RegistryError as exc:
        db.session.rollback()
        _flash_error(exc)
        return False
    db.session.commit()
    flash(done, "success")
    return True


@bp.route("/applications/<int:application_id>/transition", methods=["POST"])
@requires("licensing.process")
def transition(application_id: int):
    app = _load(application_id)
    form = TransitionForm()
    form.target.choices = choices([(s.value, s.value) for s in State])
    if not form.validate_on_submit() or form.target.data not in {s.value for s in State}:
        flash(_("Choose the next step."), "danger")
        return _back(application_id)
    target = State(form.target.data)
    if target in (State.APPROVED, State.REFUSED):
        flash(_("Use the decision forms to approve or refuse."), "danger")
        return _back(application_id)
    _commit_or_flash(
        lambda: services.transition(
            db.session,
            app,
            target,
            actor=current_user,
            reason=form.reason.data,
            expected_version=_version(form.version.data),
        ),
        _("The application moved on."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/assign", methods=["POST"])
@requires("licensing.process")
def assign(application_id: int):
    from registry.auth.models import User

    app = _load(application_id)
    form = AssignForm()
    if not form.validate_on_submit():
        flash(_("Choose an officer."), "danger")
        return _back(application_id)
    raw = form.officer.data or ""
    officer = db.session.get(User, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if raw and officer is None:
        flash(_("Choose an officer."), "danger")
        return _back(application_id)
    _commit_or_flash(
        lambda: services.assign(db.session, app, officer, actor=current_user),
        _("The officer was assigned."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/supplement", methods=["POST"])
@requires("licensing.process")
def request_supplement(application_id: int):
    app = _load(application_id)
    form = SupplementForm()
    if not form.validate_on_submit():
        flash(_("Say what is missing."), "danger")
        return _back(application_id)
    rejected = request.form.getlist("rejected")
    _commit_or_flash(
        lambda: services.request_supplement(
            db.session,
            app,
            actor=current_user,
            reason=form.reason.data or "",
            rejected=rejected,
            base_url=url_for("licensing.track_start", _external=True),
            expected_version=_version(form.version.data),
        ),
        _("A supplement was requested."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/documents/<int:document_id>", methods=["POST"])
@requires("licensing.process")
def mark_document(application_id: int, document_id: int):
    app = _load(application_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        flash(_("Choose the document's status."), "danger")
        return _back(application_id)
    _commit_or_flash(
        lambda: services.mark_document(
            db.session,
            app,
            document_id,
            form.status.data,
            actor=current_user,
            reason=form.reason.data,
        ),
        _("The checklist was updated."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/documents/<int:document_id>/file")
@requires("licensing.view")
def document_file(application_id: int, document_id: int):
    app = _load(application_id)
    return _send(app, document_id, current_user._get_current_object())


def _send(app: Application, document_id: int, who: Any) -> Response:
    from registry import storage

    try:
        doc = services.document_of(app, document_id)
    except NotFound:
        abort(404)
    stored = storage.StoredFile(
        key=doc.file_key or "",
        original_name=doc.original_name or doc.code,
        mime=doc.mime or "application/octet-stream",
        size=doc.size or 0,
        sha256=doc.sha256 or "",
    )
    return _send_stored(app, stored, doc.code, who)


def _send_stored(app: Application, stored: Any, what: str, who: Any) -> Response:
    """A stored file of the application as an attachment, its download audited."""
    from registry import storage

    def audit() -> None:
        with database.writing(db.session):  # a GET that writes: see registry.database
            services.audit_download(db.session, app, what, who)

    return storage.send_stored_audited(stored, audit)


@bp.route("/applications/<int:application_id>/inspection", methods=["POST"])
@requires("licensing.process")
def schedule_inspection(application_id: int):
    app = _load(application_id)
    form = ScheduleInspectionForm()
    if not form.validate_on_submit() or form.scheduled_on.data is None:
        flash(_("Give the inspection date and team."), "danger")
        return _back(application_id)
    scheduled_on = form.scheduled_on.data
    _commit_or_flash(
        lambda: services.schedule_inspection(
            db.session, app, on=scheduled_on, team=form.team.data or "", actor=current_user
        ),
        _("The inspection was scheduled."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/inspection/record", methods=["POST"])
@requires("licensing.process")
def record_inspection(application_id: int):
    app = _load(application_id)
    form = InspectionForm()
    if not form.validate_on_submit() or form.inspected_on.data is None:
        flash(_("Give the inspection date."), "danger")
        return _back(application_id)
    inspected_on = form.inspected_on.data
    checklist = {
        code: request.form.get(f"c_{code}", "not_checked")
        for code, *_rest in services.INSPECTION_CRITERIA
    }
    _commit_or_flash(
        lambda: services.record_inspection(
            db.session,
            app,
            inspected_on=inspected_on,
            checklist=checklist,
            findings=form.findings.data,
            actor=current_user,
            photos=request.files.getlist("photos"),
        ),
        _("The inspection was recorded."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/inspections/<int:inspection_id>/photos/<int:index>")
@requires("licensing.view")
def inspection_photo(application_id: int, inspection_id: int, index: int):
    from registry import storage

    app = _load(application_id)
    try:
        photo = services.inspection_photo(app, inspection_id, index)
    except NotFound:
        abort(404)
    stored = storage.StoredFile.from_record(photo)
    return _send_stored(app, stored, f"photo:{photo['name']}", current_user._get_current_object())


def _conditions(text: str | None) -> list[tuple[str, Any]]:
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        body, _sep, when = line.partition("|")
        deadline = None
        if when.strip():
            try:
                deadline = datetime.strptime(when.strip(), "%d/%m/%Y").date()
            except ValueError:
                raise RegistryError(_("Enter the date as dd/mm/yyyy.")) from None
        out.append((body.strip(), deadline))
    return out


@bp.route("/applications/<int:application_id>/approve", methods=["POST"])
@requires("licensing.process")
def approve(application_id: int):
    app = _load(application_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("Check the licence's details."), "danger")
        return _back(application_id)
    _commit_or_flash(
        lambda: services.approve(
            db.session,
            app,
            actor=current_user,
            capacity=form.capacity.data,
            services=form.services.data,
            conditions=_conditions(form.conditions.data),
            base_url=url_for("licensing.track_start", _external=True),
            expected_version=_version(form.version.data),
        ),
        _("The licence was issued."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/refuse", methods=["POST"])
@requires("licensing.process")
def refuse(application_id: int):
    app = _load(application_id)
    form = RefuseForm()
    if not form.validate_on_submit():
        flash(_("A refusal needs a written reason."), "danger")
        return _back(application_id)
    _commit_or_flash(
        lambda: services.refuse(
            db.session,
            app,
            actor=current_user,
            reason=form.reason.data or "",
            base_url=url_for("licensing.track_start", _external=True),
            expected_version=_version(form.version.data),
        ),
        _("The application was refused."),
    )
    return _back(application_id)


@bp.route("/applications/<int:application_id>/decision.pdf")
@requires("licensing.view")
def decision_pdf(application_id: int):
    app = _load(application_id)
    if app.state not in workflow.DECIDED:
        abort(404)
    from registry.licensing import notice

    body = notice.render_decision_pdf(_notice(app))
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="quyet-dinh-{app.receipt_code}.pdf"'
        },
    )


def _notice(app: Application) -> Any:
    from registry.geography.services import province_choices
    from registry.licensing import notice

    proc = services.procedure(app.procedure_code)
    decided = app.decided_on or app_clock.today()
    province = dict(province_choices()).get(app.province_code, app.province_code)
    authority = services.authority_of(app, decided)
    approved = app.state is State.APPROVED
    number = app.licence.number if app.licence is not None else f"{app.receipt_code}/QĐ-TC"
    what = proc.name_vi
    articles = (
        (
            f"Cấp {what.lower()} cho {app.facility_name}, do {app.organisation} đề nghị"
            + (f", số {number}." if approved else "."),
            "Quyết định này có hiệu lực kể từ ngày ký.",
        )
        if approved
        else (
            f"Không chấp thuận hồ sơ đề nghị {what.lower()} của {app.organisation} "
            f"đối với {app.facility_name}.",
            "Quyết định này có hiệu lực kể từ ngày ký.",
        )
    )
    return notice.DecisionNotice(
        authority_vi=services.authority_vi(app, decided),
        superior_vi=authority.superior_vi if authority is not None else None,
        number=number,
        place=province,
        signed_on=decided,
        approved=approved,
        procedure_vi=what,
        facility_name=app.facility_name,
        applicant=app.organisation,
        address=app.address,
        legal_grounds=proc.legal_basis_vi,
        articles=articles,
        refusal_reason=app.refusal_reason if not approved else None,
        recipients=(app.organisation, "Lưu: VT."),
        signer_title="GIÁM ĐỐC",
        signer_name=None,
    )


# --- licences after the decision ---------------------------------------------------------------


def _licence_action(licence_id: int, act: Any, done: str) -> Any:
    try:
        licence = services.get_licence(db.session, licence_id, current_user)
    except NotFound:
        abort(404)
    application_id = licence.application_id
    _commit_or_flash(lambda: act(licence), done)
    return _back(application_id)


@bp.route("/licences/<int:licence_id>/suspend", methods=["POST"])
@requires("licensing.process")
def suspend_licence(licence_id: int):
    form = SuspendForm()
    valid = form.validate_on_submit()
    start, until = form.start.data, form.until.data

    def act(licence: Any) -> Any:
        if not valid or start is None or until is None:
            raise RegistryError(_("Give the dates and the reason."))
        return services.suspend_licence(
            db.session,
            licence,
            start=start,
            until=until,
            reason=form.reason.data or "",
            actor=current_user,
        )

    return _licence_action(licence_id, act, _("The licence was suspended."))


@bp.route("/licences/<int:licence_id>/reinstate", methods=["POST"])
@requires("licensing.process")
def reinstate_licence(licence_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    return _licence_action(
        licence_id,
        lambda lic: services.reinstate_licence(
            db.session, lic, reason=form.reason.data or "", actor=current_user
        ),
        _("The licence is in force again."),
    )


@bp.route("/licences/<int:licence_id>/revoke", methods=["POST"])
@requires("licensing.process")
def revoke_licence(licence_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    return _licence_action(
        licence_id,
        lambda lic: services.revoke_licence(
            db.session, lic, reason=form.reason.data or "", actor=current_user
        ),
        _("The licence was revoked."),
    )


@bp.route("/licences/<int:licence_id>/conditions/<int:condition_id>/close", methods=["POST"])
@requires("licensing.process")
def close_condition(licence_id: int, condition_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    return _licence_action(
        licence_id,
        lambda lic: services.close_condition(
            db.session, lic, condition_id, note=form.reason.data or "", actor=current_user
        ),
        _("The condition was closed."),
    )


# --- the counter (paper) application -----------------------------------------------------------


@bp.route("/counter/<procedure_code>", methods=["GET", "POST"])
@requires("licensing.process")
def counter(procedure_code: str):
    try:
        proc = services.procedure(procedure_code)
    except NotFound:
        abort(404)
    form = CounterForm()
    _fill_choices(form)
    if current_user.province_code and request.method == "GET":
        form.province_code.data = current_user.province_code
    if form.validate_on_submit():
        data = _input(form, proc.code)
        data.received_on = form.received_on.data
        data.provided = tuple(request.form.getlist("provided"))
        try:
            app, _token = services.record_counter(db.session, data, actor=current_user)
            if not current_user.covers(app.province_code):
                raise RegistryError(_("This application is outside your jurisdiction."))
        except RegistryError as exc:
            db.session.rollback()
            _flash_error(exc)
        else:
            db.session.commit()
            flash(_("Recorded with receipt code %(code)s.", code=app.receipt_code), "success")
            return redirect(url_for("licensing.application", application_id=app.id))
    return render_template("licensing/counter.html", form=form, procedure=_procedure_view(proc))


# --- public: online application, tracking, register ---------------------------------------------


@bp.route("/apply")
def apply_start():
    return render_template(
        "licensing/apply_start.html",
        procedures=[_procedure_view(p) for p in services.all_procedures()],
    )


@bp.route("/apply/<procedure_code>", methods=["GET", "POST"])
@limiter.limit(_apply_limit, methods=["POST"], exempt_when=_not_throttled)
def apply(procedure_code: str):
    try:
        proc = services.procedure(procedure_code)
    except NotFound:
        abort(404)
    form = ApplyForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            app, token = services.submit_online(db.session, _input(form, proc.code), _files())
        except RegistryError as exc:
            db.session.rollback()
            _flash_error(exc)
        else:
            db.session.commit()
            return render_template(
                "licensing/receipt.html",
                receipt_code=app.receipt_code,
                due_on=app.due_on,
                tracking_url=url_for("licensing.track", token=token, _external=True),
            )
    return render_template("licensing/apply.html", form=form, procedure=_procedure_view(proc))


@bp.route("/track")
def track_start():
    return render_template("licensing/track_start.html")


def _tracked(token: str) -> Application:
    try:
        return services.by_token(db.session, token)
    except NotFound:
        abort(404)


@bp.route("/track/<token>")
def track(token: str):
    app = _tracked(token)
    return render_template(
        "licensing/track.html", app=_application_view(app), token=token, form=UploadForm()
    )


@bp.route("/track/<token>/upload", methods=["POST"])
@limiter.limit(_apply_limit, exempt_when=_not_throttled)
def track_upload(token: str):
    app = _tracked(token)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.upload_supplement(db.session, app, _files())
    except RegistryError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        db.session.commit()
        flash(_("Thank you: the supplement was received."), "success")
    return redirect(url_for("licensing.track", token=token))


@bp.route("/track/<token>/documents/<int:document_id>")
def track_file(token: str, document_id: int):
    app = _tracked(token)
    return _send(app, document_id, "applicant")


@bp.route("/register")
def register():
    q = request.args.get("q", "")[:200]
    rows = services.public_register(db.session, q=q, locale=_locale())
    return render_template(
        "licensing/register.html",
        rows=rows,
        q=q,
        status_labels=_licence_status_labels(),
    )


def _licence_status_labels() -> dict[str, str]:
    return {
        LicenceStatus.VALID.value: _("In force"),
        LicenceStatus.SUSPENDED.value: _("Suspended"),
        LicenceStatus.REVOKED.value: _("Revoked"),
        LicenceStatus.SUPERSEDED.value: _("Superseded"),
    }


@bp.route("/register.csv")
def register_csv():
    q = request.args.get("q", "")[:200]
    rows = services.public_register(db.session, q=q, locale=_locale())
    labels = _licence_status_labels()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Licence number"),
            _("Issued on"),
            _("Status"),
            _("Capacity"),
            _("Registry code"),
            _("Facility"),
            _("Type"),
            _("Province"),
            _("Issued by"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                guard(r.number),
                f"{r.issued_on:%d/%m/%Y}",
                labels.get(r.status, r.status),
                "" if r.capacity is None else r.capacity,
                guard(r.facility_code),
                guard(r.facility_name),
                guard(r.type_name),
                r.province_code,
                guard(r.authority_vi),
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="giay-phep.csv"'},
    )
