"""Home page, health checks and metrics, language switch, about page and vendored front-end
files."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required
from sqlalchemy import text

from registry import database, observability
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


@bp.route("/livez")
def livez():
    """Liveness: the process answers. Touches no database, so an orchestrator restarts the
    process only when it is stuck, never because the database is down."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Readiness: the database answers and its schema is at the migrations' head; 503 with
    the reason ("database" or "migrations") otherwise, so a balancer sends no traffic."""
    reason = observability.not_ready_because()
    if reason is not None:
        return jsonify(status="not ready", reason=reason), 503
    return jsonify(status="ok")


@bp.route("/metrics")
def metrics():
    """Prometheus metrics for authorised scrapers only (``observability.may_scrape``);
    anyone else is told there is nothing here."""
    if not observability.may_scrape(request, current_app.config.get("METRICS_TOKEN")):
        abort(404)
    body, content_type = observability.exposition()
    return current_app.response_class(body, content_type=content_type)


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
    from flask import send_from_directory

    dirs = _vendor_dirs()
    if lib not in dirs:
        abort(404)
    return send_from_directory(dirs[lib], filename, max_age=86400)
