"""The registry's generation: a token that changes with every committed change to what the
read model reads (facilities, their types, administrative units), so an answer built from
them may be kept and served again for as long as the token it was built under is current.

A model takes part by setting ``__generation__ = True``. A transaction that flushed such a
record draws a new token just before it commits, in the same transaction: a reader who sees
the token sees the data committed with it. The token is random, never a counter, so a rolled
back transaction cannot bring back a token that once stood for other data. Writes that skip
the ORM (bulk loaders) call :func:`bump` themselves.

The token is written last, just before the commit, so holding its row lock can never be part
of a deadlock with the rows the transaction locked before it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.extensions import Model

ROW = "registry"
_TOUCHED = "registry.generation.touched"


class Generation(Model):
    __tablename__ = "data_generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def _new_token() -> str:
    return uuid.uuid4().hex


def current(session: Session) -> str | None:
    """The token of the data this session sees; None while the session holds changes of its
    own that are not committed yet (no token stands for what it sees then)."""
    if session.info.get(_TOUCHED):
        return None
    return session.scalar(select(Generation.token).where(Generation.name == ROW))


def bump(session: Session) -> str:
    """Draw a new token now, in the session's transaction."""
    token = _new_token()
    changed = session.execute(
        update(Generation).where(Generation.name == ROW).values(token=token)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.execute(insert(Generation).values(name=ROW, token=token))
    return token


def _takes_part(instance: Any) -> bool:
    return bool(getattr(type(instance), "__generation__", False))


def _pending(session: Session) -> bool:
    return any(_takes_part(o) for o in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if not session.info.get(_TOUCHED) and _pending(session):
        session.info[_TOUCHED] = True


@event.listens_for(Session, "before_commit")
def _draw_before_commit(session: Session) -> None:
    # The commit's own flush comes after this hook: count what it is about to write too.
    if session.info.pop(_TOUCHED, False) or _pending(session):
        bump(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    # Only the end of the session's own transaction settles it; a savepoint rolled back
    # inside it may leave other changes flushed (the flag then stays, erring on the safe side).
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
