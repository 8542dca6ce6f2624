"""Planning services over the live registry: plans as data, contexts, scenarios, adoption."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry import clock
from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.facilities import services as facility_services
from registry.facilities.models import Facility, Ownership
from registry.facilities.models import Status as FacilityStatus
from registry.facilities.read import SYSTEM
from registry.geography.models import AdminUnit, Edition, Level
from registry.planning import rules, services
from registry.planning.models import ItemAction, MasterPlan, PlanRule
from registry.planning.rules import Status
from tests.factories import UserFactory

DN_PLAN = "DN-2735-KH-UBND-2018"
DN08_DISTRICTS = ["741", "742", "735", "736", "738", "731"]


@pytest.fixture
def plans(db_session):
    services.load_plans(db_session)
    return {p.code: p for p in services.all_plans(db_session)}


@pytest.fixture
def district_points(db_session):
    rows = db_session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == Edition.PRE2025,
            AdminUnit.level == Level.DISTRICT,
            AdminUnit.code.in_(DN08_DISTRICTS),
        )
    )
    return {u.code: (u.rep_lon, u.rep_lat) for u in rows}


def register(
    db_session,
    name,
    type_code,
    point,
    *,
    status=FacilityStatus.OPERATING,
    ownership=Ownership.PUBLIC,
    capacity=None,
    **extra,
):
    facility, _ = facility_services.register_facility(
        db_session,
        facility_services.FacilityInput(
            name=name,
            type_code=type_code,
            ownership=ownership,
            province_code="75",
            lon=point[0],
            lat=point[1],
            status=status,
            design_capacity=capacity,
            **extra,
        ),
        actor_id=None,
        confirm_duplicates=True,
    )
    return facility


def dn_check(db_session, scenario=None, as_of=None):
    run = services.run_check(
        db_session, SYSTEM, [DN_PLAN], as_of=as_of, jurisdiction="75", scenario=scenario
    )
    return run.reports[0][1]


def test_load_is_idempotent_and_keeps_entered_targets(db_session, plans):
    rule = next(r for r in plans["QD-1520-LDTBXH-2015"].rules if r.code == "1520-TOTAL")
    services.set_rule_target(
        db_session,
        rule,
        "unit_min",
        12,
        unit_code="75",
        reason="Phụ lục QĐ 1520",
        editor_province=None,
    )
    again = services.load_plans(db_session)
    assert again["plans_created"] == 0
    assert again["rules_created"] == 0
    assert again["rules_updated"] == 0
    assert services.effective_params(rule)["unit_min"]["75"] == 12
    assert db_session.scalar(select(MasterPlan).where(MasterPlan.code == DN_PLAN)) is not None


def test_target_edit_is_audited_with_reason(db_session, plans):
    rule = next(r for r in plans["QD-1520-LDTBXH-2015"].rules if r.code == "1520-CAPACITY")
    services.set_rule_target(
        db_session, rule, "min", 500, reason="Nhập từ phụ lục", editor_province=None
    )
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "plan_rules",
            AuditEvent.entity_id == str(rule.id),
            AuditEvent.action == "update",
        )
    ).one()
    assert event.reason == "Nhập từ phụ lục"
    assert event.changes["overrides"][1] == {"min": 500}


def test_target_edit_needs_reason_and_an_existing_slot(db_session, plans):
    rule = next(r for r in plans["QD-1520-LDTBXH-2015"].rules if r.code == "1520-TOTAL")
    with pytest.raises(services.PlanningError):
        services.set_rule_target(
            db_session, rule, "unit_min", 3, unit_code="75", reason=" ", editor_province=None
        )
    with pytest.raises(services.PlanningError):
        services.set_rule_target(
            db_session, rule, "unit_min", 3, unit_code="01", reason="x", editor_province=None
        )


def test_missing_targets_report_not_set(db_session, plans, district_points):
    register(
        db_session,
        "Trung tâm Bảo trợ xã hội Đồng Nai",
        "GENERAL",
        district_points["731"],
        capacity=200,
    )
    run = services.run_check(
        db_session, SYSTEM, ["QD-1520-LDTBXH-2015"], as_of=None, jurisdiction="75"
    )
    report = run.reports[0][1]
    assert {r.status for r in report.results} == {Status.NOT_SET}


def test_no_rule_passes_on_missing_data(db_session, plans):
    """Without facilities or units no target may pass; targets left empty are never a pass.

    (Per-facility standards, e.g. "no facility in breach", hold vacuously over no facilities.)
    """
    empty = rules.CheckContext(as_of=date(2025, 12, 31), facilities=())
    targets = {
        "min_count",
        "non_public_share",
        "total_capacity",
        "capacity_per_population",
        "coverage",
        "spacing",
        "valid_admin_codes",
        "external_indicator",
    }
    checked = 0
    for row in plans.values():
        report = rules.evaluate(services.plan_from_row(row), empty)
        for r in report.results:
            if r.kind in targets:
                checked += 1
                assert r.status != Status.PASS, (row.code, r.rule_code, r.message_en)
    assert checked > 30
    # A rule with an empty target stays NOT_SET even when the registry holds facilities.
    ctx = services.build_context(db_session, SYSTEM, as_of=clock.today(), jurisdiction="75")
    for r in rules.evaluate(services.plan_from_row(plans["QD-1520-LDTBXH-2015"]), ctx).results:
        assert r.status == Status.NOT_SET


def test_dong_nai_check_lists_targets_with_evidence(db_session, plans, district_points):
    # Opened during the plan period: the ended plan is checked as of 31/12/2020.
    for code, name in (("731", "Biên Hòa"), ("735", "Vĩnh Cửu")):
        register(
            db_session,
            f"Cơ sở cai nghiện cộng đồng {name}",
            "DRUG_COMMUNITY",
            district_points[code],
            opened_on=date(2019, 6, 1),
        )
    report = dn_check(db_session)
    assert report.as_of == date(2020, 12, 31)
    codes = [r.rule_code for r in report.results]
    assert codes[:3] == ["DN-01", "DN-02", "DN-03"]
    dn08 = report.result("DN-08")
    assert dn08.status == Status.FAIL
    failing = {u["code"] for u in dn08.evidence["failing_units"]}
    assert failing == {"741", "742", "736", "738"}
    assert dn08.source.section.startswith("III.4.a")
    assert report.result("DN-05").status == Status.FAIL
    assert report.result("DN-05").evidence["shortfall"] == 1


def test_scenario_turns_rules_to_pass_and_adoption_registers_planned(
    db_session, plans, district_points
):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    planner = UserFactory(role=Role.PLANNER, province_code="75")
    scenario = services.create_scenario(
        db_session,
        name="Đủ 6 cơ sở cai nghiện",
        province_code="75",
        target_year=2026,
        notes=None,
        actor_id=planner.id,
    )
    for code in ("741", "742", "735", "736", "738"):
        lon, lat = district_points[code]
        item = services.add_item(
            db_session,
            scenario,
            action=ItemAction.ADD,
            name=f"Cơ sở cai nghiện cộng đồng {code}",
            type_code="DRUG_COMMUNITY",
            ownership="public",
            lon=lon,
            lat=lat,
        )
        assert item.district_code == code
    services.add_item(
        db_session,
        scenario,
        action=ItemAction.ADD,
        name="Nhà tạm lánh",
        type_code="VICTIM_SUPPORT",
        lon=district_points["731"][0] + 0.01,
        lat=district_points["731"][1],
    )
    before = db_session.scalar(select(Facility.id).order_by(Facility.id.desc()).limit(1))
    assert dn_check(db_session, scenario).result("DN-08").status == Status.PASS
    # A proposed victim-support facility does not say whom it serves: DN-05 counts only
    # facilities for victims of gender-based violence, so it stays open (issue 9).
    assert dn_check(db_session, scenario).result("DN-05").status == Status.NOT_EVALUABLE
    # The registry is untouched until adoption.
    assert dn_check(db_session).result("DN-08").status == Status.FAIL
    assert db_session.scalar(select(Facility.id).order_by(Facility.id.desc()).limit(1)) == before

    admin = UserFactory(role=Role.ADMIN, province_code="75")
    created = services.adopt_scenario(db_session, scenario, actor_id=admin.id)
    assert len(created) == 6
    assert {f.status for f in created} == {FacilityStatus.PLANNED}
    assert all(i.adopted_facility_id for i in scenario.items)
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "facilities",
            AuditEvent.action == "insert",
            AuditEvent.entity_id.in_([str(f.id) for f in created]),
        )
    ).all()
    assert len(events) == 6
    assert {e.reason for e in events} == {"Thông qua kịch bản Đủ 6 cơ sở cai nghiện"}
    with pytest.raises(services.PlanningError):
        services.adopt_scenario(db_session, scenario, actor_id=admin.id)
    with pytest.raises(services.PlanningError):
        services.add_item(
            db_session,
            scenario,
            action=ItemAction.ADD,
            name="x",
            type_code="GENERAL",
            lon=district_points["731"][0],
            lat=district_points["731"][1],
        )


def test_adoption_is_all_or_nothing(db_session, plans, district_points):
    scenario = services.create_scenario(
        db_session, name="Hỏng", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    services.add_item(
        db_session,
        scenario,
        action=ItemAction.ADD,
        name="Cơ sở tốt",
        type_code="DRUG_COMMUNITY",
        lon=district_points["741"][0],
        lat=district_points["741"][1],
    )
    bad = services.add_item(
        db_session,
        scenario,
        action=ItemAction.ADD,
        name="Cơ sở xấu",
        type_code="DRUG_COMMUNITY",
        lon=district_points["742"][0],
        lat=district_points["742"][1],
    )
    bad.lon = 108.04  # moved to Đắk Lắk behind the service's back: registration must fail
    bad.lat = 12.67
    count = db_session.scalar(select(Facility.id).order_by(Facility.id.desc()).limit(1))
    with pytest.raises(services.PlanningError):
        services.adopt_scenario(db_session, scenario, actor_id=None)
    assert db_session.scalar(select(Facility.id).order_by(Facility.id.desc()).limit(1)) == count
    assert scenario.adopted_at is None


def test_capacity_change_and_closure_in_scenario_and_adoption(db_session, plans, district_points):
    fac = register(
        db_session, "Trung tâm công tác xã hội", "SOCIAL_WORK", district_points["731"], capacity=100
    )
    scenario = services.create_scenario(
        db_session, name="Nâng cấp", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    services.add_item(
        db_session, scenario, action=ItemAction.CAPACITY, facility=fac, design_capacity=150
    )
    facts = services.apply_scenario(
        services.facility_facts(db_session, SYSTEM, as_of=clock.today(), province_codes=["75"]),
        scenario,
    )
    assert next(f for f in facts if f.id == fac.id).design_capacity == 150
    copy = services.copy_scenario(db_session, scenario, name="Đóng", actor_id=None)
    services.add_item(db_session, copy, action=ItemAction.CLOSE, facility=fac)
    facts = services.apply_scenario(
        services.facility_facts(db_session, SYSTEM, as_of=clock.today(), province_codes=["75"]),
        copy,
    )
    assert next(f for f in facts if f.id == fac.id).status == "closed"
    services.adopt_scenario(db_session, scenario, actor_id=None)
    assert fac.design_capacity == 150
    assert fac.status is FacilityStatus.OPERATING


def test_as_of_reads_status_history(db_session, plans, district_points):
    fac = register(
        db_session,
        "Nhà tạm lánh",
        "VICTIM_SUPPORT",
        district_points["731"],
        opened_on=date(2019, 1, 1),
        target_groups=["gbv_victims"],
    )
    facility_services.change_status(
        db_session,
        fac,
        FacilityStatus.CLOSED,
        effective_on=date(2021, 6, 1),
        reason="Giải thể",
        actor_id=None,
        expected_version=fac.version,
    )
    assert dn_check(db_session, as_of=date(2020, 12, 31)).result("DN-05").status == Status.PASS
    assert dn_check(db_session, as_of=date(2022, 1, 1)).result("DN-05").status == Status.FAIL
    assert dn_check(db_session, as_of=date(2018, 6, 1)).result("DN-05").status == Status.FAIL


def test_import_targets_is_all_or_nothing(db_session, plans):
    good = services.TargetRow(2, "QD-1520-LDTBXH-2015", "1520-TOTAL", "unit_min", "75", 20)
    bad = services.TargetRow(3, "QD-1520-LDTBXH-2015", "1520-TOTAL", "min", None, 5)
    with pytest.raises(services.TargetImportFailed) as exc:
        services.import_targets(
            db_session, [good, bad], reason="Nhập phụ lục", editor_province=None
        )
    assert exc.value.errors[0][0] == 3
    rule = db_session.scalars(select(PlanRule).where(PlanRule.code == "1520-TOTAL")).one()
    assert services.effective_params(rule)["unit_min"]["75"] is None
    assert (
        services.import_targets(db_session, [good], reason="Nhập phụ lục", editor_province=None)
        == 1
    )
    assert services.effective_params(rule)["unit_min"]["75"] == 20


def test_coverage_counts_units_where_population_is_unknown(db_session, plans, district_points):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    run = services.coverage(
        db_session,
        SYSTEM,
        province_code="75",
        type_codes=["DRUG_COMMUNITY"],
        distance_km=10,
        level="commune",
    )
    assert run.analysis.total.units_covered >= 1
    assert run.analysis.total.basis == "units"
    district_run = services.coverage(
        db_session,
        SYSTEM,
        province_code="75",
        type_codes=["DRUG_COMMUNITY"],
        distance_km=10,
        level="district",
    )
    assert "731" in {p.code for p in district_run.analysis.points if p.covered}


def test_siting_suggests_sites_that_add_coverage(db_session, plans, district_points):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    result, candidates = services.suggest_sites(
        db_session,
        SYSTEM,
        province_code="75",
        type_codes=["DRUG_COMMUNITY"],
        distance_km=15,
        level="district",
        model="mclp",
        k=2,
        time_limit_s=20,
    )
    assert len(result.chosen) == 2
    assert result.covered_after > result.covered_before
    assert all(c.candidate_id in candidates for c in result.chosen)
