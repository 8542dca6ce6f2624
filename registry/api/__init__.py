"""Open interfaces: the JSON API at ``/api/v1`` (personal tokens, problem+json errors,
OpenAPI 3.1 by flask-smorest, a Swagger UI page served from installed files) and the token
page of the signed-in user.

``init_app`` runs after ``registry.errors``: it binds flask-smorest, registers the API
blueprints (CSRF-exempt: writes need a bearer token, never a cookie), the per-token rate
limit, and the problem+json handler for ``/api/`` paths that leaves every other page its own
error page."""

from __future__ import annotations

from flask import Flask

#: Settings with their defaults; a site may override each (``REGISTRY_API_RATE_LIMIT`` ...).
DEFAULTS = {
    "API_TITLE": "Registry API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # Requests per token (or per address without one), Flask-Limiter notation. Use a shared
    # store (RATELIMIT_STORAGE_URI) when several workers serve the site.
    "API_RATE_LIMIT": "120 per minute; 5000 per hour",
    "API_PAGE_SIZE": 25,
    "API_PAGE_SIZE_MAX": 100,
}


def init_app(app: Flask) -> None:
    from registry.api import problems, views
    from registry.api.v1 import register

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    # On unless a site turns it off; off in the test suite, which calls from one address
    # thousands of times (tests/api turns it on where it is tested), as login throttling is.
    app.config.setdefault("API_THROTTLE_ENABLED", not app.testing)
    register(app)
    app.register_blueprint(views.bp)
    problems.install(app)
