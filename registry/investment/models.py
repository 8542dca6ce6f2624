"""Construction and upgrade projects: decisions, funding, capital plans, disbursements,
progress, milestones, contracts, supervision reports and stage changes.

Money is integer VND (``BigInteger``), never float. Every table is audited (who, when, what,
why); projects carry an optimistic lock like facilities. Facilities are referenced by id only:
investment reads them through ``facilities.read`` and changes them through
``facilities.services`` (handover).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.audit.mixins import Audited
from registry.extensions import Model
from registry.investment.workflow import Stage
from registry.models import TimestampMixin, str_enum, utcnow


class Kind(StrEnum):
    NEW_CONSTRUCTION = "new_construction"
    UPGRADE = "upgrade"
    EXPANSION = "expansion"
    REPAIR = "repair"
    EQUIPMENT = "equipment"


class Source(StrEnum):
    """Where the money comes from (Law on Public Investment: central and local budgets)."""

    CENTRAL = "central"
    PROVINCIAL = "provincial"
    DISTRICT = "district"
    ODA_NGO = "oda_ngo"
    PRIVATE = "private"


class DecisionKind(StrEnum):
    POLICY = "policy"  # quyết định chủ trương đầu tư
    INVESTMENT = "investment"  # quyết định đầu tư (phê duyệt dự án)
    ADJUSTMENT = "adjustment"  # điều chỉnh dự án / tổng mức đầu tư


class SupervisionPeriod(StrEnum):
    SIX_MONTH = "six_month"
    ANNUAL = "annual"


class Project(Audited, TimestampMixin, Model):
    __tablename__ = "investment_projects"
    __audit_exclude__ = frozenset({"created_at", "updated_at", "version"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "project_kind"))
    stage: Mapped[Stage] = mapped_column(
        str_enum(Stage, "project_stage"), default=Stage.POLICY_DECISION
    )
    # The stage a suspended project resumes at.
    suspended_from: Mapped[Stage | None] = mapped_column(str_enum(Stage, "project_stage"))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="SET NULL"), index=True
    )
    owner: Mapped[str] = mapped_column(String(255))  # chủ đầu tư
    description: Mapped[str | None] = mapped_column(Text)
    capacity_before: Mapped[int | None] = mapped_column(Integer)
    capacity_after: Mapped[int | None] = mapped_column(Integer)
    # Facility level after handover ("provincial", "regional", ...: FacilityInput.level).
    level_after: Mapped[str | None] = mapped_column(String(32))
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date, index=True)
    handover_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handover_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    settled_vnd: Mapped[int | None] = mapped_column(BigInteger)
    settled_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Demo projects carry placeholder numbers, said so on screen.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    decisions: Mapped[list[ProjectDecision]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectDecision.signed_on"
    )
    funding: Mapped[list[ProjectFunding]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectFunding.id"
    )
    targets: Mapped[list[ProjectTarget]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectTarget.id"
    )
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="StageChange.id"
    )
    capital_plans: Mapped[list[CapitalPlan]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(CapitalPlan.year, CapitalPlan.source)",
    )
    disbursements: Mapped[list[Disbursement]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(Disbursement.paid_on, Disbursement.id)",
    )
    progress_reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(ProgressReport.as_of, ProgressReport.id)",
    )
    planned_progress: Mapped[list[PlannedProgress]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="PlannedProgress.as_of"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(Milestone.planned_on, Milestone.id)",
    )
    contracts: Mapped[list[Contract]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Contract.id"
    )
    supervision_reports: Mapped[list[SupervisionReport]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="(SupervisionReport.year, SupervisionReport.period)",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return f"{self.code} {self.name}"[:255]


class _Child:
    project: Project

    @property
    def audit_jurisdiction(self) -> str | None:
        project = self.__dict__.get("project")
        return project.province_code if project is not None else None


def _project_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("investment_projects.id", ondelete="CASCADE"), index=True)


class ProjectDecision(_Child, Audited, Model):
    """A policy, investment or adjustment decision; the latest one with a total sets the
    approved total investment, and the series is its adjustment history."""

    __tablename__ = "investment_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind, "project_decision_kind"))
    number: Mapped[str] = mapped_column(String(64))
    signed_on: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(255))
    total_vnd: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="decisions")


class ProjectFunding(_Child, Audited, Model):
    """The approved structure of the total investment by source."""

    __tablename__ = "investment_funding"
    __table_args__ = (UniqueConstraint("project_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    source: Mapped[Source] = mapped_column(str_enum(Source, "funding_source"))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)

    project: Mapped[Project] = relationship(back_populates="funding")


class ProjectTarget(_Child, Audited, Model):
    """A plan target the project serves (plan code + rule code)."""

    __tablename__ = "investment_targets"
    __table_args__ = (UniqueConstraint("project_id", "plan_code", "rule_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    plan_code: Mapped[str] = mapped_column(String(64))
    rule_code: Mapped[str] = mapped_column(String(32))

    project: Mapped[Project] = relationship(back_populates="targets")


class StageChange(_Child, Audited, Model):
    """A stage step: from which stage to which, on what date, by whom and why."""

    __tablename__ = "investment_stage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    from_stage: Mapped[Stage | None] = mapped_column(str_enum(Stage, "project_stage"))
    to_stage: Mapped[Stage] = mapped_column(str_enum(Stage, "project_stage"))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="stage_changes")


class CapitalPlan(_Child, Audited, Model):
    """The capital allocated to the project for one year from one source
    (kế hoạch vốn đầu tư công hằng năm)."""

    __tablename__ = "investment_capital_plans"
    __table_args__ = (UniqueConstraint("project_id", "year", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[Source] = mapped_column(str_enum(Source, "funding_source"))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_on: Mapped[date | None] = mapped_column(Date)
    # A competent authority may extend the disbursement period of a year's capital.
    extended_until: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="capital_plans")


class Disbursement(_Child, Audited, Model):
    __tablename__ = "investment_disbursements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[Source] = mapped_column(str_enum(Source, "funding_source"))
    # The plan year whose capital this payment draws on.
    capital_year: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(128))  # treasury voucher, contract

    project: Mapped[Project] = relationship(back_populates="disbursements")


class ProgressReport(_Child, Audited, Model):
    __tablename__ = "investment_progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    as_of: Mapped[date] = mapped_column(Date)
    physical_pct: Mapped[int] = mapped_column(Integer)  # 0–100
    narrative: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    # [{key, name, mime, size, sha256}] in registry.storage.
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="progress_reports")


class PlannedProgress(_Child, Audited, Model):
    """A point of the planned physical progress curve (baseline of the S-curve)."""

    __tablename__ = "investment_planned_progress"
    __table_args__ = (UniqueConstraint("project_id", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    as_of: Mapped[date] = mapped_column(Date)
    physical_pct: Mapped[int] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="planned_progress")


class Milestone(_Child, Audited, Model):
    __tablename__ = "investment_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    title: Mapped[str] = mapped_column(String(255))
    # OC4IDS milestoneType codelist (approval, financing, delivery, ...).
    milestone_type: Mapped[str] = mapped_column(String(32), default="delivery")
    planned_on: Mapped[date] = mapped_column(Date)
    actual_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="milestones")


class Contract(_Child, Audited, Model):
    __tablename__ = "investment_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    contractor: Mapped[str] = mapped_column(String(255))
    # OC4IDS contractingProcess nature: design, construction, supervision.
    nature: Mapped[str] = mapped_column(String(32), default="construction")
    signed_on: Mapped[date] = mapped_column(Date)
    value_vnd: Mapped[int] = mapped_column(BigInteger)
    end_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="contracts")
    modifications: Mapped[list[ContractModification]] = relationship(
        back_populates="contract",
        cascade="all, delete-orphan",
        order_by="(ContractModification.signed_on, ContractModification.id)",
    )


class ContractModification(Audited, Model):
    """An addendum (phụ lục hợp đồng): new value and/or end date, with its reason."""

    __tablename__ = "investment_contract_modifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("investment_contracts.id", ondelete="CASCADE"), index=True
    )
    signed_on: Mapped[date] = mapped_column(Date)
    new_value_vnd: Mapped[int | None] = mapped_column(BigInteger)
    new_end_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(back_populates="modifications")

    @property
    def audit_jurisdiction(self) -> str | None:
        contract = self.__dict__.get("contract")
        project = contract.__dict__.get("project") if contract is not None else None
        return project.province_code if project is not None else None


class SupervisionReport(_Child, Audited, Model):
    """A six-monthly or annual investment supervision and evaluation report submitted."""

    __tablename__ = "investment_supervision_reports"
    __table_args__ = (UniqueConstraint("project_id", "year", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = _project_fk()
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[SupervisionPeriod] = mapped_column(
        str_enum(SupervisionPeriod, "supervision_period")
    )
    submitted_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(128))

    project: Mapped[Project] = relationship(back_populates="supervision_reports")
