"""Reading the audit trail."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent


def history_stmt(entity_type: str, entity_id: str | int) -> Select:
    """Events of one entity, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def history_for(session: Session, entity_type: str, entity_id: str | int) -> list[AuditEvent]:
    return list(session.scalars(history_stmt(entity_type, entity_id)))


def recent_events(
    session: Session,
    *,
    jurisdiction: str | None,
    national: bool,
    limit: int = 200,
    entity_type: str | None = None,
) -> list[AuditEvent]:
    """Latest events a user may read: national users all, provincial ones their province's."""
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if not national:
        stmt = stmt.where(AuditEvent.jurisdiction == jurisdiction)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    return list(session.scalars(stmt.limit(limit)))
