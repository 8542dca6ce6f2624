"""A real client reads /ogc: GDAL's OGC API – Features driver (``ogrinfo``/``ogr2ogr`` from
Debian's ``gdal-bin``) against a live server on loopback.

The server is a separate app on its own database (``fresh_database``: a new SQLite file, or a
new PostGIS database beside ``DATABASE_URL``'s), seeded through the real services and served by
werkzeug in a thread. ``ogrinfo`` must list every collection and report the facilities count
the read model gives; ``ogr2ogr`` must copy the collection to a GeoPackage whose rows are the
read model's, point for point, anonymously and with a token (its holder's view).

Without ``ogrinfo`` the tests skip, except in CI (``CI`` set), where they fail and say why.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from registry import create_app
from registry.extensions import db
from tests.api.test_ogc_features import UNIT_COLLECTIONS
from tests.conftest import fresh_database

OGRINFO, OGR2OGR = shutil.which("ogrinfo"), shutil.which("ogr2ogr")
SHELTER_POINT = (106.91637, 10.92874)
GDAL_TIMEOUT_S = 120


def _require_gdal() -> None:
    if OGRINFO and OGR2OGR:
        return
    reason = "GDAL's ogrinfo/ogr2ogr are not installed (Debian package gdal-bin)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must install it (.ci/run).", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Live:
    url: str
    app: Flask
    token: str  # a Đồng Nai licensing officer's: may see exact confidential points there


def _seed(session) -> str:
    """Forty-odd facilities in two provinces (more than one GDAL page), a closed one and a
    confidential shelter; a licensing officer of Đồng Nai with a token."""
    from registry import clock
    from registry.api import tokens
    from registry.auth.services import create_user
    from registry.facilities import services
    from registry.facilities.models import Ownership, Status
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    load_all(session, DEFAULT_DATA_DIR)
    services.load_types(session)

    def add(name, type_code, lon, lat, province="75", **extra):
        data = services.FacilityInput(
            name=name,
            type_code=type_code,
            ownership=Ownership.PUBLIC,
            province_code=province,
            lon=lon,
            lat=lat,
            status=extra.pop("status", Status.OPERATING),
            **extra,
        )
        facility, _ = services.register_facility(
            session, data, actor_id=None, confirm_duplicates=True
        )
        return facility

    for i in range(36):
        lon, lat = 107.00 + (i % 6) * 0.04, 10.92 + (i // 6) * 0.02
        add(f"Cơ sở Đồng Nai số {i + 1}", "ELDERLY", lon, lat, design_capacity=50 + i)
    for i in range(6):
        add(f"Cơ sở Đắk Lắk số {i + 1}", "GENERAL", 108.00 + i * 0.02, 12.65, province="66")
    add(
        "Nhà tạm lánh Long Bình",
        "SHELTER",
        *SHELTER_POINT,
        address="Hẻm Quỳnhxyz 17",
        notes="Cổng sau Kiwiplumq",
    )
    closed = add("Cơ sở đã đóng", "DISABILITY", 107.10, 11.00, opened_on=date(2000, 1, 1))
    services.change_status(
        session,
        closed,
        Status.CLOSED,
        effective_on=date(2020, 6, 30),
        reason="Giải thể",
        actor_id=None,
        expected_version=closed.version,
    )
    officer = create_user(
        session,
        username="gdal-officer",
        password="gdal correct horse battery",
        role="licensing_officer",
        province_code="75",
        full_name="GDAL officer",
    )
    issued = tokens.create_token(
        session,
        officer,
        name="GDAL",
        expires_on=clock.today() + timedelta(days=7),
        today=clock.today(),
    )
    return issued.secret


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    _require_gdal()
    tmp = tmp_path_factory.mktemp("ogc-live")
    with fresh_database(tmp / "ogc.sqlite") as url:
        app = create_app(
            "config.TestingConfig",
            {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp / "uploads")},
        )
        app.instance_path = str(tmp / "instance")
        with app.app_context():
            upgrade()
            token = _seed(db.session)
            db.session.commit()
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="ogc-server", daemon=True)
        thread.start()
        try:
            yield Live(f"http://127.0.0.1:{server.server_port}/ogc", app, token)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _gdal(args: list[str], tmp: Path, token: str | None = None) -> str:
    """Run a GDAL command against loopback only (no proxy), with the token as a header."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["GDAL_HTTP_TIMEOUT"] = "60"
    if token is not None:
        header = tmp / "headers.txt"
        header.write_text(f"Authorization: Bearer {token}\n")
        env["GDAL_HTTP_HEADER_FILE"] = str(header)
    done = subprocess.run(  # noqa: S603 (fixed GDAL tools, arguments built here)
        args, capture_output=True, text=True, env=env, timeout=GDAL_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def _expected(live: Live, reader_of: str | None = None) -> dict[str, tuple[str, float, float]]:
    """The read model's facilities, every status: code → (name, lon, lat) as shown."""
    from registry.auth.models import User
    from registry.facilities import read

    with live.app.app_context():
        reader = read.ANONYMOUS
        if reader_of:
            user = db.session.query(User).filter_by(username=reader_of).one()
            reader = read.Reader.of(user)
        records = read.records(db.session, reader)
        out = {r.code: (r.name, round(r.lon, 6), round(r.lat, 6)) for r in records}
        if reader_of:
            out = {r.code: out[r.code] for r in records if r.province_code == user.province_code}
        db.session.remove()
        return out


def _gpkg_rows(path: Path, table: str) -> dict[str, tuple[str, float, float]]:
    """code → (name, lon, lat) of a GeoPackage table (its geometry blob: GP header + WKB)."""
    with sqlite3.connect(path) as conn:
        geom_column = conn.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()[0]
        rows = conn.execute(f'SELECT code, name, "{geom_column}" FROM "{table}"').fetchall()  # noqa: S608
    out = {}
    for code, name, blob in rows:
        flags = blob[3]
        envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
        geom = shapely.from_wkb(bytes(blob[8 + envelope :]))
        out[code] = (name, round(geom.x, 6), round(geom.y, 6))
    return out


def _feature_count(stdout: str) -> int:
    match = re.search(r"^Feature Count: (\d+)$", stdout, re.MULTILINE)
    assert match, stdout[-2000:]
    return int(match.group(1))


def test_ogrinfo_lists_the_collections_and_counts_the_facilities(live, tmp_path):
    listing = _gdal([OGRINFO, "-ro", f"OAPIF:{live.url}"], tmp_path)
    for collection in ("facilities", *UNIT_COLLECTIONS):
        assert re.search(rf"^\d+: {re.escape(collection)}\b", listing, re.MULTILINE), listing
    summary = _gdal([OGRINFO, "-ro", "-so", f"OAPIF:{live.url}", "facilities"], tmp_path)
    expected = _expected(live)
    assert len(expected) == 44
    assert _feature_count(summary) == len(expected)
    units = _gdal(
        [OGRINFO, "-ro", "-so", f"OAPIF:{live.url}", "admin-units-2025-province"], tmp_path
    )
    assert _feature_count(units) == 34


def test_ogr2ogr_copies_the_facilities_as_the_read_model_shows_them(live, tmp_path):
    target = tmp_path / "facilities.gpkg"
    _gdal([OGR2OGR, "-f", "GPKG", str(target), f"OAPIF:{live.url}", "facilities"], tmp_path)
    rows = _gpkg_rows(target, "facilities")
    expected = _expected(live)
    assert rows == expected
    # The shelter is at its commune's centre, and its address and notes are nowhere.
    shelter = next(code for code, (name, *_) in rows.items() if name.startswith("Nhà tạm lánh"))
    assert rows[shelter][1:] != SHELTER_POINT
    blob = target.read_bytes()
    for secret in ("Quỳnhxyz", "Kiwiplumq"):
        assert secret.encode() not in blob


def test_a_token_gives_gdal_its_holders_view(live, tmp_path):
    summary = _gdal(
        [OGRINFO, "-ro", "-so", f"OAPIF:{live.url}", "facilities"], tmp_path, live.token
    )
    expected = _expected(live, reader_of="gdal-officer")
    assert len(expected) == 38  # Đồng Nai's facilities only
    assert _feature_count(summary) == len(expected)
    target = tmp_path / "officer.gpkg"
    _gdal(
        [OGR2OGR, "-f", "GPKG", str(target), f"OAPIF:{live.url}", "facilities"],
        tmp_path,
        live.token,
    )
    rows = _gpkg_rows(target, "facilities")
    assert rows == expected
    assert SHELTER_POINT in {(lon, lat) for _, lon, lat in rows.values()}


def test_a_bad_token_is_refused_to_gdal(live, tmp_path):
    env_token = "not-a-token"
    header = tmp_path / "headers.txt"
    header.write_text(f"Authorization: Bearer {env_token}\n")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(GDAL_HTTP_HEADER_FILE=str(header), NO_PROXY="127.0.0.1")
    done = subprocess.run(  # noqa: S603
        [OGRINFO, "-ro", "-so", f"OAPIF:{live.url}", "facilities"],
        capture_output=True,
        text=True,
        env=env,
        timeout=GDAL_TIMEOUT_S,
        check=False,
    )
    assert done.returncode != 0
    assert "401" in done.stderr or "Unauthorized" in done.stderr or "not valid" in done.stderr
