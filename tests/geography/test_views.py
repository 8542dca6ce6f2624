"""The browse pages and the point lookup."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def viewer(db_session, auth):
    user = UserFactory()
    auth.login(user)
    return user


@pytest.mark.parametrize(
    "url",
    [
        "/geography/",
        "/geography/pre2025/75",
        "/geography/2025/26041",
        "/geography/lookup?lon=106.82&lat=10.95",
    ],
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_index_lists_both_organisations(client, viewer):
    response = client.get("/geography/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="current-provinces"' in html
    assert 'data-testid="pre2025-provinces"' in html
    assert "/geography/pre2025/70" in html  # Bình Phước, merged away in 2025
    assert "/geography/2025/75" in html


def test_old_district_shows_population_children_and_successors(client, viewer):
    response = client.get("/geography/pre2025/731")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thành phố Biên Hòa" in html
    assert "797.840" in html  # the number filter
    assert "(2009)" in html  # an old vintage keeps its year
    assert "citypopulation.de" in html
    assert "/geography/pre2025/25993" in html  # Phường Trảng Dài, one of its wards
    assert 'data-testid="subdivisions"' in html


def test_old_commune_links_to_its_new_commune(client, viewer):
    response = client.get("/geography/pre2025/24166")
    assert response.status_code == 200
    assert "/geography/2025/24121" in response.get_data(as_text=True)


def test_new_commune_lists_what_it_was_formed_from(client, viewer):
    response = client.get("/geography/2025/24121")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/geography/pre2025/24166" in html
    assert "Phường Tân Lập" in html


def test_unknown_unit_is_404(client, viewer):
    for url in ("/geography/1999/75", "/geography/2025/999", "/geography/2025/x"):
        assert client.get(url).status_code == 404, url


def test_lookup_returns_units_of_both_organisations(client, viewer):
    response = client.get("/geography/lookup?lon=106.82&lat=10.95")
    assert response.status_code == 200
    body = response.get_json()
    assert body["current"]["province"]["code"] == "75"
    assert body["current"]["commune"]["code"] == "26041"
    assert body["pre2025"]["province"]["code"] == "75"
    assert body["pre2025"]["district"]["code"] == "731"
    assert body["pre2025"]["district"]["url"] == "/geography/pre2025/731"
    assert body["approximate"] is False
    assert body["in_vietnam"] is True


def test_lookup_outside_vietnam_returns_no_units(client, viewer):
    body = client.get("/geography/lookup?lon=2.35&lat=48.85").get_json()
    assert body["in_vietnam"] is False
    assert body["current"] == {"province": None, "commune": None}


BAD_QUERIES = (
    "",
    "lon=106.8",
    "lat=10.9",
    "lon=abc&lat=10.9",
    "lon=106.8&lat=",
    "lon=nan&lat=10.9",
    "lon=inf&lat=10.9",
    "lon=200&lat=10.9",
    "lon=106.8&lat=-91",
)


def test_lookup_rejects_bad_coordinates(client, viewer):
    # One login for all cases: logging in is the slow part of a view test.
    for query in BAD_QUERIES:
        response = client.get(f"/geography/lookup?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["status"] == 400, query
