"""Benchmark of the map (not a test): the data endpoint and the page with 20,000 facilities.

Builds a fresh SpatiaLite database in a temporary folder (migrations, facility types, the
administrative units), inserts the synthetic national facilities with one bulk insert, then
times, as medians over several runs through the real Flask request path:

1. ``/map/data`` for a province-sized bounding box (Đồng Nai, pre-2025) — target < 50 ms;
2. ``/map/data`` for the whole country — target < 500 ms;
   both for a national administrator (exact points) and a national viewer (confidential
   facilities generalised in the same query);
3. the map page in headless Chromium until every marker is clustered — target < 3 s.

Prints the figures and rewrites the "Map" section of docs/BENCHMARKS.md (between the
``<!-- map:start -->`` and ``<!-- map:end -->`` markers), with the machine it ran on.

    python -m bench.bench_map                       # full size, writes docs/BENCHMARKS.md
    python -m bench.bench_map --facilities 2000 --no-browser --no-write

The synthetic province codes are pre-2025 codes and the commune codes are invented, so
confidential facilities fall back to the province's point, and those in provinces merged in
2025 (no current unit with their code) are left out for the viewer. Fine for timing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from bench.common import BENCHMARKS_FILE, machine, write_section

REPO_ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- map:start -->", "<!-- map:end -->"
PASSWORD = "bench correct horse battery"  # noqa: S105 - a throwaway database
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGETS_MS = {"province": 50.0, "country": 500.0, "page": 3000.0}


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up: caches, first connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# --- database ------------------------------------------------------------------------------


def build_app(tmp: Path, database_url: str | None) -> Flask:
    from registry import create_app

    url = database_url or f"sqlite:///{tmp / 'bench_map.sqlite'}"
    app = create_app(
        "config.TestingConfig",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp / "uploads"),
            "TILE_URL": "",
            "TILE_ATTRIBUTION": "",
        },
    )
    app.instance_path = str(tmp / "instance")
    return app


def load(app: Flask, n_facilities: int, seed: int) -> dict[str, Any]:
    """Migrate, load reference data and users, bulk-insert the synthetic facilities."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from bench.synthetic import generate
    from registry import database, freshness
    from registry.auth.services import create_user
    from registry.extensions import db
    from registry.facilities import services
    from registry.facilities.models import (
        CodeSequence,
        Facility,
        LocationSource,
        Ownership,
        Status,
    )
    from registry.geo import point, to_db
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all
    from registry.models import utcnow
    from registry.text import fold, sort_key

    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_all(db.session, DEFAULT_DATA_DIR)
        services.load_types(db.session)
        for name, role in (("admin", "admin"), ("viewer", "viewer")):
            create_user(
                db.session,
                username=f"bench-{name}",
                password=PASSWORD,
                role=role,
                province_code=None,
            )
        db.session.commit()
        reference_s = time.perf_counter() - started

        started = time.perf_counter()
        dataset = generate(seed, n_facilities)
        now = utcnow()
        rows = [
            {
                "code": f["code"],
                "name": f["name"],
                "type_code": f["type_code"],
                "ownership": Ownership(f["ownership"]),
                "status": Status(f["status"]),
                "province_code": f["province_code"],
                "old_province_code": f["province_code"],
                "commune_code": f["commune_code"],
                "district_code": None,
                "geom": to_db(point(f["lon"], f["lat"])),
                "lon": f["lon"],
                "lat": f["lat"],
                "location_approximate": False,
                "location_source": LocationSource.IMPORT,
                "design_capacity": f["design_capacity"],
                "capacity_by_group": {},
                "residents": f["residents"],
                "staff": f["staff"],
                "is_demo": True,
                "search_text": fold(f["name"]),
                "name_key": sort_key(f["name"]),
                "version": 1,
                "status_changed_on": date(2025, 1, 1),
                "created_at": now,
                "updated_at": now,
            }
            for f in dataset.facilities
        ]
        db.session.execute(insert(Facility.__table__), rows)
        # The code sequences the services number new facilities from: without them the
        # first facility saved after this load would take a code already in use.
        last: dict[tuple[str, str], int] = {}
        for row in rows:
            province, type_code, number = row["code"].rsplit("-", 2)
            key = (province, type_code)
            last[key] = max(last.get(key, 0), int(number))
        db.session.execute(
            insert(CodeSequence.__table__),
            [
                {"province_code": p, "type_code": t, "last_value": v}
                for (p, t), v in sorted(last.items())
            ],
        )
        freshness.bump(db.session)  # a bulk insert skips the ORM's change tracking
        db.session.commit()
        database.analyze(db.session)  # as every bulk load of the registry does
        insert_s = time.perf_counter() - started
        db.session.remove()
    return {
        "reference_s": reference_s,
        "insert_s": insert_s,
        "load": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "facilities": len(dataset.facilities),
    }


def province_bbox(app: Flask, code: str) -> tuple[float, float, float, float]:
    from sqlalchemy import select

    from registry.extensions import db
    from registry.geography.models import AdminUnit, Edition, Level

    with app.app_context():
        row = db.session.execute(
            select(
                AdminUnit.min_lon,
                AdminUnit.min_lat,
                AdminUnit.max_lon,
                AdminUnit.max_lat,
            ).where(
                AdminUnit.edition == Edition.PRE2025,
                AdminUnit.level == Level.PROVINCE,
                AdminUnit.code == code,
            )
        ).one()
        db.session.remove()
    return tuple(row)  # type: ignore[return-value]


# --- endpoint ------------------------------------------------------------------------------


def logged_in_client(app: Flask, username: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, "bench login failed"
    return client


def time_endpoint(app: Flask, runs: int, bbox: tuple[float, ...]) -> list[dict[str, Any]]:
    results = []
    box = ",".join(f"{v:.4f}" for v in bbox)
    for who in ("admin", "viewer"):
        client = logged_in_client(app, f"bench-{who}")
        for scope, url in (("province", f"/map/data?bbox={box}"), ("country", "/map/data")):
            body = client.get(url).get_data()
            count = body.count(b'"type":"Feature"')
            # What a browser is sent: the server compresses data answers (Flask-Compress).
            sent = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert sent.headers.get("Content-Encoding") == "gzip", sent.headers
            assert gzip.decompress(sent.get_data()) == body
            ms = median_ms(lambda url=url, client=client: client.get(url).get_data(), runs)
            gzip_ms = median_ms(
                lambda url=url, client=client: client.get(
                    url, headers={"Accept-Encoding": "gzip"}
                ).get_data(),
                runs,
            )
            results.append(
                {
                    "who": who,
                    "scope": scope,
                    "ms": ms,
                    "gzip_ms": gzip_ms,
                    "features": count,
                    "bytes": len(body),
                    "gzip": len(sent.get_data()),
                }
            )
    return results


# --- browser -------------------------------------------------------------------------------


def time_page(app: Flask, runs: int) -> dict[str, Any] | None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        print("chromium not found: page timing skipped")
        return None
    from playwright.sync_api import sync_playwright

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    times, count, steps = [], 0, {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(base + "/auth/login")
            page.fill("input[name=username]", "bench-admin")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("form:has(input[name=password]) [type=submit]")
            for _ in range(runs + 1):  # the first run fills the caches
                started = time.perf_counter()
                page.goto(base + "/map/")
                page.wait_for_selector("#map[data-state=ready]", timeout=60_000)
                times.append((time.perf_counter() - started) * 1000)
                count = int(page.get_attribute("#map", "data-count") or 0)
                steps = page.evaluate("() => document.getElementById('map').registryMap.timing")
            context.close()
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    return {
        "ms": statistics.median(times[1:]),
        "first_ms": times[0],
        "markers": count,
        "steps": steps,
    }


# --- report --------------------------------------------------------------------------------


def _fmt(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def section(
    info: dict[str, Any],
    endpoint: list[dict[str, Any]],
    page: dict[str, Any] | None,
    runs: int,
    bbox: tuple[float, ...],
) -> str:
    m = machine()
    lines = [
        START,
        "## Map",
        "",
        f"`python -m bench.bench_map` on {date.today().isoformat()}: a fresh SpatiaLite database "
        f"(migrations, facility types, all administrative units), {info['facilities']:,} "
        f"synthetic facilities (bench/synthetic.py, seed 1) bulk-inserted in "
        f"{info['insert_s']:.1f} s. Endpoint times go through the Flask request path (test "
        f"client, no network), medians of {runs} runs after a warm-up.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, {m['system']}; "
        f"load average {info['load']} when the run started (other work shared the machine).",
        "",
        "| what | reader | features | size (sent gzip) | median | median, gzip sent "
        "| target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in endpoint:
        target = TARGETS_MS[r["scope"]]
        what = (
            (
                "`/map/data`, province bbox (Đồng Nai pre-2025: "
                + ", ".join(f"{v:.2f}" for v in bbox)
                + ")"
            )
            if r["scope"] == "province"
            else "`/map/data`, whole country"
        )
        lines.append(
            f"| {what} | {r['who']} | {r['features']:,} | {r['bytes'] / 1024:,.0f} KB "
            f"({r['gzip'] / 1024:,.0f} KB) | {_fmt(r['ms'])} | {_fmt(r['gzip_ms'])} "
            f"| < {target:,.0f} ms | {'yes' if max(r['ms'], r['gzip_ms']) < target else 'NO'} |"
        )
    if page:
        lines.append(
            f"| map page in headless Chromium until all markers are clustered | admin | "
            f"{page['markers']:,} | | {_fmt(page['ms'])} (first load {_fmt(page['first_ms'])}) "
            f"| | < 3,000 ms | {'yes' if page['ms'] < TARGETS_MS['page'] else 'NO'} |"
        )
    else:
        lines.append("| map page in headless Chromium | | | | not measured (no Chromium) | | | |")
    if page and page["steps"]:
        s = page["steps"]
        lines += [
            "",
            f"Last page load, in ms since navigation: script running {s.get('script')}, "
            f"data parsed {s.get('data')}, markers built {s.get('markers')}, all "
            f"clustered {s.get('ready')} (clustering runs in chunks, the page stays "
            "responsive meanwhile).",
        ]
    lines += [
        "",
        "Both readers go through the read model (`registry/facilities/read.py`, "
        "`marker_rows`): one query; for the viewer it replaces a confidential facility's point "
        "by its commune's (or province's) representative point in SQL and applies the box to "
        "the point shown, in two branches so the index on the stored point serves the exact "
        "rows. Synthetic commune codes are invented, so confidential facilities fall back to "
        "the province's point, and those of provinces merged in 2025 have none and are left "
        "out for the viewer.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--page-runs", type=int, default=3)
    parser.add_argument("--province", default="75", help="pre-2025 province for the bbox")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an EMPTY database to use instead of a temporary SpatiaLite file",
    )
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_map_") as folder:
        app = build_app(Path(folder), args.database_url)
        info = load(app, args.facilities, args.seed)
        print(
            f"reference data {info['reference_s']:.1f} s, "
            f"{info['facilities']:,} facilities inserted in {info['insert_s']:.1f} s"
        )
        bbox = province_bbox(app, args.province)
        endpoint = time_endpoint(app, args.runs, bbox)
        for r in endpoint:
            print(
                f"{r['who']:6} {r['scope']:8} {r['features']:6,} features "
                f"{r['bytes'] / 1024:7,.0f} KB  {r['ms']:7.1f} ms"
            )
        page = None if args.no_browser else time_page(app, args.page_runs)
        if page:
            print(
                f"page: {page['markers']:,} markers ready in {page['ms']:.0f} ms "
                f"(first {page['first_ms']:.0f} ms)"
            )
        from registry.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    text = section(info, endpoint, page, args.runs, bbox)
    if not args.no_write:
        write_section(text, START, END)
        print(f"updated {BENCHMARKS_FILE}")
    return text


if __name__ == "__main__":
    main()
