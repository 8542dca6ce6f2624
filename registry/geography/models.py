"""Administrative units, versioned by edition, and the 2025 successions between them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import Model
from registry.models import str_enum

REORGANISATION_DATE = date(2025, 7, 1)


class Edition(StrEnum):
    """Which organisation a unit belongs to: before or after the 1 July 2025 reorganisation."""

    PRE2025 = "pre2025"
    CURRENT = "2025"


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class AdminUnit(Model):
    __tablename__ = "admin_units"
    __generation__ = True  # representative points and outlines
    __table_args__ = (
        UniqueConstraint("edition", "level", "code", name="uq_admin_units_edition_level_code"),
        Index("ix_admin_units_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[Edition] = mapped_column(str_enum(Edition, "admin_edition", 16), index=True)
    level: Mapped[Level] = mapped_column(str_enum(Level, "admin_level", 16))
    code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(120))
    full_name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str | None] = mapped_column(String(160))
    division_type: Mapped[str | None] = mapped_column(String(60))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    population: Mapped[int | None] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    population_source: Mapped[str | None] = mapped_column(Text)
    area_km2: Mapped[float | None] = mapped_column(Float)
    formed_from: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)
    rep_lon: Mapped[float | None] = mapped_column(Float)
    rep_lat: Mapped[float | None] = mapped_column(Float)
    # Bounding box kept as plain columns: an indexed prefilter that works on every engine.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    geometry_source: Mapped[str | None] = mapped_column(String(120))

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<AdminUnit {self.edition} {self.level} {self.code} {self.name}>"


class AdminUnitSuccession(Model):
    """An old unit that became (part of) a new one on ``effective_on``."""

    __tablename__ = "admin_unit_successions"
    __table_args__ = (
        UniqueConstraint("old_unit_id", "new_unit_id", name="uq_admin_unit_successions_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_unit_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), index=True
    )
    new_unit_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), index=True
    )
    effective_on: Mapped[date] = mapped_column(Date, default=lambda: REORGANISATION_DATE)
    partial: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)

    old_unit: Mapped[AdminUnit] = relationship(foreign_keys=[old_unit_id])
    new_unit: Mapped[AdminUnit] = relationship(foreign_keys=[new_unit_id])
