# ruff: noqa: F811  (shared fixtures are imported from test_services)
"""``flask planning load`` and ``flask planning check``."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from registry.planning import reports, services
from registry.planning.models import MasterPlan, PlanRule
from tests.planning.test_services import (  # noqa: F401  (fixtures)
    DN_PLAN,
    district_points,
    register,
)


def test_load_is_idempotent(runner, db_session):
    first = runner.invoke(args=["planning", "load"])
    assert first.exit_code == 0, first.output
    assert "plans_created: 6" in first.output
    rules_count = db_session.scalar(select(func.count()).select_from(PlanRule))
    second = runner.invoke(args=["planning", "load"])
    assert second.exit_code == 0
    assert "plans_created: 0" in second.output
    assert "rules_updated: 0" in second.output
    assert db_session.scalar(select(func.count()).select_from(PlanRule)) == rules_count
    assert db_session.scalar(select(func.count()).select_from(MasterPlan)) == 6


def test_check_json_matches_the_documented_shape(runner, db_session, district_points):
    runner.invoke(args=["planning", "load"])
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    scenario = services.create_scenario(
        db_session, name="CLI", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    result = runner.invoke(
        args=[
            "planning",
            "check",
            "--plan",
            DN_PLAN,
            "--scenario",
            str(scenario.id),
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert reports.validate_report_dict(data) == []
    assert data["scenario"]["id"] == scenario.id
    assert data["as_of"] == "2026-12-31"
    dn08 = next(r for r in data["plans"][0]["results"] if r["rule_code"] == "DN-08")
    assert dn08["status"] == "fail"
    assert {u["code"] for u in dn08["evidence"]["failing_units"]} == {
        "741",
        "742",
        "735",
        "736",
        "738",
    }


def test_check_text_with_province_and_date(runner, db_session):
    runner.invoke(args=["planning", "load"])
    result = runner.invoke(
        args=["planning", "check", "--plan", DN_PLAN, "--province", "75", "--as-of", "31/12/2020"]
    )
    assert result.exit_code == 0, result.output
    assert "DN-2735-KH-UBND-2018 (31/12/2020)" in result.output
    assert "[Chưa đạt] DN-08" in result.output  # the label, not the code
    bad = runner.invoke(args=["planning", "check", "--as-of", "2020-12-31"])
    assert bad.exit_code != 0
    unknown = runner.invoke(args=["planning", "check", "--plan", "NOPE"])
    assert unknown.exit_code != 0
