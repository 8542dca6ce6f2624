"""Errors of the JSON API as ``application/problem+json`` (RFC 9457).

A problem has ``type`` (a URI naming the kind of problem), ``title`` (the kind, in words),
``status``, ``detail`` (this occurrence, in words) and ``instance`` (the request path). Bad
input adds ``errors``: one entry per field, ``{"field": ..., "message": ...}``.

Only paths under ``/api/`` answer this way; every other page keeps its own error page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
)

from registry.i18n import _, _l

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://registry.invalid/problems/"
API_PREFIX = "/api/"


class ApiUnauthorized(Unauthorized):
    """A bearer token was sent but is unknown, revoked or expired (or its user is inactive);
    or a write came without one. Answers 401 with ``WWW-Authenticate: Bearer``."""

    def __init__(self, description: str | None = None, *, error: str = "invalid_token") -> None:
        super().__init__(
            description=description,
            www_authenticate=None,
        )
        self.bearer_error = error

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        headers = [h for h in super().get_headers(environ, scope) if h[0] != "WWW-Authenticate"]
        value = 'Bearer realm="registry"'
        if self.bearer_error:
            value += f', error="{self.bearer_error}"'
        headers.append(("WWW-Authenticate", value))
        return headers


class ApiProblem(HTTPException):
    """Any API answer other than success, raised from a view: status, kind and field errors."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.kind = kind
        self.errors = [dict(e) for e in errors]
        self.extra_headers = dict(headers or {})

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), *self.extra_headers.items()]


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    500: "server-error",
}


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        412: _("The record has changed"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Invalid data"),
        428: _("If-Match required"),
        429: _("Too many requests"),
        500: _("Server error"),
    }
    return titles.get(status, _("Error"))


def problem(
    status: int,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """The problem+json response for ``status``."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or _KINDS.get(status, "error")),
        "title": _title(status),
        "status": status,
        "detail": detail or _title(status),
        "instance": request.path,
    }
    errors = list(errors)
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON
    )
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _detail(exc: HTTPException) -> str:
    """Our own messages as written; werkzeug's stock English descriptions by their status."""
    stock = type(exc).description
    if exc.description and exc.description != stock:
        return str(exc.description)
    code = exc.code or 500
    details = {
        400: _("The request could not be understood."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("Your account may not do this."),
        404: _("There is nothing at this address."),
        405: _("This address does not accept this method."),
        406: _("This address cannot answer in the requested format."),
        412: _("The record was changed since you read it. Read it again and retry."),
        413: _("The request body is too large."),
        415: _("Send the request body as application/json."),
        428: _("Send If-Match with the ETag of the record you read."),
        429: _("Too many requests with this token. Wait and retry."),
        500: _("Something went wrong on our side."),
    }
    return details.get(code, str(exc.description or _title(code)))


def _field_errors(exc: HTTPException) -> list[dict[str, Any]]:
    """Field details from flask-smorest/webargs (``exc.data["messages"]``) or an ApiProblem."""
    if isinstance(exc, ApiProblem):
        return exc.errors
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    out: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for location, fields in messages.items():
            _flatten(fields, [], location, out)
    return out


#: marshmallow's and webargs' own messages (English only) in the reader's language.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
    "Field may not be null.": _l("This field may not be null."),
    "Not a valid integer.": _l("Not a whole number."),
    "Not a valid number.": _l("Not a number."),
    "Not a valid string.": _l("Not a text."),
    "Not a valid boolean.": _l("Not true or false."),
    "Not a valid date.": _l("Not a date (YYYY-MM-DD)."),
    "Not a valid list.": _l("Not a list."),
    "Not a valid mapping type.": _l("Not an object."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid input."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "NaN and infinity are not allowed."
    ),
}
_PATTERNS = (
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        lambda m: _("Must be from %(min)s to %(max)s.", min=m[1], max=m[2]),
    ),
    (
        re.compile(r"^Must be greater than or equal to (\S+)\.$"),
        lambda m: _("Must be at least %(min)s.", min=m[1]),
    ),
    (
        re.compile(r"^Must be less than or equal to (\S+)\.$"),
        lambda m: _("Must be at most %(max)s.", max=m[1]),
    ),
    (
        re.compile(r"^Longer than maximum length (\d+)\.$"),
        lambda m: _("At most %(n)s characters.", n=m[1]),
    ),
    (
        re.compile(r"^Shorter than minimum length (\d+)\.$"),
        lambda m: _("At least %(n)s characters.", n=m[1]),
    ),
    (
        re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
        lambda m: _("From %(min)s to %(max)s characters or items.", min=m[1], max=m[2]),
    ),
    (
        re.compile(r"^Must be one of: (.*)\.$", re.DOTALL),
        lambda m: _("Must be one of: %(choices)s.", choices=m[1]),
    ),
)


def field_message(message: str) -> str:
    """A field message in the reader's language (the validators' own messages are English)."""
    known = FIELD_MESSAGES.get(message)
    if known is not None:
        return str(known)
    for pattern, say in _PATTERNS:
        found = pattern.match(message)
        if found:
            return str(say(found))
    return message


def _flatten(value: Any, path: list[str], location: str, out: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, [*path, str(key)], location, out)
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        for message in value:
            out.append(
                {"field": ".".join(path) or None, "in": location, "message": field_message(message)}
            )
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(inner, [*path, str(index)], location, out)
    else:
        out.append(
            {"field": ".".join(path) or None, "in": location, "message": field_message(str(value))}
        )


def from_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    kind = exc.kind if isinstance(exc, ApiProblem) else None
    errors = _field_errors(exc)
    if code == 422 and errors and kind is None:
        kind = "validation-error"
    headers = exc.get_headers()
    detail = _detail(exc)
    if errors and code == 400 and not isinstance(exc, ApiProblem):
        detail = _("Some values do not have the documented form: see errors.")
    if code == 429:
        detail, retry = _rate_limited()
        headers.append(("Retry-After", str(retry)))
    return problem(code, detail, kind=kind, errors=errors, headers=headers)


def _rate_limited() -> tuple[str, int]:
    """What the client was allowed and how many seconds until it may go on."""
    import math
    import time

    from registry.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return _("Too many requests with this token. Wait and retry."), 60
    retry = max(1, math.ceil(current.reset_at - time.time()))
    return (
        _(
            "Too many requests: the limit is %(limit)s. Retry in %(seconds)d seconds.",
            limit=str(current.limit),
            seconds=retry,
        ),
        retry,
    )


Handler = Callable[[Any], Any]


def install(app: Flask) -> None:
    """Answer ``/api/`` errors as problems and leave every other path to the handler already
    registered (``registry.errors``), adding the exception's own headers (Allow,
    WWW-Authenticate, Retry-After) that the HTML/JSON pages would otherwise drop.

    Called after ``registry.errors.init_app`` and after flask-smorest's ``Api.init_app``,
    whose app-wide handler this replaces."""
    spec = app.error_handler_spec.setdefault(None, {})
    previous_http: Handler | None = spec.get(None, {}).get(HTTPException)
    previous_500: Handler | None = spec.get(500, {}).get(InternalServerError)

    def handle_http(exc: HTTPException) -> Any:
        if is_api_request():
            return from_http_exception(exc)
        if previous_http is None:
            return exc
        response = app.make_response(previous_http(exc))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers.setdefault(name, value)
        return response

    def handle_500(exc: Exception) -> Any:
        if is_api_request():
            app.logger.exception("Unhandled API error")
            return problem(500, _("Something went wrong on our side."))
        if previous_500 is not None:
            return previous_500(exc)
        raise exc

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(500, handle_500)


__all__ = [
    "PROBLEM_JSON",
    "ApiProblem",
    "ApiUnauthorized",
    "PreconditionFailed",
    "PreconditionRequired",
    "install",
    "problem",
]
