"""Fixtures for the investment tests: an investment officer of Đồng Nai (75), a facility and
``make_project``, which records a project through the services (audited) with an investment
decision, capital for two years and a few payments."""

from __future__ import annotations

from datetime import date

import pytest

from registry.auth.permissions import Role
from registry.facilities.vocab import Status
from registry.investment import services
from registry.investment.models import DecisionKind, Kind, Source
from registry.investment.workflow import Stage
from tests.factories import FacilityFactory, UserFactory


@pytest.fixture
def officer(db_session):
    return UserFactory(role=Role.INVESTMENT_OFFICER, province_code="75")


@pytest.fixture
def facility(db_session):
    return FacilityFactory(design_capacity=200, status=Status.OPERATING, province_code="75")


def make_project(
    db_session,
    actor,
    *,
    facility=None,
    code: str = "DA-75-001",
    kind: Kind = Kind.UPGRADE,
    capacity_after: int | None = 300,
    total: int = 10_000_000_000,
    capital: tuple[tuple[int, Source, int], ...] = (
        (2023, Source.CENTRAL, 3_000_000_000),
        (2024, Source.PROVINCIAL, 4_000_000_000),
    ),
    payments: tuple[tuple[date, int, Source, int], ...] = (
        (date(2023, 6, 1), 1_000_000_000, Source.CENTRAL, 2023),
        (date(2024, 3, 1), 2_000_000_000, Source.PROVINCIAL, 2024),
    ),
    province_code: str = "75",
):
    project = services.create_project(
        db_session,
        services.ProjectInput(
            code=code,
            name=f"Nâng cấp cơ sở {code}",
            kind=kind,
            province_code=province_code,
            facility_id=facility.id if facility is not None else None,
            owner="Sở Y tế",
            capacity_before=facility.design_capacity if facility is not None else None,
            capacity_after=capacity_after,
        ),
        actor=actor,
        targets=[("dong_nai_2735_2018", "DN-03")],
    )
    services.add_decision(
        db_session,
        project,
        kind=DecisionKind.INVESTMENT,
        number="100/QĐ-UBND",
        signed_on=date(2022, 12, 1),
        authority="UBND tỉnh",
        total_vnd=total,
        reason=None,
        actor=actor,
    )
    services.change_stage(
        db_session,
        project,
        Stage.INVESTMENT_DECISION,
        occurred_on=date(2022, 12, 1),
        reason=None,
        expected_version=project.version,
        actor=actor,
    )
    for year, source, amount in capital:
        services.set_capital_plan(
            db_session,
            project,
            year=year,
            source=source,
            amount_vnd=amount,
            decision_number=None,
            decision_on=None,
            extended_until=None,
            actor=actor,
        )
    for paid_on, amount, source, year in payments:
        services.add_disbursement(
            db_session,
            project,
            paid_on=paid_on,
            amount_vnd=amount,
            source=source,
            capital_year=year,
            reference=None,
            actor=actor,
        )
    db_session.flush()
    return project
