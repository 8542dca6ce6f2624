"""Issue 15's maps in headless Chromium against the live server (see conftest.py): the demand
layer's map shades Đồng Nai's communes and, for a viewer, a commune of 3 children says "< 5"
where a planner reads 3; a click on the referral directory's map opens the directory of the
commune clicked."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("user", "shown"), [("viewer", "< 5"), ("planner", "3")])
def test_the_demand_map_bands_a_small_number_for_the_viewer(new_page, live_server, user, shown):
    page = new_page(user)
    layer = live_server.ids["demand_layer"]
    page.goto(live_server(f"/demand/layers/{layer}/map"))
    page.wait_for_function(
        "() => document.querySelectorAll('#demand-map path.leaflet-interactive').length > 50"
    )
    # Every commune outline is drawn; the shaded ones are the two with counts.
    fills = page.eval_on_selector_all(
        "#demand-map path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert len({f for f in fills if f and f != "#ffffff"}) == 2, set(fills)
    values = page.eval_on_selector("#demand-map", "el => JSON.parse(el.dataset.values).units")
    assert values["26188"]["text"] == shown
    assert values["26041"]["text"] == "40"
    # The popup of Tân Triều, opened by a click on its shaded outline, says the same.
    popups = []
    shaded = page.locator("#demand-map path.leaflet-interactive:not([fill='#ffffff'])")
    for index in range(shaded.count()):
        shaded.nth(index).dispatch_event("click")
        popups.append(page.locator("#demand-map .leaflet-popup-content").last.inner_text())
    assert any(text.endswith(f": {shown}") and "Tân Triều" in text for text in popups), popups
    assert page.errors.messages == []


def test_a_click_on_the_referral_map_opens_that_communes_directory(new_page, live_server):
    page = new_page("viewer")
    page.goto(live_server("/referrals/"))
    page.wait_for_function(
        "() => document.querySelectorAll('#referral-map path.leaflet-interactive').length > 50"
    )
    box = page.locator("#referral-map").bounding_box()
    assert box is not None
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert re.search(r"/referrals/communes/\d{5}$", page.url), page.url
    text = page.inner_text("main")
    assert "111" in text  # the national child-protection hotline, with its source
    assert page.errors.messages == []
