"""Personal API tokens: make, list and revoke them.

A token is a random secret shown to its holder once; the registry keeps its SHA-256 and its
first eight characters. It acts with its holder's role and jurisdiction, so a token can never
do more than the person could on the forms. Every token expires, at most a year after it is
made; revoking one is immediate and cannot be undone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.api.auth import hash_secret
from registry.api.models import PREFIX_LENGTH, ApiToken, aware
from registry.auth.models import User
from registry.clock import VN_TZ
from registry.errors import NotFound, RegistryError
from registry.i18n import _
from registry.models import utcnow

MAX_LIFETIME_DAYS = 365
NAME_MAX_LENGTH = 100
# Secrets of 32 random bytes, URL-safe Base64 (43 characters).
SECRET_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret, which exists only here: the database keeps the hash."""

    token: ApiToken
    secret: str


def expiry_of(expires_on: date) -> datetime:
    """A token chosen to run "until" a day ends at the end of that day in Vietnam (UTC)."""
    return datetime.combine(expires_on + timedelta(days=1), time(0, 0), tzinfo=VN_TZ).astimezone(
        utcnow().tzinfo
    )


def latest_expiry_on(today: date) -> date:
    return today + timedelta(days=MAX_LIFETIME_DAYS)


def create_token(
    session: Session, user: User, *, name: str, expires_on: date, today: date
) -> IssuedToken:
    """Issue a token for ``user`` named ``name`` that runs until the end of ``expires_on``
    (Vietnam time), from tomorrow at the earliest to a year after ``today`` at the latest."""
    name = " ".join((name or "").split())
    if not name:
        raise RegistryError(_("Give the token a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise RegistryError(
            _("The name may have at most %(n)d characters.", n=NAME_MAX_LENGTH), field="name"
        )
    if expires_on < today:
        raise RegistryError(_("The expiry date has already passed."), field="expires_on")
    if expires_on > latest_expiry_on(today):
        raise RegistryError(
            _(
                "A token may run for at most a year (until %(day)s).",
                day=latest_expiry_on(today).isoformat(),
            ),
            field="expires_on",
        )
    if not user.is_active:
        raise RegistryError(_("A disabled account cannot have tokens."))
    secret = _new_secret(session)
    token = ApiToken(
        user=user,
        user_id=user.id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        created_at=utcnow(),
        expires_at=expiry_of(expires_on),
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def _new_secret(session: Session) -> str:
    # A shown prefix that already exists would make two tokens look alike: draw again.
    while True:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        taken = session.scalar(
            select(ApiToken.id).where(ApiToken.prefix == secret[:PREFIX_LENGTH]).limit(1)
        )
        if taken is None:
            return secret


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (their history)."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(stmt))


def token_of(session: Session, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anybody else's reads as not found."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    return token


def revoke_token(session: Session, token: ApiToken, *, at: datetime | None = None) -> ApiToken:
    """Stop ``token`` working from now on. Revoking a revoked token changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = at or utcnow()
        session.flush()
    return token


def token_state(token: ApiToken, at: datetime) -> str:
    """``active``, ``revoked`` or ``expired``: what the token page shows."""
    if token.revoked_at is not None:
        return "revoked"
    if aware(token.expires_at) <= at:
        return "expired"
    return "active"
