"""Investment domain logic: plain functions taking a session and plain values.

Views parse and render; these functions check the rules, change the records and leave the
commit to the request edge. Facilities are read through ``facilities.read`` and changed only
through ``facilities.services`` (handover). Money is integer VND; rates are ``Fraction``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from registry import clock as app_clock
from registry.audit.context import set_actor, set_reason
from registry.errors import ConflictError, NotFound, PermissionDenied, RegistryError
from registry.facilities import read
from registry.facilities import services as facilities
from registry.facilities.vocab import FacilityLevel, Status
from registry.i18n import _l
from registry.investment import checks, workflow
from registry.investment.models import (
    CapitalPlan,
    Contract,
    ContractModification,
    DecisionKind,
    Disbursement,
    Kind,
    Milestone,
    PlannedProgress,
    ProgressReport,
    Project,
    ProjectDecision,
    ProjectFunding,
    ProjectTarget,
    Source,
    StageChange,
    SupervisionPeriod,
    SupervisionReport,
)
from registry.investment.workflow import Stage

# The OC4IDS 0.9.4 milestoneType codelist (shared/standards/oc4ids-0.9.4/codelists).
MILESTONE_TYPES = (
    "preProcurement",
    "approval",
    "engagement",
    "assessment",
    "delivery",
    "reporting",
    "financing",
    "payment",
    "procurement",
    "contractClose",
)
CONTRACT_NATURES = ("design", "construction", "supervision")
# A year the app accepts for capital plans and reports (the programme started in 2016).
MIN_YEAR, MAX_YEAR = 2000, 2100


class InvestmentError(RegistryError):
    pass


def _today() -> date:
    return app_clock.today()


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def _actor_label(actor: Any) -> str:
    return str(getattr(actor, "username", None) or actor or "system")[:120]


def _audit(session: Session, actor: Any, reason: str | None = None) -> None:
    set_actor(session, actor)
    set_reason(session, reason)


def _covers(user: Any, province_code: str | None) -> bool:
    return bool(user is not None and user.covers(province_code))


def _check_version(project: Project, expected_version: int | None) -> None:
    if expected_version is not None and project.version != expected_version:
        raise ConflictError(str(_l("This project was changed by someone else; reload it.")))


def _positive(amount: int | None, field_name: str) -> int:
    if amount is None or isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvestmentError(
            str(_l("The amount must be a whole number of đồng greater than zero.")),
            field=field_name,
        )
    return amount


def _not_future(on: date | None, field_name: str) -> date:
    if on is None:
        raise InvestmentError(str(_l("A date is required.")), field=field_name)
    if on > _today():
        raise InvestmentError(str(_l("The date cannot be in the future.")), field=field_name)
    return on


def _year(year: int | None, field_name: str = "year") -> int:
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvestmentError(
            str(_l("The year must be between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR)),
            field=field_name,
        )
    return year


def _text(value: str | None, field_name: str, *, required: bool = True) -> str | None:
    value = (value or "").strip() or None
    if required and value is None:
        raise InvestmentError(str(_l("This field is required.")), field=field_name)
    return value


# --- reading -----------------------------------------------------------------------------------


def _loaded() -> Select[Any]:
    return select(Project).options(
        selectinload(Project.decisions),
        selectinload(Project.funding),
        selectinload(Project.targets),
        selectinload(Project.stage_changes),
        selectinload(Project.capital_plans),
        selectinload(Project.disbursements),
        selectinload(Project.progress_reports),
        selectinload(Project.planned_progress),
        selectinload(Project.milestones),
        selectinload(Project.contracts).selectinload(Contract.modifications),
        selectinload(Project.supervision_reports),
    )


def visible(session: Session, user: Any) -> Select[Any]:
    """The projects the user's jurisdiction covers, children loaded, by code."""
    stmt = _loaded().order_by(Project.code)
    province = getattr(user, "province_code", None)
    if province is not None:
        stmt = stmt.where(Project.province_code == province)
    return stmt


def get_project(session: Session, project_id: int, user: Any) -> Project:
    """The project, loaded for a page; NotFound outside the user's jurisdiction (the two are
    not told apart)."""
    project = session.scalars(
        _loaded().where(Project.id == project_id).execution_options(populate_existing=True)
    ).first()
    if project is None or not _covers(user, project.province_code):
        raise NotFound(str(_l("Project not found.")))
    return project


def facility_of(session: Session, project: Project, user: Any) -> read.FacilityRecord | None:
    """The project's facility as this user may see it (confidential types generalised)."""
    if project.facility_id is None:
        return None
    return read.get(session, read.Reader.of(user), project.facility_id)


# --- projects ----------------------------------------------------------------------------------


@dataclass
class ProjectInput:
    code: str
    name: str
    kind: Kind
    province_code: str
    facility_id: int | None = None
    owner: str = ""
    description: str | None = None
    capacity_before: int | None = None
    capacity_after: int | None = None
    level_after: str | None = None
    planned_start: date | None = None
    planned_end: date | None = None


def _check_input(session: Session, data: ProjectInput, actor: Any, project_id: int | None) -> None:
    if not _covers(actor, data.province_code):
        raise InvestmentError(
            str(_l("You may only record projects in your own province.")), field="province_code"
        )
    _text(data.code, "code")
    _text(data.name, "name")
    _text(data.owner, "owner")
    clash = session.scalar(select(Project.id).where(Project.code == data.code.strip()))
    if clash is not None and clash != project_id:
        raise InvestmentError(str(_l("Another project has this code.")), field="code")
    for name in ("capacity_before", "capacity_after"):
        value = getattr(data, name)
        if value is not None and value < 0:
            raise InvestmentError(str(_l("A capacity cannot be negative.")), field=name)
    if data.level_after is not None and data.level_after not in {lv.value for lv in FacilityLevel}:
        raise InvestmentError(str(_l("Unknown facility level.")), field="level_after")
    if data.planned_start and data.planned_end and data.planned_end < data.planned_start:
        raise InvestmentError(
            str(_l("The planned end cannot be before the planned start.")), field="planned_end"
        )
    if data.facility_id is not None:
        record = read.get(session, read.Reader.of(actor), data.facility_id)
        if record is None:
            raise InvestmentError(str(_l("Facility not found.")), field="facility_id")
        if record.province_code != data.province_code:
            raise InvestmentError(
                str(_l("The facility is in another province than the project.")),
                field="facility_id",
            )


def _apply(project: Project, data: ProjectInput) -> None:
    project.code = data.code.strip()
    project.name = data.name.strip()
    project.kind = Kind(data.kind)
    project.province_code = data.province_code
    project.facility_id = data.facility_id
    project.owner = data.owner.strip()
    project.description = (data.description or "").strip() or None
    project.capacity_before = data.capacity_before
    project.capacity_after = data.capacity_after
    project.level_after = data.level_after or None
    project.planned_start = data.planned_start
    project.planned_end = data.planned_end


def create_project(
    session: Session,
    data: ProjectInput,
    *,
    actor: Any,
    targets: Sequence[tuple[str, str]] = (),
    started_on: date | None = None,
) -> Project:
    """A new project at the policy decision stage (``started_on``, default today)."""
    _check_input(session, data, actor, None)
    _audit(session, actor, str(_l("Project recorded")))
    project = Project(stage=Stage.POLICY_DECISION, created_by_id=_actor_id(actor))
    _apply(project, data)
    session.add(project)
    project.stage_changes.append(
        StageChange(
            from_stage=None,
            to_stage=Stage.POLICY_DECISION,
            occurred_on=started_on or _today(),
            actor_id=_actor_id(actor),
            actor_label=_actor_label(actor),
        )
    )
    session.flush()
    if targets:
        set_targets(session, project, targets, actor=actor)
    return project


def update_project(
    session: Session,
    project: Project,
    data: ProjectInput,
    *,
    expected_version: int,
    actor: Any,
    reason: str | None = None,
) -> Project:
    _check_version(project, expected_version)
    if not _covers(actor, project.province_code):
        raise NotFound(str(_l("Project not found.")))
    _check_input(session, data, actor, project.id)
    _audit(session, actor, reason)
    _apply(project, data)
    session.flush()
    return project


def set_targets(
    session: Session, project: Project, targets: Iterable[tuple[str, str]], *, actor: Any
) -> None:
    """The plan targets the project serves, replacing the previous list."""
    wanted = {(p.strip(), r.strip()) for p, r in targets if p.strip() and r.strip()}
    _audit(session, actor)
    for target in list(project.targets):
        if (target.plan_code, target.rule_code) not in wanted:
            project.targets.remove(target)
    have = {(t.plan_code, t.rule_code) for t in project.targets}
    for plan_code, rule_code in sorted(wanted - have):
        project.targets.append(ProjectTarget(plan_code=plan_code, rule_code=rule_code))
    session.flush()


def add_decision(
    session: Session,
    project: Project,
    *,
    kind: DecisionKind,
    number: str,
    signed_on: date,
    authority: str,
    total_vnd: int | None,
    reason: str | None,
    actor: Any,
) -> ProjectDecision:
    kind = DecisionKind(kind)
    number_ = _text(number, "number")
    authority_ = _text(authority, "authority")
    _not_future(signed_on, "signed_on")
    if total_vnd is not None:
        _positive(total_vnd, "total_vnd")
    if kind is not DecisionKind.POLICY and total_vnd is None:
        raise InvestmentError(
            str(_l("An investment or adjustment decision states the total investment.")),
            field="total_vnd",
        )
    if kind is DecisionKind.ADJUSTMENT and not (reason or "").strip():
        raise InvestmentError(str(_l("An adjustment needs its reason.")), field="reason")
    _audit(session, actor, (reason or "").strip() or None)
    decision = ProjectDecision(
        kind=kind,
        number=number_,
        signed_on=signed_on,
        authority=authority_,
        total_vnd=total_vnd,
        reason=(reason or "").strip() or None,
    )
    project.decisions.append(decision)
    session.flush()
    return decision


def decisions_in_order(project: Project) -> list[ProjectDecision]:
    return sorted(project.decisions, key=lambda d: (d.signed_on, d.id or 0))


def approving_decision(project: Project) -> ProjectDecision | None:
    """The latest decision that states a total investment (its adjustment history is the list
    of decisions): the one whose total is approved now."""
    with_total = [d for d in decisions_in_order(project) if d.total_vnd is not None]
    return with_total[-1] if with_total else None


def approved_total(project: Project) -> int | None:
    decision = approving_decision(project)
    return None if decision is None else decision.total_vnd


def set_funding(
    session: Session, project: Project, amounts: Mapping[Any, int], *, actor: Any
) -> None:
    """The approved structure of the total by source; a zero amount removes the source."""
    clean: dict[Source, int] = {}
    for src, amount in amounts.items():
        if amount is None or amount == 0:
            continue
        clean[Source(src)] = _positive(amount, f"funding_{Source(src).value}")
    total = approved_total(project)
    if total is not None and sum(clean.values()) > total:
        raise InvestmentError(
            str(_l("The funding by source adds up to more than the approved total.")),
            field="funding",
        )
    _audit(session, actor)
    for row in list(project.funding):
        if row.source not in clean:
            project.funding.remove(row)
    by_source = {row.source: row for row in project.funding}
    for src, amount in clean.items():
        if src in by_source:
            by_source[src].amount_vnd = amount
        else:
            project.funding.append(ProjectFunding(source=src, amount_vnd=amount))
    session.flush()


def set_capital_plan(
    session: Session,
    project: Project,
    *,
    year: int,
    source: Source,
    amount_vnd: int,
    decision_number: str | None,
    decision_on: date | None,
    extended_until: date | None,
    actor: Any,
) -> CapitalPlan:
    """The year's allocation from one source (replacing a previous figure for that pair)."""
    _year(year)
    src = Source(source)
    if amount_vnd != 0:
        _positive(amount_vnd, "amount_vnd")
    if extended_until is not None and extended_until <= date(year + 1, 1, 31):
        raise InvestmentError(
            str(_l("An extension must end after 31/01 of the following year.")),
            field="extended_until",
        )
    _audit(session, actor)
    plan = next((c for c in project.capital_plans if c.year == year and c.source == src), None)
    if plan is None:
        plan = CapitalPlan(year=year, source=src, amount_vnd=amount_vnd)
        project.capital_plans.append(plan)
    plan.amount_vnd = amount_vnd
    plan.decision_number = _text(decision_number, "decision_number", required=False)
    plan.decision_on = decision_on
    plan.extended_until = extended_until
    session.flush()
    return plan


def add_disbursement(
    session: Session,
    project: Project,
    *,
    paid_on: date,
    amount_vnd: int,
    source: Source,
    capital_year: int,
    reference: str | None,
    actor: Any,
) -> Disbursement:
    """A payment. It is recorded even beyond the allocation or after the deadline (the money
    has gone out): the checks flag it."""
    _positive(amount_vnd, "amount_vnd")
    _not_future(paid_on, "paid_on")
    _year(capital_year, "capital_year")
    if capital_year > paid_on.year:
        raise InvestmentError(
            str(_l("A payment cannot draw on the capital of a later year.")), field="capital_year"
        )
    _audit(session, actor)
    payment = Disbursement(
        paid_on=paid_on,
        amount_vnd=amount_vnd,
        source=Source(source),
        capital_year=capital_year,
        reference=_text(reference, "reference", required=False),
    )
    project.disbursements.append(payment)
    session.flush()
    return payment


def _stored_photos(photos: Sequence[Any]) -> list[dict[str, Any]]:
    from registry import storage

    return storage.save_photos(
        photos,
        lambda: InvestmentError(
            str(_l("A progress photo must be a JPEG or PNG image.")), field="photos"
        ),
    )


def add_progress(
    session: Session,
    project: Project,
    *,
    as_of: date,
    physical_pct: int,
    narrative: str | None,
    problems: str | None,
    photos: Sequence[Any] = (),
    actor: Any,
) -> ProgressReport:
    _not_future(as_of, "as_of")
    if physical_pct is None or not 0 <= physical_pct <= 100:
        raise InvestmentError(
            str(_l("Physical progress is a percentage from 0 to 100.")), field="physical_pct"
        )
    if any(r.as_of == as_of for r in project.progress_reports):
        raise InvestmentError(
            str(_l("There is already a progress report as of this date.")), field="as_of"
        )
    stored = _stored_photos(photos)
    _audit(session, actor)
    report = ProgressReport(
        as_of=as_of,
        physical_pct=physical_pct,
        narrative=_text(narrative, "narrative", required=False),
        problems=_text(problems, "problems", required=False),
        photos=stored,
        reported_by_id=_actor_id(actor),
    )
    project.progress_reports.append(report)
    session.flush()
    return report


def progress_photo(project: Project, report_id: int, index: int) -> dict[str, Any]:
    for report in project.progress_reports:
        if report.id == report_id and 0 <= index < len(report.photos or []):
            return dict(report.photos[index])
    raise NotFound(str(_l("Photo not found.")))


def audit_download(session: Session, project: Project, what: str, who: Any) -> None:
    """A download of a stored file of the project (a progress photo) leaves an audit event."""
    from registry.audit.models import AuditEvent

    session.add(
        AuditEvent(
            actor_id=_actor_id(who),
            actor_label=_actor_label(who),
            entity_type=Project.__tablename__,
            entity_id=str(project.id),
            entity_label=project.audit_label,
            action="download",
            changes={"file": [None, what]},
            reason=None,
            jurisdiction=project.province_code,
        )
    )
    session.flush()


def set_planned_progress(
    session: Session, project: Project, points: Sequence[tuple[date, int]], *, actor: Any
) -> None:
    """The planned physical progress curve, replacing the previous one; non-decreasing."""
    ordered = sorted(points)
    if len({d for d, _ in ordered}) != len(ordered):
        raise InvestmentError(str(_l("Each date may appear once.")), field="planned")
    last = 0
    for _, pct in ordered:
        if not 0 <= pct <= 100 or pct < last:
            raise InvestmentError(
                str(_l("Planned progress rises from 0 to 100 per cent over time.")),
                field="planned",
            )
        last = pct
    _audit(session, actor)
    project.planned_progress.clear()
    session.flush()
    for on, pct in ordered:
        project.planned_progress.append(PlannedProgress(as_of=on, physical_pct=pct))
    session.flush()


def add_milestone(
    session: Session,
    project: Project,
    *,
    title: str,
    milestone_type: str,
    planned_on: date,
    actual_on: date | None,
    actor: Any,
) -> Milestone:
    title_ = _text(title, "title")
    if milestone_type not in MILESTONE_TYPES:
        raise InvestmentError(str(_l("Unknown milestone type.")), field="milestone_type")
    if planned_on is None:
        raise InvestmentError(str(_l("A date is required.")), field="planned_on")
    if actual_on is not None:
        _not_future(actual_on, "actual_on")
    _audit(session, actor)
    milestone = Milestone(
        title=title_, milestone_type=milestone_type, planned_on=planned_on, actual_on=actual_on
    )
    project.milestones.append(milestone)
    session.flush()
    return milestone


def complete_milestone(
    session: Session, project: Project, milestone_id: int, *, actual_on: date, actor: Any
) -> Milestone:
    milestone = next((m for m in project.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound(str(_l("Milestone not found.")))
    _not_future(actual_on, "actual_on")
    _audit(session, actor)
    milestone.actual_on = actual_on
    session.flush()
    return milestone


def add_contract(
    session: Session,
    project: Project,
    *,
    number: str,
    title: str,
    contractor: str,
    nature: str,
    signed_on: date,
    value_vnd: int,
    end_on: date | None,
    actor: Any,
) -> Contract:
    if nature not in CONTRACT_NATURES:
        raise InvestmentError(str(_l("Unknown contract type.")), field="nature")
    _positive(value_vnd, "value_vnd")
    _not_future(signed_on, "signed_on")
    if end_on is not None and end_on < signed_on:
        raise InvestmentError(
            str(_l("The contract cannot end before it is signed.")), field="end_on"
        )
    contract = Contract(
        number=_text(number, "number"),
        title=_text(title, "title"),
        contractor=_text(contractor, "contractor"),
        nature=nature,
        signed_on=signed_on,
        value_vnd=value_vnd,
        end_on=end_on,
    )
    _audit(session, actor)
    project.contracts.append(contract)
    session.flush()
    return contract


def modify_contract(
    session: Session,
    project: Project,
    contract_id: int,
    *,
    signed_on: date,
    new_value_vnd: int | None,
    new_end_on: date | None,
    reason: str,
    actor: Any,
) -> ContractModification:
    contract = next((c for c in project.contracts if c.id == contract_id), None)
    if contract is None:
        raise NotFound(str(_l("Contract not found.")))
    why = _text(reason, "reason")
    _not_future(signed_on, "signed_on")
    if new_value_vnd is None and new_end_on is None:
        raise InvestmentError(
            str(_l("A modification changes the value, the end date or both.")),
            field="new_value_vnd",
        )
    if new_value_vnd is not None:
        _positive(new_value_vnd, "new_value_vnd")
    _audit(session, actor, why)
    modification = ContractModification(
        signed_on=signed_on, new_value_vnd=new_value_vnd, new_end_on=new_end_on, reason=why
    )
    contract.modifications.append(modification)
    session.flush()
    return modification


def contract_value(contract: Contract) -> int:
    """The value after the latest modification that changed it."""
    value = contract.value_vnd
    for mod in contract.modifications:
        if mod.new_value_vnd is not None:
            value = mod.new_value_vnd
    return value


def contract_end(contract: Contract) -> date | None:
    end = contract.end_on
    for mod in contract.modifications:
        if mod.new_end_on is not None:
            end = mod.new_end_on
    return end


def add_supervision_report(
    session: Session,
    project: Project,
    *,
    year: int,
    period: SupervisionPeriod,
    submitted_on: date,
    reference: str | None,
    actor: Any,
) -> SupervisionReport:
    _year(year)
    period = SupervisionPeriod(period)
    _not_future(submitted_on, "submitted_on")
    if any(r.year == year and r.period == period for r in project.supervision_reports):
        raise InvestmentError(
            str(_l("This supervision report is already recorded.")), field="period"
        )
    _audit(session, actor)
    report = SupervisionReport(
        year=year,
        period=period,
        submitted_on=submitted_on,
        reference=_text(reference, "reference", required=False),
    )
    project.supervision_reports.append(report)
    session.flush()
    return report


# --- stages and handover -----------------------------------------------------------------------


def change_stage(
    session: Session,
    project: Project,
    target: Stage,
    *,
    occurred_on: date,
    reason: str | None,
    expected_version: int,
    actor: Any,
) -> StageChange:
    """Move the project to ``target`` on ``occurred_on``. Forward steps may skip a stage;
    going back, suspending and cancelling need a reason. Reaching handover dates the
    acceptance; going back before it clears that date."""
    _check_version(project, expected_version)
    if not _covers(actor, project.province_code):
        raise NotFound(str(_l("Project not found.")))
    try:
        tgt = workflow.check(project.stage, target, reason, project.suspended_from)
    except workflow.TransitionError as exc:
        raise InvestmentError(exc.message_vi, field="stage") from exc
    _not_future(occurred_on, "occurred_on")
    # The first entry dates the record, not a step: a project may be recorded late.
    last = max(
        (c.occurred_on for c in project.stage_changes if c.from_stage is not None), default=None
    )
    if last is not None and occurred_on < last:
        raise InvestmentError(
            str(_l("A stage change cannot be dated before the previous one.")),
            field="occurred_on",
        )
    why = (reason or "").strip() or None
    _audit(session, actor, why)
    change = StageChange(
        from_stage=project.stage,
        to_stage=tgt,
        occurred_on=occurred_on,
        actor_id=_actor_id(actor),
        actor_label=_actor_label(actor),
        reason=why,
    )
    if tgt is Stage.SUSPENDED:
        project.suspended_from = project.stage
    elif project.stage is Stage.SUSPENDED:
        project.suspended_from = None
    # Acceptance is the first step into an accepted stage: a project recorded late may go
    # straight to settlement, whose date is then the first known date of acceptance.
    if tgt in workflow.ACCEPTED and project.accepted_on is None:
        project.accepted_on = occurred_on
    elif tgt in workflow.ORDER and tgt not in workflow.ACCEPTED:
        project.accepted_on = None
    project.stage = tgt
    project.stage_changes.append(change)
    session.flush()
    return change


@dataclass(frozen=True)
class HandoverProposal:
    facility_id: int
    facility_name: str
    current_capacity: int | None
    new_capacity: int | None
    current_level: str | None
    new_level: str | None
    current_status: Status
    new_status: Status
    confirmed: bool

    @property
    def changes(self) -> bool:
        return (
            self.new_capacity != self.current_capacity
            or self.new_level != self.current_level
            or self.new_status != self.current_status
        )


BUILDING = (Status.PLANNED, Status.UNDER_CONSTRUCTION)


def handover_proposal(session: Session, project: Project, user: Any) -> HandoverProposal | None:
    """What accepting the works changes in the registry; None without a facility or before
    acceptance."""
    if project.facility_id is None or project.stage not in workflow.ACCEPTED:
        return None
    record = read.get(session, read.Reader.of(user), project.facility_id)
    if record is None:
        return None
    level = record.level.value if record.level is not None else None
    return HandoverProposal(
        facility_id=record.id,
        facility_name=record.name,
        current_capacity=record.design_capacity,
        new_capacity=(
            project.capacity_after if project.capacity_after is not None else record.design_capacity
        ),
        current_level=level,
        new_level=project.level_after or level,
        current_status=record.status,
        new_status=Status.OPERATING if record.status in BUILDING else record.status,
        confirmed=project.handover_confirmed_at is not None,
    )


def confirm_handover(
    session: Session, project: Project, *, actor: Any, expected_version: int
) -> None:
    """Carry the accepted project's capacity, level and status to the facility through the
    registry's services (audited there with the project's code as the reason)."""
    _check_version(project, expected_version)
    if not (actor is not None and actor.can("investment.handover")):
        raise PermissionDenied(str(_l("You may not confirm a handover.")))
    if not _covers(actor, project.province_code):
        raise NotFound(str(_l("Project not found.")))
    if project.stage not in workflow.ACCEPTED or project.accepted_on is None:
        raise InvestmentError(str(_l("Only an accepted project can be handed over.")))
    if project.handover_confirmed_at is not None:
        raise InvestmentError(str(_l("This handover is already confirmed.")))
    if project.facility_id is None:
        raise InvestmentError(str(_l("The project has no facility in the registry.")))
    why = str(_l("Handover of project %(code)s", code=project.code))
    facility = facilities.for_update(session, project.facility_id)
    data = facilities.FacilityInput.from_facility(facility)
    if project.capacity_after is not None:
        data.design_capacity = project.capacity_after
    if project.level_after:
        data.level = project.level_after
    facilities.update_facility(
        session,
        facility,
        data,
        expected_version=facility.version,
        actor_id=_actor_id(actor),
        confirm_duplicates=True,
        reason=why,
    )
    if facility.status in BUILDING:
        facilities.change_status(
            session,
            facility,
            Status.OPERATING,
            effective_on=project.accepted_on,
            reason=why,
            actor_id=_actor_id(actor),
            expected_version=facility.version,
        )
    _audit(session, actor, why)
    project.handover_confirmed_at = datetime.now(UTC)
    project.handover_confirmed_by_id = _actor_id(actor)
    session.flush()


# --- money, progress and flags -----------------------------------------------------------------


@dataclass
class MoneySummary:
    approved_total: int | None
    allocated: dict[int, dict[Source, int]] = field(default_factory=dict)
    disbursed: dict[int, dict[Source, int]] = field(default_factory=dict)
    allocated_total: int = 0
    disbursed_total: int = 0

    @property
    def years(self) -> list[int]:
        return sorted(set(self.allocated) | set(self.disbursed))

    @property
    def sources(self) -> list[Source]:
        used = {s for by in (*self.allocated.values(), *self.disbursed.values()) for s in by}
        return [s for s in Source if s in used]

    def allocated_in(self, year: int) -> int:
        return sum(self.allocated.get(year, {}).values())

    def disbursed_in(self, year: int) -> int:
        return sum(self.disbursed.get(year, {}).values())

    @property
    def rate(self) -> Fraction | None:
        """Disbursed over the approved total (exact)."""
        if not self.approved_total:
            return None
        return Fraction(self.disbursed_total, self.approved_total)

    @property
    def rate_of_allocated(self) -> Fraction | None:
        if not self.allocated_total:
            return None
        return Fraction(self.disbursed_total, self.allocated_total)


def percent(rate: Fraction | None, decimals: int = 1) -> str:
    """An exact rate as a Vietnamese percentage string: 12,3 %."""
    if rate is None:
        return ""
    scaled = rate * 100 * 10**decimals
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    whole, frac = divmod(rounded, 10**decimals)
    text = f"{whole:,}".replace(",", ".")
    return f"{text},{frac:0{decimals}d} %" if decimals else f"{text} %"


def money_summary(project: Project) -> MoneySummary:
    summary = MoneySummary(approved_total=approved_total(project))
    allocated: dict[int, dict[Source, int]] = defaultdict(lambda: defaultdict(int))
    disbursed: dict[int, dict[Source, int]] = defaultdict(lambda: defaultdict(int))
    for plan in project.capital_plans:
        allocated[plan.year][plan.source] += plan.amount_vnd
        summary.allocated_total += plan.amount_vnd
    for payment in project.disbursements:
        disbursed[payment.capital_year][payment.source] += payment.amount_vnd
        summary.disbursed_total += payment.amount_vnd
    summary.allocated = {y: dict(v) for y, v in allocated.items()}
    summary.disbursed = {y: dict(v) for y, v in disbursed.items()}
    return summary


def latest_progress(project: Project) -> ProgressReport | None:
    reports = sorted(project.progress_reports, key=lambda r: (r.as_of, r.id or 0))
    return reports[-1] if reports else None


def _first_reached(project: Project, stages: Iterable[Stage]) -> date | None:
    wanted = set(stages)
    dates = [c.occurred_on for c in project.stage_changes if c.to_stage in wanted]
    return min(dates) if dates else None


def values_of(project: Project) -> checks.ProjectValues:
    """The plain values the checks read."""
    after_decision = workflow.ORDER[workflow.ORDER.index(Stage.INVESTMENT_DECISION) :]
    closed = [
        c.occurred_on
        for c in project.stage_changes
        if c.to_stage in (Stage.SETTLEMENT, Stage.CANCELLED)
    ]
    construction = [
        c.occurred_on for c in project.stage_changes if c.to_stage is Stage.CONSTRUCTION
    ]
    return checks.ProjectValues(
        stage=project.stage.value,
        approved_total=approved_total(project),
        allocations=tuple(
            checks.Allocation(c.year, c.source.value, c.amount_vnd, c.extended_until)
            for c in project.capital_plans
        ),
        payments=tuple(
            checks.Payment(d.paid_on, d.amount_vnd, d.source.value, d.capital_year)
            for d in project.disbursements
        ),
        milestones=tuple(
            checks.MilestoneValue(m.title, m.planned_on, m.actual_on) for m in project.milestones
        ),
        progress_dates=tuple(r.as_of for r in project.progress_reports),
        supervision=frozenset((r.year, r.period.value) for r in project.supervision_reports),
        active_from=_first_reached(project, after_decision),
        active_until=(max(closed) if closed and project.stage in workflow.FINAL else None),
        construction_since=max(construction) if construction else None,
    )


def stalled_days() -> int:
    if has_app_context():
        return int(current_app.config.get("INVESTMENT_STALLED_DAYS", checks.DEFAULT_STALLED_DAYS))
    return checks.DEFAULT_STALLED_DAYS


def flags(project: Project, today: date | None = None) -> list[checks.Flag]:
    return checks.evaluate(values_of(project), today or _today(), stalled_days=stalled_days())


# --- the portfolio -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioRow:
    id: int
    code: str
    name: str
    kind: Kind
    stage: Stage
    province_code: str
    facility_id: int | None
    facility_name: str | None
    approved_total: int | None
    allocated: int
    disbursed: int
    rate: Fraction | None
    physical_pct: int | None
    progress_as_of: date | None
    flags: tuple[checks.Flag, ...]
    is_demo: bool


@dataclass
class Portfolio:
    rows: list[PortfolioRow]
    # {year: {source: amount}}
    allocated: dict[int, dict[Source, int]]
    disbursed: dict[int, dict[Source, int]]
    flag_counts: dict[str, int]
    approved_total: int
    allocated_total: int
    disbursed_total: int

    @property
    def years(self) -> list[int]:
        return sorted(set(self.allocated) | set(self.disbursed))

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.disbursed_total, self.approved_total) if self.approved_total else None

    def by_source(self, which: str) -> dict[Source, int]:
        table = self.allocated if which == "allocated" else self.disbursed
        out: dict[Source, int] = defaultdict(int)
        for by in table.values():
            for src, amount in by.items():
                out[src] += amount
        return {s: out[s] for s in Source if s in out}


def portfolio(
    session: Session,
    user: Any,
    *,
    today: date | None = None,
    stage: Stage | None = None,
    kind: Kind | None = None,
    flag: str | None = None,
) -> Portfolio:
    """Every project the user's jurisdiction covers, with its money, progress and flags;
    totals by year and source over the rows shown."""
    today = today or _today()
    stmt = visible(session, user)
    if stage is not None:
        stmt = stmt.where(Project.stage == stage)
    if kind is not None:
        stmt = stmt.where(Project.kind == kind)
    projects = list(session.scalars(stmt))
    reader = read.Reader.of(user)
    ids = sorted({p.facility_id for p in projects if p.facility_id is not None})
    names = {r.id: r.name for r in read.records(session, reader, ids=ids)} if ids else {}
    rows: list[PortfolioRow] = []
    allocated: dict[int, dict[Source, int]] = defaultdict(lambda: defaultdict(int))
    disbursed: dict[int, dict[Source, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    approved = allocated_total = disbursed_total = 0
    for project in projects:
        project_flags = tuple(flags(project, today))
        if flag and not any(f.code == flag for f in project_flags):
            continue
        money = money_summary(project)
        latest = latest_progress(project)
        for year, by in money.allocated.items():
            for src, amount in by.items():
                allocated[year][src] += amount
        for year, by in money.disbursed.items():
            for src, amount in by.items():
                disbursed[year][src] += amount
        for f in project_flags:
            counts[f.code] += 1
        approved += money.approved_total or 0
        allocated_total += money.allocated_total
        disbursed_total += money.disbursed_total
        rows.append(
            PortfolioRow(
                id=project.id,
                code=project.code,
                name=project.name,
                kind=project.kind,
                stage=project.stage,
                province_code=project.province_code,
                facility_id=project.facility_id,
                facility_name=names.get(project.facility_id) if project.facility_id else None,
                approved_total=money.approved_total,
                allocated=money.allocated_total,
                disbursed=money.disbursed_total,
                rate=money.rate,
                physical_pct=latest.physical_pct if latest else None,
                progress_as_of=latest.as_of if latest else None,
                flags=project_flags,
                is_demo=project.is_demo,
            )
        )
    return Portfolio(
        rows=rows,
        allocated={y: dict(v) for y, v in allocated.items()},
        disbursed={y: dict(v) for y, v in disbursed.items()},
        flag_counts={c: counts[c] for c in checks.CODES if c in counts},
        approved_total=approved,
        allocated_total=allocated_total,
        disbursed_total=disbursed_total,
    )
