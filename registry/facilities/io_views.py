"""Import and export pages of the facility blueprint.

Import is upload → preview → confirm. The upload is stored outside the web root under a
random name; the user's session keeps only an opaque token for it. The preview validates
every row and writes nothing; the confirmation validates again (the registry may have changed)
and applies the whole file in one transaction, or nothing.
"""

from __future__ import annotations

import hmac
import io
import time
from datetime import datetime
from pathlib import Path

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField

from registry import database
from registry.auth.decorators import requires
from registry.extensions import db
from registry.facilities import bp, exporters, imports, read, services
from registry.facilities.queries import FacilityFilter
from registry.filters import VN_TZ
from registry.forms import Form
from registry.i18n import _, _l

SESSION_KEY = "facility_import"
IMPORT_MAX_AGE_S = 2 * 3600


class ImportUploadForm(Form):
    file = FileField(
        _l("File (.xlsx, .csv or .geojson)"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".xlsx,.csv,.geojson,.json"},
    )
    submit = SubmitField(_l("Upload and check"))


class ImportConfirmForm(Form):
    token = HiddenField()
    confirm_duplicates = BooleanField(
        _l("I have checked the possible duplicates: they are different facilities")
    )
    submit = SubmitField(_l("Import"))


def _store() -> imports.UploadStore:
    return imports.UploadStore(current_app.config["UPLOAD_FOLDER"], IMPORT_MAX_AGE_S)


def _pending() -> dict | None:
    pending = session.get(SESSION_KEY)
    return pending if isinstance(pending, dict) and pending.get("token") else None


def _forget(store: imports.UploadStore) -> None:
    pending = session.pop(SESSION_KEY, None)
    if isinstance(pending, dict):
        store.discard(pending.get("token"))


def _display_name(filename: str) -> str:
    """The client's file name for messages and the audit reason only; never for a path."""
    name = Path(filename.replace("\\", "/")).name
    return "".join(ch for ch in name if ch.isprintable())[:120] or "upload"


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@bp.route("/import", methods=["GET", "POST"])
@requires("facilities.import")
def import_upload():
    store = _store()
    store.purge()
    form = ImportUploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        name = _display_name(upload.filename or "")
        try:
            fmt = imports.detect_format(name)
            data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
            if len(data) > current_app.config["MAX_CONTENT_LENGTH"]:
                raise imports.UploadRejected(_("The file is too large."))
            source = imports.read_file(data, fmt)
        except imports.UploadRejected as exc:
            errors.append(exc.message)
        else:
            _forget(store)  # a new upload abandons the previous one
            session[SESSION_KEY] = {
                "token": store.save(data),
                "name": name,
                "format": fmt,
                "rows": len(source.rows),
                "at": int(time.time()),
            }
            if _wants_json():
                return jsonify(redirect=url_for("facilities.import_preview"))
            return redirect(url_for("facilities.import_preview"))
    elif request.method == "POST":
        errors.extend(e for field_errors in form.errors.values() for e in field_errors)
    if errors and _wants_json():
        return jsonify(errors=errors), 400
    return render_template(
        "facilities/import_upload.html",
        form=form,
        errors=errors,
        pending=_pending(),
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
    ), 400 if errors else 200


def _load_plan(
    store: imports.UploadStore, pending: dict, *, rules: bool = True
) -> imports.ImportPlan | None:
    data = store.load(pending["token"])
    if data is None:
        return None
    source = imports.read_file(data, pending["format"])
    return imports.validate(db.session, source, user=current_user, rules=rules)


def _render_preview(
    plan: imports.ImportPlan, pending: dict, form: ImportConfirmForm, status: int = 200
):
    return render_template(
        "facilities/import_preview.html", plan=plan, pending=pending, form=form
    ), status


def _expired():
    flash(_("The uploaded file has expired or was already used; upload it again."), "warning")
    return redirect(url_for("facilities.import_upload"))


@bp.route("/import/preview")
@requires("facilities.import")
def import_preview():
    store = _store()
    pending = _pending()
    plan = _load_plan(store, pending) if pending else None
    db.session.rollback()  # validation only reads; end the read transaction
    if plan is None:
        session.pop(SESSION_KEY, None)
        return _expired()
    if plan.ok:
        store.save_preview(pending["token"], plan)
    else:
        _forget(store)  # a file with errors can only be corrected and uploaded again
    form = ImportConfirmForm(token=pending["token"])
    return _render_preview(plan, pending, form)


@bp.route("/import/confirm", methods=["POST"])
@requires("facilities.import")
def import_confirm():
    store = _store()
    pending = _pending()
    form = ImportConfirmForm()
    if (
        not form.validate_on_submit()
        or pending is None
        or not hmac.compare_digest(str(form.token.data or ""), str(pending["token"]))
    ):
        return _expired()
    preview = store.load_preview(pending["token"])
    if preview is None:  # the preview was not shown (or had errors): show it first
        return redirect(url_for("facilities.import_preview"))
    if preview.duplicates and not form.confirm_duplicates.data:
        plan = _load_plan(store, pending)
        db.session.rollback()
        if plan is None:
            return _expired()
        form.confirm_duplicates.errors = [_("Confirm the possible duplicates to import.")]
        return _render_preview(plan, pending, form, 422)
    # The file's own checks again; the services' rules run as each row is written.
    plan = _load_plan(store, pending, rules=False)
    if plan is None:
        session.pop(SESSION_KEY, None)
        return _expired()
    if not plan.ok:
        db.session.rollback()
        _forget(store)
        return _render_preview(plan, pending, form, 422)
    reason = _("Imported from file %(name)s", name=pending["name"])
    try:
        created, updated = imports.apply(
            db.session,
            plan,
            actor_id=current_user.id,
            reason=reason,
            expected_versions=preview.versions,
        )
    except imports.ImportFailed as exc:
        db.session.rollback()
        _forget(store)
        plan.errors = exc.problems
        return _render_preview(plan, pending, form, 422)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    if created + updated >= database.BULK_ROWS:
        database.analyze(db.session, ("facilities",))
    _forget(store)
    flash(
        _(
            "Import finished: %(created)d facilities registered, %(updated)d updated.",
            created=created,
            updated=updated,
        ),
        "success",
    )
    return redirect(url_for("facilities.index"))


@bp.route("/import/cancel", methods=["POST"])
@requires("facilities.import")
def import_cancel():
    form = Form()
    if form.validate_on_submit():
        _forget(_store())
        flash(_("The import was cancelled; nothing was written."), "info")
    return redirect(url_for("facilities.import_upload"))


def _download(body: bytes, fmt: str, name: str):
    response = send_file(
        io.BytesIO(body),
        mimetype=exporters.MIMETYPES[fmt],
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/import/template.<any(csv, xlsx):fmt>")
@requires("facilities.import")
def import_template(fmt: str):
    locale = str(get_locale() or "vi")
    types = [(t.code, t.name(locale)) for t in services.facility_types(db.session)]
    return _download(exporters.template(fmt, types), fmt, f"{exporters.TEMPLATE_PREFIX}.{fmt}")


@bp.route("/export.<any(csv, xlsx, geojson):fmt>")
@requires("facilities.export")
def export(fmt: str):
    flt = FacilityFilter.from_args(request.args)
    items = read.records(db.session, read.Reader.of(current_user), flt)
    name = exporters.filename(exporters.FILE_PREFIX, fmt, datetime.now(VN_TZ).date())
    return _download(exporters.export(items, fmt), fmt, name)
