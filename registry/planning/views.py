"""Planning pages: plans and their targets, checks and exports, scenarios (map, adoption,
comparison), coverage and siting. Thin: parse, call a service, render or redirect."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from registry.auth.decorators import requires
from registry.bounds import VIETNAM_BBOX
from registry.demand import read as demand_read
from registry.demand.read import DemandReader
from registry.errors import PermissionDenied
from registry.extensions import db
from registry.facilities import read
from registry.facilities import services as facility_services
from registry.facilities.forms import STATUS_LABELS
from registry.facilities.read import Reader
from registry.forms import choices
from registry.geography import services as geography
from registry.geography.services import province_choices
from registry.http import arg_float, arg_int, arg_ints, parse_int
from registry.i18n import _
from registry.planning import bp, reports, services, siting
from registry.planning.forms import (
    ACTION_LABELS,
    AnalysisForm,
    CheckForm,
    ConfirmForm,
    CopyForm,
    CoverageForm,
    ItemForm,
    ScenarioForm,
    SitingForm,
    TargetForm,
    TargetsImportForm,
)
from registry.planning.models import ItemAction, PlanRule, Scenario, ScenarioItem
from registry.planning.rules import Status

RESULT_CLASSES = {
    Status.PASS: "success",
    Status.FAIL: "danger",
    Status.NOT_EVALUABLE: "secondary",
    Status.NOT_SET: "warning",
}


def _reader() -> Reader:
    return Reader.of(current_user)


def _locale() -> str:
    return str(get_locale() or "vi")


def _result_labels() -> dict[Status, str]:
    return {
        Status.PASS: _("Pass"),
        Status.FAIL: _("Fail"),
        Status.NOT_EVALUABLE: _("Not evaluable"),
        Status.NOT_SET: _("Not set"),
    }


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"result_classes": RESULT_CLASSES, "action_labels": ACTION_LABELS}


def _get_scenario(scenario_id: int) -> Scenario:
    scenario = db.get_or_404(Scenario, scenario_id)
    if not current_user.covers(scenario.province_code):
        abort(404)  # other provinces' scenarios are not revealed
    return scenario


def _scenario_choices(blank: str) -> list:
    scenarios = services.visible_scenarios(db.session, current_user)
    return choices([("", blank)] + [(str(s.id), s.name) for s in scenarios])


def _type_choices() -> list:
    return choices(
        (t.code, t.name(_locale())) for t in facility_services.facility_types(db.session)
    )


def _province_choices() -> list:
    return choices((code, name) for code, name in province_choices() if current_user.covers(code))


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def map_link(types: list[str] | None, province: str | None, failing_unit: str | None = None) -> str:
    """The main map filtered to the facilities a rule counts (and a failing unit, if any)."""
    params: list[tuple[str, str]] = []
    if province:
        params.append(("province", province))
    if failing_unit and len(failing_unit) in (3, 5):
        params.append(("district" if len(failing_unit) == 3 else "commune", failing_unit))
    for code in types or []:
        params.append(("type", code))
    return "/map/?" + urlencode(params)


def _rule_types(run: services.CheckRun) -> dict[tuple[str, str], list[str]]:
    return {
        (row.code, rule.code): list(services.effective_params(rule).get("types") or [])
        for row, _report in run.reports
        for rule in row.rules
    }


# --- plans and targets -----------------------------------------------------------------------


@bp.route("/")
@requires("plans.view")
def index():
    form = CheckForm(request.args)
    plans = services.all_plans(db.session)
    form.plan.choices = choices([("", _("All plans"))] + [(p.code, p.code) for p in plans])
    form.scenario.choices = _scenario_choices(_("Registry as it is"))
    return render_template(
        "planning/index.html",
        plans=plans,
        form=form,
        scenarios=services.visible_scenarios(db.session, current_user),
        locale=_locale(),
    )


@bp.route("/plans/<code>")
@requires("plans.view")
def plan(code: str):
    row = services.plan_by_code(db.session, code) or abort(404)
    slots = {rule.id: services.target_slots(rule) for rule in row.rules}
    unit_codes = [s.unit_code for rule_slots in slots.values() for s in rule_slots if s.unit_code]
    return render_template(
        "planning/plan.html",
        plan=row,
        slots=slots,
        unit_names=geography.unit_names(db.session, unit_codes, row.edition),
        target_form=TargetForm(),
        locale=_locale(),
        params=services.effective_params,
    )


@bp.route("/plans/<code>/rules/<int:rule_id>/target", methods=["POST"])
@requires("plans.edit")
def set_target(code: str, rule_id: int):
    rule = db.get_or_404(PlanRule, rule_id)
    if rule.plan.code != code:
        abort(404)
    form = TargetForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{field}: {'; '.join(map(str, errors))}", "danger")
        return redirect(url_for(".plan", code=code))
    try:
        services.set_rule_target(
            db.session,
            rule,
            form.key.data,
            form.value.data,
            unit_code=form.unit_code.data or None,
            reason=form.reason.data,
            editor_province=current_user.province_code,
        )
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except services.PlanningError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".plan", code=code))
    db.session.commit()
    flash(_("Target saved."), "success")
    return redirect(url_for(".plan", code=code, _anchor=f"rule-{rule.id}"))


@bp.route("/targets.xlsx")
@requires("plans.edit")
def targets_template():
    data = reports.targets_template(services.all_plans(db.session))
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=plan_targets.xlsx"},
    )


@bp.route("/targets/import", methods=["GET", "POST"])
@requires("plans.edit")
def import_targets():
    form = TargetsImportForm()
    errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        try:
            rows = reports.read_targets(form.file.data.stream)
            count = services.import_targets(
                db.session,
                rows,
                reason=form.reason.data,
                editor_province=current_user.province_code,
            )
        except reports.TargetsFileError as exc:
            errors = exc.errors
        except services.TargetImportFailed as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("%(count)d targets imported.", count=count), "success")
            return redirect(url_for(".index"))
        flash(_("The file has errors; nothing was imported."), "danger")
    return render_template("planning/import_targets.html", form=form, errors=errors)


# --- checks ----------------------------------------------------------------------------------


def _run_check(plan_code: str | None, scenario: Scenario | None, as_of: date | None):
    return services.run_check(
        db.session,
        _reader(),
        [plan_code] if plan_code else None,
        as_of=as_of,
        jurisdiction=current_user.province_code,
        scenario=scenario,
    )


@bp.route("/check")
@requires("plans.view")
def check():
    plan_code = request.args.get("plan") or None
    scenario_id = arg_int(request.args, "scenario", low=1)
    scenario = _get_scenario(scenario_id) if scenario_id else None
    as_of = _parse_date(request.args.get("as_of"))
    try:
        run = _run_check(plan_code, scenario, as_of)
    except services.PlanningError:
        abort(404)
    fmt = request.args.get("format", "html")
    stem = f"plan_check_{run.as_of:%Y%m%d}"
    if fmt == "json":
        return jsonify(reports.report_dict(run))
    if fmt == "csv":
        return Response(
            reports.report_csv(run),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={stem}.csv"},
        )
    if fmt == "xlsx":
        return Response(
            reports.report_xlsx(run),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename={stem}.xlsx"},
        )
    if fmt == "pdf":
        return Response(
            reports.report_pdf(run),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment; filename={stem}.pdf"},
        )
    province = run.jurisdiction
    return render_template(
        "planning/check.html",
        run=run,
        labels=_result_labels(),
        locale=_locale(),
        map_link=map_link,
        province=province,
        rule_types=_rule_types(run),
        args={k: v for k, v in request.args.items() if k != "format"},
    )


# --- scenarios -------------------------------------------------------------------------------


@bp.route("/scenarios/new", methods=["GET", "POST"])
@requires("scenarios.edit")
def new_scenario():
    form = ScenarioForm()
    form.province_code.choices = _province_choices()
    if current_user.province_code and request.method == "GET":
        form.province_code.data = current_user.province_code
    if form.validate_on_submit():
        if not current_user.covers(form.province_code.data):
            abort(403)
        scenario = services.create_scenario(
            db.session,
            name=form.name.data,
            province_code=form.province_code.data,
            target_year=form.target_year.data,
            notes=form.notes.data,
            actor_id=current_user.id,
        )
        db.session.commit()
        flash(_("Scenario created."), "success")
        return redirect(url_for(".scenario", scenario_id=scenario.id))
    return render_template("planning/scenario_form.html", form=form)


def _item_form(scenario: Scenario) -> ItemForm:
    form = ItemForm()
    form.type_code.choices = _type_choices()
    form.new_status.choices = choices(
        [("", "—")]
        + [(s.value, label) for s, label in STATUS_LABELS.items() if s.value != "closed"]
    )
    return form


@bp.route("/scenarios/<int:scenario_id>")
@requires("plans.view")
def scenario(scenario_id: int):
    scenario = _get_scenario(scenario_id)
    facilities = services.scenario_facilities(db.session, _reader(), scenario)
    item_form = _item_form(scenario)
    item_form.lat.data = arg_float(request.args, "lat", low=VIETNAM_BBOX[1], high=VIETNAM_BBOX[3])
    item_form.lon.data = arg_float(request.args, "lon", low=VIETNAM_BBOX[0], high=VIETNAM_BBOX[2])
    if request.args.get("type_code"):
        item_form.type_code.data = request.args["type_code"]
    if request.args.get("name"):
        item_form.name.data = request.args["name"]
    return render_template(
        "planning/scenario.html",
        scenario=scenario,
        item_form=item_form,
        copy_form=CopyForm(name=f"{scenario.name} (2)"),
        confirm_form=ConfirmForm(),
        facilities=facilities,
        plans=services.all_plans(db.session),
        views=services.item_views(db.session, _reader(), scenario),
    )


def _feature(lon: float | None, lat: float | None, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


@bp.route("/scenarios/<int:scenario_id>/map.json")
@requires("plans.view")
def scenario_map(scenario_id: int):
    """The scenario's proposals as GeoJSON (existing facilities come from the main map)."""
    scenario = _get_scenario(scenario_id)
    views = services.item_views(db.session, _reader(), scenario)
    features = []
    for item in scenario.items:
        view = views[item.id]
        if item.action is not ItemAction.ADD or view.lon is None or view.lat is None:
            continue
        props = {
            "id": item.id,
            "name": item.name,
            "action": item.action.value,
            "type_code": item.type_code,
            "scenario": scenario.name,
            "scenario_id": scenario.id,
        }
        if view.generalised:
            props["gen"] = True
        features.append(_feature(view.lon, view.lat, props))
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.route("/scenarios/<int:scenario_id>/items", methods=["POST"])
@requires("scenarios.edit")
def add_item(scenario_id: int):
    scenario = _get_scenario(scenario_id)
    form = _item_form(scenario)
    back = url_for(".scenario", scenario_id=scenario.id)
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {'; '.join(map(str, errors))}", "danger")
        return redirect(back)
    action = ItemAction(form.action.data)
    facility = None
    if action is not ItemAction.ADD and form.facility_id.data:
        facility = read.get(db.session, _reader(), form.facility_id.data)
    try:
        services.add_item(
            db.session,
            scenario,
            action=action,
            facility=facility,
            name=form.name.data,
            type_code=form.type_code.data,
            ownership=form.ownership.data,
            lon=form.lon.data,
            lat=form.lat.data,
            design_capacity=form.design_capacity.data,
            new_status=form.new_status.data or None,
            notes=form.notes.data,
        )
    except services.PlanningError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(_("Added to the scenario."), "success")
    return redirect(back)


@bp.route("/scenarios/<int:scenario_id>/items/<int:item_id>/delete", methods=["POST"])
@requires("scenarios.edit")
def delete_item(scenario_id: int, item_id: int):
    scenario = _get_scenario(scenario_id)
    item = db.get_or_404(ScenarioItem, item_id)
    if item.scenario_id != scenario.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_item(db.session, item)
        except services.PlanningError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Removed from the scenario."), "success")
    return redirect(url_for(".scenario", scenario_id=scenario.id))


@bp.route("/scenarios/<int:scenario_id>/copy", methods=["POST"])
@requires("scenarios.edit")
def copy_scenario(scenario_id: int):
    scenario = _get_scenario(scenario_id)
    form = CopyForm()
    if not form.validate_on_submit():
        flash(_("Give the copy a name."), "danger")
        return redirect(url_for(".scenario", scenario_id=scenario.id))
    new = services.copy_scenario(
        db.session, scenario, name=form.name.data, actor_id=current_user.id
    )
    db.session.commit()
    flash(_("Scenario copied."), "success")
    return redirect(url_for(".scenario", scenario_id=new.id))


@bp.route("/scenarios/<int:scenario_id>/adopt", methods=["POST"])
@requires("scenarios.adopt")
def adopt(scenario_id: int):
    scenario = _get_scenario(scenario_id)
    back = url_for(".scenario", scenario_id=scenario.id)
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    try:
        created = services.adopt_scenario(db.session, scenario, actor_id=current_user.id)
    except services.PlanningError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(
        _("Scenario adopted: %(count)d planned facilities registered.", count=len(created)),
        "success",
    )
    return redirect(back)


@bp.route("/compare")
@requires("plans.view")
def compare():
    ids = arg_ints(request.args, "ids", low=1)
    scenarios = [_get_scenario(i) for i in dict.fromkeys(ids)]
    plans = services.all_plans(db.session)
    plan_code = request.args.get("plan") or None
    as_of = _parse_date(request.args.get("as_of"))
    if as_of is None and scenarios:
        as_of = max(services.scenario_as_of(s) for s in scenarios)
    columns = []
    if plan_code and len(scenarios) >= 2:
        province = scenarios[0].province_code
        try:
            columns.append(
                (
                    _("Registry"),
                    services.run_check(
                        db.session, _reader(), [plan_code], as_of=as_of, jurisdiction=province
                    ),
                )
            )
            for s in scenarios:
                columns.append(
                    (
                        s.name,
                        services.run_check(
                            db.session,
                            _reader(),
                            [plan_code],
                            as_of=as_of,
                            jurisdiction=province,
                            scenario=s,
                        ),
                    )
                )
        except services.PlanningError:
            abort(404)
    return render_template(
        "planning/compare.html",
        plans=plans,
        plan_code=plan_code,
        scenarios=scenarios,
        columns=columns,
        labels=_result_labels(),
        locale=_locale(),
        all_scenarios=services.visible_scenarios(db.session, current_user),
        as_of=as_of,
    )


# --- coverage and siting ---------------------------------------------------------------------


def _analysis_form(form_cls: type[AnalysisForm]) -> AnalysisForm:
    form = form_cls(request.args)
    form.province.choices = _province_choices()
    form.type_code.choices = _type_choices()
    form.scenario.choices = _scenario_choices(_("Registry as it is"))
    if not form.province.data:
        form.province.data = current_user.province_code or "75"
    if not current_user.covers(form.province.data):
        abort(403)
    _demand_choices(form, DemandReader.of(current_user))
    return form


def _demand_choices(form: AnalysisForm, reader: DemandReader) -> None:
    form.demand.choices = [("", _("Population"))] + [
        (str(layer.id), layer.label)
        for layer in demand_read.layers(db.session, reader)
        if layer.province_code == form.province.data
    ]


def _form_scenario(form: AnalysisForm) -> Scenario | None:
    if not form.scenario.data:
        return None
    scenario = _get_scenario(parse_int(form.scenario.data, low=1) or abort(404))
    if scenario.province_code != form.province.data:
        abort(404)
    return scenario


@bp.route("/coverage")
@requires("plans.view")
def coverage():
    form = _analysis_form(CoverageForm)
    demand_reader = DemandReader.of(current_user)
    result = None
    if form.type_code.data and form.validate():
        try:
            result = services.coverage(
                db.session,
                _reader(),
                province_code=form.province.data,
                type_codes=[form.type_code.data],
                distance_km=float(form.distance_km.data or 15),
                level=form.level.data,
                scenario=_form_scenario(form),
                demand_layer=parse_int(form.demand.data, low=1),
                demand_reader=demand_reader,
            )
        except services.PlanningError:
            abort(404)
    map_data = None
    if result is not None:
        basis = result.demand_basis
        map_data = {
            "radius_km": result.analysis.distance_km,
            "demand": [
                [
                    d.lon,
                    d.lat,
                    p.covered,
                    f"{d.name} ({d.code})"
                    + (
                        f": {basis.shown[d.code].text}"
                        if basis and basis.shown[d.code].text
                        else ""
                    ),
                ]
                for d, p in zip(result.demand, result.analysis.points, strict=True)
                if d.lon is not None
            ],
            "supply": [[s.lon, s.lat, s.label] for s in result.supply],
        }
    return render_template("planning/coverage.html", form=form, result=result, map_data=map_data)


@bp.route("/siting")
@requires("plans.view")
def siting_view():
    form = _analysis_form(SitingForm)
    result, candidates, error, published = None, {}, None, None
    scenario = _form_scenario(form)
    if form.type_code.data and form.validate():
        demand_reader = DemandReader.of(current_user)
        layer_id = parse_int(form.demand.data, low=1)
        layer, counts = None, None
        try:
            if layer_id is not None:
                layer, counts = services.layer_counts(
                    db.session, demand_reader, layer_id, form.province.data
                )
            result, candidates = services.suggest_sites(
                db.session,
                _reader(),
                province_code=form.province.data,
                type_codes=[form.type_code.data],
                distance_km=float(form.distance_km.data or 15),
                level=form.level.data,
                model=form.model.data,
                k=int(form.k.data or 3),
                time_limit_s=float(form.time_limit.data or 20),
                scenario=scenario,
                demand_counts=counts,
            )
        except siting.SitingError as exc:
            error = str(exc)
        except services.PlanningError:
            abort(404)
        if result is not None and layer is not None and counts is not None:
            published = services.published_siting(result, layer, counts, demand_reader)
    return render_template(
        "planning/siting.html",
        form=form,
        result=result,
        candidates=candidates,
        error=error,
        scenario=scenario,
        item_form=_item_form(scenario) if scenario else None,
        published=published,
    )
