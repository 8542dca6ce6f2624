"""Demand layers: aggregated counts per current unit for a date, with their source, and the
sex-disaggregated figures of facilities.

A layer never holds a person: only a count per unit (and by sex where the source gives it).
The counts are not audited one by one (the audit log is read by roles that may not see small
numbers); the layer is, with its source, date and size. Facility figures are audited with
their values redacted for the same reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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
from registry.demand.vocab import FigureKind, Measure, Method
from registry.extensions import Model
from registry.geography.models import Edition, Level
from registry.models import str_enum, utcnow


class DemandLayer(Audited, Model):
    __tablename__ = "demand_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[Measure] = mapped_column(str_enum(Measure, "demand_measure"))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    # The organisation the file's units belong to; counts are stored on current units.
    edition: Mapped[Edition] = mapped_column(str_enum(Edition, "admin_edition", 16))
    level: Mapped[Level] = mapped_column(str_enum(Level, "admin_level", 16))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    input_rows: Mapped[int] = mapped_column(Integer, default=0)
    sex_given: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    counts: Mapped[list[DemandCount]] = relationship(
        back_populates="layer", cascade="all, delete-orphan", order_by="DemandCount.unit_code"
    )

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code


class DemandCount(Model):
    """The count of one current unit in a layer, with how it was obtained: ``sources`` lists
    the file's rows that went into it ({code, name, edition, share, method}), ``complete`` is
    False when some predecessor of the unit was missing from the file."""

    __tablename__ = "demand_counts"
    __table_args__ = (UniqueConstraint("layer_id", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("demand_layers.id", ondelete="CASCADE"), index=True
    )
    unit_code: Mapped[str] = mapped_column(String(5))
    total: Mapped[int] = mapped_column(Integer)
    male: Mapped[int | None] = mapped_column(Integer)
    female: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[Method] = mapped_column(str_enum(Method, "demand_method"))
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    layer: Mapped[DemandLayer] = relationship(back_populates="counts")


class FacilityFigure(Audited, Model):
    """Residents, people served or staff of a facility on a date, by sex and target group
    (``target_group`` None: all groups together). Facilities are referenced by id only."""

    __tablename__ = "facility_figures"
    __table_args__ = (UniqueConstraint("facility_id", "kind", "target_group", "as_of"),)
    __audit_redact__ = frozenset({"male", "female", "total"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[FigureKind] = mapped_column(str_enum(FigureKind, "facility_figure_kind"))
    target_group: Mapped[str | None] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    male: Mapped[int | None] = mapped_column(Integer)
    female: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code
