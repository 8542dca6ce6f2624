"""The referral directory: search by either organisation's name without diacritics, nearest
GBV service and social work centre, shelters only ever as "contact the hotline"."""

from __future__ import annotations

import pytest

from registry.auth.permissions import Role
from registry.facilities.vocab import Ownership
from registry.referrals import directory
from registry.referrals.models import ReferralProfile
from tests.factories import FacilityFactory, UserFactory

# Tân Triều (26188), Đồng Nai, formed in 2025 from (among others) the pre-2025 ward Tân Phong
# of Biên Hòa; its representative point is about (106.818, 11.012).
COMMUNE = "26188"
SHELTER_ADDRESS = "Hẻm Bímậtqzx số 9"
SHELTER_NOTES = "Gọi chị Kiwiplumz"


@pytest.fixture
def services_near(db_session):
    near_gbv = FacilityFactory(
        code="75-GBV_COUNSELLING-9001",
        name="Điểm tư vấn bạo lực giới Tân Triều",
        type_code="GBV_COUNSELLING",
        lon=106.83,
        lat=11.02,
        service_codes=["gbv_counselling"],
    )
    far_gbv = FacilityFactory(
        code="75-GBV_COUNSELLING-9002",
        name="Điểm tư vấn bạo lực giới xa",
        type_code="GBV_COUNSELLING",
        lon=107.40,
        lat=10.90,
    )
    centre = FacilityFactory(
        code="75-SOCIAL_WORK-9003",
        name="Trung tâm Công tác xã hội tỉnh",
        type_code="SOCIAL_WORK",
        lon=106.85,
        lat=10.95,
    )
    shelter = FacilityFactory(
        code="75-SHELTER-9004",
        name="Nhà tạm lánh Tân Triều",
        type_code="SHELTER",
        ownership=Ownership.NON_PUBLIC,
        lon=106.8261,
        lat=11.0153,
        address=SHELTER_ADDRESS,
        notes=SHELTER_NOTES,
    )
    db_session.add(
        ReferralProfile(
            facility_id=near_gbv.id,
            province_code="75",
            hours="7:30–17:00",
            phone="0251 000 111",
            contact="Gặp cán bộ trực ban",
            takes_emergency=True,
            accepts_111=True,
            listed_publicly=True,
        )
    )
    db_session.add(
        ReferralProfile(facility_id=centre.id, province_code="75", listed_publicly=False)
    )
    db_session.flush()
    return {"near": near_gbv, "far": far_gbv, "centre": centre, "shelter": shelter}


@pytest.mark.parametrize(
    ("query", "found"),
    [("tan trieu", COMMUNE), ("TÂN TRIỀU", COMMUNE), ("Phường tan phong", COMMUNE)],
)
def test_communes_are_found_by_either_organisations_name_without_diacritics(
    db_session, query, found
):
    matches = directory.find_communes(db_session, query, province_code="75")
    assert found in {m.code for m in matches}


def test_a_pre2025_name_says_which_commune_it_became(db_session):
    matches = directory.find_communes(db_session, "tan phong", province_code="75")
    match = next(m for m in matches if m.code == COMMUNE)
    assert match.matched == "Tân Phong"
    assert match.edition.value == "pre2025"


def test_the_operator_finds_the_nearest_gbv_service_and_the_social_work_centre(
    client, auth, services_near
):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    search = client.get("/referrals/?q=tan+trieu")
    assert search.status_code == 302
    assert search.headers["Location"].endswith(f"/communes/{COMMUNE}")
    data = client.get(f"/referrals/communes/{COMMUNE}.json").get_json()
    assert data["nearest_gbv_service"]["code"] == services_near["near"].code
    assert data["nearest_gbv_service"]["distance_band"] == "< 5 km"
    assert data["nearest_gbv_service"]["accepts_111"] is True
    assert data["nearest_gbv_service"]["contact"] == "Gặp cán bộ trực ban"
    assert data["social_work_centre"]["code"] == services_near["centre"].code
    assert data["safe_place"]
    assert [h["number"] for h in data["hotlines"]] == ["111"]
    page = client.get(f"/referrals/communes/{COMMUNE}").get_data(as_text=True)
    assert 'data-testid="nearest-gbv"' in page
    assert services_near["near"].name in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN, Role.LICENSING_OFFICER])
def test_no_shelter_name_location_or_address_ever_appears(client, auth, services_near, role):
    """Even for holders of facilities.view_confidential: the directory never lists a shelter."""
    auth.login(UserFactory(role=role, province_code="75"))
    shelter = services_near["shelter"]
    for url in (f"/referrals/communes/{COMMUNE}", f"/referrals/communes/{COMMUNE}.json"):
        body = client.get(url).get_data(as_text=True)
        for secret in (shelter.name, shelter.code, "Bímậtqzx", "Kiwiplumz", "106.826", "11.015"):
            assert secret not in body, (url, secret)


def test_the_public_directory_needs_no_login_and_lists_only_public_services(client, services_near):
    assert client.get("/referrals/public/?q=tan+trieu").status_code == 302
    data = client.get(f"/referrals/public/{COMMUNE}.json").get_json()
    codes = {s["code"] for s in data["services"]}
    assert services_near["near"].code in codes
    assert services_near["centre"].code not in codes  # not listed publicly
    assert data["nearest_gbv_service"]["contact"] is None  # operator notes stay internal
    assert services_near["shelter"].code not in str(data)


def test_a_map_click_answers_the_directory_of_the_commune_at_the_point(client, auth, services_near):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    response = client.get("/referrals/at.json?lon=106.8182&lat=11.0117", follow_redirects=True)
    assert response.get_json()["commune"]["code"] == COMMUNE
    assert client.get("/referrals/at.json?lon=abc&lat=1").status_code == 400


def test_another_provinces_operator_does_not_get_the_commune(client, auth, services_near):
    auth.login(UserFactory(role=Role.VIEWER, province_code="66"))
    assert client.get(f"/referrals/communes/{COMMUNE}.json").status_code == 404


def test_distance_bands():
    assert [directory.band_label(k) for k in (1, 5, 20, 45, 61)] == [
        "< 5 km",
        "5–15 km",
        "15–30 km",
        "30–60 km",
        "> 60 km",
    ]


def test_the_operator_page_offers_the_map_click_and_the_public_page_does_not(client, auth):
    public = client.get("/referrals/public/").get_data(as_text=True)
    assert 'id="referral-map"' not in public
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    page = client.get("/referrals/").get_data(as_text=True)
    assert 'id="referral-map"' in page
    assert "referrals.js" in page
