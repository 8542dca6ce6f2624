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
