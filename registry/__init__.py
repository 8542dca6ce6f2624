"""Application factory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from registry import database
from registry.extensions import (
    babel,
    bootstrap,
    cache,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)
from registry.http import BoundedIntConverter, refuse_nul_bytes

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(
    config_object: str | object = "config.ProductionConfig",
    overrides: Mapping[str, Any] | None = None,
) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_path=os.environ.get("REGISTRY_INSTANCE_PATH")
        or str(Path(__file__).resolve().parent.parent / "instance"),
    )
    app.url_map.converters["int"] = BoundedIntConverter  # before any rule: ids fit INT
    app.config.from_object(config_object)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("REGISTRY")
    if overrides:
        app.config.update(overrides)
    _ensure_secret_key(app)

    register_observability(app)  # first: its before_request must run before all others
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errors(app)
    register_api(app)
    register_security_headers(app)
    register_cli(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """Use the configured key, else one generated once into the instance folder (never in git)."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()


def register_observability(app: Flask) -> None:
    from registry import observability

    observability.init_app(app)


def register_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if database.is_sqlite_url(url):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    options = dict(database.engine_options(url))
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    from registry import i18n, model_registry  # noqa: F401  (all models on the metadata)
    from registry.audit import listeners as audit_listeners

    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=None)
    app.before_request(refuse_nul_bytes)
    app.before_request(_reset_request_caches)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n._l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    limiter.init_app(app)
    cache.init_app(app)
    compress.init_app(app)
    from registry.auth import sessions as auth_sessions

    auth_sessions.init_app(app)
    audit_listeners.install(db)


def _reset_request_caches() -> None:
    """Flask-Babel's locale, Flask-Login's user and Flask-WTF's CSRF token are cached on the
    app context, which outlives a request when one was already pushed (CLI, tests): decide
    them afresh for every request."""
    from flask import g
    from flask_babel import refresh

    refresh()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def register_blueprints(app: Flask) -> None:
    # Each package defines its blueprint in its __init__; the route modules attach to it.
    from registry.admin import bp as admin_bp
    from registry.admin import views as admin_views  # noqa: F401
    from registry.api.ogc import bp as ogc_bp
    from registry.audit import bp as audit_bp
    from registry.audit import views as audit_views  # noqa: F401
    from registry.auth import bp as auth_bp
    from registry.auth import views as auth_views  # noqa: F401
    from registry.demand import bp as demand_bp
    from registry.demand import views as demand_views  # noqa: F401
    from registry.facilities import bp as facilities_bp
    from registry.facilities import io_views, views  # noqa: F401
    from registry.geography import bp as geography_bp
    from registry.geography import views as geography_views  # noqa: F401
    from registry.investment import bp as investment_bp
    from registry.investment import io_views as investment_io_views  # noqa: F401
    from registry.investment import views as investment_views  # noqa: F401
    from registry.licensing import bp as licensing_bp
    from registry.licensing import views as licensing_views  # noqa: F401
    from registry.main import bp as main_bp
    from registry.main import views as main_views  # noqa: F401
    from registry.maps import bp as maps_bp
    from registry.maps import views as maps_views  # noqa: F401
    from registry.planning import bp as planning_bp
    from registry.planning import views as planning_views  # noqa: F401
    from registry.referrals import bp as referrals_bp
    from registry.referrals import views as referrals_views  # noqa: F401

    for bp in (
        main_bp,
        auth_bp,
        admin_bp,
        audit_bp,
        facilities_bp,
        geography_bp,
        maps_bp,
        planning_bp,
        licensing_bp,
        investment_bp,
        ogc_bp,
        demand_bp,
        referrals_bp,
    ):
        app.register_blueprint(bp)


def register_template_helpers(app: Flask) -> None:
    from registry import filters, navigation

    filters.init_app(app)
    navigation.init_app(app)


def register_errors(app: Flask) -> None:
    from registry import errors

    errors.init_app(app)


def register_api(app: Flask) -> None:
    # After register_errors: the API answers its own paths' errors as problem+json and hands
    # every other path to registry.errors.
    from registry import api

    api.init_app(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        tiles = app.config.get("TILE_URL", "")
        tile_src = ""
        if tiles.startswith("http"):
            from urllib.parse import urlsplit

            parts = urlsplit(tiles.replace("{s}", "a"))
            tile_src = f" {parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:" + tile_src + "; "
            "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'self'",
        )
        return response


def register_cli(app: Flask) -> None:
    from registry import cli

    cli.init_app(app)
