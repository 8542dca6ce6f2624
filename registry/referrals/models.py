"""What the directory needs of a facility beyond the registry record (hours, contact, whether
it takes emergencies and 111 referrals), and its identifiers in other systems.

Facilities are referenced by id only and read through ``facilities.read``. Both tables are
audited; ``province_code`` is the facility's, for the audit log's jurisdiction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.audit.mixins import Audited
from registry.extensions import Model
from registry.i18n import _l
from registry.models import str_enum, utcnow


class ExternalSystem(StrEnum):
    """The information systems the plans build around the facilities."""

    CHILD_DATABASE = "child_database"  # DN III.2.a l.105, III.2.c l.129; DL IV.2.c l.112
    DISABILITY_SOFTWARE = "disability_software"  # DN III.1.c l.99
    REHAB_IT = "rehab_it"  # DL IV.4.c l.242
    PUBLIC_SERVICE_PORTAL = "public_service_portal"


SYSTEM_LABELS = {
    ExternalSystem.CHILD_DATABASE: _l("Child database"),
    ExternalSystem.DISABILITY_SOFTWARE: _l("Disability management software"),
    ExternalSystem.REHAB_IT: _l("Drug-rehabilitation management system"),
    ExternalSystem.PUBLIC_SERVICE_PORTAL: _l("National public-service portal"),
}


class ReferralProfile(Audited, Model):
    __tablename__ = "referral_profiles"
    __audit_exclude__ = frozenset({"updated_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), unique=True
    )
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    contact: Mapped[str | None] = mapped_column(String(255))
    takes_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_111: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_publicly: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code


class ExternalId(Audited, Model):
    __tablename__ = "facility_external_ids"
    __table_args__ = (UniqueConstraint("facility_id", "system"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    system: Mapped[ExternalSystem] = mapped_column(str_enum(ExternalSystem, "external_system"))
    identifier: Mapped[str] = mapped_column(String(100))

    @property
    def audit_jurisdiction(self) -> str:
        return self.province_code
