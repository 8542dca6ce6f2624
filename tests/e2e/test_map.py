"""The planner's map in headless Chromium against a live server (see conftest.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db

pytestmark = pytest.mark.e2e

MAP = "document.getElementById('map').registryMap"


def open_map(page, live_server, query: str = ""):
    page.goto(live_server("/map/" + query))
    page.wait_for_selector("#map[data-state=ready]")
    return page


def marker_ids(page) -> list[int]:
    return page.evaluate(f"() => Object.keys({MAP}.markers).map(Number).sort((a, b) => a - b)")


def marker_position(page, facility_id: int) -> tuple[float, float]:
    lon, lat = page.evaluate(
        f"id => {{ const ll = {MAP}.markers[id].getLatLng(); return [ll.lng, ll.lat]; }}",
        facility_id,
    )
    return lon, lat


def draggable_ids(page) -> list[int]:
    return page.evaluate(
        f"() => Object.entries({MAP}.markers).filter(([, m]) => m.options.draggable)"
        ".map(([id]) => Number(id))"
    )


def visible_ids(live_server, **where) -> set[int]:
    """What a Đồng Nai user's map should show: the database, asked directly."""
    from registry.facilities.models import Facility, Status

    with live_server.app.app_context():
        stmt = select(Facility.id).where(Facility.province_code == "75")
        if "type_code" in where:
            stmt = stmt.where(Facility.type_code == where["type_code"])
        if where.get("closed"):
            stmt = stmt.where(Facility.status == Status.CLOSED)
        else:
            stmt = stmt.where(Facility.status != Status.CLOSED)
        ids = set(db.session.scalars(stmt))
        db.session.remove()
    return ids


def assert_no_browser_errors(page) -> None:
    assert page.errors.messages == [], page.errors.messages


def test_map_shows_the_filtered_facilities_and_links_to_the_list(new_page, live_server, artifacts):
    page = new_page("viewer")
    open_map(page, live_server, "?type=ELDERLY")
    expected = visible_ids(live_server, type_code="ELDERLY")
    assert len(expected) == 2  # the Đắk Lắk one is outside the viewer's jurisdiction
    assert set(marker_ids(page)) == expected
    assert page.get_attribute("#map", "data-count") == str(len(expected))
    count_text = page.text_content("[data-testid=map-count]")
    assert re.findall(r"\d+", count_text) == [str(len(expected))], count_text
    to_list = page.get_attribute("[data-testid=to-list]", "href")
    assert to_list.startswith("/facilities/")
    assert "type=ELDERLY" in to_list
    # The shared filter panel keeps the selection and submits to the map.
    assert page.get_attribute("#filters", "action") == "/map/"
    assert page.eval_on_selector("#f-type", "s => [...s.selectedOptions].map(o => o.value)") == [
        "ELDERLY"
    ]
    # Offline: no tiles, yet markers and boundaries draw, and a notice says so.
    page.wait_for_selector("[data-testid=tiles-unavailable]")
    page.wait_for_selector("#map[data-boundaries^='province:']")
    page.screenshot(path=str(artifacts / "map-filtered-elderly.png"))

    open_map(page, live_server, "?status=closed")
    assert set(marker_ids(page)) == visible_ids(live_server, closed=True)
    open_map(page, live_server)
    assert set(marker_ids(page)) == visible_ids(live_server)
    assert_no_browser_errors(page)


def test_viewer_has_no_add_control_and_sees_confidential_facility_generalised(
    new_page, live_server, artifacts
):
    ids = live_server.ids
    page = new_page("viewer")
    open_map(page, live_server)
    assert page.locator("[data-testid=propose-toggle]").count() == 0
    assert draggable_ids(page) == []
    shown = marker_position(page, ids["shelter"])
    assert shown == pytest.approx(ids["shelter_shown"], abs=1e-5)
    assert shown != pytest.approx(ids["shelter_exact"], abs=1e-4)
    page.evaluate(
        f"id => {{ const m = {MAP}.markers[id]; "
        f"{MAP}.cluster.zoomToShowLayer(m, () => {MAP}.openPopup(m)); }}",
        ids["shelter"],
    )
    page.wait_for_selector("[data-testid=facility-popup] [data-testid=generalised-note]")
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=str(artifacts / "map-viewer-confidential.png"))
    assert_no_browser_errors(page)


def test_licensing_officer_sees_the_exact_confidential_location(new_page, live_server):
    ids = live_server.ids
    page = new_page("officer")
    open_map(page, live_server)
    assert marker_position(page, ids["shelter"]) == pytest.approx(ids["shelter_exact"], abs=1e-5)


def test_boundaries_switch_organisation_and_shade_capacity_per_population(
    new_page, live_server, artifacts
):
    page = new_page("planner")
    open_map(page, live_server)
    page.wait_for_selector("#map[data-boundaries='province:34']")
    page.check("#layer-commune")
    page.wait_for_selector("#map[data-boundaries^='province:34,commune:']")
    page.check("#edition-pre2025")
    page.wait_for_selector("#map[data-boundaries='province:63']")
    assert page.is_hidden("#layer-commune")
    page.check("#choropleth")
    page.wait_for_selector("[data-testid=choropleth-legend]:not([hidden])")
    page.wait_for_selector("#map[data-boundaries='province:63']")
    assert "2019" in page.text_content("#choropleth-years")
    # Đồng Nai has a 2019 population and is shaded; provinces without data are hatched.
    assert page.locator("path[fill='url(#map-nodata-hatch)']").count() > 0
    assert page.locator("path.leaflet-interactive[fill^='#']").count() >= 1
    page.check("#radius-show")
    assert int(page.get_attribute("#map", "data-radius-circles")) >= 1
    page.screenshot(path=str(artifacts / "map-pre2025-capacity-shading.png"))
    assert_no_browser_errors(page)


def test_planner_proposes_a_facility_by_clicking_the_map(new_page, live_server, artifacts):
    page = new_page("planner")
    open_map(page, live_server)
    before = set(marker_ids(page))
    # Only planned facilities in the planner's province can be dragged.
    assert draggable_ids(page) == [live_server.ids["children_planned"]]
    page.click("[data-testid=propose-toggle]")
    # A point in Thống Nhất (Đồng Nai), away from other markers.
    x, y = page.evaluate(
        f"() => {{ const p = {MAP}.map.latLngToContainerPoint([10.90, 107.12]);"
        " return [p.x, p.y]; }"
    )
    box = page.locator("#map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert "/facilities/new" in page.url
    assert "status=planned" in page.url
    assert float(page.input_value("#lat")) == pytest.approx(10.90, abs=0.01)
    assert float(page.input_value("#lon")) == pytest.approx(107.12, abs=0.01)
    assert page.input_value("#status") == "planned"
    page.fill("#name", "Trung tâm công tác xã hội đề xuất E2E")
    page.select_option("#type_code", "SOCIAL_WORK")
    page.select_option("#ownership", "public")
    page.fill("#design_capacity", "40")
    with page.expect_navigation():
        page.click("#submit")
    match = re.search(r"/facilities/(\d+)$", page.url)
    assert match, page.text_content("main")[:2000]
    new_id = int(match.group(1))

    open_map(page, live_server)
    after = set(marker_ids(page))
    assert after == before | {new_id}
    assert new_id in draggable_ids(page)
    page.evaluate(
        f"id => {{ const m = {MAP}.markers[id]; "
        f"{MAP}.cluster.zoomToShowLayer(m, () => {MAP}.openPopup(m)); }}",
        new_id,
    )
    popup = page.wait_for_selector("[data-testid=facility-popup]")
    assert "E2E" in popup.text_content()
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "map-planner-proposed.png"))
    assert_no_browser_errors(page)


def test_planner_drags_a_planned_facility_and_gives_a_reason(new_page, live_server):
    from registry.audit.services import history_for
    from registry.facilities.models import Facility

    facility_id = live_server.ids["children_planned"]
    page = new_page("planner")
    open_map(page, live_server)
    page.evaluate(
        f"id => {MAP}.map.setView({MAP}.markers[id].getLatLng(), 15, {{animate: false}})",
        facility_id,
    )
    page.wait_for_function(f"id => !!{MAP}.markers[id]._icon", arg=facility_id)
    rect = page.evaluate(
        f"id => {{ const r = {MAP}.markers[id]._icon.getBoundingClientRect();"
        " return [r.x + r.width / 2, r.y + r.height / 2]; }",
        facility_id,
    )
    page.mouse.move(rect[0], rect[1])
    page.mouse.down()
    page.mouse.move(rect[0] + 90, rect[1] + 60, steps=12)
    page.mouse.up()
    page.wait_for_selector("#relocate-dialog[open]")
    moved_to = marker_position(page, facility_id)
    page.fill("#relocate-reason", "Đất thuận tiện hơn")
    page.click("#relocate-confirm")
    page.wait_for_selector("#map-message.alert-success")
    with live_server.app.app_context():
        facility = db.session.get(Facility, facility_id)
        assert (facility.lon, facility.lat) == pytest.approx(moved_to, abs=1e-6)
        assert history_for(db.session, "facilities", facility_id)[0].reason == "Đất thuận tiện hơn"
        db.session.remove()
    assert_no_browser_errors(page)
