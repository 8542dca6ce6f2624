"""Facility pages: list, detail, create, edit (with conflict handling), status changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from registry import clock
from registry.audit import services as audit
from registry.auth.decorators import ensure_jurisdiction, requires
from registry.extensions import db
from registry.facilities import bp, catalogue, places, read, services, workflow
from registry.facilities.forms import (
    CRITERIA_TYPES,
    OWNERSHIP_LABELS,
    STATUS_LABELS,
    TARGET_GROUPS,
    FacilityForm,
    StatusChangeForm,
)
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import FacilityRecord, Reader
from registry.facilities.vocab import LocationPrecision, LocationSource, Ownership, Status
from registry.forms import choices
from registry.geography import services as geography
from registry.geography.models import Edition, Level
from registry.geography.services import province_choices
from registry.http import arg_float
from registry.i18n import _


def _type_choices() -> list:
    locale = str(get_locale() or "vi")
    return choices((t.code, t.name(locale)) for t in services.facility_types(db.session))


def _province_choices() -> list:
    return choices((code, name) for code, name in province_choices() if current_user.covers(code))


def _reader() -> Reader:
    return Reader.of(current_user)


def _get_visible(facility_id: int) -> FacilityRecord:
    """The facility as the current user may see it; 404 outside their jurisdiction (other
    provinces' records are not revealed)."""
    return read.get(db.session, _reader(), facility_id) or abort(404)


def _unit_names(record: FacilityRecord) -> dict[str, str]:
    """The record's administrative units by name, for the page (templates run no queries)."""
    wanted = (
        ("current_province", Edition.CURRENT, Level.PROVINCE, record.province_code),
        ("current_commune", Edition.CURRENT, Level.COMMUNE, record.commune_code),
        ("old_province", Edition.PRE2025, Level.PROVINCE, record.old_province_code),
        ("district", Edition.PRE2025, Level.DISTRICT, record.district_code),
    )
    names = {}
    for key, edition, level, code in wanted:
        unit = geography.unit_by_code(db.session, code, edition, level) if code else None
        names[key] = f"{unit.full_name} ({code})" if unit else (code or "")
    return names


def _catalogue_labels(kind: str, codes: Any) -> list[str]:
    """Catalogue labels in the interface language (templates never show the codes)."""
    if isinstance(codes, str) or hasattr(codes, "value"):
        codes = [str(getattr(codes, "value", codes))]
    return catalogue.labels(kind, codes or (), str(get_locale() or "vi"))


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {
        "status_labels": STATUS_LABELS,
        "ownership_labels": OWNERSHIP_LABELS,
        "target_groups": TARGET_GROUPS,
        "catalogue_labels": _catalogue_labels,
        "criteria_types": CRITERIA_TYPES,
        "precision_labels": places.PRECISION_LABELS,
    }


@bp.route("/")
@requires("facilities.view")
def index():
    flt = FacilityFilter.from_args(request.args)
    per_page = 25
    reader = _reader()
    total = read.count(db.session, reader, flt)
    pages = max(1, -(-total // per_page))
    page = min(flt.page, pages)
    items = read.records(db.session, reader, flt, limit=per_page, offset=(page - 1) * per_page)
    return render_template(
        "facilities/index.html",
        items=items,
        flt=flt,
        total=total,
        page=page,
        pages=pages,
        type_choices=_type_choices(),
        province_choices=_province_choices(),
    )


@bp.route("/<int:facility_id>")
@requires("facilities.view")
def detail(facility_id: int):
    item = _get_visible(facility_id)
    status_form = StatusChangeForm(version=item.version, effective_on=clock.today())
    status_form.status.choices = choices(
        (s.value, STATUS_LABELS[s]) for s in workflow.allowed_targets(item.status)
    )
    return render_template(
        "facilities/detail.html",
        item=item,
        status_form=status_form,
        units=_unit_names(item),
        status_changes=services.status_changes(db.session, item.id),
        history=audit.history_for(db.session, "facilities", item.id),
        hidden_fields=_hidden_history_fields(item),
        history_labels=_history_labels(),
    )


def _history_labels() -> dict[str, str]:
    """Field names in the audit trail shown with the form's labels."""
    form = FacilityForm(meta={"csrf": False})
    labels = {field.name: str(field.label.text) for field in form}
    labels.update(
        {
            "code": _("Code"),
            "status": _("Status"),
            "commune_code": _("Commune code (current)"),
            "district_code": _("District code (pre-2025)"),
            "old_province_code": _("Province"),
            "province_code": _("Province"),
            "capacity_by_group": _("Capacity by target group"),
            "status_changed_on": _("Effective date"),
            "closed_on": _("Closed on"),
            "location_source": _("How to enter the location"),
            "is_demo": _("Demo data"),
            "type_code": _("Type"),
            "lon": _("Longitude"),
            "lat": _("Latitude"),
        }
    )
    return labels


def _hidden_history_fields(item: FacilityRecord) -> frozenset[str]:
    """History must not leak what the page hides: a generalised facility's exact place."""
    return WITHHELD_FIELDS if item.generalised else frozenset()


#: What a reader without the confidential permission neither sees nor changes.
WITHHELD_FIELDS = frozenset(
    {"lon", "lat", "address", "notes", "location_source", "location_approximate"}
)
_WITHHELD_FORM_FIELDS = (
    "address",
    "notes",
    "location_mode",
    "lat",
    "lon",
    "vn2000_x",
    "vn2000_y",
    "vn2000_meridian",
    "commune",
    "district",
    "location_approximate",
)


def _withhold_location(form: FacilityForm) -> None:
    """The edit form of a generalised facility: no exact point, address or notes to see or
    change; everything else stays editable."""
    for name in _WITHHELD_FORM_FIELDS:
        delattr(form, name)


def _form_to_input(
    form: FacilityForm, *, status: Status, kept: services.FacilityInput | None = None
) -> services.FacilityInput:
    """Turns the form into plain values; VN-2000 coordinates become WGS 84 here. ``kept``
    supplies the location, address and notes of a facility whose form withholds them."""
    if kept is not None:
        location: dict[str, Any] = {
            "lon": kept.lon,
            "lat": kept.lat,
            "address": kept.address,
            "notes": kept.notes,
            "location_source": kept.location_source,
            "location_approximate": kept.location_approximate,
            "location_precision": kept.location_precision,
            "commune": kept.commune,
            "district": kept.district,
            "old_province": kept.old_province,
        }
    else:
        source = LocationSource(form.location_mode.data or "latlon")
        lon: float | None
        lat: float | None
        if source is LocationSource.UNIT_POINT:
            lon = lat = None  # the named units' representative point (services.check)
        elif source is LocationSource.VN2000:
            try:
                lon, lat = services.vn2000_point(
                    form.vn2000_x.data, form.vn2000_y.data, form.vn2000_meridian.data or ""
                )
            except ValueError as exc:
                raise services.ValidationFailed({"vn2000_meridian": [str(exc)]}, [], []) from exc
        else:
            lon, lat = float(form.lon.data), float(form.lat.data)
        location = {
            "lon": lon,
            "lat": lat,
            "address": form.address.data or None,
            "notes": form.notes.data or None,
            "location_source": source,
            "location_approximate": bool(form.location_approximate.data),
            # Named units: the point in "commune or district" mode, checked against
            # coordinates in the others.
            "commune": (form.commune.data or "").strip() or None,
            "district": (form.district.data or "").strip() or None,
        }
    return services.FacilityInput(
        name=form.name.data.strip(),
        type_code=form.type_code.data,
        ownership=Ownership(form.ownership.data),
        province_code=form.province_code.data,
        status=status,
        managing_body=form.managing_body.data or None,
        opened_on=form.opened_on.data,
        status_changed_on=form.status_changed_on.data,
        **form.catalogue_values(),
        design_capacity=form.design_capacity.data,
        capacity_by_group=form.capacity_by_group(),
        residents=form.residents.data,
        staff=form.staff.data,
        services=form.services.data or None,
        registration_no=form.registration_no.data or None,
        licence_no=form.licence_no.data or None,
        **location,
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


def _saved(facility_id: int, warnings: list[str], message: str):
    """Commit a create or edit, show its warnings, and go to the record."""
    db.session.commit()
    for warning in warnings:
        flash(warning, "warning")
    flash(message, "success")
    return redirect(url_for("facilities.detail", facility_id=facility_id))


def _allowed_new_statuses() -> list[Status]:
    """Who may change a facility's status may register an existing one; proposers (planners)
    register planned facilities only."""
    if current_user.can("facilities.change_status"):
        return list(Status)
    return [Status.PLANNED]


@bp.route("/new", methods=["GET", "POST"])
@requires("facilities.edit")
def new():
    form = FacilityForm()
    form.type_code.choices = _type_choices()
    form.province_code.choices = _province_choices()
    form.status.choices = choices(
        (s.value, STATUS_LABELS[s]) for s in _allowed_new_statuses() if s is not Status.CLOSED
    )
    duplicates: list = []
    if request.method == "GET":
        _prefill_from_args(form)
    if form.validate_on_submit():
        ensure_jurisdiction(form.province_code.data)
        try:
            data = _form_to_input(form, status=Status(form.status.data))
            facility, warnings = services.register_facility(
                db.session,
                data,
                actor_id=current_user.id,
                confirm_duplicates=form.confirm_duplicates.data,
                reason=form.reason.data or None,
            )
        except services.ValidationFailed as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicates = exc.duplicates
        else:
            return _saved(
                facility.id, warnings, _("Facility %(code)s registered.", code=facility.code)
            )
    return render_template("facilities/form.html", form=form, facility=None, duplicates=duplicates)


def _prefill_from_args(form: FacilityForm) -> None:
    """The map's click-to-propose opens this form with the point (and planned status)."""
    lat = arg_float(request.args, "lat", low=-90, high=90)
    lon = arg_float(request.args, "lon", low=-180, high=180)
    if lat is not None and lon is not None:
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
    item = _get_visible(facility_id)
    if item.status is Status.CLOSED:
        flash(_("Closed facilities are kept for history and cannot be edited."), "warning")
        return redirect(url_for("facilities.detail", facility_id=item.id))
    form = FacilityForm(obj=item)
    form.type_code.choices = _type_choices()
    form.province_code.choices = _province_choices()
    form.status.choices = choices([(item.status.value, STATUS_LABELS[item.status])])
    form.status.data = item.status.value
    if item.generalised:
        _withhold_location(form)
    duplicates: list = []
    if request.method == "GET":
        form.version.data = str(item.version)
        if not item.generalised and item.location_precision is LocationPrecision.EXACT:
            form.location_mode.data = "latlon"
        elif not item.generalised:
            # A unit's point: edited as the units it stands for.
            form.location_mode.data = "unit_point"
            form.commune.data, form.district.data = item.commune_code, item.district_code
        for group in TARGET_GROUPS:
            getattr(form, f"cap_{group}").data = item.capacity_by_group.get(group)
    if form.validate_on_submit():
        facility = services.for_update(db.session, item.id)
        kept = services.FacilityInput.from_facility(facility) if item.generalised else None
        try:
            data = _form_to_input(form, status=item.status, kept=kept)
            warnings = services.update_facility(
                db.session,
                facility,
                data,
                expected_version=int(form.version.data or 0),
                actor_id=current_user.id,
                confirm_duplicates=form.confirm_duplicates.data,
                reason=form.reason.data or None,
            )
        except services.EditConflict as exc:
            db.session.rollback()
            return _conflict(item.id, exc.attempted, form)
        except services.ValidationFailed as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicates = exc.duplicates
        else:
            return _saved(item.id, warnings, _("Changes saved."))
    return render_template(
        "facilities/form.html",
        form=form,
        facility=item,
        duplicates=duplicates,
        withheld=item.generalised,
    )


CONFLICT_FIELDS = (
    "name",
    "type_code",
    "ownership",
    "managing_body",
    "address",
    "lon",
    "lat",
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


def _conflict(facility_id: int, attempted: services.FacilityInput, form: FacilityForm):
    """Both versions field by field, as the user may see them; the form re-posts the user's
    values on the new version."""
    item = read.get(db.session, _reader(), facility_id) or abort(404)
    theirs = services.FacilityInput.from_record(item)
    rows = []
    for name in CONFLICT_FIELDS:
        if item.generalised and name in WITHHELD_FIELDS:
            continue
        mine, saved = getattr(attempted, name), getattr(theirs, name)
        label = form[name].label.text if name in form else _("Capacity by target group")
        rows.append(
            {"field": name, "label": label, "theirs": saved, "mine": mine, "differs": saved != mine}
        )
    form.version.data = str(item.version)
    if not item.generalised:
        form.location_mode.data = "latlon"
        form.lon.data, form.lat.data = attempted.lon, attempted.lat
    return render_template("facilities/conflict.html", facility=item, rows=rows, form=form), 409


@bp.route("/<int:facility_id>/status", methods=["POST"])
@requires("facilities.change_status")
def change_status(facility_id: int):
    item = _get_visible(facility_id)
    back = redirect(url_for("facilities.detail", facility_id=item.id))
    form = StatusChangeForm()
    form.status.choices = choices(
        (s.value, STATUS_LABELS[s]) for s in workflow.allowed_targets(item.status)
    )
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else name
            flash(f"{label}: {'; '.join(errors)}", "danger")
        return back
    try:
        facility = services.change_status(
            db.session,
            services.for_update(db.session, item.id),
            Status(form.status.data),
            effective_on=form.effective_on.data,
            reason=form.reason.data,
            actor_id=current_user.id,
            expected_version=int(form.version.data or 0),
        )
    except services.RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Status changed to %(status)s.", status=STATUS_LABELS[facility.status]), "success")
    return back


@bp.route("/<int:facility_id>/history")
@requires("facilities.view")
def history(facility_id: int):
    item = _get_visible(facility_id)
    return render_template(
        "facilities/history.html",
        item=item,
        history=audit.history_for(db.session, "facilities", item.id),
        hidden_fields=_hidden_history_fields(item),
        history_labels=_history_labels(),
    )
