"""Roles and what each may do. Pure: no database, no Flask.

A permission is granted by role; the jurisdiction (a province, or national) limits *where*.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    LICENSING_OFFICER = "licensing_officer"
    INVESTMENT_OFFICER = "investment_officer"
    REPORTER = "reporter"
    VIEWER = "viewer"


ALL_ROLES = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "users.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN, Role.REPORTER}),
    "geography.view": ALL_ROLES,
    "facilities.view": ALL_ROLES,
    "facilities.edit": frozenset(
        {Role.ADMIN, Role.PLANNER, Role.LICENSING_OFFICER, Role.INVESTMENT_OFFICER}
    ),
    "facilities.change_status": frozenset(
        {Role.ADMIN, Role.LICENSING_OFFICER, Role.INVESTMENT_OFFICER}
    ),
    "facilities.propose": frozenset({Role.ADMIN, Role.PLANNER}),
    "facilities.import": frozenset({Role.ADMIN}),
    "facilities.export": ALL_ROLES,
    "facilities.view_confidential": frozenset({Role.ADMIN, Role.LICENSING_OFFICER}),
    "plans.view": ALL_ROLES,
    "plans.edit": frozenset({Role.ADMIN}),
    "scenarios.edit": frozenset({Role.ADMIN, Role.PLANNER}),
    "scenarios.adopt": frozenset({Role.ADMIN}),
    # Licensing officers process applications in their jurisdiction (issue 10).
    "licensing.view": frozenset({Role.ADMIN, Role.LICENSING_OFFICER}),
    "licensing.process": frozenset({Role.ADMIN, Role.LICENSING_OFFICER}),
    # Investment staff keep projects; everyone signed in may follow them (issue 11).
    "investment.view": ALL_ROLES,
    "investment.edit": frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER}),
    "investment.handover": frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER}),
    # Demand layers from aggregated counts (issue 15): everyone signed in reads them, counts
    # below DEMAND_SMALL_NUMBER_THRESHOLD banded ("< 5") unless view_small_numbers is held.
    "demand.view": ALL_ROLES,
    "demand.import": frozenset({Role.ADMIN, Role.PLANNER}),
    "demand.view_small_numbers": frozenset({Role.ADMIN, Role.PLANNER}),
    # The referral directory: every signed-in user (hotline operators) may search it.
    "referrals.view": ALL_ROLES,
}


def role_can(role: Role | str, permission: str) -> bool:
    """True when the role holds the permission; unknown permissions are denied."""
    return Role(role) in PERMISSIONS.get(permission, frozenset())


def jurisdiction_covers(user_province: str | None, province_code: str | None) -> bool:
    """A national user (no province) covers everything; a provincial user only their province."""
    return user_province is None or user_province == province_code
