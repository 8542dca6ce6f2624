"""Queries over administrative units."""

from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.geography.models import AdminUnit, Edition, Level


def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the current provinces, for jurisdiction and filter selects."""
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.name)
        .where(AdminUnit.edition == Edition.CURRENT, AdminUnit.level == Level.PROVINCE)
        .order_by(AdminUnit.name)
    ).all()
    return [(code, name) for code, name in rows]
