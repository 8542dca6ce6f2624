"""Master plans and their rules as data; scenarios of proposed facilities.

Plans come from the YAML files (``flask planning load``). What the files leave empty (targets
our sources do not give) an authorised user enters later: those values live in
``PlanRule.overrides``, so reloading the files never overwrites them. Every edit is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.audit.mixins import Audited
from registry.extensions import Model
from registry.models import TimestampMixin, str_enum


class ItemAction(StrEnum):
    """What a scenario item proposes."""

    ADD = "add"  # a new facility
    CAPACITY = "capacity"  # change an existing facility's design capacity
    UPGRADE = "upgrade"  # change an existing facility's status (and capacity)
    CLOSE = "close"  # close an existing facility


class MasterPlan(Audited, TimestampMixin, Model):
    __tablename__ = "master_plans"
    __audit_exclude__ = frozenset({"created_at", "updated_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title_vi: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    issuing_body_vi: Mapped[str] = mapped_column(String(255))
    issuing_body_en: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    national: Mapped[bool] = mapped_column(default=False)
    province_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    edition: Mapped[str] = mapped_column(String(16))
    successor_of: Mapped[str | None] = mapped_column(String(64))
    notes_vi: Mapped[str | None] = mapped_column(Text)
    notes_en: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(255))

    rules: Mapped[list[PlanRule]] = relationship(
        back_populates="plan", order_by="PlanRule.position", cascade="all, delete-orphan"
    )

    @property
    def audit_label(self) -> str:
        return self.code

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_vi


class PlanRule(Audited, TimestampMixin, Model):
    __tablename__ = "plan_rules"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_plan_rules_plan_id_code"),)
    __allow_unmapped__ = True  # for ``audit_province`` below, which is not a column
    __audit_exclude__ = frozenset({"created_at", "updated_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("master_plans.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(40))
    title_vi: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    target_year: Mapped[int | None] = mapped_column(Integer)
    source_document: Mapped[str] = mapped_column(Text)
    source_section: Mapped[str | None] = mapped_column(Text)
    source_lines: Mapped[str | None] = mapped_column(String(64))
    source_quote: Mapped[str | None] = mapped_column(Text)
    note_vi: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)
    # Parameters as the plan file gives them; replaced on every load.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Targets entered by authorised users ({"min": 3} or {"unit_min": {"75": 12}}); kept on load.
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    plan: Mapped[MasterPlan] = relationship(back_populates="rules")

    #: The current province a change belongs to, set by the service that makes it, so the
    #: province's audit view shows it whoever made it (not a column).
    audit_province: str | None = None

    @property
    def audit_jurisdiction(self) -> str | None:
        if self.audit_province:
            return self.audit_province
        plan = self.plan
        if plan is not None and not plan.national and len(plan.province_codes or []) == 1:
            return str(plan.province_codes[0])
        return None

    @property
    def audit_label(self) -> str:
        return self.code

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_vi


class Scenario(Audited, TimestampMixin, Model):
    """A planner's set of proposed changes; the registry is untouched until it is adopted."""

    __tablename__ = "scenarios"
    __audit_exclude__ = frozenset({"created_at", "updated_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    target_year: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[ScenarioItem]] = relationship(
        back_populates="scenario",
        order_by="ScenarioItem.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return self.name[:255]

    @property
    def adopted(self) -> bool:
        return self.adopted_at is not None


class ScenarioItem(Audited, TimestampMixin, Model):
    """One proposed change: a new facility, or a change to an existing one (``facility_id``)."""

    __tablename__ = "scenario_items"
    __audit_exclude__ = frozenset({"created_at", "updated_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenarios.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[ItemAction] = mapped_column(str_enum(ItemAction, "scenario_item_action"))
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(255))
    type_code: Mapped[str | None] = mapped_column(ForeignKey("facility_types.code"))
    ownership: Mapped[str | None] = mapped_column(String(16))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # Units of the proposed location (filled from lon/lat when the item is added).
    province_code: Mapped[str | None] = mapped_column(String(2))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    old_province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(3))
    design_capacity: Mapped[int | None] = mapped_column(Integer)
    new_status: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    adopted_facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="SET NULL")
    )

    scenario: Mapped[Scenario] = relationship(back_populates="items")

    @property
    def audit_jurisdiction(self) -> str | None:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return f"{self.action} {self.name or self.facility_id or ''}"[:255]
