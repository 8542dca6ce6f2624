"""The referral directory: for a commune, the services a caller can be referred to, nearest
first, with the hotlines.

Facilities are read through ``facilities.read`` with a reader that may never see an exact
confidential location, whoever asks: a shelter or trusted address therefore reaches this
module only at its generalised point, without address or notes, and the directory does not
list it at all; it says instead that a safe place can be arranged through the hotline or the
social work centre. Distances are geodesic, from the commune's representative point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities import catalogue, read
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import FacilityRecord
from registry.facilities.vocab import Status
from registry.geo import distance_m, point
from registry.geography import services as geography
from registry.geography.models import AdminUnit, AdminUnitSuccession, Edition, Level
from registry.i18n import _l
from registry.referrals.models import ReferralProfile
from registry.text import fold, strip_admin_prefix

#: Upper ends of the distance bands (km) an operator reads out to a caller.
BANDS_KM = (5, 15, 30, 60)
GBV_SERVICES = frozenset({"gbv_counselling", "gbv_victim_support"})
MAX_MATCHES = 20


@dataclass(frozen=True)
class CommuneMatch:
    code: str
    name: str
    province_code: str
    matched: str  # the name that matched (a pre-2025 commune's, when found through it)
    edition: Edition


@dataclass(frozen=True)
class Entry:
    facility_id: int
    code: str
    name: str
    type_code: str
    type_name: str
    category: str
    services: tuple[str, ...]
    target_groups: tuple[str, ...]
    hours: str | None
    phone: str | None
    contact: str | None
    takes_emergency: bool
    accepts_111: bool
    distance_km: float
    band: str

    @property
    def gbv(self) -> bool:
        return self.category == "victim_support"

    @property
    def social_work_centre(self) -> bool:
        return self.category == "social_work"

    def json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "type_code": self.type_code,
            "type_name": self.type_name,
            "services": list(self.services),
            "target_groups": list(self.target_groups),
            "hours": self.hours,
            "phone": self.phone,
            "contact": self.contact,
            "takes_emergency": self.takes_emergency,
            "accepts_111": self.accepts_111,
            "distance_band": self.band,
        }


@dataclass(frozen=True)
class Directory:
    commune: CommuneMatch
    entries: tuple[Entry, ...]
    nearest_gbv: Entry | None
    social_work_centre: Entry | None
    safe_place_available: bool  # a confidential shelter exists in the province
    hotlines: tuple[dict[str, str], ...]

    def json(self, locale: str) -> dict[str, Any]:
        return {
            "commune": {
                "code": self.commune.code,
                "name": self.commune.name,
                "province_code": self.commune.province_code,
            },
            "hotlines": [
                {
                    "number": h["number"],
                    "name": h["name_en" if locale == "en" else "name_vi"],
                    "source": h.get("source"),
                }
                for h in self.hotlines
            ],
            "nearest_gbv_service": self.nearest_gbv.json() if self.nearest_gbv else None,
            "social_work_centre": (
                self.social_work_centre.json() if self.social_work_centre else None
            ),
            "safe_place": str(SAFE_PLACE) if self.safe_place_available else None,
            "services": [e.json() for e in self.entries],
        }


SAFE_PLACE = _l(
    "A safe place (trusted address or shelter) can be arranged: contact the hotline or the "
    "social work centre. Its location is never given out."
)


def band_label(km: float) -> str:
    low = 0
    for high in BANDS_KM:
        if km < high:
            return f"{low}–{high} km" if low else f"< {high} km"
        low = high
    return f"> {BANDS_KM[-1]} km"


def _key(name: str) -> str:
    return fold(strip_admin_prefix(name))


def find_communes(
    session: Session, query: str, *, province_code: str | None = None
) -> list[CommuneMatch]:
    """Current communes whose name, or the name of a pre-2025 commune they were formed from,
    matches the query (case, diacritics, tone placement and the unit word ignored): exact
    matches if there are any, else those starting with it, else those containing it."""
    wanted = _key(query or "")
    if not wanted:
        return []
    stmt = select(
        AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.province_code, AdminUnit.edition
    ).where(AdminUnit.level == Level.COMMUNE)
    if province_code is not None:
        old_codes = [
            old for old, new in geography.province_code_map(session).items() if new == province_code
        ]
        stmt = stmt.where(AdminUnit.province_code.in_([province_code, *old_codes]))
    units = session.execute(stmt).all()
    for test in (
        lambda k: k == wanted,
        lambda k: k.startswith(wanted),
        lambda k: wanted in k,
    ):
        hits = [u for u in units if test(_key(u.name))]
        if hits:
            break
    else:
        return []
    current = {u.id: u for u in hits if u.edition == Edition.CURRENT}
    old = {u.id: u for u in hits if u.edition != Edition.CURRENT}
    out: dict[str, CommuneMatch] = {
        u.code: CommuneMatch(u.code, u.name, u.province_code, u.name, Edition.CURRENT)
        for u in current.values()
    }
    if old:
        rows = session.execute(
            select(AdminUnitSuccession.old_unit_id, AdminUnit)
            .join(AdminUnit, AdminUnit.id == AdminUnitSuccession.new_unit_id)
            .where(
                AdminUnitSuccession.old_unit_id.in_(list(old)),
                AdminUnit.level == Level.COMMUNE,
            )
        )
        for old_id, unit in rows:
            if province_code is not None and unit.province_code != province_code:
                continue
            out.setdefault(
                unit.code,
                CommuneMatch(
                    unit.code, unit.name, unit.province_code, old[old_id].name, Edition.PRE2025
                ),
            )
    return sorted(out.values(), key=lambda m: (m.province_code, m.code))[:MAX_MATCHES]


def commune(session: Session, code: str) -> CommuneMatch | None:
    unit = geography.unit_by_code(session, code, Edition.CURRENT, Level.COMMUNE)
    if unit is None:
        return None
    return CommuneMatch(unit.code, unit.name, unit.province_code, unit.name, Edition.CURRENT)


def commune_at(session: Session, lon: float, lat: float) -> CommuneMatch | None:
    """The current commune at a clicked point (outlines exist for the pilot provinces)."""
    for unit in geography.units_at(session, lon, lat, edition=Edition.CURRENT):
        if unit.level == Level.COMMUNE:
            return CommuneMatch(unit.code, unit.name, unit.province_code, unit.name, unit.edition)
    return None


def _profiles(session: Session, ids: Iterable[int]) -> dict[int, ReferralProfile]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(ReferralProfile).where(ReferralProfile.facility_id.in_(wanted)))
    return {p.facility_id: p for p in rows}


def _entry(
    record: FacilityRecord,
    profile: ReferralProfile | None,
    km: float,
    locale: str,
    *,
    public: bool,
) -> Entry:
    services = tuple(catalogue.labels("services", record.service_codes, locale))
    return Entry(
        facility_id=record.id,
        code=record.code,
        name=record.name,
        type_code=record.type_code,
        type_name=record.type_name(locale),
        category=record.category,
        services=services,
        target_groups=tuple(catalogue.labels("target_groups", record.target_groups, locale)),
        hours=profile.hours if profile else None,
        phone=profile.phone if profile else None,
        contact=None if public or profile is None else profile.contact,
        takes_emergency=bool(profile and profile.takes_emergency),
        accepts_111=bool(profile and profile.accepts_111),
        distance_km=round(km, 1),
        band=band_label(km),
    )


def directory(
    session: Session,
    match: CommuneMatch,
    *,
    jurisdiction: str | None,
    public: bool,
    hotlines: Sequence[dict[str, str]],
    locale: str = "vi",
) -> Directory:
    """The directory of one commune. ``public``: only services listed publicly, and no
    operator contact notes. ``jurisdiction`` is the reader's province (None: national)."""
    reader = read.Reader(province_code=jurisdiction, may_see_exact=False)
    records = read.records(
        session,
        reader,
        FacilityFilter(statuses=[Status.OPERATING]),
        provinces=[match.province_code],
    )
    unit = geography.unit_by_code(session, match.code, Edition.CURRENT, Level.COMMUNE)
    here = (
        point(unit.rep_lon, unit.rep_lat)
        if unit is not None and unit.rep_lon is not None and unit.rep_lat is not None
        else None
    )
    profiles = _profiles(session, [r.id for r in records if not r.confidential_type])
    entries: list[Entry] = []
    safe_place = False
    for record in records:
        if record.confidential_type or record.generalised:
            safe_place = True
            continue
        profile = profiles.get(record.id)
        if public and profile is not None and not profile.listed_publicly:
            continue
        km = distance_m(here, point(record.lon, record.lat)) / 1000.0 if here else 0.0
        entries.append(_entry(record, profile, km, locale, public=public))
    entries.sort(key=lambda e: (e.distance_km, e.name))
    gbv = [
        e
        for e in entries
        if e.gbv or GBV_SERVICES & set(_codes(records, e.facility_id, "service_codes"))
    ]
    return Directory(
        commune=match,
        entries=tuple(entries),
        nearest_gbv=gbv[0] if gbv else None,
        social_work_centre=next((e for e in entries if e.social_work_centre), None),
        safe_place_available=safe_place,
        hotlines=tuple(hotlines),
    )


def _codes(records: Sequence[FacilityRecord], facility_id: int, attribute: str) -> tuple[str, ...]:
    for record in records:
        if record.id == facility_id:
            return tuple(getattr(record, attribute))
    return ()
