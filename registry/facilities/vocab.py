"""The facility vocabularies every module may name: categories, ownership, status, how a
location was entered. Plain enums, no database: planning, licensing, investment and the API
import these instead of the models."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Function categories: Decree 103/2017 Art. 5 plus the kinds the plans count separately."""

    ELDERLY = "elderly"
    CHILDREN = "children"
    DISABILITY = "disability"
    MENTAL_HEALTH = "mental_health"
    GENERAL = "general"
    SOCIAL_WORK = "social_work"
    DRUG_REHAB = "drug_rehab"
    COUNSELLING = "counselling"
    SHELTER = "shelter"
    VICTIM_SUPPORT = "victim_support"
    OTHER = "other"


class FacilityLevel(StrEnum):
    """The administrative level a facility serves (a plan's "provincial centre", "district
    social work office", "commune service point")."""

    PROVINCIAL = "provincial"
    DISTRICT = "district"
    COMMUNE = "commune"


class LocationPrecision(StrEnum):
    """How precise the stored point is: a surveyed point, or a unit's representative point
    because the source named only the commune, district or province."""

    EXACT = "exact"
    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"


class Ownership(StrEnum):
    PUBLIC = "public"
    NON_PUBLIC = "non_public"


class Status(StrEnum):
    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    OPERATING = "operating"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class LocationSource(StrEnum):
    MAP = "map"
    LATLON = "latlon"
    VN2000 = "vn2000"
    UNIT_POINT = "unit_point"
    IMPORT = "import"


def over_capacity(residents: int | None, design_capacity: int | None) -> bool:
    """More residents than the design capacity: the one definition of "over capacity", a
    fact the registry records and flags (never a reason to refuse a record)."""
    return residents is not None and design_capacity is not None and residents > design_capacity
