"""The interactive documentation of ``/api/v1``: Swagger UI 5 from the files installed with
the ``flask-swagger-ui`` package (never a CDN), reading ``/api/v1/openapi.json``.

Swagger UI 5 is the first that reads OpenAPI 3.1; ``swagger-ui-bundle`` ships 4.15, which
refuses a 3.1 document. Only the package's files are used, not its blueprint, whose page
runs an inline script that the site's Content-Security-Policy (script-src 'self') blocks."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_from_directory, url_for

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1/docs")

#: The files a docs page needs; nothing else of the package is served.
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "index.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)


def assets_dir() -> Path:
    return Path(str(resources.files("flask_swagger_ui") / "dist"))


@bp.route("/")
def index():
    """The docs page (public: it shows the document, which holds no data)."""
    return render_template("api/docs.html")


@bp.route("/assets/<filename>")
def asset(filename: str):
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(assets_dir(), filename, max_age=86400)


@bp.route("/init.js")
def init_js():
    """Starts Swagger UI on the document: a file, not an inline script, for the CSP."""
    script = (
        "window.addEventListener('load', function () {\n"
        "  window.ui = SwaggerUIBundle({\n"
        f"    url: {url_for('api-docs.openapi_json')!r},\n"
        "    dom_id: '#swagger-ui',\n"
        "    deepLinking: true,\n"
        "    validatorUrl: null,\n"
        "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
        "    layout: 'BaseLayout'\n"
        "  });\n"
        "});\n"
    )
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
