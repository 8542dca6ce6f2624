"""Backup round trip on the suite's engine (SQLite file or PostGIS database): create, change
the live data, restore, and the registry is back to the backup exactly, row counts and
checksums (geometry included) per table; a tampered backup is refused before anything is
replaced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from registry import backup, create_app
from registry.extensions import db
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("backup")
    with fresh_database(tmp / "live.sqlite") as url:
        app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = str(tmp / "instance")
        with app.app_context():
            upgrade()
            _seed(db.session)
            db.session.commit()
            db.session.remove()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _seed(session) -> None:
    from registry.facilities import services
    from registry.facilities.models import Ownership, Status
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    load_all(session, DEFAULT_DATA_DIR)
    services.load_types(session)
    for n in range(5):
        services.register_facility(
            session,
            services.FacilityInput(
                name=f"Trung tâm công tác xã hội số {n}",
                type_code="SOCIAL_WORK",
                ownership=Ownership.PUBLIC,
                province_code="75",
                lon=106.8 + n * 0.02,
                lat=10.95,
                status=Status.OPERATING,
                design_capacity=50,
            ),
            actor_id=None,
            confirm_duplicates=True,
        )


def _facts(app: Flask) -> tuple[int, float, dict]:
    from registry.facilities.models import Facility

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Facility))
        lon = db.session.scalar(select(func.sum(Facility.lon)))
        data = backup.manifest(db.session.connection(), db.metadata)
        db.session.remove()
    return count, lon, data["tables"]


def test_create_change_restore_brings_back_exactly_the_backup(live, tmp_path):
    from registry.facilities.models import Facility

    path = tmp_path / "registry.backup"
    runner = live.test_cli_runner()
    result = runner.invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 0, result.output
    before = _facts(live)
    saved = json.loads(backup.manifest_path(path).read_text())
    assert saved["tables"] == before[2]
    assert saved["tables"]["facilities"]["rows"] == 5
    assert saved["tables"]["admin_units"]["rows"] > 1000  # geometry tables are in it

    with live.app_context():  # the day after: a facility moved, one deleted
        first = db.session.scalar(select(Facility.id).order_by(Facility.id))
        db.session.execute(update(Facility).where(Facility.id == first).values(lon=107.2))
        db.session.commit()
        db.session.remove()
    changed = _facts(live)
    assert changed[1] != before[1]
    assert changed[2]["facilities"] != before[2]["facilities"]

    result = runner.invoke(args=["backup", "restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "matches the manifest" in result.output
    assert _facts(live) == before


def test_a_backup_never_overwrites_a_file(live, tmp_path):
    path = tmp_path / "taken"
    path.write_text("something else")
    result = live.test_cli_runner().invoke(args=["backup", "create", str(path)])
    assert result.exit_code != 0
    assert "never overwrites" in result.output
    assert path.read_text() == "something else"


def test_a_backup_without_its_manifest_or_with_a_wrong_one_is_refused(live, tmp_path):
    path = tmp_path / "registry.backup"
    runner = live.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 0
    manifest = backup.manifest_path(path)
    good = json.loads(manifest.read_text())

    wrong = json.loads(manifest.read_text())
    wrong["tables"]["facilities"]["rows"] += 1
    manifest.write_text(json.dumps(wrong))
    before = _facts(live)
    result = runner.invoke(args=["backup", "restore", "--yes", str(path)])
    if good["engine"] == "sqlite":  # the copy itself is checked before anything is replaced
        assert result.exit_code != 0
        assert "facilities: 5 rows (expected 6)" in result.output
    else:  # a dump is checked after its all-or-nothing restore, which then reports it
        assert result.exit_code != 0
        assert "facilities" in result.output
    assert _facts(live)[:2] == before[:2]

    other = dict(good, engine="postgresql" if good["engine"] == "sqlite" else "sqlite")
    manifest.write_text(json.dumps(other))
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code != 0
    assert "backup; this registry runs on" in result.output

    manifest.unlink()
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code != 0
    assert "no manifest" in result.output


def test_the_checksum_sees_a_moved_point_with_the_same_row_count(live):
    from registry.facilities.models import Facility

    with live.app_context():
        conn = db.session.connection()
        table = db.metadata.tables["facilities"]
        before = backup.table_sum(conn, table)
        first = db.session.scalar(select(Facility.id).order_by(Facility.id))
        facility = db.session.get(Facility, first)
        facility.lat = facility.lat + 0.0001  # geom is recorded from lon/lat
        db.session.flush()
        after = backup.table_sum(conn, table)
        db.session.rollback()
        db.session.remove()
    assert after.rows == before.rows
    assert after.sha256 != before.sha256


def test_differences_are_told_per_table():
    expected = {"tables": {"a": {"rows": 2, "sha256": "x"}, "b": {"rows": 1, "sha256": "y"}}}
    actual = {"tables": {"a": {"rows": 2, "sha256": "z"}, "c": {"rows": 0, "sha256": "w"}}}
    assert backup.differences(expected, actual) == [
        "a: same 2 rows, different content",
        "b: missing",
        "c: not in the backup",
    ]
    assert backup.differences(expected, expected) == []


def test_the_manifest_path_sits_beside_the_backup():
    assert backup.manifest_path(Path("/b/x.db")) == Path("/b/x.db.manifest.json")
