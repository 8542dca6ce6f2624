"""Session hook that writes audit events in the same transaction as the change."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from registry.audit import context
from registry.audit.mixins import Audited

REDACTED = "***"


def _plain(value: Any) -> Any:
    """A JSON-safe form of a column value, readable in the history view."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    from registry.geo import geometry_to_wkt

    wkt = geometry_to_wkt(value)
    return wkt if wkt is not None else str(value)


def _columns(obj: Audited) -> list[Any]:
    mapper = inspect(obj).mapper
    return [attr for attr in mapper.column_attrs if attr.key not in obj.__audit_exclude__]


def _snapshot(obj: Audited) -> dict[str, list[Any]]:
    out = {}
    for attr in _columns(obj):
        value = getattr(obj, attr.key)
        if value is None:
            continue
        out[attr.key] = [None, REDACTED if attr.key in obj.__audit_redact__ else _plain(value)]
    return out


def _deleted_snapshot(obj: Audited) -> dict[str, list[Any]]:
    return {key: [after, None] for key, (_before, after) in _snapshot(obj).items()}


def _diff(obj: Audited) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for attr in _columns(obj):
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        before_p, after_p = _plain(before), _plain(after)
        if before_p == after_p and hist.deleted:
            continue
        if attr.key in obj.__audit_redact__:
            before_p, after_p = REDACTED, REDACTED
        out[attr.key] = [before_p, after_p]
    return out


def _identity(obj: Audited) -> str:
    mapper = inspect(obj).mapper
    return ",".join(str(v) for v in mapper.primary_key_from_instance(obj))


def _label(obj: Audited) -> str | None:
    for name in ("audit_label", "code", "username", "name"):
        value = getattr(obj, name, None)
        if isinstance(value, str) and value:
            return value[:255]
    return None


def _after_flush(session: Session, flush_context: Any) -> None:
    from registry.audit.models import AuditEvent

    rows = []
    for action, objs in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if not isinstance(obj, Audited):
                continue
            if action == "insert":
                changes = _snapshot(obj)
            elif action == "delete":
                changes = _deleted_snapshot(obj)
            else:
                if not session.is_modified(obj, include_collections=False):
                    continue
                changes = _diff(obj)
                if not changes:
                    continue
            rows.append((obj, action, changes))
    if not rows:
        return
    actor_id, actor_label = context.current_actor(session)
    reason = context.current_reason(session)
    now = None
    from registry.models import utcnow

    now = utcnow()
    values = [
        {
            "occurred_at": now,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "entity_type": getattr(obj, "__tablename__", type(obj).__name__),
            "entity_id": _identity(obj),
            "entity_label": _label(obj),
            "action": action,
            "changes": changes,
            "reason": reason,
            "jurisdiction": getattr(obj, "audit_jurisdiction", None),
        }
        for obj, action, changes in rows
    ]
    session.connection().execute(insert(AuditEvent), values)


def _clear(session: Session, *args: Any) -> None:
    context.clear(session)


def install(db: Any) -> None:
    """Attach the listener to every session of the app (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _clear)
        event.listen(Session, "after_rollback", _clear)
