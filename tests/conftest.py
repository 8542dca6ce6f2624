"""Fixtures: one app and schema per test session on a real spatial database, a per-test
transaction that is rolled back, a client and a login helper.

SpatiaLite (a temporary file) by default; PostGIS when ``DATABASE_URL`` names one, and
then the schema is dropped and rebuilt by the migrations at the start of the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
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
    """Administrative units are reference data every test may rely on; loaded once."""
    try:
        from registry.geography.loader import DEFAULT_DATA_DIR, load_all
    except ImportError:
        return
    load_all(_db.session, DEFAULT_DATA_DIR)
    _db.session.commit()


@pytest.fixture
def db_session(app: Flask) -> Iterator:
    """``db.session`` bound to one outer transaction that is rolled back after the test;
    commits inside the code under test only release savepoints."""
    with app.app_context():
        conn = _db.engine.connect()
        outer = conn.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": conn, "join_transaction_mode": "create_savepoint"}
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
