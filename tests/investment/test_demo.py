"""Demo investment projects: from the two seed plans, honest placeholders, linked to the demo
facilities and to plan targets, loaded once, not handed over."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.models import User
from registry.auth.permissions import Role
from registry.facilities import read
from registry.facilities.demo import load_demo_facilities
from registry.investment import services, workflow
from registry.investment.demo import DEMO_PROJECTS, load_demo_projects
from registry.investment.models import Project
from tests.factories import UserFactory

PLANS = Path(__file__).resolve().parents[2] / "registry" / "planning" / "plans"
TODAY = date(2026, 12, 3)


def _rules() -> set[tuple[str, str]]:
    out = set()
    for path in PLANS.glob("*.yaml"):
        plan = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(plan, dict) and "code" in plan:
            out |= {(plan["code"], r["code"]) for r in plan.get("rules", [])}
    return out


@pytest.fixture
def loaded(db_session):
    admin = UserFactory(role=Role.ADMIN, province_code=None, username="demo.actor")
    load_demo_facilities(db_session)
    assert load_demo_projects(db_session, admin) == len(DEMO_PROJECTS)
    db_session.flush()
    return {p.code: p for p in db_session.scalars(select(Project))}


def test_demo_projects_load_once(db_session, loaded):
    admin = db_session.scalar(select(User).where(User.username == "demo.actor"))
    assert load_demo_projects(db_session, admin) == 0
    assert db_session.scalar(select(func.count(Project.id))) == len(DEMO_PROJECTS)


def test_demo_projects_say_their_numbers_are_placeholders(loaded):
    for project in loaded.values():
        assert project.is_demo
        assert "minh họa" in (project.source_note or "")
        assert "giả định" in (project.source_note or "")
        assert "dòng" in (project.source_note or "")  # cites the plan line


def test_demo_projects_link_to_demo_facilities_of_the_right_type_and_province(db_session, loaded):
    expected_types = {"DEMO-DL-01": "MENTAL", "DEMO-DL-02": "GENERAL", "DEMO-DN-01": "GENERAL"}
    for code, type_code in expected_types.items():
        project = loaded[code]
        record = read.get(db_session, read.SYSTEM, project.facility_id)
        assert record is not None, code
        assert record.is_demo
        assert record.type_code == type_code
        assert record.province_code == project.province_code
    # The new Đồng Nai drug-treatment facility is not in the registry yet.
    assert loaded["DEMO-DN-02"].facility_id is None


def test_demo_projects_serve_plan_targets_that_exist(loaded):
    rules = _rules()
    assert ("DL-TGXH-2016-2020", "DL-03") in rules
    for project in loaded.values():
        targets = {(t.plan_code, t.rule_code) for t in project.targets}
        assert targets, project.code
        assert targets <= rules, project.code
    assert ("DL-TGXH-2016-2020", "DL-03") in {
        (t.plan_code, t.rule_code) for t in loaded["DEMO-DL-02"].targets
    }
    assert ("DN-2735-KH-UBND-2018", "DN-03") in {
        (t.plan_code, t.rule_code) for t in loaded["DEMO-DN-01"].targets
    }


def test_demo_facts_of_the_plans_are_kept(loaded):
    mental = loaded["DEMO-DL-01"]
    decision = mental.decisions[0]
    assert (decision.number, decision.signed_on) == ("2929/QĐ-UBND", date(2015, 10, 30))
    assert 300 <= (mental.capacity_after or 0) <= 500
    upgrade = loaded["DEMO-DN-01"]
    assert {p.year for p in upgrade.capital_plans} >= {2018}
    assert {p.source.value for p in upgrade.capital_plans} == {"central"}


def test_demo_has_content_for_the_dashboard_and_the_s_curve(loaded):
    for code in ("DEMO-DL-01", "DEMO-DL-02", "DEMO-DN-01"):
        project = loaded[code]
        assert project.stage is workflow.Stage.CONSTRUCTION
        assert len({p.year for p in project.capital_plans}) >= 2
        assert len(project.disbursements) >= 3
        assert len(project.progress_reports) >= 3
        assert project.planned_progress
        assert project.milestones
        assert project.contracts
    assert any(m.modifications for p in loaded.values() for m in p.contracts)


def test_no_demo_project_is_handed_over(loaded):
    for project in loaded.values():
        assert project.stage not in workflow.ACCEPTED
        assert project.accepted_on is None
        assert project.handover_confirmed_at is None


def test_some_demo_projects_are_flagged_late(loaded):
    late = {
        code
        for code, project in loaded.items()
        if any(f.code == "late_disbursement" for f in services.flags(project, TODAY))
    }
    assert {"DEMO-DL-02", "DEMO-DN-01"} <= late
    assert not any(
        f.code in ("over_allocation", "allocation_over_total")
        for project in loaded.values()
        for f in services.flags(project, TODAY)
    )


def test_demo_projects_are_audited(db_session, loaded):
    count = db_session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.entity_type == "investment_projects")
    )
    assert count >= len(DEMO_PROJECTS)


def test_flask_demo_load_creates_the_projects_once(runner, db_session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert f"Demo investment projects: {len(DEMO_PROJECTS)} created" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "Demo investment projects: 0 created" in second.output
