"""Facility types, facilities, their status changes and registry-code sequences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.audit.mixins import Audited
from registry.extensions import Model, db
from registry.facilities.vocab import (
    Category,
    FacilityLevel,
    LocationPrecision,
    LocationSource,
    Ownership,
    Status,
)
from registry.models import TimestampMixin, str_enum, utcnow
from registry.text import sort_key


class FacilityType(Model):
    __tablename__ = "facility_types"
    __generation__ = True  # the confidential flag decides who sees which point

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category: Mapped[Category] = mapped_column(str_enum(Category, "facility_category"))
    residential: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity_min: Mapped[int | None] = mapped_column(Integer)
    capacity_max: Mapped[int | None] = mapped_column(Integer)
    capacity_source: Mapped[str | None] = mapped_column(Text)
    default_radius_km: Mapped[float | None] = mapped_column(Float)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    marker_color: Mapped[str] = mapped_column(String(7), default="#0d6efd")

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi


class Facility(Audited, TimestampMixin, Model):
    __tablename__ = "facilities"
    __generation__ = True
    # geom is recorded through lon/lat; search_text is derived.
    __audit_exclude__ = frozenset(
        {
            "updated_at",
            "created_at",
            "version",
            "search_text",
            "search_public",
            "name_key",
            "updated_by_id",
            "created_by_id",
            "geom",
        }
    )
    __table_args__ = (
        Index("ix_facilities_lon_lat", "lon", "lat"),
        Index("ix_facilities_province_status", "province_code", "status"),
        # The list's sorts: each can be read in order from an index, in the whole country or
        # in one province, instead of sorting every facility for each page.
        Index("ix_facilities_name_key", "name_key"),
        Index("ix_facilities_province_name_key", "province_code", "name_key"),
        Index("ix_facilities_design_capacity", "design_capacity"),
        Index("ix_facilities_residents", "residents"),
        Index("ix_facilities_updated_at", "updated_at"),
        CheckConstraint("residents IS NULL OR residents >= 0", name="residents_non_negative"),
        CheckConstraint(
            "design_capacity IS NULL OR design_capacity >= 0", name="capacity_non_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    type_code: Mapped[str] = mapped_column(ForeignKey("facility_types.code"), index=True)
    ownership: Mapped[Ownership] = mapped_column(str_enum(Ownership, "facility_ownership"))
    managing_body: Mapped[str | None] = mapped_column(String(255))
    # Current (post-2025) units, filled from the location.
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    # Pre-2025 units, for the 2016–2025 plans that name districts.
    old_province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(3), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    # Plain copies of the point: a portable, indexed bounding-box filter on every engine.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    location_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    location_source: Mapped[LocationSource] = mapped_column(
        str_enum(LocationSource, "location_source"), default=LocationSource.LATLON
    )
    location_precision: Mapped[LocationPrecision] = mapped_column(
        str_enum(LocationPrecision, "location_precision"), default=LocationPrecision.EXACT
    )
    # The level it serves, the catalogue services it offers and the target groups it takes
    # (codes of registry/facilities/catalogue.yaml); plans scope their rules by these.
    level: Mapped[FacilityLevel | None] = mapped_column(str_enum(FacilityLevel, "facility_level"))
    service_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A trusted address "supported to the central criteria" (DN l.161): the date it was.
    criteria_supported_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(str_enum(Status, "facility_status"))
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    design_capacity: Mapped[int | None] = mapped_column(Integer)
    capacity_by_group: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    residents: Mapped[int | None] = mapped_column(Integer)
    staff: Mapped[int | None] = mapped_column(Integer)
    services: Mapped[str | None] = mapped_column(Text)
    registration_no: Mapped[str | None] = mapped_column(String(100))
    licence_no: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The name's ICU sort key (registry.text.sort_key): the list sorts by name in Vietnamese
    # order on an index, the same order on both engines. Kept by the "set" event below.
    name_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=b"")
    # The words a reader without the confidential permission may search: no address, no notes.
    search_public: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    type: Mapped[FacilityType] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code

    @property
    def audit_label(self) -> str:
        return f"{self.code} {self.name}"[:255]

    @property
    def confidential(self) -> bool:
        return bool(self.type and self.type.confidential)

    def __repr__(self) -> str:
        return f"<Facility {self.code} {self.name!r} {self.status}>"


@event.listens_for(Facility.name, "set")
def _keep_name_key(target: Facility, value: str | None, _old: Any, _initiator: Any) -> None:
    target.name_key = sort_key(value or "")


class FacilityStatusChange(Model):
    """Every status change with its effective date and reason; "as of" checks read these."""

    __tablename__ = "facility_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[Status | None] = mapped_column(str_enum(Status, "facility_status"))
    to_status: Mapped[Status] = mapped_column(str_enum(Status, "facility_status"))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    facility: Mapped[Facility] = relationship(
        backref=db.backref(
            "status_changes",
            order_by="FacilityStatusChange.effective_on",
            cascade="all, delete-orphan",
            passive_deletes=True,
        )
    )


class CodeSequence(Model):
    """Last registry-code number per province and type, so codes are never reused."""

    __tablename__ = "facility_code_sequences"

    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    type_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
