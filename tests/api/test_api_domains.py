"""Administrative units, plans and checks, scenarios, licensing and projects through the API:
the same services as the pages, the same jurisdictions."""

from __future__ import annotations

from datetime import date

import pytest

from registry.auth.permissions import Role
from tests.api.conftest import DAK_LAK, DONG_NAI
from tests.factories import FacilityFactory, UserFactory


def test_admin_units_of_both_editions(api, db_session):
    _user, client = api(Role.VIEWER)
    provinces = client.get("/api/v1/admin-units?level=province&per_page=100").get_json()
    assert provinces["total"] == 34  # the provinces since 1 July 2025
    old = client.get("/api/v1/admin-units?edition=pre2025&level=province").get_json()
    assert old["total"] == 63
    unit = client.get("/api/v1/admin-units/2025/75").get_json()
    assert unit["name"] == "Đồng Nai"
    assert unit["level"] == "province"
    districts = client.get("/api/v1/admin-units?edition=pre2025&level=district&province=75")
    assert districts.get_json()["items"][0]["parent_code"] == "75"
    assert client.get("/api/v1/admin-units/2025/7").status_code == 404
    assert client.get("/api/v1/admin-units/2024/75").status_code == 404


@pytest.fixture
def plans(db_session):
    from registry.planning import services as planning

    planning.load_plans(db_session)
    db_session.commit()
    return sorted(p.code for p in planning.all_plans(db_session))


def test_plans_and_a_plan_check_read_and_run(api, db_session, plans):
    FacilityFactory()
    db_session.commit()
    _user, client = api(Role.VIEWER)
    listed = client.get("/api/v1/plans?per_page=100").get_json()
    assert sorted(p["code"] for p in listed["items"]) == plans
    code = plans[0]
    assert client.get(f"/api/v1/plans/{code}").get_json()["code"] == code
    read = client.get(f"/api/v1/plan-checks?plan={code}&as_of=2025-12-31")
    assert read.status_code == 200
    report = read.get_json()
    assert report["as_of"] == "2025-12-31"
    assert report["jurisdiction"] == DONG_NAI
    assert [p["code"] for p in report["plans"]] == [code]
    run = client.post("/api/v1/plan-checks", json={"plans": [code], "as_of": "2025-12-31"})
    assert run.status_code == 200
    assert run.get_json()["plans"][0]["counts"] == report["plans"][0]["counts"]
    assert client.get("/api/v1/plan-checks?plan=NO-SUCH-PLAN").status_code == 404


def test_scenarios_of_the_jurisdiction_only(api, db_session, plans):
    from registry.planning import services as planning

    ours = planning.create_scenario(
        db_session,
        name="Kịch bản 2030",
        province_code=DONG_NAI,
        target_year=2030,
        notes=None,
        actor_id=None,
    )
    theirs = planning.create_scenario(
        db_session,
        name="Kịch bản Đắk Lắk",
        province_code=DAK_LAK,
        target_year=2030,
        notes=None,
        actor_id=None,
    )
    db_session.commit()
    _user, client = api(Role.VIEWER, DONG_NAI)
    listed = client.get("/api/v1/scenarios").get_json()
    assert [s["id"] for s in listed["items"]] == [ours.id]
    assert client.get(f"/api/v1/scenarios/{ours.id}").get_json()["name"] == "Kịch bản 2030"
    assert client.get(f"/api/v1/scenarios/{theirs.id}").status_code == 404
    check = client.get(f"/api/v1/plan-checks?scenario={theirs.id}")
    assert check.status_code == 404


def _application(db_session, province: str, facility_code: str):
    from registry.licensing import services as licensing
    from registry.licensing.workflow import State

    proc = licensing.procedure("operating_licence")
    officer = UserFactory(role=Role.LICENSING_OFFICER, province_code=province)
    app, _token = licensing.record_counter(
        db_session,
        licensing.ApplicationInput(
            procedure_code=proc.code,
            organisation="Hội Liên hiệp Phụ nữ",
            representative="Nguyễn Thị Hoa",
            facility_code=facility_code,
            provided=tuple(d.code for d in proc.documents),
        ),
        actor=officer,
    )
    licensing.transition(db_session, app, State.UNDER_REVIEW, actor=officer, reason="Đủ hồ sơ")
    licence = licensing.approve(db_session, app, actor=officer, capacity=20)
    db_session.commit()
    return app, licence


def test_dak_lak_token_cannot_read_dong_nai_licensing_files(api, db_session):
    facility = FacilityFactory(name="Cơ sở ngoài công lập Biên Hòa", ownership="non_public")
    db_session.commit()
    app, licence = _application(db_session, DONG_NAI, facility.code)
    _dn, dong_nai = api(Role.LICENSING_OFFICER, DONG_NAI)
    _dl, dak_lak = api(Role.LICENSING_OFFICER, DAK_LAK)

    mine = dong_nai.get("/api/v1/licensing/applications").get_json()
    assert [a["id"] for a in mine["items"]] == [app.id]
    detail = dong_nai.get(f"/api/v1/licensing/applications/{app.id}").get_json()
    assert detail["receipt_code"] == app.receipt_code
    assert detail["documents"]
    assert "tracking_hash" not in detail
    assert dong_nai.get("/api/v1/licensing/licences").get_json()["total"] == 1

    assert dak_lak.get("/api/v1/licensing/applications").get_json()["total"] == 0
    assert dak_lak.get(f"/api/v1/licensing/applications/{app.id}").status_code == 404
    assert dak_lak.get("/api/v1/licensing/licences").get_json()["total"] == 0
    assert dak_lak.get(f"/api/v1/licensing/licences/{licence.id}").status_code == 404
    body = dak_lak.get(f"/api/v1/licensing/applications/{app.id}").get_data(as_text=True)
    assert facility.name not in body


def test_licensing_is_for_licensing_roles(api, db_session):
    _user, viewer = api(Role.VIEWER, DONG_NAI)
    assert viewer.get("/api/v1/licensing/applications").status_code == 403


def test_projects_with_money_and_flags_in_the_jurisdiction(api, db_session):
    from registry.investment import services as investment
    from registry.investment.models import Kind

    national = UserFactory(role=Role.ADMIN, province_code=None)
    facility = FacilityFactory()
    db_session.flush()
    project = investment.create_project(
        db_session,
        investment.ProjectInput(
            code="DA-API",
            name="Nâng cấp trung tâm",
            kind=Kind.UPGRADE,
            province_code=DONG_NAI,
            facility_id=facility.id,
            owner="Sở Y tế",
            capacity_after=50,
        ),
        actor=national,
    )
    investment.add_progress(
        db_session,
        project,
        as_of=date(2025, 1, 1),
        physical_pct=20,
        narrative=None,
        problems=None,
        actor=national,
    )
    db_session.commit()
    _user, client = api(Role.VIEWER, DONG_NAI)
    listed = client.get("/api/v1/projects").get_json()
    assert [p["code"] for p in listed["items"]] == ["DA-API"]
    assert listed["items"][0]["physical_pct"] == 20
    detail = client.get(f"/api/v1/projects/{project.id}").get_json()
    assert detail["facility_id"] == facility.id
    assert detail["owner"] == "Sở Y tế"
    assert client.get("/api/v1/projects?stage=nonsense").get_json()["total"] == 0
    _other, dak_lak = api(Role.VIEWER, DAK_LAK)
    assert dak_lak.get(f"/api/v1/projects/{project.id}").status_code == 404
    assert dak_lak.get("/api/v1/projects").get_json()["total"] == 0
