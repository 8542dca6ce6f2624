"""Services: jurisdiction, optimistic lock, stage changes, exact money and handover."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.errors import ConflictError, NotFound
from registry.facilities.models import Facility
from registry.facilities.vocab import Status
from registry.investment import services
from registry.investment.models import Disbursement, Kind, Source
from registry.investment.workflow import Stage
from tests.factories import FacilityFactory, UserFactory
from tests.investment.conftest import make_project


def _to(db_session, project, stage, actor, on=date(2025, 6, 1), reason=None):
    return services.change_stage(
        db_session,
        project,
        stage,
        occurred_on=on,
        reason=reason,
        expected_version=project.version,
        actor=actor,
    )


def test_money_is_exact_over_many_small_disbursements(db_session, officer):
    project = make_project(
        db_session,
        officer,
        total=20_000_000_000_001,
        capital=((2024, Source.CENTRAL, 20_000_000_000_000),),
        payments=(),
    )
    odd = [1, 7, 999_999_999, 3]
    rows = [
        Disbursement(
            paid_on=date(2024, 5, 1),
            amount_vnd=1_234_567,
            source=Source.CENTRAL,
            capital_year=2024,
        )
        for _ in range(10_000)
    ]
    rows += [
        Disbursement(
            paid_on=date(2024, 6, 1), amount_vnd=a, source=Source.CENTRAL, capital_year=2024
        )
        for a in odd
    ]
    project.disbursements.extend(rows)
    db_session.flush()
    for amount in (11, 13):
        services.add_disbursement(
            db_session,
            project,
            paid_on=date(2024, 7, 1),
            amount_vnd=amount,
            source=Source.CENTRAL,
            capital_year=2024,
            reference=None,
            actor=officer,
        )
    expected = 10_000 * 1_234_567 + sum(odd) + 11 + 13
    summary = services.money_summary(project)
    assert summary.disbursed_total == expected
    assert isinstance(summary.disbursed_total, int)
    assert summary.disbursed[2024][Source.CENTRAL] == expected
    assert summary.rate == Fraction(expected, 20_000_000_000_001)
    assert isinstance(summary.rate, Fraction)
    stored = db_session.scalar(
        select(func.sum(Disbursement.amount_vnd)).where(Disbursement.project_id == project.id)
    )
    assert int(stored) == expected


def test_disbursement_must_be_positive_and_not_in_the_future(db_session, officer):
    project = make_project(db_session, officer)
    for amount, paid_on in ((0, date(2024, 1, 1)), (-5, date(2024, 1, 1)), (5, date(2999, 1, 1))):
        with pytest.raises(services.InvestmentError):
            services.add_disbursement(
                db_session,
                project,
                paid_on=paid_on,
                amount_vnd=amount,
                source=Source.CENTRAL,
                capital_year=2024,
                reference=None,
                actor=officer,
            )


def test_approved_total_follows_the_latest_decision(db_session, officer):
    from registry.investment.models import DecisionKind

    project = make_project(db_session, officer, total=10_000)
    with pytest.raises(services.InvestmentError):
        services.add_decision(
            db_session,
            project,
            kind=DecisionKind.ADJUSTMENT,
            number="2/QĐ",
            signed_on=date(2024, 1, 1),
            authority="UBND tỉnh",
            total_vnd=12_000,
            reason=None,
            actor=officer,
        )
    services.add_decision(
        db_session,
        project,
        kind=DecisionKind.ADJUSTMENT,
        number="2/QĐ",
        signed_on=date(2024, 1, 1),
        authority="UBND tỉnh",
        total_vnd=12_000,
        reason="Trượt giá",
        actor=officer,
    )
    assert services.approved_total(project) == 12_000


def test_provincial_user_cannot_see_or_create_another_provinces_project(db_session, officer):
    other = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="66")
    project = make_project(db_session, officer)
    with pytest.raises(NotFound):
        services.get_project(db_session, project.id, other)
    assert (
        project.id
        not in db_session.scalars(
            services.visible(db_session, other).with_only_columns(services.Project.id)
        ).all()
    )
    assert services.get_project(db_session, project.id, officer) is project
    with pytest.raises(services.InvestmentError):
        services.create_project(
            db_session,
            services.ProjectInput(
                code="DA-75-X", name="X", kind=Kind.REPAIR, province_code="75", owner="Sở"
            ),
            actor=other,
        )
    national = UserFactory(role=Role.INVESTMENT_OFFICER, province_code=None)
    assert services.get_project(db_session, project.id, national) is project


def test_stale_version_is_a_conflict_and_writes_nothing(db_session, officer):
    project = make_project(db_session, officer)
    stale = project.version - 1
    data = services.ProjectInput(
        code=project.code,
        name="Tên mới",
        kind=project.kind,
        province_code="75",
        owner=project.owner,
    )
    before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ConflictError):
        services.update_project(
            db_session, project, data, expected_version=stale, actor=officer, reason="x"
        )
    with pytest.raises(ConflictError):
        services.change_stage(
            db_session,
            project,
            Stage.DESIGN,
            occurred_on=date(2025, 1, 1),
            reason=None,
            expected_version=stale,
            actor=officer,
        )
    db_session.flush()
    assert project.name != "Tên mới"
    assert project.stage is Stage.INVESTMENT_DECISION
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_stage_backwards_without_reason_is_refused(db_session, officer):
    project = make_project(db_session, officer)
    _to(db_session, project, Stage.CONSTRUCTION, officer)
    with pytest.raises(services.InvestmentError):
        _to(db_session, project, Stage.DESIGN, officer, on=date(2025, 7, 1))
    assert project.stage is Stage.CONSTRUCTION
    change = _to(db_session, project, Stage.DESIGN, officer, on=date(2025, 7, 1), reason="Sửa TK")
    assert change.from_stage is Stage.CONSTRUCTION
    assert change.reason == "Sửa TK"


def test_handover_sets_acceptance_and_suspension_resumes(db_session, officer):
    project = make_project(db_session, officer)
    _to(db_session, project, Stage.CONSTRUCTION, officer)
    _to(db_session, project, Stage.SUSPENDED, officer, reason="Thiếu vốn")
    assert project.suspended_from is Stage.CONSTRUCTION
    _to(db_session, project, Stage.CONSTRUCTION, officer, on=date(2025, 8, 1))
    _to(db_session, project, Stage.HANDOVER, officer, on=date(2025, 9, 1))
    assert project.accepted_on == date(2025, 9, 1)


def test_a_project_recorded_late_may_go_straight_to_settlement_which_dates_acceptance(
    db_session, officer
):
    project = make_project(db_session, officer)
    _to(db_session, project, Stage.CONSTRUCTION, officer)
    _to(db_session, project, Stage.SETTLEMENT, officer, on=date(2025, 10, 15))
    assert project.accepted_on == date(2025, 10, 15)
    _to(db_session, project, Stage.HANDOVER, officer, on=date(2025, 11, 1), reason="Bàn giao")
    assert project.accepted_on == date(2025, 10, 15)  # the first acceptance stays


def test_handover_confirm_changes_the_facility_with_audit(db_session, officer):
    facility = FacilityFactory(
        design_capacity=200, status=Status.UNDER_CONSTRUCTION, province_code="75"
    )
    project = make_project(db_session, officer, facility=facility, capacity_after=350)
    project.level_after = "provincial"
    assert services.handover_proposal(db_session, project, officer) is None
    with pytest.raises(services.InvestmentError):
        services.confirm_handover(
            db_session, project, actor=officer, expected_version=project.version
        )
    _to(db_session, project, Stage.CONSTRUCTION, officer)
    _to(db_session, project, Stage.HANDOVER, officer, on=date(2025, 9, 1))
    proposal = services.handover_proposal(db_session, project, officer)
    assert proposal is not None
    assert (proposal.current_capacity, proposal.new_capacity) == (200, 350)
    assert proposal.new_status is Status.OPERATING
    assert not proposal.confirmed
    services.confirm_handover(db_session, project, actor=officer, expected_version=project.version)
    db_session.flush()
    fac = db_session.get(Facility, facility.id)
    assert fac.design_capacity == 350
    assert fac.status is Status.OPERATING
    assert str(fac.level.value if hasattr(fac.level, "value") else fac.level) == "provincial"
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "facilities", AuditEvent.entity_id == str(facility.id)
        )
    ).all()
    assert any(project.code in (e.reason or "") for e in events)
    assert project.handover_confirmed_at is not None
    assert project.handover_confirmed_by_id == officer.id
    with pytest.raises(services.InvestmentError):
        services.confirm_handover(
            db_session, project, actor=officer, expected_version=project.version
        )


def test_flags_from_the_services_use_the_records(db_session, officer):
    project = make_project(
        db_session,
        officer,
        capital=((2023, Source.CENTRAL, 1_000),),
        payments=(
            (date(2023, 6, 1), 900, Source.CENTRAL, 2023),
            (date(2024, 3, 1), 500, Source.CENTRAL, 2023),
        ),
    )
    codes = {f.code for f in services.flags(project, date(2024, 4, 1))}
    assert "over_allocation" in codes
    assert "late_disbursement" in codes
    quiet = make_project(
        db_session,
        officer,
        code="DA-75-002",
        capital=((2023, Source.CENTRAL, 1_000),),
        payments=((date(2024, 1, 31), 900, Source.CENTRAL, 2023),),
    )
    codes = {f.code for f in services.flags(quiet, date(2024, 4, 1))}
    assert "over_allocation" not in codes
    assert "late_disbursement" not in codes


def test_portfolio_rows_are_scoped_and_totalled(db_session, officer):
    make_project(db_session, officer)
    other = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="66")
    make_project(db_session, other, code="DA-66-001", province_code="66")
    mine = services.portfolio(db_session, officer, today=date(2025, 1, 1))
    assert [r.code for r in mine.rows] == ["DA-75-001"]
    national = UserFactory(role=Role.INVESTMENT_OFFICER, province_code=None)
    everyone = services.portfolio(db_session, national, today=date(2025, 1, 1))
    assert {r.code for r in everyone.rows} == {"DA-75-001", "DA-66-001"}
