"""Referral profiles and external identifiers of facilities. Services flush, never commit;
the facility is found through ``facilities.read`` for the acting reader, so nobody changes
what they may not see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.context import set_actor
from registry.errors import NotFound, RegistryError
from registry.facilities import read
from registry.facilities.read import FacilityRecord
from registry.i18n import _l
from registry.referrals.models import ExternalId, ExternalSystem, ReferralProfile

_IDENTIFIER = re.compile(r"^[\w.\-/:]{1,100}$")


class LinkRefused(RegistryError):
    pass


@dataclass(frozen=True)
class ProfileInput:
    hours: str | None
    phone: str | None
    contact: str | None
    takes_emergency: bool
    accepts_111: bool
    listed_publicly: bool


def _facility(session: Session, reader: read.Reader, facility_id: int) -> FacilityRecord:
    record = read.get(session, reader, facility_id)
    if record is None:
        raise NotFound(str(_l("No such facility.")))
    return record


def profile_of(session: Session, facility_id: int) -> ReferralProfile | None:
    return session.scalars(
        select(ReferralProfile).where(ReferralProfile.facility_id == facility_id)
    ).one_or_none()


def save_profile(
    session: Session, reader: read.Reader, facility_id: int, spec: ProfileInput, *, actor: Any
) -> ReferralProfile:
    """What the directory says of a facility. Confidential types are never listed, so they
    keep no directory profile."""
    record = _facility(session, reader, facility_id)
    if record.confidential_type:
        raise LinkRefused(
            str(_l("Shelters and trusted addresses are never listed in the directory."))
        )
    set_actor(session, actor)
    profile = profile_of(session, facility_id) or ReferralProfile(facility_id=facility_id)
    profile.province_code = record.province_code
    profile.hours = (spec.hours or "").strip() or None
    profile.phone = (spec.phone or "").strip() or None
    profile.contact = (spec.contact or "").strip() or None
    profile.takes_emergency = spec.takes_emergency
    profile.accepts_111 = spec.accepts_111
    profile.listed_publicly = spec.listed_publicly
    session.add(profile)
    session.flush()
    return profile


def external_ids(session: Session, facility_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    wanted = list(facility_ids)
    out: dict[int, dict[str, str]] = {}
    if not wanted:
        return out
    for link in session.scalars(
        select(ExternalId)
        .where(ExternalId.facility_id.in_(wanted))
        .order_by(ExternalId.facility_id, ExternalId.system)
    ):
        out.setdefault(link.facility_id, {})[ExternalSystem(link.system).value] = link.identifier
    return out


def set_external_ids(
    session: Session,
    reader: read.Reader,
    facility_id: int,
    identifiers: dict[ExternalSystem, str | None],
    *,
    actor: Any,
) -> dict[str, str]:
    """Set (or, when blank, remove) the facility's identifier in each named system."""
    record = _facility(session, reader, facility_id)
    cleaned: dict[ExternalSystem, str | None] = {}
    for system, value in identifiers.items():
        text = (value or "").strip() or None
        if text is not None and not _IDENTIFIER.fullmatch(text):
            raise LinkRefused(
                str(_l("An identifier holds letters, digits and . - / : only (at most 100).")),
                field=system.value,
            )
        cleaned[system] = text
    set_actor(session, actor)
    existing = {
        ExternalSystem(link.system): link
        for link in session.scalars(select(ExternalId).where(ExternalId.facility_id == facility_id))
    }
    for system, text in cleaned.items():
        link = existing.get(system)
        if text is None:
            if link is not None:
                session.delete(link)
        elif link is None:
            session.add(
                ExternalId(
                    facility_id=facility_id,
                    province_code=record.province_code,
                    system=system,
                    identifier=text,
                )
            )
        elif link.identifier != text:
            link.identifier = text
    session.flush()
    return external_ids(session, [facility_id]).get(facility_id, {})


def link_rows(session: Session, reader: read.Reader) -> list[tuple[FacilityRecord, dict[str, str]]]:
    """Every facility the reader may see that carries an identifier, with its identifiers:
    for reconciling the registry with the other systems."""
    ids = list(
        session.scalars(select(ExternalId.facility_id).distinct().order_by(ExternalId.facility_id))
    )
    if not ids:
        return []
    links = external_ids(session, ids)
    return [(r, links.get(r.id, {})) for r in read.records(session, reader, ids=ids)]
