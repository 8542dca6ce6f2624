"""Facility pages: list, detail, create, edit (with conflict handling), status changes."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from registry.auth.decorators import ensure_jurisdiction, requires
from registry.extensions import db
from registry.facilities import services, workflow
from registry.facilities.forms import (
    OWNERSHIP_LABELS,
    STATUS_LABELS,
    TARGET_GROUPS,
    FacilityForm,
    StatusChangeForm,
)
from registry.facilities.models import Facility, LocationSource, Ownership, Status
from registry.facilities.presenters import present_many
from registry.facilities.privacy import user_may_see_exact
from registry.facilities.queries import FacilityFilter, count_stmt, facility_stmt
from registry.forms import choices
from registry.geography import services as geography
from registry.geography.models import Edition, Level
from registry.geography.services import province_choices
from registry.i18n import _

bp = Blueprint("facilities", __name__, url_prefix="/facilities")


def _type_choices() -> list:
    locale = str(get_locale() or "vi")
    return choices((t.code, t.name(locale)) for t in services.facility_types(db.session))


def _province_choices() -> list:
    return choices((code, name) for code, name in province_choices()
                   if current_user.covers(code))


def _get_visible(facility_id: int) -> Facility:
    facility = db.get_or_404(Facility, facility_id)
    if not current_user.covers(facility.province_code):
        abort(404)  # other provinces' records are not revealed
    return facility


@bp.app_context_processor
def _labels() -> dict[str, object]:
    def unit_name(edition: str, level: str, code: str | None) -> str:
        unit = (geography.unit_by_code(db.session, code, Edition(edition), Level(level))
                if code else None)
        return f"{unit.full_name} ({code})" if unit else (code or "")

    return {"status_labels": STATUS_LABELS, "ownership_labels": OWNERSHIP_LABELS,
            "target_groups": TARGET_GROUPS, "unit_name": unit_name}


@bp.route("/")
@requires("facilities.view")
def index():
    flt = FacilityFilter.from_args(request.args)
    per_page = 25
    total = db.session.scalar(count_stmt(flt, current_user)) or 0
    pages = max(1, -(-total // per_page))
    page = min(flt.page, pages)
    rows = db.session.scalars(
        facility_stmt(flt, current_user).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    items = present_many(db.session, list(rows), may_see_exact=user_may_see_exact(current_user))
    return render_template(
        "facilities/index.html", items=items, flt=flt, total=total, page=page, pages=pages,
        type_choices=_type_choices(), province_choices=_province_choices(),
    )


@bp.route("/<int:facility_id>")
@requires("facilities.view")
def detail(facility_id: int):
    facility = _get_visible(facility_id)
    item = present_many(db.session, [facility], may_see_exact=user_may_see_exact(current_user))[0]
    status_form = StatusChangeForm(version=facility.version, effective_on=date.today())
    status_form.status.choices = choices(
        (s.value, STATUS_LABELS[s]) for s in workflow.allowed_targets(facility.status))
    return render_template("facilities/detail.html", facility=facility, item=item,
                           status_form=status_form, hidden_fields=_hidden_history_fields(item),
                           history_labels=_history_labels())


def _history_labels() -> dict[str, str]:
    """Field names in the audit trail shown with the form's labels."""
    form = FacilityForm(meta={"csrf": False})
    labels = {field.name: str(field.label.text) for field in form}
    labels.update({
        "code": _("Code"), "status": _("Status"), "commune_code": _("Commune code (current)"),
        "district_code": _("District code (pre-2025)"), "old_province_code": _("Province"),
        "province_code": _("Province"), "capacity_by_group": _("Capacity by target group"),
        "status_changed_on": _("Effective date"), "closed_on": _("Closed on"),
        "location_source": _("How to enter the location"), "is_demo": _("Demo data"),
        "type_code": _("Type"), "lon": _("Longitude"), "lat": _("Latitude"),
    })
    return labels


def _hidden_history_fields(item: dict) -> frozenset[str]:
    """History must not leak what the page hides: a generalised facility's exact place."""
    return frozenset({"lon", "lat", "address"}) if item["generalised"] else frozenset()


def _form_to_input(form: FacilityForm, *, status: Status) -> services.FacilityInput:
    """Turns the form into plain values; VN-2000 coordinates become WGS 84 here."""
    source = LocationSource(form.location_mode.data or "latlon")
    if source is LocationSource.VN2000:
        from registry.vn2000 import parse_meridian, vn2000_to_wgs84

        try:
            meridian = parse_meridian(form.vn2000_meridian.data or "")
            lon, lat = vn2000_to_wgs84(float(form.vn2000_x.data), float(form.vn2000_y.data),
                                       meridian)
        except ValueError as exc:
            raise services.ValidationFailed({"vn2000_meridian": [str(exc)]}, [], []) from exc
    else:
        lon, lat = float(form.lon.data), float(form.lat.data)
    return services.FacilityInput(
        name=form.name.data.strip(), type_code=form.type_code.data,
        ownership=Ownership(form.ownership.data), province_code=form.province_code.data,
        lon=lon, lat=lat, status=status, managing_body=form.managing_body.data or None,
        address=form.address.data or None, location_source=source,
        location_approximate=bool(form.location_approximate.data),
        opened_on=form.opened_on.data, design_capacity=form.design_capacity.data,
        capacity_by_group=form.capacity_by_group(), residents=form.residents.data,
        staff=form.staff.data, services=form.services.data or None,
        registration_no=form.registration_no.data or None,
        licence_no=form.licence_no.data or None, notes=form.notes.data or None,
    )


def _show_errors(form: FacilityForm, exc: services.ValidationFailed) -> None:
    for name, messages in exc.errors.items():
        target = "lat" if name == "location" else name
        field = getattr(form, target, None)
        if field is None:
            flash("; ".join(messages), "danger")
        else:
            field.errors = list(field.errors) + messages
    for warning in exc.warnings:
        flash(warning, "warning")


def _saved(facility: Facility, warnings: list[str], message: str):
    """Commit a create or edit, show its warnings, and go to the record."""
    db.session.commit()
    for warning in warnings:
        flash(warning, "warning")
    flash(message, "success")
    return redirect(url_for("facilities.detail", facility_id=facility.id))


def _allowed_new_statuses() -> list[Status]:
    if current_user.can("facilities.edit"):
        return list(Status)
    return [Status.PLANNED]  # proposers (planners) add planned facilities only


@bp.route("/new", methods=["GET", "POST"])
@requires("facilities.edit")
def new():
    form = FacilityForm()
    form.type_code.choices = _type_choices()
    form.province_code.choices = _province_choices()
    form.status.choices = choices((s.value, STATUS_LABELS[s]) for s in _allowed_new_statuses()
                                  if s is not Status.CLOSED)
    duplicates: list = []
    if request.method == "GET":
        _prefill_from_args(form)
    if form.validate_on_submit():
        ensure_jurisdiction(form.province_code.data)
        try:
            data = _form_to_input(form, status=Status(form.status.data))
            facility, warnings = services.register_facility(
                db.session, data, actor_id=current_user.id,
                confirm_duplicates=form.confirm_duplicates.data,
                reason=form.reason.data or None,
            )
        except services.ValidationFailed as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicates = exc.duplicates
        else:
            return _saved(facility, warnings, _("Facility %(code)s registered.",
                                                code=facility.code))
    return render_template("facilities/form.html", form=form, facility=None,
                           duplicates=duplicates)


def _prefill_from_args(form: FacilityForm) -> None:
    """The map's click-to-propose opens this form with the point (and planned status)."""
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError):
        pass
    else:
        from decimal import Decimal

        form.lat.data, form.lon.data = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
        form.location_mode.data = "map"
    if request.args.get("status") in Status._value2member_map_:
        form.status.data = request.args["status"]
    if request.args.get("type"):
        form.type_code.data = request.args["type"]
    if current_user.province_code:
        form.province_code.data = current_user.province_code
    elif request.args.get("province"):
        form.province_code.data = request.args["province"]


@bp.route("/<int:facility_id>/edit", methods=["GET", "POST"])
@requires("facilities.edit")
def edit(facility_id: int):
    facility = _get_visible(facility_id)
    if facility.status is Status.CLOSED:
        flash(_("Closed facilities are kept for history and cannot be edited."), "warning")
        return redirect(url_for("facilities.detail", facility_id=facility.id))
    form = FacilityForm(obj=facility)
    form.type_code.choices = _type_choices()
    form.province_code.choices = _province_choices()
    form.status.choices = choices([(facility.status.value, STATUS_LABELS[facility.status])])
    form.status.data = facility.status.value
    duplicates: list = []
    if request.method == "GET":
        form.version.data = str(facility.version)
        form.location_mode.data = "latlon"
        for group in TARGET_GROUPS:
            getattr(form, f"cap_{group}").data = (facility.capacity_by_group or {}).get(group)
    if form.validate_on_submit():
        try:
            data = _form_to_input(form, status=facility.status)
            expected = int(form.version.data or 0)
            warnings = services.update_facility(
                db.session, facility, data, expected_version=expected,
                actor_id=current_user.id, confirm_duplicates=form.confirm_duplicates.data,
                reason=form.reason.data or None,
            )
        except services.EditConflict as exc:
            db.session.rollback()
            return _conflict(facility, exc.attempted, form)
        except services.ValidationFailed as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicates = exc.duplicates
        else:
            return _saved(facility, warnings, _("Changes saved."))
    return render_template("facilities/form.html", form=form, facility=facility,
                           duplicates=duplicates)


CONFLICT_FIELDS = (
    "name", "type_code", "ownership", "managing_body", "address", "lon", "lat",
    "opened_on", "design_capacity", "capacity_by_group", "residents", "staff", "services",
    "registration_no", "licence_no", "notes",
)


def _conflict(facility: Facility, attempted: services.FacilityInput, form: FacilityForm):
    """Both versions field by field; the form re-posts the user's values on the new version."""
    db.session.refresh(facility)
    theirs = services.as_plain(facility)
    rows = []
    for name in CONFLICT_FIELDS:
        mine = getattr(attempted, name)
        label = form[name].label.text if name in form else _("Capacity by target group")
        rows.append({"field": name, "label": label,
                     "theirs": theirs[name], "mine": mine, "differs": theirs[name] != mine})
    form.version.data = str(facility.version)
    form.location_mode.data = "latlon"
    form.lon.data, form.lat.data = attempted.lon, attempted.lat
    return render_template("facilities/conflict.html", facility=facility, rows=rows,
                           form=form), 409


@bp.route("/<int:facility_id>/status", methods=["POST"])
@requires("facilities.change_status")
def change_status(facility_id: int):
    facility = _get_visible(facility_id)
    form = StatusChangeForm()
    form.status.choices = choices(
        (s.value, STATUS_LABELS[s]) for s in workflow.allowed_targets(facility.status))
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else name
            flash(f"{label}: {'; '.join(errors)}", "danger")
        return redirect(url_for("facilities.detail", facility_id=facility.id))
    try:
        services.change_status(
            db.session, facility, Status(form.status.data), effective_on=form.effective_on.data,
            reason=form.reason.data, actor_id=current_user.id,
            expected_version=int(form.version.data or 0),
        )
    except services.RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Status changed to %(status)s.", status=STATUS_LABELS[facility.status]),
              "success")
    return redirect(url_for("facilities.detail", facility_id=facility.id))


@bp.route("/<int:facility_id>/history")
@requires("facilities.view")
def history(facility_id: int):
    facility = _get_visible(facility_id)
    item = present_many(db.session, [facility], may_see_exact=user_may_see_exact(current_user))[0]
    return render_template("facilities/history.html", facility=facility, item=item,
                           hidden_fields=_hidden_history_fields(item),
                           history_labels=_history_labels())

