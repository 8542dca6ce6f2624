"""Fixtures: one app and schema per test session on a real spatial database, a per-test
transaction that is rolled back, a client and a login helper.

SpatiaLite (a temporary file) by default; PostGIS when ``DATABASE_URL`` names one, and
then the schema is dropped and rebuilt by the migrations at the start of the session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import text

from registry import create_app
from registry.extensions import db as _db
from tests import factories

# In CI a missing database is a failure, never a silent fallback to SpatiaLite.
if os.environ.get("REGISTRY_REQUIRE_DB") == "postgis" and not os.environ.get(
    "DATABASE_URL", ""
).startswith("postgresql"):
    raise RuntimeError("PostGIS was required but DATABASE_URL does not name one")


def _database_url(tmp: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite'}"


def reset_postgis_schema(url: str) -> None:
    """Drop everything in the public schema so migrations start from an empty database."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


@contextmanager
def fresh_database(sqlite_path: Path) -> Iterator[str]:
    """An empty database on the suite's engine: a new SQLite file, or a new PostGIS database
    beside the one ``DATABASE_URL`` names (dropped afterwards). For migrations and live
    servers, which must not share the per-test rollback database."""
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{sqlite_path}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"registry_tmp_{uuid.uuid4().hex[:10]}"
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


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("registry")
    url = _database_url(tmp)
    if url.startswith("postgresql"):
        reset_postgis_schema(url)
    app = create_app(
        "config.TestingConfig",
        {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp / "uploads")},
    )
    app.instance_path = str(tmp / "instance")
    with app.app_context():
        upgrade()
        _load_reference_data(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _load_reference_data(app: Flask) -> None:
    """Administrative units and facility types are reference data every test may rely on;
    loaded once per session."""
    from registry.facilities.services import load_types
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    load_all(_db.session, DEFAULT_DATA_DIR)
    load_types(_db.session)
    _db.session.commit()


class _ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session routes every query to the app's engine, ignoring ``bind``;
    the test session must stay on the one connection that is rolled back."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def db_session(app: Flask) -> Iterator:
    """``db.session`` bound to one outer transaction that is rolled back after the test;
    commits inside the code under test only release savepoints."""
    with app.app_context():
        conn = _db.engine.connect()
        outer = conn.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": conn,
                "join_transaction_mode": "create_savepoint",
                "class_": _ConnectionBoundSession,
            }
        )
        factories.bind(_db.session)
        try:
            yield _db.session
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            conn.close()


@pytest.fixture
def client(app: Flask, db_session):
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session):
    return app.test_cli_runner()


class AuthActions:
    """Logs users in and out through the real login form (CSRF included)."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, user_or_name, password: str = factories.DEFAULT_PASSWORD):
        username = getattr(user_or_name, "username", user_or_name)
        page = self._client.get("/auth/login")
        token = csrf_token_from(page)
        return self._client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
        )

    def logout(self):
        page = self._client.get("/")
        return self._client.post("/auth/logout", data={"csrf_token": csrf_token_from(page)})


def csrf_token_from(response) -> str:
    import re

    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', response.data)
    if not match:
        match = re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', response.data)
    assert match, "no CSRF token on the page"
    return match.group(1).decode()


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def post_form(client):
    """POST a form with a CSRF token taken from ``page_url`` (or from the target itself)."""

    def _post(url: str, data: dict, page_url: str | None = None, **kwargs):
        page = client.get(page_url or url)
        payload = {"csrf_token": csrf_token_from(page), **data}
        return client.post(url, data=payload, **kwargs)

    return _post
