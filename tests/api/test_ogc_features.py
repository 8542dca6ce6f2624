"""OGC API – Features at /ogc, checked against the standard's own schemas.

Every JSON answer (landing page, conformance, collections, collection, feature collection,
feature, exception) is validated against the schemas of OGC API – Features Part 1 in
``standards/ogcapi-features-1/schemas`` (a copy of the official files), resolved with a
``referencing`` registry. ``TESTED_CLASSES`` maps each conformance class the API declares to
the tests that check it; the declaration must be exactly those classes.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from registry.auth.permissions import Role
from tests.factories import UserFactory

STANDARD = Path(__file__).resolve().parents[2] / "standards" / "ogcapi-features-1"
BASE = "https://schemas.opengis.net/ogcapi/features/part1/1.1/openapi/schemas/"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
HTML_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
#: Each declared conformance class and the tests of this module that check it.
TESTED_CLASSES = {
    CORE: (
        "test_landing_page_links_to_definition_conformance_and_data",
        "test_collections_list_every_collection",
        "test_items_pages_walk_the_whole_collection",
        "test_items_bbox_limit_datetime_and_property_filters",
        "test_unknown_or_invalid_parameters_are_400_exceptions",
        "test_single_feature_and_unknown_feature",
    ),
    OAS30: ("test_api_definition_is_openapi_30_with_the_standard_building_blocks",),
    GEOJSON_CLASS: ("test_feature_collections_and_features_validate_as_geojson",),
    HTML_CLASS: ("test_every_resource_has_an_html_page", "test_accept_header_negotiates"),
}
UNIT_COLLECTIONS = (
    "admin-units-2025-province",
    "admin-units-2025-commune",
    "admin-units-pre2025-province",
    "admin-units-pre2025-district",
    "admin-units-pre2025-commune",
)
SHELTER_POINT = (106.91637, 10.92874)  # inside a Đồng Nai commune, off its centre


# --- the standard's schemas --------------------------------------------------------------------


def _json_types(node: Any) -> Any:
    """YAML reads the standard's unquoted ``type: null`` as no value; it means JSON null."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "type" and value is None:
                value = "null"
            elif key == "type" and isinstance(value, list):
                value = ["null" if v is None else v for v in value]
            out[key] = _json_types(value)
        return out
    if isinstance(node, list):
        return [_json_types(v) for v in node]
    return node


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted((STANDARD / "schemas").glob("*.yaml")):
        contents = _json_types(yaml.safe_load(path.read_text(encoding="utf-8")))
        resources.append((BASE + path.name, Resource(contents, specification=DRAFT202012)))
    return Registry().with_resources(resources)


def assert_valid(schema: str, document: Any) -> None:
    """``document`` conforms to ``schemas/<schema>.yaml`` of the standard."""
    validator = Draft202012Validator(
        {"$ref": BASE + schema + ".yaml"}, registry=_registry(), format_checker=FormatChecker()
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def get_json(client, url: str, status: int = 200, **kwargs) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response.get_json(force=True)


def relative(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


def link(document: dict, rel: str, media_type: str | None = None) -> dict | None:
    return next(
        (
            item
            for item in document.get("links", [])
            if item["rel"] == rel and (media_type is None or item.get("type") == media_type)
        ),
        None,
    )


# --- the seed ----------------------------------------------------------------------------------


@pytest.fixture
def seed(db_session) -> dict[str, Any]:
    """Five facilities through the real services: open ones in Đồng Nai and Đắk Lắk, a
    closed one with its dates, and a confidential shelter with address and notes."""
    from registry.facilities import services
    from registry.facilities.models import Ownership, Status

    def add(name, type_code, lon, lat, province="75", **extra):
        data = services.FacilityInput(
            name=name,
            type_code=type_code,
            ownership=extra.pop("ownership", Ownership.PUBLIC),
            province_code=province,
            lon=lon,
            lat=lat,
            status=extra.pop("status", Status.OPERATING),
            **extra,
        )
        facility, _ = services.register_facility(
            db_session, data, actor_id=None, confirm_duplicates=True
        )
        return facility

    ids = {
        "elderly": add(
            "Trung tâm dưỡng lão Biên Hòa",
            "ELDERLY",
            106.82,
            10.95,
            opened_on=date(2010, 5, 1),
            design_capacity=120,
            residents=100,
            notes="Ghi chú nội bộ Xoaiqwz",
        ),
        "children": add(
            "Làng trẻ em Long Khánh",
            "CHILDREN",
            107.24,
            10.93,
            ownership=Ownership.NON_PUBLIC,
            status=Status.PLANNED,
        ),
        "shelter": add(
            "Nhà tạm lánh Long Bình",
            "SHELTER",
            *SHELTER_POINT,
            address="Hẻm Quỳnhxyz 17",
            notes="Cổng sau Kiwiplumq",
            opened_on=date(2018, 1, 1),
        ),
        "dak_lak": add("Trung tâm Buôn Ma Thuột", "ELDERLY", 108.04, 12.67, province="66"),
    }
    closing = add("Cơ sở khuyết tật cũ", "DISABILITY", 107.10, 11.00, opened_on=date(2000, 1, 1))
    services.change_status(
        db_session,
        closing,
        Status.CLOSED,
        effective_on=date(2020, 6, 30),
        reason="Giải thể",
        actor_id=None,
        expected_version=closing.version,
    )
    ids["closed"] = closing
    db_session.flush()
    return {key: (f.id, f.code) for key, f in ids.items()}


def _codes(document: dict) -> set[str]:
    return {f["id"] for f in document["features"]}


# --- core --------------------------------------------------------------------------------------


def test_landing_page_links_to_definition_conformance_and_data(client):
    for url in ("/ogc", "/ogc/"):
        body = get_json(client, url)
        assert_valid("landingPage", body)
        assert link(body, "self", "application/json")
        assert link(body, "service-desc", "application/vnd.oai.openapi+json;version=3.0")
        assert link(body, "service-doc", "text/html")
        assert link(body, "conformance")
        assert link(body, "data")
        for rel in ("service-desc", "conformance", "data"):
            assert client.get(relative(link(body, rel)["href"])).status_code == 200


def test_conformance_declares_exactly_the_tested_classes(client):
    body = get_json(client, "/ogc/conformance")
    assert_valid("confClasses", body)
    assert set(body["conformsTo"]) == set(TESTED_CLASSES)
    tests = {name for names in TESTED_CLASSES.values() for name in names}
    assert all(callable(globals().get(name)) for name in tests)


def test_collections_list_every_collection(client, db_session):
    body = get_json(client, "/ogc/collections")
    assert_valid("collections", body)
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["facilities", *UNIT_COLLECTIONS]
    for listed in body["collections"]:
        assert_valid("collection", listed)
        one = get_json(client, f"/ogc/collections/{listed['id']}")
        assert_valid("collection", one)
        assert one["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
        assert link(one, "items", "application/geo+json")
        assert link(one, "items", "text/html")
        if listed["id"] != "admin-units-pre2025-commune":  # no outline: no spatial extent
            box = one["extent"]["spatial"]["bbox"][0]
            assert box[0] < box[2]
            assert box[1] < box[3]


def test_items_pages_walk_the_whole_collection(client, db_session, seed):
    from registry.facilities import read

    expected = {r.code for r in read.records(db_session, read.ANONYMOUS)}
    assert len(expected) == 5
    seen: list[str] = []
    url = "/ogc/collections/facilities/items?limit=2"
    pages = 0
    while url:
        body = get_json(client, url)
        assert_valid("featureCollectionGeoJSON", body)
        assert body["numberMatched"] == len(expected)
        assert body["numberReturned"] == len(body["features"]) <= 2
        seen += [f["id"] for f in body["features"]]
        if pages:
            assert link(body, "prev")
        following = link(body, "next")
        url = relative(following["href"]) if following else None
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_unit_collections_count_as_the_database(client, db_session):
    from sqlalchemy import func, select

    from registry.geography.models import AdminUnit, Edition, Level

    for collection in UNIT_COLLECTIONS:
        _, edition, level = collection.rsplit("-", 2)
        expected = db_session.scalar(
            select(func.count(AdminUnit.id)).where(
                AdminUnit.edition == Edition(edition), AdminUnit.level == Level(level)
            )
        )
        body = get_json(client, f"/ogc/collections/{collection}/items?limit=3")
        assert_valid("featureCollectionGeoJSON", body)
        assert body["numberMatched"] == expected > 0
        assert body["numberReturned"] == 3


def test_items_bbox_limit_datetime_and_property_filters(client, seed):
    items = "/ogc/collections/facilities/items"
    box = get_json(client, f"{items}?bbox=106.815,10.945,106.825,10.955")
    assert _codes(box) == {seed["elderly"][1]}
    assert get_json(client, f"{items}?bbox=106.815,10.945,0,106.825,10.955,9")["numberMatched"] == 1
    assert get_json(client, f"{items}?limit=1")["numberReturned"] == 1
    assert get_json(client, f"{items}?limit=50000")["numberReturned"] == 5  # served at the max
    assert _codes(get_json(client, f"{items}?status=closed")) == {seed["closed"][1]}
    assert _codes(get_json(client, f"{items}?type_code=CHILDREN")) == {seed["children"][1]}
    assert _codes(get_json(client, f"{items}?category=shelter")) == {seed["shelter"][1]}
    assert _codes(get_json(client, f"{items}?ownership=non_public")) == {seed["children"][1]}
    assert _codes(get_json(client, f"{items}?province_code=66")) == {seed["dak_lak"][1]}
    assert _codes(get_json(client, f"{items}?code={seed['elderly'][1]}")) == {seed["elderly"][1]}
    # The time of a facility runs from its opening to its closing date.
    in_2015 = get_json(client, f"{items}?datetime=2015-06-01T00:00:00Z")
    assert _codes(in_2015) == {seed["elderly"][1], seed["closed"][1]}
    since_2021 = get_json(client, f"{items}?datetime=2021-01-01/..")
    assert _codes(since_2021) == {seed["elderly"][1], seed["shelter"][1]}
    before_2005 = get_json(client, f"{items}?datetime=../2004-12-31T23:59:59Z")
    assert _codes(before_2005) == {seed["closed"][1]}
    # Units: property filters and time.
    units = "/ogc/collections/admin-units-pre2025-district/items"
    dong_nai = get_json(client, f"{units}?province_code=75&limit=100")
    assert dong_nai["numberMatched"] == len(dong_nai["features"]) > 5
    assert {f["properties"]["province_code"] for f in dong_nai["features"]} == {"75"}
    assert get_json(client, f"{units}?datetime=2025-08-01")["numberMatched"] == 0
    current = "/ogc/collections/admin-units-2025-province/items"
    assert get_json(client, f"{current}?datetime=2025-08-01")["numberMatched"] == 34
    long_khanh = get_json(client, f"{current}?bbox=107.2,10.9,107.25,10.95")
    assert [f["id"] for f in long_khanh["features"]] == ["75"]


@pytest.mark.parametrize(
    "query",
    [
        "foo=1",
        "limit=0",
        "limit=abc",
        "offset=-1",
        "bbox=1,2,3",
        "bbox=106,11,107,10",
        "bbox=200,10,201,11",
        "bbox=a,b,c,d",
        "datetime=yesterday",
        "datetime=2020-01-01/2019-01-01",
        "datetime=..",
        "status=open",
        "status=operating&status=planned",
        "f=xml",
        "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    ],
)
def test_unknown_or_invalid_parameters_are_400_exceptions(client, query):
    response = client.get(f"/ogc/collections/facilities/items?{query}")
    assert response.status_code == 400, query
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert_valid("exception", body)
    assert body["code"] == "InvalidParameterValue"
    assert body["description"]


def test_single_feature_and_unknown_feature(client, seed):
    code = seed["elderly"][1]
    body = get_json(client, f"/ogc/collections/facilities/items/{code}")
    assert_valid("featureGeoJSON", body)
    assert body["id"] == code
    assert body["geometry"] == {"type": "Point", "coordinates": [106.82, 10.95]}
    assert link(body, "self", "application/geo+json")
    assert link(body, "collection")
    unit = get_json(client, "/ogc/collections/admin-units-2025-province/items/75")
    assert_valid("featureGeoJSON", unit)
    assert unit["geometry"]["type"] == "MultiPolygon"
    for url in (
        "/ogc/collections/facilities/items/NO-SUCH-CODE",
        "/ogc/collections/admin-units-2025-province/items/99",
        "/ogc/collections/nothing",
        "/ogc/collections/nothing/items",
    ):
        missing = get_json(client, url, 404)
        assert_valid("exception", missing)


def test_feature_collections_and_features_validate_as_geojson(client, seed):
    for collection in ("facilities", *UNIT_COLLECTIONS):
        response = client.get(f"/ogc/collections/{collection}/items?limit=20")
        assert response.mimetype == "application/geo+json"
        body = response.get_json(force=True)
        assert_valid("featureCollectionGeoJSON", body)
        for feature in body["features"][:5]:
            assert_valid("featureGeoJSON", feature)
            one = client.get(f"/ogc/collections/{collection}/items/{feature['id']}")
            assert one.mimetype == "application/geo+json"
            assert_valid("featureGeoJSON", one.get_json(force=True))


# --- who reads what ----------------------------------------------------------------------------


def test_anonymous_gets_the_generalised_shelter_and_public_attributes(client, seed, db_session):
    from sqlalchemy import select

    from registry.facilities.models import Facility
    from registry.geography.models import AdminUnit, Edition, Level

    code = seed["shelter"][1]
    commune = db_session.scalar(select(Facility.commune_code).where(Facility.code == code))
    rep = db_session.execute(
        select(AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == commune,
        )
    ).one()
    shelter = get_json(client, f"/ogc/collections/facilities/items/{code}")
    assert shelter["geometry"]["coordinates"] == [round(rep[0], 6), round(rep[1], 6)]
    assert shelter["properties"]["generalised"] is True
    assert shelter["properties"]["address"] is None
    page = client.get("/ogc/collections/facilities/items?limit=100").get_data(as_text=True)
    for secret in ("Quỳnhxyz", "Kiwiplumq", "Xoaiqwz", "106.91637", "10.92874"):
        assert secret not in page
    elderly = get_json(client, f"/ogc/collections/facilities/items/{seed['elderly'][1]}")
    assert "notes" not in elderly["properties"]
    assert "residents" not in elderly["properties"]
    # A box around the exact point finds nothing the same box at the shown point would not.
    x, y = SHELTER_POINT
    exact = get_json(
        client,
        f"/ogc/collections/facilities/items?bbox={x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}",
    )
    assert code not in _codes(exact)
    shown = get_json(
        client,
        f"/ogc/collections/facilities/items?bbox={rep[0] - 0.001},"
        f"{rep[1] - 0.001},{rep[0] + 0.001},{rep[1] + 0.001}",
    )
    assert code in _codes(shown)


def test_token_gives_its_holders_view(client, seed, db_session):
    from registry.api import tokens

    officer = UserFactory(role=Role.LICENSING_OFFICER, province_code="75")
    issued = tokens.create_token(
        db_session, officer, name="QGIS", expires_on=date(2099, 1, 1), today=date(2098, 6, 1)
    )
    db_session.commit()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    body = get_json(client, "/ogc/collections/facilities/items", headers=headers)
    assert_valid("featureCollectionGeoJSON", body)
    # Đồng Nai's officer: Đồng Nai's facilities only, the shelter at its exact point.
    assert _codes(body) == {seed[k][1] for k in ("elderly", "children", "shelter", "closed")}
    shelter = next(f for f in body["features"] if f["id"] == seed["shelter"][1])
    assert shelter["geometry"]["coordinates"] == list(SHELTER_POINT)
    assert shelter["properties"]["notes"] == "Cổng sau Kiwiplumq"
    collection = get_json(client, "/ogc/collections/facilities", headers=headers)
    assert collection["extent"]["spatial"]["bbox"][0][0] > 106  # Đồng Nai's box, not Viet Nam's
    get_json(
        client, f"/ogc/collections/facilities/items/{seed['dak_lak'][1]}", 404, headers=headers
    )


def test_a_bad_token_is_401_never_anonymous(client, seed):
    response = client.get(
        "/ogc/collections/facilities/items", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_valid("exception", response.get_json())


def test_session_user_reads_as_themselves(client, auth, seed):
    viewer = UserFactory(role=Role.VIEWER, province_code="66")
    auth.login(viewer)
    body = get_json(client, "/ogc/collections/facilities/items")
    assert _codes(body) == {seed["dak_lak"][1]}
    assert "notes" in body["features"][0]["properties"]


def test_a_viewer_token_gets_the_generalised_shelter(client, seed, db_session):
    from registry.api import tokens

    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    issued = tokens.create_token(
        db_session, viewer, name="QGIS", expires_on=date(2099, 1, 1), today=date(2098, 6, 1)
    )
    db_session.commit()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    shelter = get_json(
        client, f"/ogc/collections/facilities/items/{seed['shelter'][1]}", headers=headers
    )
    assert shelter["properties"]["generalised"] is True
    assert shelter["properties"]["address"] is None
    assert shelter["properties"]["notes"] is None
    assert shelter["geometry"]["coordinates"] != list(SHELTER_POINT)
    for fmt in ("json", "html"):
        page = client.get(f"/ogc/collections/facilities/items?f={fmt}", headers=headers)
        text = page.get_data(as_text=True)
        for secret in ("Quỳnhxyz", "Kiwiplumq", "106.91637", "10.92874"):
            assert secret not in text


# --- API definition ----------------------------------------------------------------------------


def _strip(node: Any, in_properties: bool = False) -> Any:
    """The standard's building blocks without descriptions and examples (as the app keeps
    them); a schema's ``properties`` keep every name, ``description`` included."""
    if isinstance(node, dict):
        return {
            key: _strip(value, key == "properties" and not in_properties)
            for key, value in node.items()
            if in_properties or key not in ("description", "example", "examples")
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def test_api_definition_is_openapi_30_with_the_standard_building_blocks(app, client):
    response = client.get("/ogc/api")
    assert response.status_code == 200
    assert response.content_type == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.get_json(force=True)
    assert doc["openapi"].startswith("3.0.")
    official = yaml.safe_load((STANDARD / "ogcapi-features-1-oas30.yaml").read_text())
    components = _strip(official["components"])
    for name, schema in components["schemas"].items():
        assert doc["components"]["schemas"][name] == schema, name
    for name, parameter in components["parameters"].items():
        assert doc["components"]["parameters"][name] == parameter, name
    # Every documented path answers, and every OGC route is documented.
    for path, item in doc["paths"].items():
        url = "/ogc" + path.replace("{featureId}", "75")
        if "{featureId}" in path and "admin-units-2025-province" not in path:
            continue
        assert client.get(url).status_code == 200, url
        for parameter in item["get"]["parameters"]:
            if "$ref" in parameter:
                assert parameter["$ref"].rsplit("/", 1)[-1] in doc["components"]["parameters"]
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("ogc.")}
    assert len(doc["paths"]) == 4 + 3 * (len(UNIT_COLLECTIONS) + 1)
    assert routes == {
        "/ogc",
        "/ogc/",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/<collection_id>",
        "/ogc/collections/<collection_id>/items",
        "/ogc/collections/<collection_id>/items/<feature_id>",
    }
    _check_openapi_30(doc)


def _check_openapi_30(doc: dict) -> None:
    """The document against the OpenAPI 3.0 schema (the OpenAPI Initiative's, as schemathesis
    ships it)."""
    from jsonschema import Draft4Validator
    from schemathesis.specs.openapi.definitions import OPENAPI_30

    errors = list(Draft4Validator(OPENAPI_30).iter_errors(doc))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


# --- HTML --------------------------------------------------------------------------------------


def test_every_resource_has_an_html_page(client, seed):
    pages = [
        "/ogc/",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/facilities",
        "/ogc/collections/facilities/items",
        f"/ogc/collections/facilities/items/{seed['elderly'][1]}",
        f"/ogc/collections/facilities/items/{seed['shelter'][1]}",
        "/ogc/collections/admin-units-pre2025-district/items?province_code=75",
        "/ogc/collections/admin-units-2025-province/items/75",
    ]
    for url in pages:
        response = client.get(url + ("&" if "?" in url else "?") + "f=html")
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
    listing = client.get("/ogc/collections/facilities/items?f=html&lang=en").get_data(as_text=True)
    assert "Operating" in listing
    assert ">operating<" not in listing
    assert "Elderly" in listing or "elderly" in listing.lower()
    shelter = client.get(f"/ogc/collections/facilities/items/{seed['shelter'][1]}?f=html")
    text = shelter.get_data(as_text=True)
    assert "Quỳnhxyz" not in text
    assert "106.91637" not in text
    assert client.get("/ogc/collections/nothing?f=html").mimetype == "text/html"


def test_accept_header_negotiates(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/ogc/collections", headers={"Accept": browser}).mimetype == "text/html"
    assert client.get("/ogc/collections", headers={"Accept": "application/json"}).is_json
    items = "/ogc/collections/facilities/items"
    geojson = client.get(items, headers={"Accept": "application/geo+json"})
    assert geojson.mimetype == "application/geo+json"
    assert client.get(items, headers={"Accept": "*/*"}).mimetype == "application/geo+json"
    assert client.get(items + "?f=json", headers={"Accept": browser}).mimetype == (
        "application/geo+json"
    )
    assert "Accept" in client.get(items).headers["Vary"]


def test_next_link_keeps_the_query(client, seed):
    body = get_json(client, "/ogc/collections/facilities/items?limit=1&province_code=75")
    following = parse_qs(urlsplit(link(body, "next")["href"]).query)
    assert following["province_code"] == ["75"]
    assert following["offset"] == ["1"]
    assert following["limit"] == ["1"]


# --- the read model's page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "province"),
    [(None, None), (Role.VIEWER, "75"), (Role.LICENSING_OFFICER, "75"), (Role.ADMIN, None)],
)
def test_read_page_is_the_read_models_records_page_by_page(db_session, seed, role, province):
    from registry.facilities import read

    reader = read.ANONYMOUS
    if role is not None:
        reader = read.Reader.of(UserFactory(role=role, province_code=province))
    everything = read.records(db_session, reader)
    paged, offset = [], 0
    while True:
        matched, found = read.page(db_session, reader, limit=2, offset=offset)
        assert matched == len(everything)
        if not found:
            break
        paged += found
        offset += 2
    assert paged == everything
    x, y = SHELTER_POINT
    for box in ((106.7, 10.8, 107.3, 11.1), (x - 0.001, y - 0.001, x + 0.001, y + 0.001)):
        inside = [r for r in everything if box[0] <= r.lon <= box[2] and box[1] <= r.lat <= box[3]]
        assert read.page(db_session, reader, bbox=box, limit=100) == (len(inside), inside)
        assert read.page(db_session, reader, bbox=box, limit=1)[0] == len(inside)
    assert read.features(everything) == [read.to_feature(r) for r in everything]
