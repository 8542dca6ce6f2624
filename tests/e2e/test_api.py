"""The open interfaces in headless Chromium against the live server (see conftest.py): a
planner makes a personal API token on the token page, reads the API with it as another
system would, finds the interactive documentation rendered from the installed Swagger UI
(no request leaves the server), revokes the token and is refused with it; the OGC HTML pages
of the facilities are readable without an account and show the shelter at its commune's
point, never its own."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def test_a_token_made_on_its_page_reads_the_api_until_it_is_revoked(new_page, live_server):
    page = new_page("planner")
    page.goto(live_server("/account/api-tokens/"))
    page.fill("input[name=name]", "QGIS của phòng")
    page.click("form:has(input[name=name]) [type=submit]")
    secret = page.input_value("[data-testid=token-secret]")
    assert len(secret) > 30
    row = page.locator("[data-testid=token-list] tr[data-token]")
    assert row.count() == 1
    assert "QGIS của phòng" in row.inner_text()

    # Another system: no cookies, only the token.
    api = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        answer = api.request.get(live_server("/api/v1/facilities?per_page=100"), headers=headers)
        assert answer.status == 200
        body = answer.json()
        codes = {item["code"] for item in body["items"]}
        assert codes
        assert all(code.startswith("75-") for code in codes)  # the planner's province only
        assert api.request.get(live_server("/api/v1/facilities")).status == 401

        page.click("[data-testid=token-list] form button[type=submit]")
        page.wait_for_selector("[data-testid=token-list] .badge.text-bg-secondary")
        refused = api.request.get(live_server("/api/v1/facilities"), headers=headers)
        assert refused.status == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        api.close()
    assert page.errors.messages == []


def test_the_api_documentation_renders_from_the_server_alone(new_page, live_server):
    page = new_page("viewer")
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(live_server("/api/v1/docs/"))
    page.wait_for_selector("#swagger-ui .opblock", timeout=20_000)
    operations = page.locator("#swagger-ui .opblock").count()
    assert operations >= 15, operations
    assert page.locator("#swagger-ui .opblock-summary-path", has_text="/facilities").count() >= 2
    assert hosts == {urlsplit(live_server("/")).netloc}, hosts
    assert page.errors.messages == []


def test_ogc_pages_need_no_account_and_generalise_the_shelter(new_page, live_server):
    page = new_page()  # nobody signed in
    page.goto(live_server("/ogc/"))
    page.click("a[href*='/ogc/collections']")
    page.wait_for_url("**/ogc/collections**")
    page.goto(live_server("/ogc/collections/facilities/items?f=html&type_code=SHELTER"))
    text = page.inner_text("main")
    exact_lon, exact_lat = live_server.ids["shelter_exact"]
    assert f"{exact_lon:.4f}" not in text
    assert f"{exact_lat:.4f}" not in text
    shown = page.context.request.get(
        live_server("/ogc/collections/facilities/items?f=json&type_code=SHELTER")
    ).json()
    assert shown["numberMatched"] >= 1
    for feature in shown["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert (round(lon, 4), round(lat, 4)) != (round(exact_lon, 4), round(exact_lat, 4))
        assert feature["properties"].get("address") is None  # withheld by the read model
    assert page.errors.messages == []
