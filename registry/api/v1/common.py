"""What every ``/api/v1`` route shares: the flask-smorest ``Api`` and ``Blueprint`` set up for
problem+json, who the caller is and what they may do, page links, ETags and the rate limit."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import current_app, request, url_for
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from registry.api.auth import rate_limit_key, request_user, require_token
from registry.api.problems import PROBLEM_JSON, ApiProblem, ApiUnauthorized
from registry.auth.models import User
from registry.errors import RegistryError
from registry.extensions import limiter
from registry.i18n import _

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

BEARER = "bearerAuth"
SESSION = "sessionCookie"


# --- the Api and its blueprints ------------------------------------------------------------


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (the shape of every error of the API)."""

    type = ma.fields.String(required=True, metadata={"description": "URI naming the problem"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String(required=True)
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "One entry per field: field, in (where), message"},
    )


class RegistryApi(Api):
    """flask-smorest's Api with problem+json error responses in the document; errors are
    answered by ``registry.api.problems`` (installed after ``registry.errors``), so this Api
    registers no handler of its own."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        for name, description in (
            ("DEFAULT_ERROR", "A problem (RFC 9457)"),
            ("BAD_REQUEST", "Parameters or body do not have the documented shape"),
            ("UNAUTHORIZED", "No valid API token or session"),
            ("FORBIDDEN", "The account may not do this"),
            ("NOT_FOUND", "No such record within the caller's jurisdiction"),
            ("CONFLICT", "Conflicts with the current state (e.g. possible duplicate)"),
            ("PRECONDITION_FAILED", "If-Match does not match the record's ETag"),
            ("UNPROCESSABLE_ENTITY", "A business rule refused the values"),
            ("PRECONDITION_REQUIRED", "If-Match is missing"),
            ("TOO_MANY_REQUESTS", "Rate limit reached"),
        ):
            response: dict[str, Any] = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(name, response, lazy=True)

    def _init_spec(self, **options: Any) -> None:
        super()._init_spec(**options)
        self.spec.components.security_scheme(
            BEARER,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token from the account menu: API tokens.",
            },
        )
        self.spec.components.security_scheme(
            SESSION,
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The browser session (GET only).",
            },
        )
        self.spec.options["security"] = [{BEARER: []}, {SESSION: []}]


class _Parser(FlaskParser):
    # A parameter or body that does not have the documented shape is a bad request (400);
    # 422 is kept for values a business rule refuses.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()


def api_blueprint(name: str, import_name: str, *, description: str) -> Blueprint:
    """A blueprint of ``/api/v1``, set up once at import (blueprints are module-level and an
    app factory may register them in many apps): caller checks first, then the rate limit;
    CSRF-exempt because writes need a bearer token, never a cookie."""
    from registry.extensions import csrf

    blp = Blueprint(name, import_name, description=description)
    blp.before_request(authenticate)
    throttle(blp)
    csrf.exempt(blp)
    return blp


def throttle(blp: SmorestBlueprint) -> None:
    """One allowance per token (or per address without one) across the whole API."""
    limiter.shared_limit(
        lambda: str(current_app.config["API_RATE_LIMIT"]),
        scope="api-v1",
        key_func=rate_limit_key,
        exempt_when=lambda: not current_app.config.get("API_THROTTLE_ENABLED", True),
    )(blp)


# --- who is calling ------------------------------------------------------------------------


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def needs(permission: str) -> Decorator:
    """The permission a route needs; checked by ``authenticate`` before the route parses its
    parameters, so a caller who may not call it learns that first (401/403, not 400). Put it
    right above the function: the decorators above it copy the mark."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.api_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def authenticate() -> None:
    """``before_request`` of every API blueprint: a write needs a bearer token (a browser
    session does not count), a read a token or a session; then the route's permission."""
    if request.method in WRITE_METHODS:
        _token, user = require_token()
    else:
        found = request_user()
        if found is None:
            raise ApiUnauthorized(
                _("Sign in, or send an API token: Authorization: Bearer <token>."), error=""
            )
        user = found
    view = current_app.view_functions.get(request.endpoint or "")
    _require(user, getattr(view, "api_permission", None))


def caller() -> User:
    """The user ``authenticate`` let through."""
    user = request_user()
    if user is None:  # authenticate() ran first; kept for type checkers and direct calls
        raise ApiUnauthorized(error="")
    return user


def _require(user: User, permission: str | None) -> None:
    if permission is not None and not user.can(permission):
        raise ApiProblem(403, _("Your role may not do this."), kind="forbidden")


def not_found(detail: str | None = None) -> ApiProblem:
    return ApiProblem(404, detail or _("There is nothing at this address."), kind="not-found")


def from_registry_error(exc: RegistryError) -> ApiProblem:
    """A broken business rule as a problem: its status (422 by default, 404, 403, 409) and,
    when it names one, the field."""
    errors = [{"field": exc.field, "in": "json", "message": exc.message}] if exc.field else []
    status = exc.status_code if exc.status_code in (403, 404, 409, 422) else 422
    return ApiProblem(status, exc.message, errors=errors)


# --- pages ---------------------------------------------------------------------------------


class PageArgs(ma.Schema):
    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=100_000),
        metadata={"description": "Page number, from 1"},
    )
    per_page = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=100),
        metadata={"description": "Items per page (default 25, at most 100)"},
    )


class LinksSchema(ma.Schema):
    self_ = ma.fields.String(data_key="self", required=True)
    first = ma.fields.String(required=True)
    last = ma.fields.String(required=True)
    next = ma.fields.String(allow_none=True, required=True)
    prev = ma.fields.String(allow_none=True, required=True)


def page_schema(name: str, item: type[ma.Schema]) -> type[ma.Schema]:
    """The envelope of a list: ``items``, the page's numbers and its links."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
            "pages": ma.fields.Integer(required=True),
            "links": ma.fields.Nested(LinksSchema, required=True),
        },
        name=name,
    )


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def of(cls, args: dict[str, Any]) -> PageRequest:
        config = current_app.config
        size = args.get("per_page") or int(config["API_PAGE_SIZE"])
        return cls(
            page=int(args.get("page") or 1), per_page=min(size, int(config["API_PAGE_SIZE_MAX"]))
        )


def paged(items: Sequence[Any], total: int, req: PageRequest) -> dict[str, Any]:
    """A page of ``items`` out of ``total`` with self/first/last/next/prev links that keep the
    request's other parameters. A page past the end is empty and links back to the last."""
    pages = max(1, math.ceil(total / req.per_page)) if total else 1

    def link(page: int) -> str:
        args = request.args.to_dict(flat=False)
        args["page"] = [str(page)]
        args["per_page"] = [str(req.per_page)]
        return url_for(str(request.endpoint), **(request.view_args or {}), **args, _external=False)

    return {
        "items": list(items),
        "page": req.page,
        "per_page": req.per_page,
        "total": total,
        "pages": pages,
        "links": {
            "self_": link(req.page),
            "first": link(1),
            "last": link(pages),
            "next": link(req.page + 1) if req.page < pages else None,
            "prev": link(min(req.page - 1, pages)) if req.page > 1 else None,
        },
    }


def link_header(body: dict[str, Any]) -> dict[str, str]:
    """The page links as an RFC 8288 ``Link`` header too."""
    links = body["links"]
    parts = [
        f'<{url}>; rel="{rel}"'
        for rel, url in (
            ("self", links["self_"]),
            ("first", links["first"]),
            ("last", links["last"]),
            ("next", links["next"]),
            ("prev", links["prev"]),
        )
        if url
    ]
    return {"Link": ", ".join(parts)}


def sliced(rows: Sequence[Any], req: PageRequest) -> list[Any]:
    return list(rows[req.offset : req.offset + req.per_page])


# --- ETags ---------------------------------------------------------------------------------

_ETAG = re.compile(r'^\s*(?:W/)?"([^"]*)"\s*$')


def etag_of(kind: str, record_id: int, version: int) -> str:
    """A strong ETag from the record's optimistic-lock version: it changes with every save."""
    return f'"{kind}-{record_id}-v{version}"'


def expected_version(kind: str, record_id: int, current_version: int) -> int:
    """The version the client read, from ``If-Match``: missing → 428; not this record's
    current ETag → 412 (and nothing is written)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise ApiProblem(
            428,
            _("Send If-Match with the ETag of the record you read (GET it first)."),
            kind="precondition-required",
        )
    current = etag_of(kind, record_id, current_version)
    candidates = [part.strip() for part in header.split(",")]
    if current in candidates:
        return current_version
    raise ApiProblem(
        412,
        _(
            "The record was changed since you read it (its ETag is now %(etag)s). Read it "
            "again and retry.",
            etag=current,
        ),
        kind="precondition-failed",
        headers={"ETag": current},
    )


ETAG_HEADER = {"ETag": {"description": "The record's version", "schema": {"type": "string"}}}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag of the record as last read; a stale one gets 412, none 428.",
    "schema": {"type": "string"},
}
LINK_HEADER = {"Link": {"description": "RFC 8288 page links", "schema": {"type": "string"}}}
