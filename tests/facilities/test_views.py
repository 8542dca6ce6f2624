import re
from datetime import date

from registry.audit.context import set_actor
from registry.auth.permissions import Role
from registry.facilities import services
from registry.facilities.models import Facility, Status
from tests.conftest import csrf_token_from
from tests.factories import UserFactory


def _form_data(facility, **changes):
    data = {
        "name": facility.name,
        "type_code": facility.type_code,
        "ownership": facility.ownership.value,
        "province_code": facility.province_code,
        "location_mode": "latlon",
        "lat": f"{facility.lat:.6f}",
        "lon": f"{facility.lon:.6f}",
        "status": facility.status.value,
        "design_capacity": facility.design_capacity or "",
        "residents": facility.residents or "",
        "version": str(facility.version),
    }
    data.update(changes)
    return data


def test_planner_creates_facility_through_the_form(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "Cơ sở cai nghiện ma túy tại cộng đồng Biên Hòa",
            "type_code": "DRUG_COMMUNITY",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "map",
            "lat": "10.950000",
            "lon": "106.820000",
            "status": "planned",
            "opened_on": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    facility = db_session.query(Facility).one()
    assert facility.code == "75-DRUG_COMMUNITY-0001"
    assert facility.location_source.value == "map"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "75-DRUG_COMMUNITY-0001" in page


def test_form_shows_field_errors_in_vietnamese(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "X",
            "type_code": "GENERAL",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "latlon",
            "lat": "12.67",  # Buôn Ma Thuột, in Đắk Lắk: not the chosen province
            "lon": "108.04",
            "status": "operating",
            "design_capacity": "100",
            "residents": "50",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-field-error="lat"' in page
    assert "không thuộc tỉnh đã chọn" in page
    assert db_session.query(Facility).count() == 0


def test_vn2000_input_is_converted(client, auth, post_form, db_session, types):
    from registry.vn2000 import wgs84_to_vn2000

    x, y = wgs84_to_vn2000(106.82, 10.95, 107.75)
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "Điểm VN-2000",
            "type_code": "SOCIAL_WORK",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "vn2000",
            "vn2000_x": f"{x:.3f}",
            "vn2000_y": f"{y:.3f}",
            "vn2000_meridian": "107°45′",
            "status": "operating",
        },
    )
    assert response.status_code == 302
    facility = db_session.query(Facility).one()
    assert abs(facility.lon - 106.82) < 1e-6
    assert abs(facility.lat - 10.95) < 1e-6


def test_second_editor_gets_conflict_page_and_nothing_is_overwritten(
    app, client, auth, db_session, types, make_input
):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    other = app.test_client()
    user_a = UserFactory(role=Role.ADMIN, province_code="75")
    user_b = UserFactory(role=Role.ADMIN, province_code="75")
    auth.login(user_a)
    token_a = csrf_token_from(client.get(f"/facilities/{facility.id}/edit"))
    from tests.conftest import AuthActions

    AuthActions(other).login(user_b)
    token_b = csrf_token_from(other.get(f"/facilities/{facility.id}/edit"))
    seen = facility.version
    first = other.post(
        f"/facilities/{facility.id}/edit",
        data=_form_data(facility, residents="200", csrf_token=token_b),
    )
    assert first.status_code == 302
    second = client.post(
        f"/facilities/{facility.id}/edit",
        data=_form_data(facility, residents="50", staff="9", version=str(seen), csrf_token=token_a),
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert re.search(r'data-field="residents" data-differs="true"', page)
    db_session.refresh(facility)
    assert facility.residents == 200
    # Re-apply: the conflict page's form carries the new version and the user's values.
    form_html = page.split('data-testid="reapply"')[1].split("</form>")[0]
    reapply = {}
    for tag in re.findall(r"<input[^>]*>", form_html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        reapply[name] = re.search(r'value="([^"]*)"', tag).group(1)
    assert reapply["residents"] == "50"
    third = client.post(f"/facilities/{facility.id}/edit", data=reapply)
    assert third.status_code == 302
    db_session.refresh(facility)
    assert (facility.residents, facility.staff) == (50, 9)


def test_search_ignores_diacritics_and_case(client, auth, db_session, types, make_input):
    services.register_facility(
        db_session, make_input(name="Trung tâm Bảo trợ Biên Hòa"), actor_id=None
    )
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    page = client.get("/facilities/?q=BIEN+hoa").get_data(as_text=True)
    assert "Trung tâm Bảo trợ Biên Hòa" in page
    page = client.get("/facilities/?q=dong+thap").get_data(as_text=True)
    assert "Trung tâm Bảo trợ Biên Hòa" not in page


def test_closed_facilities_only_under_closed_filter(client, auth, db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session, make_input(name="Mái ấm Giải Thể"), actor_id=None
    )
    services.change_status(
        db_session,
        facility,
        Status.CLOSED,
        effective_on=date(2025, 1, 1),
        reason="Giải thể",
        actor_id=None,
        expected_version=facility.version,
    )
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    assert "Mái ấm Giải Thể" not in client.get("/facilities/").get_data(as_text=True)
    assert "Mái ấm Giải Thể" in client.get("/facilities/?status=closed").get_data(as_text=True)


def test_close_through_the_detail_page_requires_a_reason(
    client, auth, post_form, db_session, types, make_input
):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="75"))
    url = f"/facilities/{facility.id}"
    post_form(
        f"{url}/status",
        {
            "status": "closed",
            "effective_on": "31/01/2026",
            "reason": "",
            "version": facility.version,
        },
        page_url=url,
    )
    db_session.refresh(facility)
    assert facility.status is Status.OPERATING
    post_form(
        f"{url}/status",
        {
            "status": "closed",
            "effective_on": "31/01/2026",
            "reason": "Sáp nhập",
            "version": facility.version,
        },
        page_url=url,
    )
    db_session.refresh(facility)
    assert facility.status is Status.CLOSED
    assert facility.closed_on == date(2026, 1, 31)
    page = client.get(url).get_data(as_text=True)
    assert "Sáp nhập" in page
    assert "31/01/2026" in page


def test_confidential_shelter_is_generalised_for_a_viewer(
    client, auth, db_session, types, make_input
):
    set_actor(db_session, "test")
    shelter, _ = services.register_facility(
        db_session,
        make_input(
            name="Nhà tạm lánh",
            type_code="SHELTER",
            design_capacity=10,
            residents=2,
            address="Số 12 đường Bí Mật",
            lon=106.8312,
            lat=10.9481,
        ),
        actor_id=None,
    )
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    page = client.get(f"/facilities/{shelter.id}").get_data(as_text=True)
    assert "Bí Mật" not in page
    assert "10.948100" not in page
    assert "106.831200" not in page
    assert 'data-generalised="true"' in page
    listing = client.get("/facilities/").get_data(as_text=True)
    assert "Bí Mật" not in listing


def test_confidential_shelter_is_exact_for_a_licensing_officer(
    client, auth, db_session, types, make_input
):
    shelter, _ = services.register_facility(
        db_session,
        make_input(
            name="Nhà tạm lánh",
            type_code="SHELTER",
            design_capacity=10,
            residents=2,
            address="Số 12 đường Bí Mật",
        ),
        actor_id=None,
    )
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="75"))
    page = client.get(f"/facilities/{shelter.id}").get_data(as_text=True)
    assert "Bí Mật" in page


def test_english_interface(client, auth, post_form, db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    post_form("/lang/en", {"next": "/"}, page_url="/")
    page = client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert "Design capacity" in page
    assert "General social protection facility" in page
