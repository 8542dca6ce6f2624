"""Editing a confidential facility without the permission: the other fields stay editable,
the exact point, address and notes are neither shown nor changeable."""

from __future__ import annotations

import pytest

from registry.auth.permissions import Role
from registry.facilities import services
from registry.facilities.models import Facility
from registry.facilities.vocab import Ownership, Status
from tests.factories import UserFactory

SHELTER = (106.87913, 10.96187)
ADDRESS = "Hẻm Quỳnhxyz"


@pytest.fixture
def shelter(db_session, types):
    data = services.FacilityInput(
        name="Nhà tạm lánh An Bình",
        type_code="SHELTER",
        ownership=Ownership.PUBLIC,
        province_code="75",
        lon=SHELTER[0],
        lat=SHELTER[1],
        status=Status.OPERATING,
        address=ADDRESS,
        notes="ghi chú Zebrawq",
        design_capacity=10,
        residents=2,
    )
    facility, _ = services.register_facility(
        db_session, data, actor_id=None, confirm_duplicates=True
    )
    return facility


def _leaks(text: str) -> list[str]:
    words = ["106.879", "10.961", "10.962", "Quỳnhxyz", "Zebrawq"]
    return [w for w in words if w in text]


@pytest.mark.parametrize("role", [Role.PLANNER, Role.INVESTMENT_OFFICER])
def test_edit_form_withholds_the_exact_place(client, auth, db_session, shelter, role):
    auth.login(UserFactory(role=role, province_code="75"))
    page = client.get(f"/facilities/{shelter.id}/edit").get_data(as_text=True)
    assert 'data-testid="location-withheld"' in page
    assert _leaks(page) == []
    assert 'name="lat"' not in page
    assert 'name="address"' not in page


def test_saving_other_fields_keeps_the_place_and_a_posted_point_is_ignored(
    client, auth, post_form, db_session, shelter
):
    auth.login(UserFactory(role=Role.INVESTMENT_OFFICER, province_code="75"))
    url = f"/facilities/{shelter.id}/edit"
    response = post_form(
        url,
        {
            "name": "Nhà tạm lánh An Bình (mới)",
            "type_code": "SHELTER",
            "ownership": "public",
            "province_code": "75",
            "status": "operating",
            "design_capacity": "12",
            "residents": "2",
            "version": str(shelter.version),
            "lat": "10.95",
            "lon": "106.82",
            "address": "Đổi địa chỉ",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    saved = db_session.get(Facility, shelter.id)
    assert saved.name == "Nhà tạm lánh An Bình (mới)"
    assert saved.design_capacity == 12
    assert (saved.lon, saved.lat) == pytest.approx(SHELTER)
    assert saved.address == ADDRESS
    assert saved.notes == "ghi chú Zebrawq"


def test_conflict_page_withholds_the_exact_place(client, auth, post_form, db_session, shelter):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    url = f"/facilities/{shelter.id}/edit"
    stale = shelter.version
    theirs = services.FacilityInput(**{**services.as_plain(shelter), "design_capacity": 11})
    services.update_facility(
        db_session, shelter, theirs, expected_version=stale, actor_id=None, confirm_duplicates=True
    )
    db_session.flush()
    response = post_form(
        url,
        {
            "name": "Nhà tạm lánh",
            "type_code": "SHELTER",
            "ownership": "public",
            "province_code": "75",
            "status": "operating",
            "design_capacity": "15",
            "residents": "2",
            "version": str(stale),
        },
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert _leaks(page) == []
    assert 'data-field="address"' not in page


def test_map_drag_cannot_move_a_point_the_user_may_not_see(client, auth, db_session, shelter):
    from tests.conftest import csrf_token_from

    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    token = csrf_token_from(client.get("/map/"))
    response = client.post(
        f"/map/facilities/{shelter.id}/location",
        json={"lon": 106.9, "lat": 10.97, "version": shelter.version, "reason": "x"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404


def test_planner_registers_only_planned_facilities(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "Trung tâm đang hoạt động",
            "type_code": "GENERAL",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "latlon",
            "lat": "10.950000",
            "lon": "106.820000",
            "status": "operating",
            "opened_on": "",
        },
    )
    assert response.status_code == 200
    assert db_session.query(Facility).filter_by(name="Trung tâm đang hoạt động").count() == 0
    page = client.get("/facilities/new").get_data(as_text=True)
    assert 'value="operating"' not in page
