"""Home page, health check, language switch, about page and vendored front-end files."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required
from sqlalchemy import text

from registry import database
from registry.extensions import db
from registry.main import bp


@bp.route("/")
@login_required
def index():
    # A licensing officer's home page is their queue (issue 10).
    queue = current_app.view_functions.get("licensing.index")
    if current_user.role == "licensing_officer" and queue is not None:
        return queue()
    # An investment officer's home page is their portfolio (issue 11).
    portfolio = current_app.view_functions.get("investment.index")
    if current_user.role == "investment_officer" and portfolio is not None:
        return portfolio()
    return render_template("main/index.html")


@bp.route("/healthz")
def healthz():
    """Up or not (503 when the database is unreachable). Engine, spatial extension and
    migration head only for a signed-in administrator: versions help an attacker."""
    try:
        conn = db.session.connection()
        conn.execute(text("SELECT 1"))
        body = {"status": "ok"}
        if current_user.is_authenticated and current_user.can("users.manage"):
            body.update(
                {
                    "engine": database.engine_label(conn),
                    "dialect": conn.dialect.name,
                    "spatial": database.spatial_version(conn),
                    "migration": conn.execute(
                        text("SELECT version_num FROM alembic_version")
                    ).scalar(),
                }
            )
    except Exception as exc:  # report, never crash the probe
        current_app.logger.warning("health check failed: %s", exc)
        db.session.rollback()  # the failed connection; the request's session ends at teardown
        return jsonify(status="error"), 503
    return jsonify(body)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)


@bp.route("/about")
def about():
    return render_template("main/about.html")


def _vendor_dirs() -> dict[str, str]:
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {"leaflet": leaflet.BASE_DIR, "markercluster": markercluster.BASE_DIR}


@bp.route("/vendor/<lib>/<path:filename>")
def vendor(lib: str, filename: str):
    """Front-end libraries served from the installed XStatic packages (no CDN)."""
    from flask import abort, send_from_directory

    dirs = _vendor_dirs()
    if lib not in dirs:
        abort(404)
    return send_from_directory(dirs[lib], filename, max_age=86400)
