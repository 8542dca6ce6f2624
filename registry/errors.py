"""Domain errors and the HTML/JSON error pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from registry.i18n import _

log = logging.getLogger(__name__)

#: PostgreSQL's answers to a write that met another: serialization failure, deadlock, lock
#: not available. SQLite's is "database is locked" (its busy timeout ran out).
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
RETRY_AFTER_S = 5


class RegistryError(Exception):
    """A broken business rule; views flash it, the API answers 409/422."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(RegistryError):
    status_code = 404


class PermissionDenied(RegistryError):
    status_code = 403


class ConflictError(RegistryError):
    status_code = 409


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/ogc/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def is_busy(exc: OperationalError) -> bool:
    """The database refused a write because others were writing: worth a retry."""
    if getattr(exc.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _recover(*, rollback: bool = False) -> None:
    """An error page never builds on a failed transaction: roll back a transaction that
    failed (or, with ``rollback``, one the database refused), then read what the page needs
    (the user, the menu) in a read transaction, which waits for no writer
    (``registry.database``). A transaction in good order is left alone: nothing commits it."""
    from registry import database
    from registry.extensions import db

    try:
        if rollback or not db.session.is_active:
            db.session.rollback()
    except Exception:  # a connection that is gone: the page still renders
        log.exception("rollback before an error page failed")
        db.session.remove()
    database.begin_for_request("GET")


def init_app(app: Flask) -> None:
    def handle_http(exc: HTTPException):
        _recover()
        code = exc.code or 500
        if _wants_json():
            return jsonify(error=exc.name, status=code, detail=exc.description), code
        template = f"errors/{code}.html" if code in (400, 403, 404, 413) else "errors/generic.html"
        return render_template(template, error=exc), code

    def handle_500(exc: Exception):
        _recover()
        app.logger.exception("Unhandled error")
        if _wants_json():
            return jsonify(error="Internal Server Error", status=500), 500
        return render_template("errors/500.html"), 500

    def refused(code: int, name: str, message: str, what: str, cause: object) -> Response:
        """The database refused the request's write: nothing was saved, and the page says so."""
        _recover(rollback=True)
        # The endpoint, not the path: a path can carry a private tracking token.
        log.warning("%s, %s %s refused: %s", what, request.method, request.endpoint, cause)
        if _wants_json():
            return app.make_response((jsonify(error=name, status=code, detail=message), code))
        return app.make_response((render_template(f"errors/{code}.html", message=message), code))

    def handle_operational(exc: OperationalError):
        if not is_busy(exc):
            return handle_500(exc)
        message = _(
            "The registry is busy with other people's changes and nothing was saved. Go back "
            "(what you entered is still in the form) and send it again in a few seconds."
        )
        response = refused(503, "Service Unavailable", message, "busy database", exc.orig)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    def handle_stale(exc: StaleDataError):
        # The services check versions before writing; this is the database catching a save
        # that slipped between that check and the write.
        message = _(
            "Someone else saved this record while you were editing it, and nothing of yours "
            "was saved. Open it again to see their changes, then make yours."
        )
        return refused(409, "Conflict", message, "stale write", exc)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(OperationalError, handle_operational)
    if not app.testing:
        app.register_error_handler(Exception, handle_500)
    else:
        app.register_error_handler(500, handle_500)
