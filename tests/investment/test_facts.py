"""``investment.facts``: plain project facts for the plan checks, read from real rows; and the
plan check DN-03 turning from not met to met when its project is accepted."""

from __future__ import annotations

from datetime import date

from registry.auth.permissions import Role
from registry.facilities.read import SYSTEM
from registry.investment import services as investment
from registry.investment.facts import ProjectFact, project_facts
from registry.investment.models import Kind, ProgressReport, Project
from registry.investment.workflow import Stage
from registry.planning import services as planning
from registry.planning.rules import Status
from tests.factories import FacilityFactory, UserFactory

DN_PLAN = "DN-2735-KH-UBND-2018"
DN_GENERAL = "Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai"
DL_PLAN = "DL-TGXH-2016-2020"
DL_GENERAL = "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk"


def _project(db_session, code: str, **kw) -> Project:
    values = {
        "code": code,
        "name": f"Dự án {code}",
        "kind": Kind.UPGRADE,
        "stage": Stage.CONSTRUCTION,
        "province_code": "75",
        "owner": "Sở Lao động - Thương binh và Xã hội",
    }
    values.update(kw)
    project = Project(**values)
    db_session.add(project)
    db_session.flush()
    return project


def _progress(db_session, project: Project, as_of: date, pct: int) -> None:
    db_session.add(ProgressReport(project_id=project.id, as_of=as_of, physical_pct=pct))
    db_session.flush()


def _by_code(facts: list[ProjectFact]) -> dict[str, ProjectFact]:
    return {f.code: f for f in facts}


def test_facts_from_rows_with_the_latest_progress(db_session) -> None:
    facility = FacilityFactory(province_code="75")
    p = _project(db_session, "DA-F-01", facility_id=facility.id, capacity_after=300)
    _progress(db_session, p, date(2024, 3, 31), 20)
    _progress(db_session, p, date(2024, 9, 30), 55)
    _progress(db_session, p, date(2024, 6, 30), 40)
    _project(db_session, "DA-F-02", kind=Kind.REPAIR)
    facts = _by_code(project_facts(db_session, ["75"]))
    fact = facts["DA-F-01"]
    assert fact == ProjectFact(
        code="DA-F-01",
        name="Dự án DA-F-01",
        kind="upgrade",
        stage="construction",
        province_code="75",
        facility_id=facility.id,
        accepted_on=None,
        physical_pct=55,
        progress_as_of=date(2024, 9, 30),
        capacity_after=300,
        targets=(),
        progress=((date(2024, 3, 31), 20), (date(2024, 6, 30), 40), (date(2024, 9, 30), 55)),
        id=p.id,
    )
    bare = facts["DA-F-02"]
    assert bare.kind == "repair"
    assert bare.physical_pct is None
    assert bare.progress_as_of is None
    assert bare.facility_id is None


def test_cancelled_projects_are_left_out(db_session) -> None:
    _project(db_session, "DA-F-03", stage=Stage.CANCELLED)
    _project(db_session, "DA-F-04", stage=Stage.HANDOVER, accepted_on=date(2024, 1, 5))
    facts = _by_code(project_facts(db_session, None))
    assert "DA-F-03" not in facts
    assert facts["DA-F-04"].stage == "handover"
    assert facts["DA-F-04"].accepted_on == date(2024, 1, 5)


def test_province_filter(db_session) -> None:
    _project(db_session, "DA-F-05", province_code="75")
    _project(db_session, "DA-F-06", province_code="66")
    assert set(_by_code(project_facts(db_session, ["66"]))) >= {"DA-F-06"}
    assert "DA-F-05" not in _by_code(project_facts(db_session, ["66"]))
    assert "DA-F-06" not in _by_code(project_facts(db_session, ["75"]))
    assert {"DA-F-05", "DA-F-06"} <= set(_by_code(project_facts(db_session, None)))
    assert project_facts(db_session, []) == []


def _dn03(db_session):
    run = planning.run_check(db_session, SYSTEM, [DN_PLAN], as_of=None, jurisdiction="75")
    return run.reports[0][1].result("DN-03")


def _dl03(db_session):
    run = planning.run_check(db_session, SYSTEM, [DL_PLAN], as_of=None, jurisdiction="66")
    return run.reports[0][1].result("DL-03")


def test_dn03_turns_from_not_met_to_met_when_its_project_is_accepted(db_session) -> None:
    planning.load_plans(db_session)
    centre = FacilityFactory(name=DN_GENERAL, province_code="75", type_code="GENERAL")
    assert _dn03(db_session).status == Status.NOT_EVALUABLE  # no project record yet
    project = _project(db_session, "DA-F-07", kind=Kind.REPAIR, facility_id=centre.id)
    _progress(db_session, project, date(2018, 10, 31), 70)
    under_way = _dn03(db_session)
    assert under_way.status == Status.FAIL
    assert under_way.evidence["projects"][0]["physical_pct"] == 70
    assert "70%" in under_way.message_vi
    project.stage = Stage.HANDOVER
    project.accepted_on = date(2018, 12, 15)
    db_session.flush()
    met = _dn03(db_session)
    assert met.status == Status.PASS
    assert "15/12/2018" in met.message_vi


def test_settled_without_a_handover_step_is_dated_by_that_step(db_session) -> None:
    """The workflow lets a small repair skip from construction to settlement; the services
    then leave ``accepted_on`` empty, and the facts date the acceptance by that step."""
    officer = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="75")
    project = _project(db_session, "DA-F-08", kind=Kind.REPAIR)
    investment.change_stage(
        db_session,
        project,
        Stage.SETTLEMENT,
        occurred_on=date(2018, 12, 1),
        reason=None,
        expected_version=project.version,
        actor=officer,
    )
    fact = _by_code(project_facts(db_session, None))["DA-F-08"]
    assert fact.stage == "settlement"
    assert fact.accepted_on == date(2018, 12, 1)


def test_dl03_turns_met_when_the_services_accept_the_upgrade(db_session) -> None:
    """The whole path: a stage change through ``investment.services`` dates the acceptance,
    the facts carry it, and the Đắk Lắk check (as of its period's end) turns met."""
    planning.load_plans(db_session)
    officer = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="66")
    centre = FacilityFactory(name=DL_GENERAL, province_code="66", type_code="GENERAL")
    project = _project(
        db_session, "DA-F-09", province_code="66", facility_id=centre.id, kind=Kind.UPGRADE
    )
    _progress(db_session, project, date(2020, 8, 31), 80)
    under_way = _dl03(db_session)
    assert under_way.status == Status.FAIL
    assert "80%" in under_way.message_vi
    investment.change_stage(
        db_session,
        project,
        Stage.HANDOVER,
        occurred_on=date(2020, 11, 15),
        reason=None,
        expected_version=project.version,
        actor=officer,
    )
    met = _dl03(db_session)
    assert met.status == Status.PASS
    assert "15/11/2020" in met.message_vi
