"""More investment services on the database: field errors, dates, suspension, adjustments,
funding, progress, contracts, handover permissions and portfolio filters."""

from __future__ import annotations

from datetime import date

import pytest

from registry.auth.permissions import Role
from registry.errors import PermissionDenied
from registry.facilities.vocab import Status
from registry.investment import services
from registry.investment.models import Kind, Source
from registry.investment.services import InvestmentError
from registry.investment.workflow import Stage
from tests.factories import FacilityFactory, UserFactory
from tests.investment.conftest import make_project


def move(db_session, project, stage, on, actor, reason=None):
    return services.change_stage(
        db_session,
        project,
        stage,
        occurred_on=on,
        reason=reason,
        expected_version=project.version,
        actor=actor,
    )


def progress(db_session, project, actor, on, pct):
    return services.add_progress(
        db_session, project, as_of=on, physical_pct=pct, narrative=None, problems=None, actor=actor
    )


def test_facility_of_another_province_is_a_field_error(db_session):
    national = UserFactory(role=Role.INVESTMENT_OFFICER, province_code=None)
    elsewhere = FacilityFactory(province_code="66", code="66-GENERAL-0001")
    with pytest.raises(InvestmentError) as err:
        make_project(db_session, national, facility=elsewhere)
    assert err.value.field == "facility_id"


def test_duplicate_code_is_a_field_error(db_session, officer):
    make_project(db_session, officer)
    with pytest.raises(InvestmentError) as err:
        make_project(db_session, officer)
    assert err.value.field == "code"


def test_stage_dates_cannot_run_backwards_or_into_the_future(db_session, officer):
    project = make_project(db_session, officer)
    with pytest.raises(InvestmentError):
        move(db_session, project, Stage.DESIGN, date(2022, 1, 1), officer)
    with pytest.raises(InvestmentError):
        move(db_session, project, Stage.DESIGN, date(2999, 1, 1), officer)
    assert project.stage is Stage.INVESTMENT_DECISION


def test_suspension_resumes_only_at_the_stage_it_left(db_session, officer):
    project = make_project(db_session, officer)
    move(db_session, project, Stage.CONSTRUCTION, date(2023, 5, 1), officer)
    move(db_session, project, Stage.SUSPENDED, date(2023, 7, 1), officer, reason="Chờ vốn")
    assert project.suspended_from is Stage.CONSTRUCTION
    with pytest.raises(InvestmentError):
        move(db_session, project, Stage.HANDOVER, date(2023, 8, 1), officer)
    move(db_session, project, Stage.CONSTRUCTION, date(2023, 8, 1), officer)
    assert project.suspended_from is None


def test_going_back_before_handover_clears_the_acceptance(db_session, officer, facility):
    project = make_project(db_session, officer, facility=facility)
    move(db_session, project, Stage.HANDOVER, date(2025, 6, 30), officer)
    assert project.accepted_on == date(2025, 6, 30)
    move(db_session, project, Stage.CONSTRUCTION, date(2025, 7, 2), officer, reason="Không đạt")
    assert project.accepted_on is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount_vnd": 0}, "amount_vnd"),
        ({"amount_vnd": -5}, "amount_vnd"),
        ({"paid_on": date(2999, 1, 1)}, "paid_on"),
        ({"capital_year": 2030}, "capital_year"),
        ({"capital_year": 1990}, "capital_year"),
    ],
)
def test_bad_disbursements_name_their_field_and_write_nothing(db_session, officer, kwargs, field):
    project = make_project(db_session, officer)
    values = {
        "paid_on": date(2024, 5, 1),
        "amount_vnd": 1_000,
        "source": Source.CENTRAL,
        "capital_year": 2024,
        "reference": None,
    } | kwargs
    before = len(project.disbursements)
    with pytest.raises(InvestmentError) as err:
        services.add_disbursement(db_session, project, actor=officer, **values)
    assert err.value.field == field
    assert len(project.disbursements) == before


def test_an_adjustment_needs_its_reason_and_becomes_the_approved_total(db_session, officer):
    project = make_project(db_session, officer)
    decision = {
        "kind": "adjustment",
        "number": "5/QĐ-UBND",
        "signed_on": date(2024, 1, 5),
        "authority": "UBND tỉnh",
        "total_vnd": 12_000_000_000,
        "actor": officer,
    }
    with pytest.raises(InvestmentError) as err:
        services.add_decision(db_session, project, reason=" ", **decision)
    assert err.value.field == "reason"
    services.add_decision(db_session, project, reason="Trượt giá vật liệu", **decision)
    assert services.approved_total(project) == 12_000_000_000
    history = [d.total_vnd for d in services.decisions_in_order(project)]
    assert history == [10_000_000_000, 12_000_000_000]


def test_funding_by_source_cannot_exceed_the_approved_total(db_session, officer):
    project = make_project(db_session, officer)
    services.set_funding(
        db_session,
        project,
        {Source.CENTRAL: 6_000_000_000, Source.PROVINCIAL: 4_000_000_000},
        actor=officer,
    )
    assert sorted(f.amount_vnd for f in project.funding) == [4_000_000_000, 6_000_000_000]
    with pytest.raises(InvestmentError):
        services.set_funding(db_session, project, {Source.CENTRAL: 10_000_000_001}, actor=officer)
    services.set_funding(db_session, project, {Source.CENTRAL: 6_000_000_000}, actor=officer)
    assert [f.source for f in project.funding] == [Source.CENTRAL]


def test_progress_reports_are_validated_and_the_latest_wins(db_session, officer):
    project = make_project(db_session, officer)
    with pytest.raises(InvestmentError) as err:
        progress(db_session, project, officer, date(2024, 1, 1), 101)
    assert err.value.field == "physical_pct"
    progress(db_session, project, officer, date(2024, 3, 1), 30)
    progress(db_session, project, officer, date(2024, 1, 1), 10)
    with pytest.raises(InvestmentError):
        progress(db_session, project, officer, date(2024, 1, 1), 12)
    assert services.latest_progress(project).physical_pct == 30


def test_planned_progress_must_rise_over_time(db_session, officer):
    project = make_project(db_session, officer)
    with pytest.raises(InvestmentError):
        services.set_planned_progress(
            db_session, project, [(date(2024, 1, 1), 50), (date(2024, 6, 1), 40)], actor=officer
        )
    services.set_planned_progress(
        db_session, project, [(date(2024, 6, 1), 40), (date(2024, 1, 1), 10)], actor=officer
    )
    assert [p.physical_pct for p in project.planned_progress] == [10, 40]


def test_contract_modifications_change_value_or_end(db_session, officer):
    project = make_project(db_session, officer)
    contract = services.add_contract(
        db_session,
        project,
        number="01/HĐ",
        title="Thi công",
        contractor="Công ty A",
        nature="construction",
        signed_on=date(2023, 4, 1),
        value_vnd=5_000_000_000,
        end_on=date(2024, 4, 1),
        actor=officer,
    )
    change = {"signed_on": date(2023, 9, 1), "reason": "Phát sinh", "actor": officer}
    with pytest.raises(InvestmentError):
        services.modify_contract(
            db_session, project, contract.id, new_value_vnd=None, new_end_on=None, **change
        )
    services.modify_contract(
        db_session, project, contract.id, new_value_vnd=5_500_000_000, new_end_on=None, **change
    )
    assert services.contract_value(contract) == 5_500_000_000
    assert services.contract_end(contract) == date(2024, 4, 1)


def test_only_investment_staff_confirm_a_handover_and_only_once(db_session, officer):
    building = FacilityFactory(
        design_capacity=200, status=Status.UNDER_CONSTRUCTION, code="75-GENERAL-7777"
    )
    project = make_project(db_session, officer, facility=building, capacity_after=350)
    move(db_session, project, Stage.HANDOVER, date(2025, 6, 30), officer)
    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    with pytest.raises(PermissionDenied):
        services.confirm_handover(
            db_session, project, actor=viewer, expected_version=project.version
        )
    proposal = services.handover_proposal(db_session, project, officer)
    assert proposal.new_status is Status.OPERATING
    services.confirm_handover(db_session, project, actor=officer, expected_version=project.version)
    assert services.handover_proposal(db_session, project, officer).confirmed
    with pytest.raises(InvestmentError):
        services.confirm_handover(
            db_session, project, actor=officer, expected_version=project.version
        )


def test_portfolio_filters_by_kind_and_flag(db_session, officer, facility):
    make_project(db_session, officer, facility=facility)
    make_project(db_session, officer, code="DA-75-002", kind=Kind.REPAIR, payments=())
    repairs = services.portfolio(db_session, officer, kind=Kind.REPAIR)
    assert [r.code for r in repairs.rows] == ["DA-75-002"]
    assert repairs.disbursed_total == 0
    assert repairs.by_source("allocated") == {
        Source.CENTRAL: 3_000_000_000,
        Source.PROVINCIAL: 4_000_000_000,
    }
    flagged = services.portfolio(
        db_session, officer, flag="supervision_missing", today=date(2026, 12, 3)
    )
    assert len(flagged.rows) == 2
    assert services.portfolio(db_session, officer, flag="stalled").rows == []
