"""Plain facts about investment projects for the plan checks (``registry.planning``).

Planning reads projects only through this module, never through ``investment.models``.
Cancelled projects are left out: they build nothing. ``physical_pct`` and ``progress_as_of``
come from the latest progress report (by ``as_of``, then id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.investment.models import Project
from registry.investment.workflow import Stage


@dataclass(frozen=True, slots=True)
class ProjectFact:
    """What a plan check needs to know about one project (kind and stage are enum values)."""

    code: str
    name: str
    kind: str
    stage: str
    province_code: str
    facility_id: int | None
    accepted_on: date | None
    physical_pct: int | None
    progress_as_of: date | None
    capacity_after: int | None
    targets: tuple[tuple[str, str], ...] = ()


def project_facts(session: Session, province_codes: Iterable[str] | None) -> list[ProjectFact]:
    """Facts for the projects of ``province_codes`` (None: every province), cancelled excluded."""
    stmt = (
        select(Project)
        .where(Project.stage != Stage.CANCELLED)
        .options(selectinload(Project.progress_reports), selectinload(Project.targets))
        .order_by(Project.code)
    )
    if province_codes is not None:
        stmt = stmt.where(Project.province_code.in_(list(province_codes)))
    out: list[ProjectFact] = []
    for p in session.scalars(stmt):
        latest = max(p.progress_reports, key=lambda r: (r.as_of, r.id), default=None)
        out.append(
            ProjectFact(
                code=p.code,
                name=p.name,
                kind=str(p.kind.value),
                stage=str(p.stage.value),
                province_code=p.province_code,
                facility_id=p.facility_id,
                accepted_on=p.accepted_on,
                physical_pct=None if latest is None else latest.physical_pct,
                progress_as_of=None if latest is None else latest.as_of,
                capacity_after=p.capacity_after,
                targets=tuple((t.plan_code, t.rule_code) for t in p.targets),
            )
        )
    return out
