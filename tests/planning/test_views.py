# ruff: noqa: F811  (shared fixtures are imported from test_services)
"""Planning pages: roles, jurisdictions, CSRF, the scenario workflow through HTTP."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from registry.auth.permissions import Role
from registry.facilities.models import Facility
from registry.facilities.models import Status as FacilityStatus
from registry.investment.models import Kind, ProgressReport, Project
from registry.investment.workflow import Stage
from registry.planning import services
from registry.planning.models import Scenario
from tests.factories import FacilityFactory, UserFactory
from tests.planning.test_services import (  # noqa: F401  (fixtures)
    DN_PLAN,
    district_points,
    plans,
    register,
)


@pytest.fixture
def scenario(db_session):
    return services.create_scenario(
        db_session,
        name="Kịch bản Đồng Nai",
        province_code="75",
        target_year=2026,
        notes=None,
        actor_id=None,
    )


def login(auth, role, province="75"):
    user = UserFactory(role=role, province_code=province)
    auth.login(user)
    return user


def test_planner_builds_scenario_by_map_clicks_and_admin_adopts(
    client, auth, post_form, db_session, plans, district_points
):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    login(auth, Role.PLANNER)
    response = post_form(
        "/planning/scenarios/new",
        {
            "name": "Bổ sung cơ sở cai nghiện",
            "province_code": "75",
            "target_year": "2026",
            "notes": "",
        },
    )
    assert response.status_code == 302
    scenario = db_session.scalars(
        select(Scenario).where(Scenario.name == "Bổ sung cơ sở cai nghiện")
    ).one()
    page_url = f"/planning/scenarios/{scenario.id}"
    page = client.get(page_url)
    assert b'id="scenario-map"' in page.data
    assert b"planning.js" in page.data
    for code in ("741", "742", "735", "736", "738"):
        lon, lat = district_points[code]
        # What the map click posts: the item form prefilled with lon/lat.
        response = post_form(
            f"/planning/scenarios/{scenario.id}/items",
            {
                "action": "add",
                "name": f"Cơ sở cai nghiện {code}",
                "type_code": "DRUG_COMMUNITY",
                "ownership": "public",
                "lat": f"{lat:.6f}",
                "lon": f"{lon:.6f}",
            },
            page_url=page_url,
        )
        assert response.status_code == 302
    assert len(scenario.items) == 5
    data = client.get(f"/planning/check?plan={DN_PLAN}&scenario={scenario.id}&format=json").json
    dn08 = next(r for r in data["plans"][0]["results"] if r["rule_code"] == "DN-08")
    assert dn08["status"] == "pass"
    baseline = client.get(f"/planning/check?plan={DN_PLAN}&format=json").json
    assert (
        next(r for r in baseline["plans"][0]["results"] if r["rule_code"] == "DN-08")["status"]
        == "fail"
    )
    # Planners may not adopt.
    assert (
        post_form(f"/planning/scenarios/{scenario.id}/adopt", {}, page_url=page_url).status_code
        == 403
    )

    auth.logout()
    login(auth, Role.ADMIN)
    response = post_form(f"/planning/scenarios/{scenario.id}/adopt", {}, page_url=page_url)
    assert response.status_code == 302
    db_session.refresh(scenario)
    assert scenario.adopted
    adopted = db_session.scalars(
        select(Facility).where(Facility.id.in_([i.adopted_facility_id for i in scenario.items]))
    ).all()
    assert len(adopted) == 5
    assert {f.status for f in adopted} == {FacilityStatus.PLANNED}


def test_check_page_shows_results_evidence_and_links(
    client, auth, db_session, plans, district_points
):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    login(auth, Role.VIEWER)
    page = client.get(f"/planning/check?plan={DN_PLAN}")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'data-rule="DN-08" data-status="fail"' in html
    assert "/map/?province=75&amp;district=741&amp;type=DRUG_COMMUNITY" in html
    assert "III.4.a" in html


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "json"])
def test_check_exports(client, auth, db_session, plans, fmt):
    login(auth, Role.VIEWER)
    response = client.get(f"/planning/check?plan={DN_PLAN}&format={fmt}")
    assert response.status_code == 200
    if fmt == "pdf":
        assert response.data.startswith(b"%PDF")
    elif fmt == "xlsx":
        assert response.data[:2] == b"PK"
    else:
        assert response.json["plans"][0]["code"] == DN_PLAN


def test_other_province_planner_gets_404(client, auth, db_session, scenario):
    login(auth, Role.PLANNER, province="66")
    assert client.get(f"/planning/scenarios/{scenario.id}").status_code == 404
    assert client.get(f"/planning/scenarios/{scenario.id}/map.json").status_code == 404
    assert client.get(f"/planning/check?scenario={scenario.id}").status_code == 404


def test_viewer_cannot_create_scenarios(client, auth, db_session, post_form):
    login(auth, Role.VIEWER)
    assert client.get("/planning/scenarios/new").status_code == 403
    response = post_form(
        "/planning/scenarios/new",
        {"name": "x", "province_code": "75", "target_year": "2026"},
        page_url="/planning/",
    )
    assert response.status_code == 403


def test_planner_cannot_create_scenario_outside_jurisdiction(client, auth, db_session, post_form):
    login(auth, Role.PLANNER, province="66")
    post_form(
        "/planning/scenarios/new",
        {"name": "Ngoài tỉnh", "province_code": "75", "target_year": "2026"},
    )
    assert db_session.scalars(select(Scenario).where(Scenario.name == "Ngoài tỉnh")).first() is None


@pytest.mark.parametrize(
    "path",
    [
        "/planning/scenarios/new",
        "/planning/scenarios/{id}/items",
        "/planning/scenarios/{id}/copy",
        "/planning/scenarios/{id}/adopt",
        "/planning/scenarios/{id}/items/1/delete",
        "/planning/targets/import",
        "/planning/plans/QD-1520-LDTBXH-2015/rules/1/target",
    ],
)
def test_every_form_needs_csrf(client, auth, db_session, plans, scenario, path):
    login(auth, Role.ADMIN)
    response = client.post(path.format(id=scenario.id), data={"name": "x"})
    assert response.status_code == 400


def test_admin_enters_a_target_with_reason(client, auth, db_session, plans, post_form):
    login(auth, Role.ADMIN)
    row = plans["QD-1520-LDTBXH-2015"]
    rule = next(r for r in row.rules if r.code == "1520-TOTAL")
    page_url = f"/planning/plans/{row.code}"
    assert client.get(page_url).status_code == 200
    response = post_form(
        f"/planning/plans/{row.code}/rules/{rule.id}/target",
        {"key": "unit_min", "unit_code": "75", "value": "14", "reason": "Phụ lục QĐ 1520"},
        page_url=page_url,
    )
    assert response.status_code == 302
    assert services.effective_params(rule)["unit_min"]["75"] == 14


def test_planner_cannot_edit_targets(client, auth, db_session, plans, post_form):
    login(auth, Role.PLANNER)
    rule = next(r for r in plans["QD-1520-LDTBXH-2015"].rules if r.code == "1520-TOTAL")
    response = post_form(
        f"/planning/plans/QD-1520-LDTBXH-2015/rules/{rule.id}/target",
        {"key": "unit_min", "unit_code": "75", "value": "14", "reason": "x"},
        page_url="/planning/",
    )
    assert response.status_code == 403


def _workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["plan_code", "rule_code", "target", "unit_code", "value"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_targets_template_and_import(client, auth, db_session, plans, post_form):
    login(auth, Role.ADMIN)
    template = client.get("/planning/targets.xlsx")
    assert template.status_code == 200
    assert template.data[:2] == b"PK"
    bad = _workbook(
        [
            ["QD-1520-LDTBXH-2015", "1520-TOTAL", "unit_min", "75", 9],
            ["QD-1520-LDTBXH-2015", "NO-SUCH", "min", None, 1],
        ]
    )
    response = post_form(
        "/planning/targets/import",
        {"file": (bad, "t.xlsx"), "reason": "Phụ lục"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert b'data-testid="import-errors"' in response.data
    rule = next(r for r in plans["QD-1520-LDTBXH-2015"].rules if r.code == "1520-TOTAL")
    assert services.effective_params(rule)["unit_min"]["75"] is None
    good = _workbook([["QD-1520-LDTBXH-2015", "1520-TOTAL", "unit_min", 75, 9]])
    response = post_form(
        "/planning/targets/import",
        {"file": (good, "t.xlsx"), "reason": "Phụ lục"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.refresh(rule)
    assert services.effective_params(rule)["unit_min"]["75"] == 9


def test_index_plan_compare_coverage_and_siting_pages(
    client, auth, db_session, plans, scenario, district_points
):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    copy = services.copy_scenario(db_session, scenario, name="Bản sao", actor_id=None)
    login(auth, Role.PLANNER)
    assert client.get("/planning/").status_code == 200
    assert client.get(f"/planning/plans/{DN_PLAN}").status_code == 200
    page = client.get(f"/planning/compare?plan={DN_PLAN}&ids={scenario.id}&ids={copy.id}")
    assert page.status_code == 200
    assert b'data-testid="comparison"' in page.data
    page = client.get("/planning/coverage?type_code=DRUG_COMMUNITY&distance_km=10&level=district")
    assert page.status_code == 200
    assert b'data-testid="coverage-table"' in page.data
    page = client.get(
        f"/planning/siting?type_code=DRUG_COMMUNITY&distance_km=15&level=district"
        f"&model=mclp&k=2&time_limit=10&scenario={scenario.id}"
    )
    assert page.status_code == 200
    assert b'data-testid="suggestions"' in page.data
    assert b'name="action" value="add"' in page.data


def test_check_page_lists_the_projects_a_rule_read(client, auth, db_session, plans):
    """DN-03 reads the repair project of the centre the plan names: the page lists it with its
    stage and progress, in words and dd/mm/yyyy."""
    centre = FacilityFactory(
        name="Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai",
        type_code="GENERAL",
        province_code="75",
    )
    project = Project(
        code="DA-75-201",
        name="Sửa chữa, nâng cấp Trung tâm",
        kind=Kind.REPAIR,
        stage=Stage.CONSTRUCTION,
        province_code="75",
        facility_id=centre.id,
        owner="Sở Lao động - Thương binh và Xã hội",
    )
    project.progress_reports.append(ProgressReport(as_of=date(2018, 10, 31), physical_pct=70))
    db_session.add(project)
    db_session.flush()
    login(auth, Role.VIEWER)
    html = client.get(f"/planning/check?plan={DN_PLAN}").data.decode()
    assert 'data-rule="DN-03" data-status="fail"' in html
    assert 'data-testid="projects"' in html
    assert f'href="/investment/{project.id}" data-project="DA-75-201">DA-75-201</a>' in html
    assert "</a> Sửa chữa, nâng cấp Trung tâm — thi công xây dựng" in html
    assert "70% (31/10/2018)" in html
