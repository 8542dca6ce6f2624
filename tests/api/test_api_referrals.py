"""The referral directory through the API, as a hotline system calls it with a token: a
commune typed without diacritics, a caller's point, the commune's directory with the nearest
GBV service and the social work centre, never a shelter; another province's commune is not
found, and nobody without a token gets anything."""

from __future__ import annotations

from registry.auth.permissions import Role
from tests.referrals.test_directory import COMMUNE, services_near  # noqa: F401  (fixture)


def test_a_hotline_system_finds_the_commune_and_its_directory(api, services_near):  # noqa: F811
    _user, caller = api(Role.VIEWER, "75")
    found = caller.get("/api/v1/referrals/communes?q=tan+trieu")
    assert found.status_code == 200
    assert [c["code"] for c in found.get_json()["items"]] == [COMMUNE]
    at = caller.get("/api/v1/referrals/communes?lon=106.818&lat=11.012").get_json()
    assert [c["code"] for c in at["items"]] == [COMMUNE]
    answer = caller.get(f"/api/v1/referrals/communes/{COMMUNE}")
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["nearest_gbv_service"]["code"] == services_near["near"].code
    assert data["social_work_centre"]["code"] == services_near["centre"].code
    assert data["safe_place"]
    body = answer.get_data(as_text=True)
    shelter = services_near["shelter"]
    for secret in (shelter.name, shelter.code, "Bímậtqzx", "Kiwiplumz", "106.826", "11.015"):
        assert secret not in body, secret


def test_another_provinces_token_finds_nothing(api, services_near):  # noqa: F811
    _user, caller = api(Role.ADMIN, "66")
    assert caller.get("/api/v1/referrals/communes?q=tan+trieu").get_json()["items"] == []
    at = caller.get("/api/v1/referrals/communes?lon=106.818&lat=11.012").get_json()
    assert at["items"] == []
    missing = caller.get(f"/api/v1/referrals/communes/{COMMUNE}")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_without_a_token_the_directory_is_401(client, services_near):  # noqa: F811
    assert client.get(f"/api/v1/referrals/communes/{COMMUNE}").status_code == 401
    assert client.get("/api/v1/referrals/communes?q=tan+trieu").status_code == 401
