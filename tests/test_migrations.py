"""Migrations: an empty database upgrades to head, head matches the models, and the chain
downgrades to base and upgrades again. Runs on the engine the suite runs on."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from registry import create_app
from registry.database import migration_include_object
from registry.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"registry_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = make_url(url).set(database=name)
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _app_tables(conn) -> set[str]:
    return {
        t for t in inspect(conn).get_table_names()
        if migration_include_object(None, t, "table", True, None)
    }


def test_upgrade_matches_models_and_round_trips(empty_database_url):
    app = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
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
