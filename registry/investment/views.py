"""Investment pages: the portfolio dashboard, the project page with its S-curve and timeline,
and the forms that record decisions, capital, payments, progress, milestones, contracts,
supervision reports, stage changes and the handover."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import clock as app_clock
from registry import database
from registry.auth.decorators import requires
from registry.errors import NotFound, RegistryError
from registry.extensions import db
from registry.facilities import read
from registry.facilities.vocab import FacilityLevel
from registry.forms import choices
from registry.i18n import _
from registry.investment import bp, charts, checks, services, workflow
from registry.investment.forms import (
    CapitalForm,
    CompleteMilestoneForm,
    ContractForm,
    DecisionForm,
    DisbursementForm,
    HandoverForm,
    MilestoneForm,
    ModificationForm,
    PlannedForm,
    ProgressForm,
    ProjectForm,
    StageForm,
    SupervisionForm,
)
from registry.investment.models import DecisionKind, Kind, Project, Source, SupervisionPeriod
from registry.investment.workflow import Stage


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")


def kind_labels() -> dict[str, str]:
    return {
        Kind.NEW_CONSTRUCTION: _("New construction"),
        Kind.UPGRADE: _("Upgrade"),
        Kind.EXPANSION: _("Expansion"),
        Kind.REPAIR: _("Repair"),
        Kind.EQUIPMENT: _("Equipment"),
    }


def source_labels() -> dict[str, str]:
    locale = _locale()
    return {s: checks.SOURCE_LABELS[s.value][1 if locale == "en" else 0] for s in Source}


def decision_labels() -> dict[str, str]:
    return {
        DecisionKind.POLICY: _("Investment policy decision"),
        DecisionKind.INVESTMENT: _("Investment decision"),
        DecisionKind.ADJUSTMENT: _("Adjustment"),
    }


def period_labels() -> dict[str, str]:
    return {SupervisionPeriod.SIX_MONTH: _("Six-month"), SupervisionPeriod.ANNUAL: _("Annual")}


def milestone_labels() -> dict[str, str]:
    return {
        "preProcurement": _("Preparation"),
        "approval": _("Approval"),
        "engagement": _("Consultation"),
        "assessment": _("Assessment"),
        "delivery": _("Delivery"),
        "reporting": _("Reporting"),
        "financing": _("Financing"),
        "payment": _("Payment"),
        "procurement": _("Procurement"),
        "contractClose": _("Contract close"),
    }


def nature_labels() -> dict[str, str]:
    return {
        "design": _("Design"),
        "construction": _("Construction works"),
        "supervision": _("Supervision"),
    }


def level_labels() -> dict[str, str]:
    return {
        FacilityLevel.PROVINCIAL: _("Provincial"),
        FacilityLevel.DISTRICT: _("District"),
        FacilityLevel.COMMUNE: _("Commune"),
    }


def stage_label(stage: Any) -> str:
    return workflow.label(stage, _locale())


def _labels() -> dict[str, Any]:
    return {
        "kinds": kind_labels(),
        "sources": source_labels(),
        "decisions": decision_labels(),
        "periods": period_labels(),
        "milestone_types": milestone_labels(),
        "natures": nature_labels(),
        "levels": level_labels(),
        "stage": stage_label,
        "flag_codes": {c: v[1 if _locale() == "en" else 0] for c, v in checks.CODES.items()},
        "percent": services.percent,
        "locale": _locale(),
    }


def _version(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _load(project_id: int) -> Project:
    try:
        return services.get_project(db.session, project_id, current_user)
    except NotFound:
        abort(404)


def _back(project_id: int, anchor: str = "") -> Any:
    return redirect(url_for("investment.project", project_id=project_id) + anchor)


def _form_errors(form: Any) -> None:
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "danger")


def _commit_or_flash(fn: Any, done: str) -> bool:
    try:
        fn()
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False
    db.session.commit()
    flash(done, "success")
    return True


# --- the portfolio -----------------------------------------------------------------------------


@bp.route("/")
@requires("investment.view")
def index():
    stage = request.args.get("stage") or None
    kind = request.args.get("kind") or None
    flag = request.args.get("flag") or None
    stage_ = Stage(stage) if stage in {s.value for s in Stage} else None
    kind_ = Kind(kind) if kind in {k.value for k in Kind} else None
    flag_ = flag if flag in checks.CODES else None
    result = services.portfolio(db.session, current_user, stage=stage_, kind=kind_, flag=flag_)
    ids = sorted({r.facility_id for r in result.rows if r.facility_id is not None})
    records = (
        {r.id: r for r in read.records(db.session, read.Reader.of(current_user), ids=ids)}
        if ids
        else {}
    )
    points = []
    for row in result.rows:
        record = records.get(row.facility_id) if row.facility_id else None
        if record is None:
            continue
        points.append(
            {
                "lat": record.lat,
                "lon": record.lon,
                "generalised": record.generalised,
                "label": f"{row.code} · {row.name}",
                "url": url_for("investment.project", project_id=row.id),
            }
        )
    return render_template(
        "investment/index.html",
        portfolio=result,
        points_json=json.dumps(points, ensure_ascii=False),
        labels=_labels(),
        stages=[(s.value, stage_label(s)) for s in Stage],
        filters={"stage": stage_, "kind": kind_, "flag": flag_},
        today=app_clock.today(),
    )


# --- one project -------------------------------------------------------------------------------


def _stage_choices(project: Project) -> list[tuple[str, str]]:
    return [
        (s.value, stage_label(s)) for s in workflow.allowed(project.stage, project.suspended_from)
    ]


def _forms(project: Project) -> dict[str, Any]:
    labels = _labels()
    forms: dict[str, Any] = {
        "decision": DecisionForm(),
        "capital": CapitalForm(),
        "disbursement": DisbursementForm(),
        "progress": ProgressForm(),
        "planned": PlannedForm(),
        "milestone": MilestoneForm(),
        "complete": CompleteMilestoneForm(),
        "contract": ContractForm(),
        "modification": ModificationForm(),
        "supervision": SupervisionForm(),
        "stage": StageForm(version=str(project.version)),
        "handover": HandoverForm(version=str(project.version)),
    }
    _fill(forms)
    forms["stage"].target.choices = choices(_stage_choices(project))
    forms["planned"].points.data = "\n".join(
        f"{p.as_of.strftime('%d/%m/%Y')} {p.physical_pct}" for p in project.planned_progress
    )
    del labels
    return forms


def _fill(forms: dict[str, Any]) -> None:
    sources = choices(list(source_labels().items()))
    if "decision" in forms:
        forms["decision"].kind.choices = choices(list(decision_labels().items()))
    for key in ("capital", "disbursement"):
        if key in forms:
            forms[key].source.choices = sources
    if "milestone" in forms:
        forms["milestone"].milestone_type.choices = choices(list(milestone_labels().items()))
    if "contract" in forms:
        forms["contract"].nature.choices = choices(list(nature_labels().items()))
    if "supervision" in forms:
        forms["supervision"].period.choices = choices(list(period_labels().items()))


@bp.route("/<int:project_id>")
@requires("investment.view")
def project(project_id: int):
    p = _load(project_id)
    today = app_clock.today()
    facility = services.facility_of(db.session, p, current_user)
    flags = services.flags(p, today)
    return render_template(
        "investment/project.html",
        p=p,
        facility=facility,
        money=services.money_summary(p),
        latest=services.latest_progress(p),
        flags=flags,
        decisions=services.decisions_in_order(p),
        proposal=services.handover_proposal(db.session, p, current_user),
        contract_value=services.contract_value,
        contract_end=services.contract_end,
        labels=_labels(),
        forms=_forms(p),
        today=today,
        can_edit=current_user.can("investment.edit"),
        can_handover=current_user.can("investment.handover"),
    )


def _cumulative_disbursed(p: Project, total: int | None) -> list[tuple[date, float]]:
    if not total:
        return []
    out: list[tuple[date, float]] = []
    running = 0
    for payment in sorted(p.disbursements, key=lambda d: (d.paid_on, d.id or 0)):
        running += payment.amount_vnd
        # Rounded for drawing only; the page shows the exact figure.
        pct = float(round(running * 1000 // total) / 10)
        if out and out[-1][0] == payment.paid_on:
            out[-1] = (payment.paid_on, pct)
        else:
            out.append((payment.paid_on, pct))
    return out


def _svg(body: bytes) -> Response:
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.route("/<int:project_id>/scurve.svg")
@requires("investment.view")
def scurve(project_id: int):
    p = _load(project_id)
    data = charts.SCurve(
        title=_("Physical progress and disbursement"),
        planned=[(x.as_of, float(x.physical_pct)) for x in p.planned_progress],
        actual=[(x.as_of, float(x.physical_pct)) for x in p.progress_reports],
        disbursed=_cumulative_disbursed(p, services.approved_total(p)),
        labels={
            "planned": _("Planned progress"),
            "actual": _("Actual progress"),
            "disbursed": _("Disbursed as a share of the approved total"),
            "empty": _("No progress or disbursement recorded yet."),
        },
        today=app_clock.today(),
    )
    return _svg(charts.scurve_svg(data))


@bp.route("/<int:project_id>/timeline.svg")
@requires("investment.view")
def timeline(project_id: int):
    p = _load(project_id)
    today = app_clock.today()
    changes = sorted(p.stage_changes, key=lambda c: (c.occurred_on, c.id or 0))
    spans = []
    for i, change in enumerate(changes):
        end = changes[i + 1].occurred_on if i + 1 < len(changes) else today
        spans.append(
            (stage_label(change.to_stage), change.occurred_on, max(end, change.occurred_on))
        )
    data = charts.Timeline(
        title=_("Stages and milestones"),
        stages=spans,
        milestones=[(m.title, m.planned_on, m.actual_on) for m in p.milestones],
        labels={"empty": _("No stage or milestone recorded yet.")},
        today=today,
    )
    return _svg(charts.timeline_svg(data))


@bp.route("/<int:project_id>/progress/<int:report_id>/photos/<int:index>")
@requires("investment.view")
def progress_photo(project_id: int, report_id: int, index: int):
    from registry import storage

    p = _load(project_id)
    try:
        photo = services.progress_photo(p, report_id, index)
    except NotFound:
        abort(404)

    def audit() -> None:
        with database.writing(db.session):  # a GET that writes: see registry.database
            services.audit_download(db.session, p, f"photo:{photo['name']}", current_user)

    return storage.send_stored_audited(storage.StoredFile.from_record(photo), audit)


# --- recording and editing a project -----------------------------------------------------------


def _project_form_choices(form: ProjectForm) -> None:
    from registry.geography.services import province_choices

    form.kind.choices = choices(list(kind_labels().items()))
    provinces = [(code, name) for code, name in province_choices() if current_user.covers(code)]
    form.province_code.choices = choices(provinces)
    form.level_after.choices = choices([("", "—"), *level_labels().items()])


def _targets(text: str | None) -> list[tuple[str, str]]:
    out = []
    for part in (text or "").replace(";", ",").split(","):
        plan, _sep, rule = part.strip().partition(":")
        if plan.strip() and rule.strip():
            out.append((plan.strip(), rule.strip()))
        elif part.strip():
            raise RegistryError(
                _("Write each plan target as plan:rule, e.g. dak_lak_tgxh_2016_2020:DL-03.")
            )
    return out


def _facility_id(code: str | None) -> int | None:
    code = (code or "").strip()
    if not code:
        return None
    record = read.by_code(db.session, read.Reader.of(current_user), code)
    if record is None:
        raise RegistryError(_("No facility has this registry code."), field="facility_code")
    return record.id


def _input(form: ProjectForm) -> services.ProjectInput:
    return services.ProjectInput(
        code=form.code.data or "",
        name=form.name.data or "",
        kind=Kind(form.kind.data),
        province_code=form.province_code.data,
        facility_id=_facility_id(form.facility_code.data),
        owner=form.owner.data or "",
        description=form.description.data,
        capacity_before=form.capacity_before.data,
        capacity_after=form.capacity_after.data,
        level_after=form.level_after.data or None,
        planned_start=form.planned_start.data,
        planned_end=form.planned_end.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("investment.edit")
def new():
    form = ProjectForm()
    _project_form_choices(form)
    if request.method == "GET" and request.args.get("facility"):
        form.facility_code.data = request.args["facility"]
    if form.validate_on_submit():
        try:
            project = services.create_project(
                db.session,
                _input(form),
                actor=current_user,
                targets=_targets(form.targets.data),
            )
        except RegistryError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The project was recorded."), "success")
            return redirect(url_for("investment.project", project_id=project.id))
    return render_template("investment/form.html", form=form, project=None), (
        422 if form.errors else 200
    )


def _attach(form: Any, exc: RegistryError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")
        form.form_errors.append(exc.message)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@requires("investment.edit")
def edit(project_id: int):
    p = _load(project_id)
    form = ProjectForm(obj=p if request.method == "GET" else None)
    _project_form_choices(form)
    if request.method == "GET":
        form.version.data = str(p.version)
        form.kind.data = p.kind.value
        form.targets.data = ", ".join(f"{t.plan_code}:{t.rule_code}" for t in p.targets)
        form.level_after.data = p.level_after or ""
        if p.facility_id:
            record = services.facility_of(db.session, p, current_user)
            form.facility_code.data = record.code if record else ""
    elif form.validate_on_submit():
        try:
            services.update_project(
                db.session,
                p,
                _input(form),
                expected_version=_version(form.version.data) or 0,
                actor=current_user,
                reason=form.reason.data,
            )
            services.set_targets(db.session, p, _targets(form.targets.data), actor=current_user)
        except RegistryError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The project was saved."), "success")
            return _back(p.id)
    return render_template("investment/form.html", form=form, project=p), (
        422 if form.errors else 200
    )


def _post(project_id: int, form_cls: Any, key: str, action: Any, done: str, anchor: str) -> Any:
    p = _load(project_id)
    form = form_cls()
    _fill({key: form})
    if key == "stage":
        form.target.choices = choices(_stage_choices(p))
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(project_id, anchor)
    _commit_or_flash(lambda: action(p, form), done)
    return _back(project_id, anchor)


@bp.route("/<int:project_id>/decisions", methods=["POST"])
@requires("investment.edit")
def add_decision(project_id: int):
    return _post(
        project_id,
        DecisionForm,
        "decision",
        lambda p, f: services.add_decision(
            db.session,
            p,
            kind=DecisionKind(f.kind.data),
            number=f.number.data,
            signed_on=f.signed_on.data,
            authority=f.authority.data,
            total_vnd=f.total_vnd.data,
            reason=f.reason.data,
            actor=current_user,
        ),
        _("The decision was recorded."),
        "#decisions",
    )


@bp.route("/<int:project_id>/capital", methods=["POST"])
@requires("investment.edit")
def set_capital(project_id: int):
    return _post(
        project_id,
        CapitalForm,
        "capital",
        lambda p, f: services.set_capital_plan(
            db.session,
            p,
            year=f.year.data,
            source=Source(f.source.data),
            amount_vnd=f.amount_vnd.data,
            decision_number=f.decision_number.data,
            decision_on=f.decision_on.data,
            extended_until=f.extended_until.data,
            actor=current_user,
        ),
        _("The capital plan was saved."),
        "#money",
    )


@bp.route("/<int:project_id>/disbursements", methods=["POST"])
@requires("investment.edit")
def add_disbursement(project_id: int):
    return _post(
        project_id,
        DisbursementForm,
        "disbursement",
        lambda p, f: services.add_disbursement(
            db.session,
            p,
            paid_on=f.paid_on.data,
            amount_vnd=f.amount_vnd.data,
            source=Source(f.source.data),
            capital_year=f.capital_year.data,
            reference=f.reference.data,
            actor=current_user,
        ),
        _("The disbursement was recorded."),
        "#money",
    )


@bp.route("/<int:project_id>/progress", methods=["POST"])
@requires("investment.edit")
def add_progress(project_id: int):
    return _post(
        project_id,
        ProgressForm,
        "progress",
        lambda p, f: services.add_progress(
            db.session,
            p,
            as_of=f.as_of.data,
            physical_pct=f.physical_pct.data,
            narrative=f.narrative.data,
            problems=f.problems.data,
            photos=request.files.getlist("photos"),
            actor=current_user,
        ),
        _("The progress report was recorded."),
        "#progress",
    )


def _points(text: str) -> list[tuple[date, int]]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.replace("%", " ").split()
        try:
            when = datetime.strptime(parts[0], "%d/%m/%Y").date()
            pct = int(parts[1])
        except (ValueError, IndexError):
            raise RegistryError(
                _("Each line is a date and a percentage, e.g. 30/06/2025 40."), field="points"
            ) from None
        out.append((when, pct))
    return out


@bp.route("/<int:project_id>/planned", methods=["POST"])
@requires("investment.edit")
def set_planned(project_id: int):
    return _post(
        project_id,
        PlannedForm,
        "planned",
        lambda p, f: services.set_planned_progress(
            db.session, p, _points(f.points.data or ""), actor=current_user
        ),
        _("The planned progress was saved."),
        "#progress",
    )


@bp.route("/<int:project_id>/milestones", methods=["POST"])
@requires("investment.edit")
def add_milestone(project_id: int):
    return _post(
        project_id,
        MilestoneForm,
        "milestone",
        lambda p, f: services.add_milestone(
            db.session,
            p,
            title=f.title.data,
            milestone_type=f.milestone_type.data,
            planned_on=f.planned_on.data,
            actual_on=f.actual_on.data,
            actor=current_user,
        ),
        _("The milestone was recorded."),
        "#milestones",
    )


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/complete", methods=["POST"])
@requires("investment.edit")
def complete_milestone(project_id: int, milestone_id: int):
    return _post(
        project_id,
        CompleteMilestoneForm,
        "complete",
        lambda p, f: services.complete_milestone(
            db.session, p, milestone_id, actual_on=f.actual_on.data, actor=current_user
        ),
        _("The milestone was marked as reached."),
        "#milestones",
    )


@bp.route("/<int:project_id>/contracts", methods=["POST"])
@requires("investment.edit")
def add_contract(project_id: int):
    return _post(
        project_id,
        ContractForm,
        "contract",
        lambda p, f: services.add_contract(
            db.session,
            p,
            number=f.number.data,
            title=f.title.data,
            contractor=f.contractor.data,
            nature=f.nature.data,
            signed_on=f.signed_on.data,
            value_vnd=f.value_vnd.data,
            end_on=f.end_on.data,
            actor=current_user,
        ),
        _("The contract was recorded."),
        "#contracts",
    )


@bp.route("/<int:project_id>/contracts/<int:contract_id>/modifications", methods=["POST"])
@requires("investment.edit")
def modify_contract(project_id: int, contract_id: int):
    return _post(
        project_id,
        ModificationForm,
        "modification",
        lambda p, f: services.modify_contract(
            db.session,
            p,
            contract_id,
            signed_on=f.signed_on.data,
            new_value_vnd=f.new_value_vnd.data,
            new_end_on=f.new_end_on.data,
            reason=f.reason.data,
            actor=current_user,
        ),
        _("The contract modification was recorded."),
        "#contracts",
    )


@bp.route("/<int:project_id>/supervision", methods=["POST"])
@requires("investment.edit")
def add_supervision(project_id: int):
    return _post(
        project_id,
        SupervisionForm,
        "supervision",
        lambda p, f: services.add_supervision_report(
            db.session,
            p,
            year=f.year.data,
            period=SupervisionPeriod(f.period.data),
            submitted_on=f.submitted_on.data,
            reference=f.reference.data,
            actor=current_user,
        ),
        _("The supervision report was recorded."),
        "#supervision",
    )


@bp.route("/<int:project_id>/stage", methods=["POST"])
@requires("investment.edit")
def change_stage(project_id: int):
    return _post(
        project_id,
        StageForm,
        "stage",
        lambda p, f: services.change_stage(
            db.session,
            p,
            Stage(f.target.data),
            occurred_on=f.occurred_on.data,
            reason=f.reason.data,
            expected_version=_version(f.version.data) or 0,
            actor=current_user,
        ),
        _("The project moved to its new stage."),
        "#stages",
    )


@bp.route("/<int:project_id>/handover", methods=["POST"])
@requires("investment.handover")
def handover(project_id: int):
    return _post(
        project_id,
        HandoverForm,
        "handover",
        lambda p, f: services.confirm_handover(
            db.session, p, actor=current_user, expected_version=_version(f.version.data) or 0
        ),
        _("The handover was confirmed: the facility's record was updated."),
        "#handover",
    )
