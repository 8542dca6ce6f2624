"""Map endpoints: facility data (filters, bbox, confidential locations), boundaries,
capacity per unit, the page, and moving planned facilities."""

from __future__ import annotations

import json
import re

import pytest
from shapely.geometry import shape
from sqlalchemy import select

from registry.audit.services import history_for
from registry.auth.permissions import Role
from registry.facilities import services
from registry.facilities.models import Ownership, Status
from registry.facilities.read import Reader
from registry.geography.models import AdminUnit, Edition, Level
from registry.maps import services as maps
from tests.conftest import csrf_token_from
from tests.factories import UserFactory

BIEN_HOA = (106.82, 10.95)
LONG_KHANH = (107.24, 10.93)
BUON_MA_THUOT = (108.04, 12.67)


@pytest.fixture
def types(db_session):
    services.load_types(db_session)


def _add(
    session,
    name,
    type_code,
    lon,
    lat,
    *,
    province="75",
    status=Status.OPERATING,
    ownership=Ownership.PUBLIC,
    capacity=60,
):
    data = services.FacilityInput(
        name=name,
        type_code=type_code,
        ownership=ownership,
        province_code=province,
        lon=lon,
        lat=lat,
        status=status,
        design_capacity=capacity,
        residents=0 if capacity is not None else None,
    )
    facility, _ = services.register_facility(session, data, actor_id=None, confirm_duplicates=True)
    return facility


@pytest.fixture
def network(db_session, types):
    """Five Đồng Nai facilities (one closed, one confidential) and one in Đắk Lắk."""
    f = {
        "elderly": _add(db_session, "Cơ sở A", "ELDERLY", *BIEN_HOA),
        "elderly_np": _add(
            db_session, "Cơ sở B", "ELDERLY", *LONG_KHANH, ownership=Ownership.NON_PUBLIC
        ),
        "planned": _add(db_session, "Cơ sở C", "CHILDREN", 107.00, 10.95, status=Status.PLANNED),
        "shelter": _add(db_session, "Nhà tạm lánh D", "SHELTER", 106.87, 10.97, capacity=10),
        "closed": _add(db_session, "Cơ sở E", "DISABILITY", 107.10, 11.00),
        "dak_lak": _add(db_session, "Cơ sở F", "ELDERLY", *BUON_MA_THUOT, province="66"),
    }
    from datetime import date

    services.change_status(
        db_session,
        f["closed"],
        Status.CLOSED,
        effective_on=date(2025, 1, 1),
        reason="x",
        actor_id=None,
        expected_version=f["closed"].version,
    )
    db_session.flush()
    return f


def _commune_point(session, facility):
    return session.execute(
        select(AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == facility.commune_code,
        )
    ).one()


def _data(client, query=""):
    response = client.get("/map/data" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"])
    return {f["id"]: f for f in body["features"]}


def test_data_is_compact_geojson_of_the_filtered_facilities(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    features = _data(client)
    expected = {network[k].id for k in ("elderly", "elderly_np", "planned", "shelter")}
    assert set(features) == expected  # no closed one, nothing from Đắk Lắk
    elderly = features[network["elderly"].id]
    assert elderly["geometry"] == {"type": "Point", "coordinates": [106.82, 10.95]}
    assert elderly["properties"] == {
        "code": network["elderly"].code,
        "name": "Cơ sở A",
        "type": "ELDERLY",
        "status": "operating",
        "own": "public",
        "cap": 60,
    }
    # Only planned facilities can be moved, so only they carry the version for the lock.
    assert features[network["planned"].id]["properties"]["ver"] == network["planned"].version
    assert features[network["shelter"].id]["properties"]["gen"] is True
    assert set(_data(client, "?type=ELDERLY")) == {network["elderly"].id, network["elderly_np"].id}
    assert set(_data(client, "?ownership=non_public")) == {network["elderly_np"].id}
    assert set(_data(client, "?status=closed")) == {network["closed"].id}
    assert set(_data(client, "?status=planned&status=closed")) == {
        network["planned"].id,
        network["closed"].id,
    }
    assert set(_data(client, "?q=nha+tam+lanh")) == {network["shelter"].id}


@pytest.mark.parametrize("exact", [True, False])
def test_fast_text_and_feature_dicts_are_the_same_document(db_session, network, exact):
    from registry.facilities.queries import FacilityFilter

    reader = Reader(province_code=None, may_see_exact=exact)
    flt = FacilityFilter()
    text = maps.features_geojson(db_session, flt, reader)
    dicts = maps.feature_collection(maps.facility_features(db_session, flt, reader))
    assert json.loads(text) == json.loads(dicts)
    assert len(json.loads(text)["features"]) == 5


def test_data_filters_by_bounding_box(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.ADMIN, province_code=None))
    around_bien_hoa = _data(client, "?bbox=106.8,10.9,106.85,11.0")
    assert set(around_bien_hoa) == {network["elderly"].id}
    whole_country = _data(client, "?bbox=102,8,110,24")
    assert network["dak_lak"].id in whole_country
    assert len(whole_country) == 5
    # A malformed box is ignored, never an error.
    assert len(_data(client, "?bbox=1,2,three,4")) == 5
    assert len(_data(client, "?bbox=110,8,102,24")) == 5


def test_confidential_location_is_generalised_for_a_viewer(client, auth, db_session, network):
    shelter = network["shelter"]
    commune = _commune_point(db_session, shelter)
    assert (commune.rep_lon, commune.rep_lat) != pytest.approx((shelter.lon, shelter.lat))
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    feature = _data(client)[shelter.id]
    assert feature["properties"]["gen"] is True
    assert feature["geometry"]["coordinates"] == pytest.approx(
        [commune.rep_lon, commune.rep_lat], abs=1e-5
    )
    # The box is applied to the point the viewer sees, so it cannot be used to find the
    # real place.
    exact = (
        f"?bbox={shelter.lon - 0.001},{shelter.lat - 0.001},{shelter.lon + 0.001},"
        f"{shelter.lat + 0.001}"
    )
    assert shelter.id not in _data(client, exact)
    shown = (
        f"?bbox={commune.rep_lon - 0.001},{commune.rep_lat - 0.001},"
        f"{commune.rep_lon + 0.001},{commune.rep_lat + 0.001}"
    )
    assert shelter.id in _data(client, shown)


def test_confidential_location_is_exact_for_a_licensing_officer(client, auth, db_session, network):
    shelter = network["shelter"]
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="75"))
    feature = _data(client)[shelter.id]
    assert "gen" not in feature["properties"]
    assert feature["geometry"]["coordinates"] == [shelter.lon, shelter.lat]


def test_generalisation_falls_back_to_the_province_point(db_session, network):
    """The rule of ``facilities.read``: commune point, else province point, never the exact
    one (here the commune is unknown)."""
    shelter = network["shelter"]
    shelter.commune_code = None
    db_session.flush()
    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    from registry.facilities.queries import FacilityFilter

    [feature] = maps.facility_features(
        db_session, FacilityFilter(types=["SHELTER"]), Reader.of(viewer)
    )
    province = db_session.execute(
        select(AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.PROVINCE,
            AdminUnit.code == "75",
        )
    ).one()
    assert feature["geometry"]["coordinates"] == pytest.approx(list(province), abs=1e-5)


def test_map_page_shares_the_filters_and_links_to_the_list(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    response = client.get("/map/?type=ELDERLY&status=operating")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'action="/map/"' in page
    assert 'id="f-type"' in page
    assert 'href="/facilities/?type=ELDERLY&amp;status=operating"' in page
    count = re.search(r'data-testid="map-count"[^>]*>([^<]*)<', page).group(1)
    assert re.findall(r"\d+", count) == ["2"]
    assert "propose-toggle" not in page
    assert "<script>" not in page  # CSP: configuration travels in data attributes
    config = json.loads(_attribute(page, "data-config"))
    assert config["dataUrl"] == "/map/data?type=ELDERLY&status=operating"
    assert config["canPropose"] is False
    assert {t["code"] for t in config["types"]} >= {"ELDERLY", "SHELTER"}


def _attribute(page: str, name: str) -> str:
    import html

    match = re.search(name + r"='([^']*)'", page)
    assert match, f"no {name}"
    return html.unescape(match.group(1))


def test_planner_page_offers_the_add_control(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    page = client.get("/map/").get_data(as_text=True)
    assert 'data-testid="propose-toggle"' in page
    assert json.loads(_attribute(page, "data-config"))["canPropose"] is True


# --- boundaries and capacity -----------------------------------------------------------------


def test_boundaries_are_valid_geojson_and_cacheable(client, auth, db_session):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    response = client.get("/map/boundaries/2025/province")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert "max-age" in response.headers["Cache-Control"]
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 34
    for feature in body["features"]:
        geom = shape(feature["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon")
        assert geom.is_valid
        assert not geom.is_empty
        assert set(feature["properties"]) >= {"code", "name", "population", "population_year"}
    etag = response.headers["ETag"]
    again = client.get("/map/boundaries/2025/province", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_boundaries_by_level_edition_and_province(client, auth, db_session):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    districts = client.get("/map/boundaries/pre2025/district?province=75").get_json(force=True)
    assert len(districts["features"]) == 11
    communes = client.get("/map/boundaries/2025/commune?province=75").get_json(force=True)
    assert len(communes["features"]) == 95
    old = client.get("/map/boundaries/pre2025/province").get_json(force=True)
    dong_nai = next(f for f in old["features"] if f["id"] == "75")
    assert dong_nai["properties"]["population"] == 3097107
    assert dong_nai["properties"]["population_year"] == 2019
    assert client.get("/map/boundaries/2025/district").status_code == 404
    assert client.get("/map/boundaries/1990/province").status_code == 404


def test_capacity_per_10000_people_where_population_is_known(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    body = client.get("/map/capacity?edition=pre2025&level=province").get_json()
    dong_nai = body["units"]["75"]
    # The one definition (facilities.definitions): operating facilities only, not the planned.
    capacity = sum(network[k].design_capacity for k in ("elderly", "elderly_np", "shelter"))
    assert dong_nai["cap"] == capacity
    assert dong_nai["n"] == 3
    assert body["statuses"] == ["operating"]
    assert "đang hoạt động" in body["definition"]
    assert dong_nai["pop"] == 3097107
    assert dong_nai["year"] == 2019
    assert dong_nai["per10k"] == pytest.approx(capacity * 10_000 / 3097107, abs=0.01)
    assert body["years"] == [2019]
    assert "66" not in body["units"]  # outside the viewer's jurisdiction: no figure at all
    current = client.get("/map/capacity?edition=2025&level=province").get_json()
    assert current["units"]["75"]["per10k"] is None  # no population for the new province
    filtered = client.get("/map/capacity?edition=pre2025&level=province&type=ELDERLY").get_json()
    assert filtered["units"]["75"]["cap"] == 120
    assert client.get("/map/capacity?edition=2025&level=district").status_code == 404


# --- moving planned facilities ---------------------------------------------------------------


def _relocate(
    client, facility, *, lon=107.01, lat=10.955, reason="Đất mới", version=None, token=True
):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRFToken"] = csrf_token_from(client.get("/map/"))
    payload = {
        "lon": lon,
        "lat": lat,
        "reason": reason,
        "version": facility.version if version is None else version,
    }
    return client.post(f"/map/facilities/{facility.id}/location", json=payload, headers=headers)


def test_planner_moves_a_planned_facility_with_a_reason(client, auth, db_session, network):
    planned = network["planned"]
    version = planned.version
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = _relocate(client, planned)
    assert response.status_code == 200, response.get_json()
    db_session.refresh(planned)
    assert (planned.lon, planned.lat) == (107.01, 10.955)
    assert planned.version == version + 1
    assert planned.location_source.value == "map"
    feature = response.get_json()["feature"]
    assert feature["id"] == planned.id
    assert feature["properties"]["ver"] == planned.version
    assert feature["geometry"]["coordinates"] == [107.01, 10.955]
    assert history_for(db_session, "facilities", planned.id)[0].reason == "Đất mới"


def test_operating_facility_cannot_be_moved(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = _relocate(client, network["elderly"])
    assert response.status_code == 422
    assert response.get_json()["error"]


def test_move_needs_a_reason_and_a_place_in_the_province(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    assert _relocate(client, network["planned"], reason="  ").status_code == 422
    outside = _relocate(client, network["planned"], lon=BUON_MA_THUOT[0], lat=BUON_MA_THUOT[1])
    assert outside.status_code == 422
    assert "location" in outside.get_json()["errors"]
    assert _relocate(client, network["planned"], lon="east").status_code == 422


def test_viewer_may_not_move_facilities(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    assert _relocate(client, network["planned"]).status_code == 403


def test_stale_version_is_a_conflict(client, auth, db_session, network):
    planned = network["planned"]
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = _relocate(client, planned, version=planned.version - 1)
    assert response.status_code == 409
    db_session.refresh(planned)
    assert (planned.lon, planned.lat) == (107.00, 10.95)


def test_other_provinces_facility_is_not_found(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.PLANNER, province_code="66"))
    assert _relocate(client, network["planned"]).status_code == 404


def test_move_without_csrf_token_is_refused(client, auth, db_session, network):
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    assert _relocate(client, network["planned"], token=False).status_code == 400
