"""Data answers travel compressed to clients that accept it; HTML pages never (a page holds a
form token beside text the user typed: compressing both lets an eavesdropper guess the token,
the BREACH attack)."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from registry.auth.permissions import Role
from tests.factories import FacilityFactory, UserFactory


@pytest.fixture
def planner(auth, db_session):
    FacilityFactory.create_batch(40, province_code="75")
    user = UserFactory(role=Role.PLANNER, province_code="75")
    auth.login(user)
    return user


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [("gzip", "gzip", gzip.decompress), ("br, gzip", "br", brotli.decompress)],
)
def test_map_data_is_compressed_and_decodes_to_the_same_json(
    client, planner, accept, encoding, decode
):
    plain = client.get("/map/data")
    assert plain.headers.get("Content-Encoding") is None
    packed = client.get("/map/data", headers={"Accept-Encoding": accept})
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 4
    assert json.loads(decode(packed.data)) == json.loads(plain.data)


def test_ogc_items_are_compressed(client, planner):
    response = client.get(
        "/ogc/collections/facilities/items?limit=40", headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["numberReturned"] == 40


def test_html_pages_are_not_compressed(client, planner):
    for url in ("/facilities/", "/map/", "/"):
        response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, url
        assert response.headers.get("Content-Encoding") is None, url
