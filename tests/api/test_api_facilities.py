"""Facilities through the API: the list's filters and pages, ETags and If-Match, the form's
rules on create, edit and status change, roles and jurisdictions, confidential locations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import clock
from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.facilities import services
from registry.facilities.vocab import Ownership, Status
from tests.api.conftest import DAK_LAK, DONG_NAI
from tests.factories import FacilityFactory

URL = "/api/v1/facilities"
# Biên Hòa (Đồng Nai) and Buôn Ma Thuột (Đắk Lắk).
BIEN_HOA = (106.8212, 10.9574)
BUON_MA_THUOT = (108.0378, 12.6662)


def _body(**changes):
    body = {
        "name": "Trung tâm bảo trợ xã hội thử nghiệm",
        "type_code": "GENERAL",
        "ownership": "public",
        "province_code": DONG_NAI,
        "lon": 106.84,
        "lat": 10.95,
        "status": "operating",
        "design_capacity": 120,
        "confirm_duplicates": True,
    }
    body.update(changes)
    return body


def _shelter(db_session, province=DONG_NAI, point=BIEN_HOA):
    facility, _ = services.register_facility(
        db_session,
        services.FacilityInput(
            name="Nhà tạm lánh",
            type_code="SHELTER",
            ownership=Ownership.NON_PUBLIC,
            province_code=province,
            lon=point[0],
            lat=point[1],
            address="Số 5 đường bí mật",
            notes="Ghi chú kín",
        ),
        actor_id=None,
        confirm_duplicates=True,
    )
    db_session.commit()
    return facility


def test_list_pages_with_links_and_filters(api, db_session):
    for i in range(7):
        FacilityFactory(name=f"Cơ sở {i}", design_capacity=100 + i)
    FacilityFactory(name="Khác", type_code="SHELTER", province_code=DAK_LAK)
    db_session.commit()
    _user, client = api(Role.ADMIN, None)
    first = client.get(URL + "?province=75&per_page=3&sort=capacity")
    assert first.status_code == 200
    body = first.get_json()
    assert body["total"] == 7
    assert body["pages"] == 3
    assert [f["design_capacity"] for f in body["items"]] == [100, 101, 102]
    assert body["links"]["prev"] is None
    assert "province=75" in body["links"]["next"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(body["links"]["next"]).get_json()
    assert second["page"] == 2
    assert [f["design_capacity"] for f in second["items"]] == [103, 104, 105]
    last = client.get(body["links"]["last"]).get_json()
    assert last["links"]["next"] is None
    assert len(last["items"]) == 1
    assert client.get(URL + "?type=SHELTER").get_json()["total"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=101",
        "page=0",
        "status=open",
        "bbox=1,2",
        "bbox=110,20,100,10",
        "capacity_min=-1",
        "sort=colour",
        "ownership=private",
    ],
)
def test_bad_list_parameters_are_400_with_the_field(api, db_session, query):
    _user, client = api(Role.VIEWER)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert problem["errors"][0]["field"].split(".")[0] == query.split("=")[0]
    assert problem["errors"][0]["in"] == "query"


def test_read_has_etag_and_provincial_reader_sees_only_their_province(api, db_session):
    mine = FacilityFactory()
    theirs = FacilityFactory(province_code=DAK_LAK, lon=BUON_MA_THUOT[0], lat=BUON_MA_THUOT[1])
    db_session.commit()
    _user, client = api(Role.VIEWER, DONG_NAI)
    response = client.get(f"{URL}/{mine.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"facility-{mine.id}-v{mine.version}"'
    assert response.get_json()["etag"] == response.headers["ETag"]
    assert client.get(f"{URL}/{theirs.id}").status_code == 404
    assert client.get(f"{URL}/99999999").status_code == 404


def test_confidential_facility_is_generalised_for_a_viewer(api, db_session):
    shelter = _shelter(db_session)
    _viewer, viewer = api(Role.VIEWER)
    _officer, officer = api(Role.LICENSING_OFFICER)
    seen = viewer.get(f"{URL}/{shelter.id}").get_json()
    exact = officer.get(f"{URL}/{shelter.id}").get_json()
    assert exact["generalised"] is False
    assert exact["address"] == "Số 5 đường bí mật"
    assert (exact["lon"], exact["lat"]) == (round(BIEN_HOA[0], 6), round(BIEN_HOA[1], 6))
    assert seen["generalised"] is True
    assert seen["address"] is None
    assert seen["notes"] is None
    assert (seen["lon"], seen["lat"]) != (exact["lon"], exact["lat"])
    listed = viewer.get(URL).get_json()["items"]
    assert "bí mật" not in str(listed)


def test_create_registers_through_the_services_with_audit(api, db_session):
    user, client = api(Role.LICENSING_OFFICER)
    response = client.post(URL, json=_body())
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["facility"]
    assert created["code"].startswith("75-")
    assert response.headers["Location"] == f"{URL}/{created['id']}"
    assert response.headers["ETag"] == created["etag"]
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "facilities", AuditEvent.entity_id == str(created["id"])
        )
    ).first()
    assert event.actor_id == user.id


def test_viewer_token_cannot_write(api, db_session):
    facility = FacilityFactory()
    db_session.commit()
    _user, client = api(Role.VIEWER)
    assert client.post(URL, json=_body()).status_code == 403
    etag = client.get(f"{URL}/{facility.id}").headers["ETag"]
    response = client.patch(f"{URL}/{facility.id}", json={"name": "X"}, headers={"If-Match": etag})
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    db_session.refresh(facility)
    assert facility.name != "X"


def test_planner_registers_planned_facilities_only(api, db_session):
    _user, client = api(Role.PLANNER)
    refused = client.post(URL, json=_body())
    assert refused.status_code == 403
    assert refused.get_json()["errors"][0]["field"] == "status"
    assert client.post(URL, json=_body(status="planned")).status_code == 201


def test_create_outside_the_jurisdiction_is_403(api, db_session):
    _user, client = api(Role.ADMIN, DAK_LAK)
    assert client.post(URL, json=_body()).status_code == 403


def test_create_rule_errors_are_422_with_fields(api, db_session):
    _user, client = api(Role.ADMIN)
    response = client.post(URL, json=_body(type_code="NO_SUCH_TYPE"))
    assert response.status_code == 422
    problem = response.get_json()
    assert {"field": "type_code", "in": "json"}.items() <= problem["errors"][0].items()


@pytest.mark.parametrize(
    "changes",
    [
        {"lon": 500},
        {"name": ""},
        {"design_capacity": 2**40},
        {"colour": "red"},
        {"name": "a\x00b"},
        {"lat": None},
        {"opened_on": "31/12/2020"},
    ],
)
def test_create_with_a_body_that_does_not_fit_is_400(api, db_session, changes):
    _user, client = api(Role.ADMIN)
    response = client.post(URL, json=_body(**changes))
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_malformed_json_is_400(api, db_session):
    _user, client = api(Role.ADMIN)
    response = client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_update_with_current_etag_saves_and_bumps_the_etag(api, db_session):
    facility = FacilityFactory()
    db_session.commit()
    _user, client = api(Role.ADMIN)
    etag = client.get(f"{URL}/{facility.id}").headers["ETag"]
    response = client.patch(
        f"{URL}/{facility.id}",
        json={"name": "Tên mới", "residents": 50, "reason": "Sửa tên"},
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["facility"]["name"] == "Tên mới"
    assert response.headers["ETag"] != etag
    db_session.refresh(facility)
    assert facility.name == "Tên mới"


def test_stale_etag_gets_412_and_leaves_the_record_unchanged(api, db_session):
    facility = FacilityFactory(name="Tên gốc")
    db_session.commit()
    _user, client = api(Role.ADMIN)
    stale = client.get(f"{URL}/{facility.id}").headers["ETag"]
    first = client.patch(
        f"{URL}/{facility.id}", json={"name": "Lần một"}, headers={"If-Match": stale}
    )
    assert first.status_code == 200
    second = client.patch(
        f"{URL}/{facility.id}", json={"name": "Lần hai"}, headers={"If-Match": stale}
    )
    assert second.status_code == 412
    assert second.content_type == "application/problem+json"
    assert second.headers["ETag"] == first.headers["ETag"]
    db_session.expire_all()
    assert client.get(f"{URL}/{facility.id}").get_json()["name"] == "Lần một"


def test_update_without_if_match_is_428(api, db_session):
    facility = FacilityFactory()
    db_session.commit()
    _user, client = api(Role.ADMIN)
    response = client.patch(f"{URL}/{facility.id}", json={"name": "X"})
    assert response.status_code == 428
    assert response.get_json()["status"] == 428


def test_generalised_facility_location_cannot_be_changed(api, db_session):
    shelter = _shelter(db_session)
    _user, client = api(Role.PLANNER)
    etag = client.get(f"{URL}/{shelter.id}").headers["ETag"]
    response = client.patch(
        f"{URL}/{shelter.id}", json={"lon": 106.9, "lat": 10.9}, headers={"If-Match": etag}
    )
    assert response.status_code == 403
    assert {e["field"] for e in response.get_json()["errors"]} == {"lat", "lon"}
    # Other fields stay editable, and the exact place is kept.
    ok = client.patch(f"{URL}/{shelter.id}", json={"staff": 4}, headers={"If-Match": etag})
    assert ok.status_code == 200
    db_session.refresh(shelter)
    assert (shelter.lon, shelter.lat) == BIEN_HOA
    assert shelter.address == "Số 5 đường bí mật"


def test_status_change_needs_reason_and_if_match(api, db_session):
    facility = FacilityFactory(opened_on=clock.today() - timedelta(days=400))
    db_session.commit()
    _user, client = api(Role.LICENSING_OFFICER)
    url = f"{URL}/{facility.id}/status"
    body = {"status": "suspended", "effective_on": clock.today().isoformat(), "reason": "Sửa"}
    assert client.post(url, json=body).status_code == 428
    etag = client.get(f"{URL}/{facility.id}").headers["ETag"]
    assert (
        client.post(url, json={**body, "reason": ""}, headers={"If-Match": etag}).status_code == 400
    )
    response = client.post(url, json=body, headers={"If-Match": etag})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "suspended"
    refused = client.post(
        url, json={**body, "status": "planned"}, headers={"If-Match": response.headers["ETag"]}
    )
    assert refused.status_code == 422
    db_session.refresh(facility)
    assert facility.status is Status.SUSPENDED
