"""Applications, their dossier documents, events, inspections, licences and conditions.

Every table is audited (who, when, what, why: ``registry.audit``); applications and licences
carry an optimistic lock like facilities. Facilities are referenced by id only: licensing
reads them through ``facilities.read`` and changes them through ``facilities.services``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.audit.mixins import Audited
from registry.extensions import Model
from registry.licensing.workflow import State
from registry.models import TimestampMixin, str_enum, utcnow


class Channel(StrEnum):
    ONLINE = "online"
    COUNTER = "counter"


class DocumentStatus(StrEnum):
    MISSING = "missing"
    PROVIDED = "provided"
    REJECTED = "rejected"


class LicenceStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Application(Audited, TimestampMixin, Model):
    __tablename__ = "licensing_applications"
    __audit_exclude__ = frozenset({"created_at", "updated_at", "version"})
    __audit_redact__ = frozenset({"tracking_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[State] = mapped_column(
        str_enum(State, "application_state"), default=State.RECEIVED
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "application_channel"))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="SET NULL"), index=True
    )
    facility_name: Mapped[str] = mapped_column(String(255))
    new_facility: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation: Mapped[str] = mapped_column(String(255))
    representative: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(500))
    received_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    decided_on: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    tracking_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationDocument.id",
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationEvent.id",
    )
    inspections: Mapped[list[Inspection]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="Inspection.id",
    )
    licence: Mapped[Licence | None] = relationship(back_populates="application", uselist=False)
    assigned_to: Mapped[Any] = relationship("User", foreign_keys=[assigned_to_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return f"{self.receipt_code} {self.facility_name}"[:255]


class _Child:
    application: Application

    @property
    def audit_jurisdiction(self) -> str | None:
        app = self.__dict__.get("application")
        return app.province_code if app is not None else None


class ApplicationDocument(_Child, Audited, Model):
    """One line of the dossier checklist and, once uploaded, its stored file."""

    __tablename__ = "licensing_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("licensing_applications.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[DocumentStatus] = mapped_column(
        str_enum(DocumentStatus, "document_status"), default=DocumentStatus.MISSING
    )
    reason: Mapped[str | None] = mapped_column(Text)
    file_key: Mapped[str | None] = mapped_column(String(128))
    original_name: Mapped[str | None] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    application: Mapped[Application] = relationship(back_populates="documents")


class ApplicationEvent(_Child, Audited, Model):
    """A workflow step: from which state to which, when, by whom and why."""

    __tablename__ = "licensing_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("licensing_applications.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[State | None] = mapped_column(str_enum(State, "application_state"))
    to_state: Mapped[State] = mapped_column(str_enum(State, "application_state"))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="events")


class Inspection(_Child, Audited, Model):
    __tablename__ = "licensing_inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("licensing_applications.id", ondelete="CASCADE"), index=True
    )
    scheduled_on: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(Text)
    inspected_on: Mapped[date | None] = mapped_column(Date)
    # {criterion code: "met" | "not_met" | "not_checked"}
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    findings: Mapped[str | None] = mapped_column(Text)
    # Photos taken at the inspection: [{key, name, mime, size, sha256}] in licensing storage.
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    application: Mapped[Application] = relationship(back_populates="inspections")


class Licence(Audited, TimestampMixin, Model):
    __tablename__ = "licensing_licences"
    __audit_exclude__ = frozenset({"created_at", "updated_at", "version"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("licensing_applications.id", ondelete="CASCADE"), unique=True
    )
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="SET NULL"), index=True
    )
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[date] = mapped_column(Date)
    authority_vi: Mapped[str] = mapped_column(String(255))
    services: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer)
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[LicenceStatus] = mapped_column(
        str_enum(LicenceStatus, "licence_status"), default=LicenceStatus.VALID
    )
    suspended_from: Mapped[date | None] = mapped_column(Date)
    suspended_until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    application: Mapped[Application] = relationship(back_populates="licence")
    conditions: Mapped[list[LicenceCondition]] = relationship(
        back_populates="licence", cascade="all, delete-orphan", order_by="LicenceCondition.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return self.number


class LicenceCondition(Audited, Model):
    """A finding turned into a condition of the licence, with a deadline, tracked to closure."""

    __tablename__ = "licensing_conditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(
        ForeignKey("licensing_licences.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_note: Mapped[str | None] = mapped_column(Text)

    licence: Mapped[Licence] = relationship(back_populates="conditions")

    @property
    def audit_jurisdiction(self) -> str | None:
        lic = self.__dict__.get("licence")
        return lic.province_code if lic is not None else None
