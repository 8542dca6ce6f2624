"""Who is acting and why, for the audit listener.

Inside a request the actor is the logged-in user. Commands and tests set it explicitly.
The reason applies to the changes flushed until the transaction ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

ACTOR_KEY = "audit_actor"
REASON_KEY = "audit_reason"


def set_actor(session: Session, actor: Any) -> None:
    """``actor`` is a User, or a label such as ``"cli"`` for changes without a user."""
    session.info[ACTOR_KEY] = actor


def set_reason(session: Session, reason: str | None) -> None:
    session.info[REASON_KEY] = reason


def current_actor(session: Session) -> tuple[int | None, str]:
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        actor = _request_user()
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.username


def _request_user() -> Any:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def current_reason(session: Session) -> str | None:
    return session.info.get(REASON_KEY)


def clear(session: Session) -> None:
    session.info.pop(REASON_KEY, None)
