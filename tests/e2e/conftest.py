"""End-to-end fixtures: a live server and headless Chromium (Playwright, sync API).

The server is a separate app instance on its own database (``fresh_database``: a new SQLite
file, or a new PostGIS database when ``DATABASE_URL`` names one), migrated and loaded with the
administrative units, the facility types, users and a few facilities, and served by werkzeug in
a background thread. It never shares the per-test rollback database of the other tests.

Chromium is Debian's (Playwright's own download does not work offline). When it is missing
the tests skip, except in CI (``CI`` set), where they fail and say why.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from tests.conftest import fresh_database
from tests.live import serving

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "e2e correct horse battery"
# Debian's Chromium, headless as root (Playwright adds --headless itself).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def offline_tile_url() -> str:
    """A local port nothing listens on: tiles fail at once, as on an offline intranet, and the
    tests do not depend on whether the network is there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tiles/{{z}}/{{x}}/{{y}}.png"


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason}. The end-to-end tests must run in CI: install Chromium "
            "(`make e2e-deps`) and the dev dependencies.",
            pytrace=False,
        )
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    app: Flask
    ids: dict[str, Any] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        return self.url + path


def _seed(session) -> dict[str, Any]:
    """Users of each role, eight facilities and the two plans, through the real services."""
    from registry.auth.services import create_user
    from registry.facilities import services
    from registry.facilities.models import Ownership, Status
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all
    from registry.geography.models import AdminUnit, Edition, Level
    from registry.planning import services as planning

    load_all(session, DEFAULT_DATA_DIR)
    services.load_types(session)
    planning.load_plans(session)
    ids: dict[str, Any] = {}
    for name, role, province in (
        ("planner", "planner", "75"),
        ("viewer", "viewer", "75"),
        ("officer", "licensing_officer", "75"),
        ("investment", "investment_officer", "75"),
        ("planner66", "planner", "66"),
    ):
        ids[name] = create_user(
            session,
            username=f"e2e-{name}",
            password=PASSWORD,
            role=role,
            province_code=province,
            full_name=f"E2E {name}",
        ).id

    def add(
        key: str,
        type_code: str,
        lon: float,
        lat: float,
        *,
        status=Status.OPERATING,
        ownership=Ownership.PUBLIC,
        capacity: int | None = 60,
        province: str = "75",
        name: str | None = None,
        opened_on=None,
    ):
        data = services.FacilityInput(
            name=name or f"E2E {key}",
            type_code=type_code,
            ownership=ownership,
            province_code=province,
            lon=lon,
            lat=lat,
            status=status,
            design_capacity=capacity,
            residents=0 if capacity else None,
            opened_on=opened_on,
        )
        facility, _ = services.register_facility(
            session, data, actor_id=None, confirm_duplicates=True
        )
        ids[key] = facility.id
        return facility

    add("elderly_bien_hoa", "ELDERLY", 106.82, 10.95)
    add("elderly_long_khanh", "ELDERLY", 107.24, 10.93, ownership=Ownership.NON_PUBLIC)
    add("children_planned", "CHILDREN", 107.00, 10.95, status=Status.PLANNED)
    shelter = add("shelter", "SHELTER", 106.87, 10.97, capacity=10)
    add(
        "general_building", "GENERAL", 106.95, 10.78, status=Status.UNDER_CONSTRUCTION, capacity=400
    )
    from datetime import date

    closed = add("disability_closed", "DISABILITY", 107.10, 11.00)
    # The centre Đồng Nai's plan names in DN-03 (repair and upgrade in 2018).
    add(
        "dn_care_centre",
        "GENERAL",
        106.90,
        10.94,
        capacity=300,
        name="Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai",
        opened_on=date(2005, 1, 1),  # in the network on the plan's dates
    )
    add("elderly_dak_lak", "ELDERLY", 108.04, 12.67, province="66")

    services.change_status(
        session,
        closed,
        Status.CLOSED,
        effective_on=date(2025, 1, 31),
        reason="E2E",
        actor_id=None,
        expected_version=closed.version,
    )
    point = session.execute(
        select(AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == shelter.commune_code,
        )
    ).one()
    ids["shelter_exact"] = (shelter.lon, shelter.lat)
    ids["shelter_shown"] = (point.rep_lon, point.rep_lat)
    # Visible to a Đồng Nai user when no filter is set: everything in 75 but the closed one.
    ids["visible_75"] = 6
    ids["demand_layer"] = _seed_demand(session)
    return ids


def _seed_demand(session) -> int:
    """A demand layer of Đồng Nai's current communes: 3 children in Tân Triều (26188), a
    small number a viewer sees banded, and 40 in Trấn Biên (26041)."""
    from datetime import date

    from registry.demand.models import DemandCount, DemandLayer
    from registry.demand.vocab import Measure, Method

    layer = DemandLayer(
        measure=Measure.CHILDREN,
        province_code="75",
        edition="2025",
        level="commune",
        as_of=date(2025, 12, 31),
        source="Số liệu thử nghiệm e2e",
    )
    layer.counts = [
        DemandCount(unit_code="26188", total=3, method=Method.DIRECT),
        DemandCount(unit_code="26041", total=40, method=Method.DIRECT),
    ]
    session.add(layer)
    session.flush()
    return layer.id


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("e2e")
    with fresh_database(tmp / "e2e.sqlite") as url:
        app = create_app(
            "config.TestingConfig",
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "UPLOAD_FOLDER": str(tmp / "uploads"),
                "TILE_URL": offline_tile_url(),
                "TILE_ATTRIBUTION": "offline test tiles",
            },
        )
        app.instance_path = str(tmp / "instance")
        with app.app_context():
            upgrade()
            ids = _seed(db.session)
            db.session.commit()
            db.session.remove()
        with serving(app) as url:
            yield LiveServer(url, app, ids)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (looked for `chromium` on PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("The Playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class BrowserErrors:
    """Script errors and CSP violations seen by a page; failed tile loads are expected."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if "/tiles/" in url or url.endswith("/favicon.ico"):
            return  # the offline tiles; the browser's own favicon request
        self.messages.append(f"{msg.text} ({url})")

    def page_error(self, exc: Any) -> None:
        self.messages.append(f"page error: {exc}")


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(username)`` → a logged-in page in its own browser context."""
    contexts = []

    def _open(user: str | None = None):
        context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = BrowserErrors()
        page.on("console", errors.console)
        page.on("pageerror", errors.page_error)
        page.errors = errors
        if user:
            page.goto(live_server("/auth/login"))
            page.fill("input[name=username]", f"e2e-{user}")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("form:has(input[name=password]) [type=submit]")
            assert "/auth/login" not in page.url, f"login failed for {user}"
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
