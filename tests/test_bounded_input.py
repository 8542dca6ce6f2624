"""No 5xx from bad input (issue 8, item 8): ids in the path, numbers in the query string and
numbers typed into forms stay within the database's ``integer`` and the real world."""

from __future__ import annotations

import math

import pytest
from werkzeug.datastructures import MultiDict

from registry.auth.permissions import Role
from registry.facilities.models import Facility, Status
from registry.facilities.queries import PAGE_MAX, FacilityFilter
from registry.http import INT_MAX, parse_float, parse_int, to_float, to_int
from tests.factories import FacilityFactory, UserFactory

# --- the helpers, without an app ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("+7", 7),
        (str(INT_MAX), INT_MAX),
        (str(INT_MAX + 1), None),
        ("99999999999999999999999", None),
        ("9" * 5000, None),
        ("-1", None),
        ("", None),
        (None, None),
        ("1.5", None),
        ("1e3", None),
        ("0x10", None),
        ("1_000", None),
        ("١٢", None),
        ("𝟙", None),
        ("nan", None),
        ("1\x00", None),
    ],
)
def test_parse_int_takes_ascii_whole_numbers_within_the_database_integer(text, expected):
    assert parse_int(text) == expected


def test_parse_int_honours_its_bounds():
    assert parse_int("-5", low=-10, high=10) == -5
    assert parse_int("11", low=-10, high=10) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.95", 10.95),
        ("-90", -90.0),
        ("1e1", 10.0),
        ("nan", None),
        ("NaN", None),
        ("inf", None),
        ("-Infinity", None),
        ("1e309", None),
        ("91", None),
        ("", None),
        (None, None),
        ("abc", None),
        ("1" * 100, None),
        ("١٢", None),
    ],
)
def test_parse_float_takes_finite_numbers_within_bounds(text, expected):
    assert parse_float(text, low=-90, high=90) == expected


@pytest.mark.parametrize(
    "value", [True, None, "1e309", float("nan"), float("inf"), 10**400, 181, "abc", [1]]
)
def test_to_float_refuses_what_is_not_a_coordinate(value):
    with pytest.raises(ValueError, match="not a number"):
        to_float(value, low=-180, high=180)


@pytest.mark.parametrize(
    "value", [True, None, 1.5, float("inf"), float("nan"), INT_MAX + 1, -1, "1e3", "abc", 10**400]
)
def test_to_int_refuses_what_is_not_a_version(value):
    with pytest.raises(ValueError, match="not a whole number"):
        to_int(value)


def test_to_int_and_to_float_take_json_numbers_and_strings():
    assert to_int(3) == to_int(3.0) == to_int("3") == 3
    assert to_float(106, low=-180, high=180) == to_float("106", low=-180, high=180) == 106.0


@pytest.mark.parametrize(
    ("args", "field", "expected"),
    [
        ({"capacity_min": "99999999999999999999999"}, "capacity_min", None),
        ({"capacity_min": str(INT_MAX)}, "capacity_min", INT_MAX),
        ({"capacity_max": "-5"}, "capacity_max", None),
        ({"capacity_max": "12"}, "capacity_max", 12),
        ({"page": "99999999999999999999"}, "page", 1),
        ({"page": str(PAGE_MAX + 1)}, "page", 1),
        ({"page": "3"}, "page", 3),
        ({"bbox": "nan,nan,nan,nan"}, "bbox", None),
        ({"bbox": "1e309,0,1e309,1"}, "bbox", None),
        ({"bbox": "-inf,-90,inf,90"}, "bbox", None),
        ({"bbox": "-200,-100,200,100"}, "bbox", None),
        ({"bbox": "107,11,106,10"}, "bbox", None),
        ({"bbox": "1,2,3"}, "bbox", None),
        ({"bbox": "106.5,10.5,107.5,11.5"}, "bbox", (106.5, 10.5, 107.5, 11.5)),
        ({"province": "7\x005"}, "province", None),
        ({"q": "x" * 5000}, "q", None),
        ({"q": " Biên Hòa "}, "q", "Biên Hòa"),
    ],
)
def test_the_list_filter_ignores_values_out_of_range(args, field, expected):
    assert getattr(FacilityFilter.from_args(MultiDict(args)), field) == expected


def test_the_list_filter_keeps_only_good_types():
    flt = FacilityFilter.from_args(
        MultiDict([("type", "GENERAL"), ("type", ""), ("type", "A\x00")])
    )
    assert flt.types == ["GENERAL"]


# --- through the app ---------------------------------------------------------------------------


@pytest.fixture
def admin(auth, db_session):
    user = UserFactory(role=Role.ADMIN, province_code="75")
    auth.login(user)
    return user


@pytest.mark.parametrize(
    "path",
    [
        "/facilities/99999999999999999999",
        "/facilities/2147483648",
        "/facilities/99999999999999999999/edit",
        "/facilities/99999999999999999999/history",
        "/planning/scenarios/99999999999999999999",
        "/admin/users/99999999999999999999",
        "/facilities/" + "9" * 5000,
        "/facilities/١٢",
    ],
)
def test_an_id_beyond_the_database_integer_is_not_found(client, admin, path):
    assert client.get(path).status_code == 404


def test_the_largest_database_integer_is_an_ordinary_unknown_id(client, admin):
    assert client.get(f"/facilities/{INT_MAX}").status_code == 404


def test_ids_are_still_routed(client, admin, db_session):
    facility = FacilityFactory(province_code="75")
    assert client.get(f"/facilities/{facility.id}").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "capacity_min=99999999999999999999999",
        "capacity_max=99999999999999999999999",
        "page=99999999999999999999",
        "bbox=nan,nan,nan,nan",
        "bbox=1e309,0,1e309,1",
        "capacity_min=-1&capacity_max=1e309",
    ],
)
def test_the_list_answers_huge_and_non_finite_filters(client, admin, query):
    assert client.get(f"/facilities/?{query}").status_code == 200


def test_a_huge_minimum_capacity_is_ignored_not_an_error(client, admin, db_session):
    FacilityFactory(province_code="75", name="Cơ sở hiển thị")
    response = client.get("/facilities/?capacity_min=99999999999999999999999")
    assert response.status_code == 200
    assert "Cơ sở hiển thị" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["lon=nan&lat=10", "lon=1e309&lat=10", "lon=106&lat=-inf", "lon=181&lat=10"]
)
def test_the_unit_lookup_refuses_non_finite_points(client, admin, query):
    assert client.get(f"/geography/lookup?{query}").status_code == 400


def _new_facility(**changes):
    data = {
        "name": "Cơ sở công suất lớn",
        "type_code": "GENERAL",
        "ownership": "public",
        "province_code": "75",
        "location_mode": "latlon",
        "lat": "10.95",
        "lon": "106.82",
        "status": "operating",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("capacity", [str(10**20), str(10**12), "1000001", "9" * 5000])
def test_a_design_capacity_beyond_any_facility_is_a_field_error(
    client, admin, post_form, db_session, capacity
):
    response = post_form("/facilities/new", _new_facility(design_capacity=capacity))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-field-error="design_capacity"' in page
    assert db_session.query(Facility).count() == 0


def test_the_capacity_error_is_in_vietnamese(client, admin, post_form, db_session):
    response = post_form("/facilities/new", _new_facility(design_capacity=str(10**20)))
    assert "Nhập một số từ 0 đến 1000000." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("residents", "abc", "Nhập một số nguyên."),
        ("staff", "1.5", "Nhập một số nguyên."),
        ("cap_elderly", "-1", "Nhập một số từ 0 đến 1000000."),
        ("lat", "nan", "Nhập một số từ -90 đến 90."),
        ("lon", "sNaN", "Nhập một số."),
        ("lat", "Infinity", "Nhập một số."),
        ("lon", "1e999999", "Nhập một số từ -180 đến 180."),
        ("version", "1e9999", "Biểu mẫu đã cũ"),
    ],
)
def test_bad_numbers_in_the_facility_form_are_field_errors(
    client, admin, post_form, db_session, field, value, message
):
    response = post_form("/facilities/new", _new_facility(**{field: value}))
    assert response.status_code == 200
    if field != "version":  # hidden: the form is shown again, not saved
        assert message in response.get_data(as_text=True)
    assert db_session.query(Facility).count() == 0


def test_a_capacity_within_bounds_is_saved(client, admin, post_form, db_session):
    response = post_form("/facilities/new", _new_facility(design_capacity="1000000"))
    assert response.status_code == 302
    assert db_session.query(Facility).one().design_capacity == 1_000_000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("distance_km", "1e309"),
        ("distance_km", "nan"),
        ("k", "99999999999999999999"),
        ("time_limit", "-1"),
    ],
)
def test_the_siting_form_refuses_out_of_range_numbers(client, admin, field, value):
    response = client.get(f"/planning/siting?province=75&type_code=GENERAL&{field}={value}")
    assert response.status_code == 200
    assert "Nhập một số" in response.get_data(as_text=True)


def test_relocating_refuses_json_numbers_beyond_range(client, admin, db_session):
    from tests.conftest import csrf_token_from

    facility = FacilityFactory(province_code="75", status=Status.PLANNED)
    token = csrf_token_from(client.get("/"))
    for payload in (
        {"lon": 1e400, "lat": 10.9, "version": 1, "reason": "x"},
        {"lon": 106.8, "lat": 10.9, "version": 1e400, "reason": "x"},
        {"lon": 106.8, "lat": 10.9, "version": 10**20, "reason": "x"},
    ):
        response = client.post(
            f"/map/facilities/{facility.id}/location", json=payload, headers={"X-CSRFToken": token}
        )
        assert response.status_code == 422, payload
    assert math.isclose(db_session.get(Facility, facility.id).lon, 106.8212)


def test_a_nul_character_anywhere_in_the_query_is_a_bad_request(client, auth, db_session):
    """PostgreSQL refuses NUL in text: the app answers 400 before any query runs."""
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    assert client.get("/audit/?entity=a%00b").status_code == 400
    assert client.get("/facilities/?q=x%00").status_code == 400
    assert client.get("/facilities/?q=x").status_code == 200
