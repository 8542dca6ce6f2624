"""Investment pages through the test client: the portfolio (home page of an investment
officer), the project page and its charts, the forms with field errors, stale versions,
jurisdiction and permissions."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from registry.auth.permissions import Role
from registry.facilities import read
from registry.facilities.vocab import Status
from registry.investment.models import Disbursement, Project
from registry.investment.workflow import Stage
from tests.conftest import AuthActions
from tests.factories import FacilityFactory, UserFactory
from tests.investment.conftest import make_project


def test_portfolio_is_the_investment_officers_home(client, auth, db_session, officer, facility):
    make_project(db_session, officer, facility=facility)
    db_session.commit()
    auth.login(officer)
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "DA-75-001" in html
    assert "6.000.000.000 ₫" not in html  # nothing invented: 3 bn disbursed
    assert "3.000.000.000 ₫" in html
    assert "Quyết định đầu tư" in html  # the stage as a label, not a code
    assert ">investment_decision<" not in html


def test_project_page_shows_money_flags_and_charts(client, auth, db_session, officer, facility):
    project = make_project(db_session, officer, facility=facility)
    db_session.commit()
    auth.login(officer)
    html = client.get(f"/investment/{project.id}").get_data(as_text=True)
    assert "10.000.000.000 ₫" in html
    assert 'data-flag="supervision_missing"' in html
    assert "Nghị định 29/2021/NĐ-CP" in html
    for chart in ("scurve", "timeline"):
        svg = client.get(f"/investment/{project.id}/{chart}.svg")
        assert svg.status_code == 200
        assert svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data


def test_unconfirmed_source_is_said_on_screen(client, auth, db_session, officer):
    project = make_project(
        db_session, officer, payments=((date(2026, 3, 1), 1_000, "central", 2025),), capital=()
    )
    db_session.commit()
    auth.login(officer)
    html = client.get(f"/investment/{project.id}").get_data(as_text=True)
    assert "58/2024/QH15" in html
    assert "Chưa xác minh" in html


def test_disbursement_form_with_dots_and_field_errors(client, auth, post_form, db_session, officer):
    project = make_project(db_session, officer, payments=())
    db_session.commit()
    auth.login(officer)
    url = f"/investment/{project.id}"
    ok = post_form(
        f"{url}/disbursements",
        {
            "paid_on": "01/06/2024",
            "amount_vnd": "1.234.567.891",
            "source": "central",
            "capital_year": "2024",
        },
        page_url=url,
        follow_redirects=True,
    )
    assert ok.status_code == 200
    amounts = db_session.scalars(
        select(Disbursement.amount_vnd).where(Disbursement.project_id == project.id)
    ).all()
    assert amounts == [1_234_567_891]
    bad = post_form(
        f"{url}/disbursements",
        {"paid_on": "2024-06-01", "amount_vnd": "12,5", "source": "central", "capital_year": "x"},
        page_url=url,
        follow_redirects=True,
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "dd/mm/yyyy" in html
    assert "1.234.567" in html  # the amount hint
    assert (
        len(
            db_session.scalars(
                select(Disbursement).where(Disbursement.project_id == project.id)
            ).all()
        )
        == 1
    )


def test_stale_stage_change_is_refused_with_a_message(client, auth, post_form, db_session, officer):
    project = make_project(db_session, officer)
    db_session.commit()
    auth.login(officer)
    url = f"/investment/{project.id}"
    page = client.get(url)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    response = client.post(
        f"{url}/stage",
        data={
            "csrf_token": token.group(1),
            "version": str(project.version - 1),
            "target": "design",
            "occurred_on": "01/02/2023",
        },
        follow_redirects=True,
    )
    assert "người khác thay đổi" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Project, project.id).stage is Stage.INVESTMENT_DECISION


def test_new_project_form_records_and_reports_field_errors(
    client, auth, post_form, db_session, officer, facility
):
    db_session.commit()
    auth.login(officer)
    bad = post_form(
        "/investment/new",
        {
            "code": "",
            "name": "X",
            "kind": "upgrade",
            "province_code": "75",
            "owner": "Sở Y tế",
            "facility_code": "NOPE",
        },
    )
    assert bad.status_code == 422
    good = post_form(
        "/investment/new",
        {
            "code": "DA-NEW-1",
            "name": "Nâng cấp",
            "kind": "upgrade",
            "province_code": "75",
            "owner": "Sở Y tế",
            "facility_code": facility.code,
            "capacity_after": "250",
            "targets": "dong_nai_2735_kh_ubnd_2018:DN-03",
        },
    )
    assert good.status_code == 302
    project = db_session.scalar(select(Project).where(Project.code == "DA-NEW-1"))
    assert project.facility_id == facility.id
    assert [(t.plan_code, t.rule_code) for t in project.targets] == [
        ("dong_nai_2735_kh_ubnd_2018", "DN-03")
    ]


def test_other_province_is_not_found_and_viewers_cannot_edit(
    app, client, auth, db_session, officer
):
    national = UserFactory(role=Role.INVESTMENT_OFFICER, province_code=None)
    other = make_project(db_session, national, code="DA-66-1", province_code="66")
    mine = make_project(db_session, officer)
    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    db_session.commit()
    auth.login(officer)
    for path in ("", "/scurve.svg", "/timeline.svg", "/edit"):
        assert client.get(f"/investment/{other.id}{path}").status_code == 404
    other_client = app.test_client()
    AuthActions(other_client).login(viewer)
    assert other_client.get(f"/investment/{mine.id}").status_code == 200
    assert other_client.get("/investment/new").status_code == 403


def test_handover_through_the_page_changes_the_facility(
    client, auth, post_form, db_session, officer
):
    building = FacilityFactory(
        design_capacity=120, status=Status.UNDER_CONSTRUCTION, code="75-GENERAL-5555"
    )
    project = make_project(db_session, officer, facility=building, capacity_after=200)
    db_session.commit()
    auth.login(officer)
    url = f"/investment/{project.id}"
    post_form(
        f"{url}/stage",
        {"version": str(project.version), "target": "handover", "occurred_on": "30/06/2025"},
        page_url=url,
    )
    db_session.expire_all()
    project = db_session.get(Project, project.id)
    assert project.stage is Stage.HANDOVER
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="confirm-handover"' in html
    post_form(f"{url}/handover", {"version": str(project.version)}, page_url=url)
    record = read.get(db_session, read.SYSTEM, building.id)
    assert record.design_capacity == 200
    assert record.status is Status.OPERATING
