"""Demand layers, their map and exports, and facility figures. Thin: every figure comes from
``demand.read`` already protected for the reader."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from registry import clock
from registry.auth.decorators import requires
from registry.cells import table_bytes
from registry.demand import bp, read, services
from registry.demand.forms import FigureForm, LayerImportForm
from registry.demand.importer import COLUMN_LABELS, DemandImportFailed
from registry.demand.read import DemandReader
from registry.demand.vocab import FIGURE_LABELS, FigureKind, Measure
from registry.extensions import db
from registry.facilities import catalogue
from registry.facilities import read as facilities_read
from registry.facilities.imports import UploadRejected, detect_format
from registry.geography.models import Edition
from registry.geography.services import province_choices
from registry.http import flash_form_errors, send_table
from registry.i18n import _


def _reader() -> DemandReader:
    return DemandReader.of(current_user)


def _locale() -> str:
    return str(get_locale() or "vi")


def _province_choices() -> list[tuple[str, str]]:
    return [(c, n) for c, n in province_choices() if current_user.covers(c)]


def _view(layer_id: int) -> read.LayerView:
    view = read.layer(db.session, _reader(), layer_id)
    if view is None:
        abort(404)
    return view


@bp.route("/")
@requires("demand.view")
def index():
    reader = _reader()
    return render_template(
        "demand/index.html",
        layers=read.layers(db.session, reader),
        threshold=reader.threshold,
        protected=not reader.may_see_small,
        provinces=dict(province_choices()),
    )


@bp.route("/import", methods=["GET", "POST"])
@requires("demand.import")
def import_layer():
    form = LayerImportForm()
    form.province.choices = _province_choices()
    if not form.province.data:
        form.province.data = current_user.province_code or "75"
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            fmt = detect_format(upload.filename or "")
            if fmt not in ("csv", "xlsx"):
                raise UploadRejected(_("Only .csv and .xlsx files hold counts."))
            layer = services.import_layer(
                db.session,
                upload.read(),
                fmt,
                services.LayerInput(
                    measure=Measure(form.measure.data),
                    province_code=form.province.data,
                    edition=Edition(form.edition.data),
                    as_of=form.as_of.data,
                    source=form.source.data,
                    file_name=(upload.filename or "")[:255],
                ),
                actor=current_user,
            )
        except UploadRejected as exc:
            form.file.errors = [exc.message]
        except DemandImportFailed as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            db.session.commit()
            flash(_("The counts were imported: %(n)d communes.", n=len(layer.counts)), "success")
            return redirect(url_for("demand.layer", layer_id=layer.id))
    return render_template(
        "demand/import.html", form=form, problems=problems, column_labels=COLUMN_LABELS
    ), (422 if problems else 200)


@bp.route("/layers/<int:layer_id>")
@requires("demand.view")
def layer(layer_id: int):
    view = _view(layer_id)
    supply = read.capacity_per_need(
        db.session, _reader(), facilities_read.Reader.of(current_user), view
    )
    return render_template("demand/layer.html", view=view, supply=supply)


@bp.route("/layers/<int:layer_id>.json")
@requires("demand.view")
def layer_json(layer_id: int):
    return jsonify(read.to_json(_view(layer_id)))


@bp.route("/layers/<int:layer_id>/export.<any(csv, xlsx):fmt>")
@requires("demand.view")
def layer_export(layer_id: int, fmt: str):
    view = _view(layer_id)
    labels = {
        "code": _("Unit code"),
        "name": _("Unit name"),
        "total": _("Total"),
        "male": _("Men"),
        "female": _("Women"),
        "method": _("Method"),
        "complete": _("Every predecessor counted"),
        "sources": _("Source units (share)"),
    }
    rows = read.export_rows(view)
    body = table_bytes(
        fmt,
        [labels[f] for f in read.EXPORT_FIELDS],
        ([row[f] for f in read.EXPORT_FIELDS] for row in rows),
    )
    return send_table(body, fmt, f"demand-{view.layer.id}-{view.layer.as_of:%Y%m%d}")


@bp.route("/layers/<int:layer_id>/map")
@requires("demand.view")
def layer_map(layer_id: int):
    view = _view(layer_id)
    return render_template(
        "demand/map.html",
        view=view,
        boundaries_url=url_for(
            "maps.boundaries", edition="2025", level="commune", province=view.layer.province_code
        ),
        values=read.map_values(view),
    )


@bp.route("/layers/<int:layer_id>/map.json")
@requires("demand.view")
def layer_map_json(layer_id: int):
    return jsonify(read.map_values(_view(layer_id)))


# --- facility figures -----------------------------------------------------------------------


def _facility(facility_id: int) -> facilities_read.FacilityRecord:
    record = facilities_read.get(db.session, facilities_read.Reader.of(current_user), facility_id)
    if record is None:
        abort(404)
    return record


def _figure_form() -> FigureForm:
    form = FigureForm()
    form.target_group.choices = [
        ("", _("All groups")),
        *catalogue.choices("target_groups", _locale()),
    ]
    return form


@bp.route("/facilities/<int:facility_id>/figures")
@requires("facilities.view")
def facility_figures(facility_id: int):
    record = _facility(facility_id)
    return render_template(
        "demand/facility_figures.html",
        record=record,
        figures=read.facility_figures(db.session, _reader(), [record.id]),
        form=_figure_form() if current_user.can("facilities.edit") else None,
        figure_labels={k: str(v) for k, v in FIGURE_LABELS.items()},
        group_labels=dict(catalogue.choices("target_groups", _locale())),
    )


@bp.route("/facilities/<int:facility_id>/figures", methods=["POST"])
@requires("facilities.edit")
def record_figure(facility_id: int):
    record = _facility(facility_id)
    form = _figure_form()
    if form.validate_on_submit():
        try:
            services.record_figure(
                db.session,
                facilities_read.Reader.of(current_user),
                record.id,
                services.FigureInput(
                    kind=FigureKind(form.kind.data),
                    as_of=form.as_of.data,
                    total=form.total.data,
                    male=form.male.data,
                    female=form.female.data,
                    source=form.source.data,
                    target_group=form.target_group.data or None,
                ),
                actor=current_user,
            )
        except services.FigureRefused as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("The figure was saved."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("demand.facility_figures", facility_id=record.id))


def _figures_province() -> str:
    province = request.args.get("province") or current_user.province_code or "75"
    if province not in dict(province_choices()):
        abort(404)
    if not current_user.covers(province):
        abort(403)
    return province


def _figure_rows(province: str) -> list[read.FigureRow]:
    return read.figures_by_unit(
        db.session, _reader(), facilities_read.Reader.of(current_user), province
    )


@bp.route("/figures")
@requires("demand.view")
def figures():
    province = _figures_province()
    return render_template(
        "demand/figures.html",
        rows=_figure_rows(province),
        province=province,
        provinces=_province_choices(),
        locale=_locale(),
    )


@bp.route("/figures.<any(csv, xlsx):fmt>")
@requires("demand.view")
def figures_export(fmt: str):
    province = _figures_province()
    locale = _locale()
    headers = [
        _("Unit code"),
        _("Unit name"),
        _("Figure"),
        _("Target group"),
        _("As of"),
        _("Facilities"),
        _("Total"),
        _("Men"),
        _("Women"),
    ]
    rows = [
        [
            r.unit_code,
            r.unit_name,
            r.kind_label,
            r.target_group_label(locale) or _("All groups"),
            r.as_of.strftime("%d/%m/%Y"),
            r.facilities,
            r.total.json(),
            r.male.json(),
            r.female.json(),
        ]
        for r in _figure_rows(province)
    ]
    return send_table(
        table_bytes(fmt, headers, rows), fmt, f"facility-figures-{province}-{clock.today():%Y%m%d}"
    )
