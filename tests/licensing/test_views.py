"""Licensing pages through the test client: the public application and tracking link, the
officer's queue and application page, decisions, the notice and the public register."""

from __future__ import annotations

import re

import pytest

from registry.auth.permissions import Role
from registry.extensions import limiter
from registry.facilities import read
from registry.facilities.vocab import Ownership, Status
from registry.licensing import services
from registry.licensing.models import Application
from registry.licensing.workflow import State
from tests.conftest import csrf_token_from
from tests.factories import FacilityFactory, UserFactory
from tests.licensing.test_services import make_application, pdf_upload


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    old = app.config.get("STORAGE_DIR")
    app.config["STORAGE_DIR"] = str(tmp_path / "files")
    yield
    app.config["STORAGE_DIR"] = old


@pytest.fixture
def officer(db_session):
    return UserFactory(role=Role.LICENSING_OFFICER, province_code="75")


def _apply(client, facility_code: str, **extra):
    url = "/licensing/apply/operating_licence"
    token = csrf_token_from(client.get(url))
    data = {
        "csrf_token": token,
        "organisation": "Công ty TNHH Hòa Bình",
        "representative": "Phạm Thị Cúc",
        "email": "",
        "facility_code": facility_code,
        "doc_application": pdf_upload("don-mau-09.pdf"),
        **extra,
    }
    return client.post(url, data=data, content_type="multipart/form-data")


def _tracking_path(response) -> str:
    match = re.search(
        r'data-tracking-link href="https?://[^/]+(/licensing/track/[^"]+)"',
        response.get_data(as_text=True),
    )
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


def _post(client, url: str, data: dict, page: str):
    return client.post(url, data={"csrf_token": csrf_token_from(client.get(page)), **data})


def test_the_public_pages_need_no_login(client, db_session):
    assert client.get("/licensing/apply").status_code == 200
    page = client.get("/licensing/apply/operating_licence")
    assert page.status_code == 200
    assert "doc_registration_copy" in page.get_data(as_text=True)
    assert client.get("/licensing/register").status_code == 200
    assert client.get("/licensing/apply/no_such_thing").status_code == 404
    assert client.get("/licensing/").status_code == 302  # the officer's side needs a login


def test_an_online_application_returns_a_receipt_and_a_private_link(client, db_session):
    facility = FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    response = _apply(client, facility.code)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "data-receipt-code" in text
    tracking = _tracking_path(response)
    page = client.get(tracking).get_data(as_text=True)
    assert "Đã tiếp nhận" in page
    assert "don-mau-09.pdf" in page
    assert client.get(tracking + "x").status_code == 404


def test_an_online_application_needs_the_csrf_token(client, db_session):
    facility = FacilityFactory(ownership=Ownership.NON_PUBLIC)
    response = client.post(
        "/licensing/apply/operating_licence",
        data={"organisation": "X", "representative": "Y", "facility_code": facility.code},
    )
    assert response.status_code == 400


def test_online_applications_are_rate_limited(app, client, db_session):
    saved = dict(app.config)
    app.config.update(LICENSING_THROTTLE_ENABLED=True, LICENSING_APPLY_LIMIT="2 per minute")
    limiter.reset()
    try:
        codes = [
            _post(client, "/licensing/apply/small_facility", {}, "/licensing/apply").status_code
            for _ in range(3)
        ]
    finally:
        app.config.update(
            LICENSING_THROTTLE_ENABLED=saved["LICENSING_THROTTLE_ENABLED"],
            LICENSING_APPLY_LIMIT=saved["LICENSING_APPLY_LIMIT"],
        )
        limiter.reset()
    assert codes[:2] == [200, 200]
    assert codes[2] == 429


def test_a_new_facility_is_created_as_planned_and_not_public(client, db_session):
    response = _apply(
        client,
        "",
        facility_name="Mái ấm Tình Thương",
        type_code="ELDERLY",
        province_code="75",
        lat="10.9574",
        lon="106.8212",
        design_capacity="25",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    app = db_session.query(Application).filter_by(facility_name="Mái ấm Tình Thương").one()
    record = read.get(db_session, read.SYSTEM, app.facility_id)
    assert record is not None
    assert record.status is Status.PLANNED
    assert record.ownership is Ownership.NON_PUBLIC


def test_a_tracking_link_cannot_open_another_applications_file(client, db_session):
    facility = FacilityFactory(ownership=Ownership.NON_PUBLIC)
    first = _tracking_path(_apply(client, facility.code))
    second = _tracking_path(_apply(client, facility.code))
    apps = db_session.query(Application).order_by(Application.id).all()[-2:]
    doc_first = next(d for d in apps[0].documents if d.file_key)
    doc_second = next(d for d in apps[1].documents if d.file_key)
    own = client.get(f"{first}/documents/{doc_first.id}")
    assert own.status_code == 200
    assert own.data.startswith(b"%PDF")
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"{first}/documents/{doc_second.id}").status_code == 404
    assert client.get(f"{second}/documents/{doc_first.id}").status_code == 404


def test_the_licensing_officers_home_page_is_their_queue(client, auth, db_session, officer):
    app, _ = make_application(db_session, officer)
    services.assign(db_session, app, officer, actor=officer)
    auth.login(officer)
    home = client.get("/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert app.receipt_code in page
    assert app.receipt_code in client.get("/licensing/").get_data(as_text=True)


def test_officers_of_another_province_get_404(client, auth, db_session, officer):
    app, _ = make_application(db_session, officer)
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="66"))
    assert client.get(f"/licensing/applications/{app.id}").status_code == 404
    page = client.get("/licensing/").get_data(as_text=True)
    assert app.receipt_code not in page


def test_the_full_flow_through_the_pages(client, auth, db_session, officer):
    facility = FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    tracking = _tracking_path(_apply(client, facility.code))
    app = db_session.query(Application).order_by(Application.id.desc()).first()
    auth.login(officer)
    page = f"/licensing/applications/{app.id}"
    assert client.get(page).status_code == 200
    r = _post(
        client,
        f"{page}/supplement",
        {"reason": "Thiếu bản sao giấy chứng nhận đăng ký", "version": str(app.version)},
        page,
    )
    assert r.status_code == 302
    db_session.refresh(app)
    assert app.state is State.SUPPLEMENT_REQUESTED
    auth.logout()
    track_page = client.get(tracking).get_data(as_text=True)
    assert "Thiếu bản sao giấy chứng nhận đăng ký" in track_page
    token = csrf_token_from(client.get(tracking))
    r = client.post(
        f"{tracking}/upload",
        data={"csrf_token": token, "doc_registration_copy": pdf_upload("ban-sao.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    db_session.refresh(app)
    assert app.state is State.SUPPLEMENT_RECEIVED
    auth.login(officer)
    db_session.refresh(app)
    assert (
        _post(
            client,
            f"{page}/transition",
            {"target": "under_review", "version": str(app.version)},
            page,
        ).status_code
        == 302
    )
    assert (
        _post(
            client,
            f"{page}/inspection",
            {"scheduled_on": "05/01/2026", "team": "Đoàn kiểm tra"},
            page,
        ).status_code
        == 302
    )
    assert (
        _post(
            client,
            f"{page}/inspection/record",
            {"inspected_on": "05/01/2026", "findings": "Đạt", "c_land": "met"},
            page,
        ).status_code
        == 302
    )
    db_session.refresh(app)
    assert app.state is State.INSPECTED
    assert (
        _post(
            client, f"{page}/approve", {"capacity": "40", "version": str(app.version)}, page
        ).status_code
        == 302
    )
    db_session.refresh(app)
    assert app.state is State.APPROVED
    assert app.licence is not None
    number = app.licence.number
    register = client.get("/licensing/register").get_data(as_text=True)
    assert number in register
    assert number in client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    csv_text = client.get("/licensing/register.csv").get_data(as_text=True)
    assert number in csv_text
    assert facility.code in csv_text
    pdf = client.get(f"{page}/decision.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")


def test_a_refusal_needs_a_reason_and_gives_a_pdf_notice(client, auth, db_session, officer):
    app, _ = make_application(db_session, officer)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    auth.login(officer)
    page = f"/licensing/applications/{app.id}"
    r = _post(client, f"{page}/refuse", {"reason": "", "version": str(app.version)}, page)
    assert r.status_code == 302
    db_session.refresh(app)
    assert app.state is State.UNDER_REVIEW
    assert client.get(f"{page}/decision.pdf").status_code == 404
    _post(
        client,
        f"{page}/refuse",
        {"reason": "Không đủ diện tích", "version": str(app.version)},
        page,
    )
    db_session.refresh(app)
    assert app.state is State.REFUSED
    assert app.refusal_reason == "Không đủ diện tích"
    pdf = client.get(f"{page}/decision.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"


def test_an_invalid_step_is_refused_with_a_vietnamese_message(client, auth, db_session, officer):
    app, _ = make_application(db_session, officer)
    auth.login(officer)
    page = f"/licensing/applications/{app.id}"
    r = _post(
        client, f"{page}/transition", {"target": "inspected", "version": str(app.version)}, page
    )
    assert r.status_code == 302
    text = client.get(page).get_data(as_text=True)
    assert "Không thể chuyển hồ sơ" in text
    db_session.refresh(app)
    assert app.state is State.RECEIVED


def test_an_officer_records_a_counter_application(client, auth, db_session, officer):
    facility = FacilityFactory(ownership=Ownership.NON_PUBLIC)
    auth.login(officer)
    url = "/licensing/counter/small_facility"
    r = _post(
        client,
        url,
        {
            "organisation": "Nhóm tự lực",
            "representative": "Võ Văn Đức",
            "facility_code": facility.code,
            "received_on": "02/03/2026",
            "provided": ["declaration", "identity"],
        },
        url,
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    app = db_session.query(Application).filter_by(organisation="Nhóm tự lực").one()
    assert app.channel.value == "counter"
    assert app.due_on is not None
    assert {d.code for d in app.documents if d.status.value == "provided"} == {
        "declaration",
        "identity",
    }


def test_officer_downloads_are_audited(client, auth, db_session, officer):
    facility = FacilityFactory(ownership=Ownership.NON_PUBLIC)
    _apply(client, facility.code)
    app = db_session.query(Application).order_by(Application.id.desc()).first()
    doc = next(d for d in app.documents if d.file_key)
    auth.login(officer)
    r = client.get(f"/licensing/applications/{app.id}/documents/{doc.id}/file")
    assert r.status_code == 200
    assert r.data.startswith(b"%PDF")
    db_session.refresh(app)
    assert any(e.reason == f"download:{doc.code}" and e.actor_id == officer.id for e in app.events)
    auth.logout()
    auth.login(UserFactory(role=Role.ADMIN, province_code="66"))
    assert (
        client.get(f"/licensing/applications/{app.id}/documents/{doc.id}/file").status_code == 404
    )


def test_the_register_csv_guards_formulas(client, db_session, officer):
    facility = FacilityFactory(
        name="=HYPERLINK(1)", ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    app, _ = make_application(db_session, officer, facility=facility)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    services.approve(db_session, app, actor=officer)
    text = client.get("/licensing/register.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_licence_actions_from_the_application_page(client, auth, db_session, officer):
    from registry import clock as app_clock

    facility = FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    app, _ = make_application(db_session, officer, facility=facility)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    licence = services.approve(db_session, app, actor=officer, conditions=[("Lắp biển tên", None)])
    auth.login(officer)
    page = f"/licensing/applications/{app.id}"
    text = client.get(page).get_data(as_text=True)
    assert licence.number in text
    assert f"/licensing/licences/{licence.id}/suspend" in text
    today = app_clock.today()
    too_long = today.replace(year=today.year + 1)
    _post(
        client,
        f"/licensing/licences/{licence.id}/suspend",
        {"start": f"{today:%d/%m/%Y}", "until": f"{too_long:%d/%m/%Y}", "reason": "Vi phạm"},
        page,
    )
    db_session.refresh(licence)
    assert licence.status.value == "valid"
    shown = client.get(page).get_data(as_text=True)
    assert "sáu tháng" in shown or "six months" in shown
    cond = licence.conditions[0]
    r = _post(
        client,
        f"/licensing/licences/{licence.id}/conditions/{cond.id}/close",
        {"reason": "Đã lắp biển"},
        page,
    )
    assert r.status_code == 302
    db_session.refresh(cond)
    assert cond.closed_note == "Đã lắp biển"
    _post(client, f"/licensing/licences/{licence.id}/revoke", {"reason": "Giải thể"}, page)
    db_session.refresh(licence)
    assert licence.status.value == "revoked"


def test_inspection_photos_are_stored_shown_and_served_to_officers_only(
    client, auth, db_session, officer
):
    """Item 6: photos of the inspection, JPEG/PNG checked from content like every upload,
    listed on the application page, served only to the province's officers, downloads in the
    history; a PDF posted as a photo is refused and nothing is recorded."""
    from tests.test_access_matrix import png_upload

    app, _ = make_application(db_session, officer)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    services.schedule_inspection(db_session, app, on=app.received_on, team="Đoàn", actor=officer)
    auth.login(officer)
    page = f"/licensing/applications/{app.id}"
    refused = client.post(
        f"{page}/inspection/record",
        data={
            "csrf_token": csrf_token_from(client.get(page)),
            "inspected_on": app.received_on.strftime("%d/%m/%Y"),
            "findings": "Đạt",
            "photos": pdf_upload("khong-phai-anh.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    db_session.refresh(app)
    assert app.state is State.INSPECTION_SCHEDULED  # nothing recorded
    ok = client.post(
        f"{page}/inspection/record",
        data={
            "csrf_token": csrf_token_from(client.get(page)),
            "inspected_on": app.received_on.strftime("%d/%m/%Y"),
            "findings": "Đạt",
            "photos": [png_upload("san-choi.png"), png_upload("phong-ngu.png")],
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    db_session.refresh(app)
    assert app.state is State.INSPECTED
    inspection = app.inspections[-1]
    assert [p["name"] for p in inspection.photos] == ["san-choi.png", "phong-ngu.png"]
    html = client.get(page).get_data(as_text=True)
    assert "san-choi.png" in html
    photo = client.get(f"{page}/inspections/{inspection.id}/photos/1")
    assert photo.status_code == 200
    assert photo.mimetype == "image/png"
    assert photo.data.startswith(b"\x89PNG")
    assert client.get(f"{page}/inspections/{inspection.id}/photos/2").status_code == 404
    db_session.expire_all()
    assert any("download:photo:phong-ngu.png" in (e.reason or "") for e in app.events)
    auth.logout()
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="66"))
    assert client.get(f"{page}/inspections/{inspection.id}/photos/0").status_code == 404
    auth.logout()
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    assert client.get(f"{page}/inspections/{inspection.id}/photos/0").status_code == 403
