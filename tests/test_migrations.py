"""Migrations: an empty database upgrades to head, head matches the models, and the chain
downgrades to base and upgrades again. Runs on the engine the suite runs on."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from registry import create_app
from registry.database import migration_include_object
from registry.extensions import db
from tests.conftest import fresh_database


def _app_tables(conn) -> set[str]:
    return {
        t
        for t in inspect(conn).get_table_names()
        if migration_include_object(None, t, "table", True, None)
    }


def test_upgrade_matches_models_and_round_trips(tmp_path):
    with fresh_database(tmp_path / "migrations.sqlite") as url:
        _round_trip(url)


def _round_trip(url: str) -> None:
    app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"include_object": migration_include_object, "compare_type": True}
            )
            diff = compare_metadata(ctx, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert {"users", "audit_events", "admin_units"} <= _app_tables(conn)
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert _app_tables(conn) == set()
        upgrade()
        with db.engine.connect() as conn:
            assert {"users", "audit_events", "admin_units"} <= _app_tables(conn)
        db.engine.dispose()


def test_the_list_migration_fills_in_the_name_sort_key(tmp_path):
    """Facilities registered before ``a4d2f6c8e0b1`` get the ICU sort key of their name, so the
    list's order by name (now read from the key) is the Vietnamese one for them too."""
    from sqlalchemy import text

    from registry.text import sort_key

    with fresh_database(tmp_path / "name-key.sqlite") as url:
        app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="e1c5a7d3b9f2")
            names = ["Đồng Xoài", "Dốc Mơ", "Trung tâm Ea Kar"]
            from registry.facilities.services import load_types

            load_types(db.session)  # facility_types did not change in between
            db.session.commit()
            with db.engine.begin() as conn:
                for number, name in enumerate(names, start=1):
                    conn.execute(
                        text(
                            "INSERT INTO facilities (code, name, type_code, ownership, status,"
                            " province_code, lon, lat, geom, location_approximate,"
                            " location_source, capacity_by_group, is_demo, search_text,"
                            " search_public, version, created_at, updated_at)"
                            " VALUES (:code, :name, 'GENERAL', 'public', 'operating', '75',"
                            " 106.8, 10.9, ST_GeomFromText('POINT(106.8 10.9)', 4326),"
                            " false, 'map',"
                            " '{}', false, '', '', 1,"
                            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                        ),
                        {"code": f"75-GENERAL-{number:04d}", "name": name},
                    )
            upgrade()
            with db.engine.connect() as conn:
                keys = dict(conn.execute(text("SELECT name, name_key FROM facilities")).all())
            assert {name: bytes(key) for name, key in keys.items()} == {
                name: sort_key(name) for name in names
            }
            assert sorted(names, key=sort_key) == ["Dốc Mơ", "Đồng Xoài", "Trung tâm Ea Kar"]
            db.engine.dispose()
