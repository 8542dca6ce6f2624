"""``/api/v1``: one flask-smorest blueprint per domain, the OpenAPI document and its docs page.

Every route reads through the same services and read model as the HTML pages. GET accepts a
bearer token or the browser session; POST/PUT/PATCH/DELETE need a bearer token."""

from __future__ import annotations

from flask import Flask

API_PREFIX = "/api/v1"


def register(app: Flask) -> None:
    from registry.api.v1 import (
        docs,
        facilities,
        geography,
        investment,
        licensing,
        planning,
        referrals,
    )
    from registry.api.v1.common import RegistryApi

    api = RegistryApi()
    api.init_app(app)
    app.extensions["registry.api"] = api
    for blp in (
        facilities.blp,
        geography.blp,
        planning.blp,
        licensing.blp,
        investment.blp,
        referrals.blp,
    ):
        api.register_blueprint(blp, url_prefix=API_PREFIX)
    app.register_blueprint(docs.bp)
