"""Domain errors and the HTML/JSON error pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


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


def init_app(app: Flask) -> None:
    def handle_http(exc: HTTPException):
        code = exc.code or 500
        if _wants_json():
            return jsonify(error=exc.name, status=code, detail=exc.description), code
        template = f"errors/{code}.html" if code in (400, 403, 404, 413) else "errors/generic.html"
        return render_template(template, error=exc), code

    def handle_500(exc: Exception):
        app.logger.exception("Unhandled error")
        if _wants_json():
            return jsonify(error="Internal Server Error", status=500), 500
        return render_template("errors/500.html"), 500

    app.register_error_handler(HTTPException, handle_http)
    if not app.testing:
        app.register_error_handler(Exception, handle_500)
    else:
        app.register_error_handler(500, handle_500)
