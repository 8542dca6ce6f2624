"""Who is calling the API: a bearer token's user, else the browser session's, else nobody.

``Authorization: Bearer <token>`` names a personal token (``registry.api.models.ApiToken``).
A token that is sent but unknown, revoked, expired or whose user is inactive is refused with
401, never read as anonymous: a client that believes it is authenticated must learn that it is
not. Without the header, GET pages of ``/api/v1`` and ``/ogc`` may read as the logged-in user
(same-origin reads carry no CSRF risk); writes always need a token (``require_token``).

The token's user becomes Flask-Login's ``current_user`` for the request, so the audit trail
and every permission check see the token's holder.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select, update

from registry import database
from registry.api.models import ApiToken, aware
from registry.api.problems import ApiUnauthorized
from registry.auth.models import User
from registry.extensions import db
from registry.facilities import read
from registry.i18n import _
from registry.models import utcnow

# last_used_at is written at most this often per token: the time of use to the minute,
# without a write on every request of a busy client.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200
_CACHE_KEY = "registry.api.auth"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def bearer_secret() -> str | None:
    """The token in ``Authorization: Bearer``; None without the header. Another scheme or an
    empty token is a bad credential (401)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise ApiUnauthorized(
            _("Use the header Authorization: Bearer <token>."), error="invalid_request"
        )
    return secret


def token_user(secret: str) -> tuple[ApiToken, User]:
    """The active token and its active user for ``secret``, or ApiUnauthorized."""
    if len(secret) > MAX_TOKEN_LENGTH or not secret.isascii():
        raise ApiUnauthorized(_("This API token is not valid."))
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    now = utcnow()
    if token is None:
        raise ApiUnauthorized(_("This API token is not valid."))
    if token.revoked_at is not None:
        raise ApiUnauthorized(_("This API token has been revoked."))
    if not token.is_active_at(now):
        raise ApiUnauthorized(_("This API token has expired."))
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise ApiUnauthorized(_("The account of this API token is disabled."))
    _note_use(token, now)
    return token, user


def _note_use(token: ApiToken, now: datetime) -> None:
    if token.last_used_at is not None and now - aware(token.last_used_at) < LAST_USED_RESOLUTION:
        return
    # Written and committed at once, before the view runs: the session holds nothing else
    # yet, and a GET (which commits nothing) still records the use. A read request that
    # writes takes the write lock first (``database.writing``).
    with database.writing(db.session()):
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )


def request_token() -> ApiToken | None:
    """The bearer token of this request (checked), or None when none was sent."""
    return _resolve()[0]


def request_user(*, allow_session: bool = True) -> User | None:
    """The caller: the bearer token's user; without a token, the session user when
    ``allow_session`` and logged in; else None (anonymous). A bad token raises 401."""
    token, user = _resolve()
    if token is not None:
        return user
    if allow_session and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def request_reader(*, allow_session: bool = True) -> read.Reader:
    """The facility reader of the caller (``read.ANONYMOUS`` for nobody)."""
    return read.Reader.of(request_user(allow_session=allow_session))


def require_token() -> tuple[ApiToken, User]:
    """For writes: the bearer token and its user; no token → 401 (a browser session does not
    count: the API is exempt from CSRF because writes never ride on cookies)."""
    token, user = _resolve()
    if token is None or user is None:
        raise ApiUnauthorized(
            _("Writing through the API needs an API token: Authorization: Bearer <token>."),
            error="",
        )
    return token, user


def rate_limit_key() -> str:
    """Flask-Limiter's key: a valid token's prefix, else the client's address (so made-up
    tokens cannot buy a fresh allowance)."""
    if not has_request_context():
        return "none"
    try:
        token = request_token()
    except ApiUnauthorized:
        token = None
    if token is not None:
        return "token:" + token.prefix
    return "ip:" + (request.remote_addr or "unknown")


def _resolve() -> tuple[ApiToken | None, User | None]:
    # Kept on the request, not on ``g``: the app context (and its ``g``) can outlive a
    # request when one was pushed already (commands, tests).
    cached = request.environ.get(_CACHE_KEY)
    if cached is not None:
        return cached
    secret = bearer_secret()
    if secret is None:
        result: tuple[ApiToken | None, User | None] = (None, None)
    else:
        token, user = token_user(secret)
        # The holder is the request's user for Flask-Login, the audit trail and the checks.
        g._login_user = user
        result = (token, user)
    request.environ[_CACHE_KEY] = result
    return result
