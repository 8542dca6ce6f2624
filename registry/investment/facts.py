"""Plain facts about investment projects for the plan checks (``registry.planning``).

Planning reads projects only through this module, never through ``investment.models``.
Cancelled projects are left out: they build nothing. ``physical_pct`` and ``progress_as_of``
come from the latest progress report (by ``as_of``, then id); ``progress`` holds them all, so
a check as of a past date reads the progress of that date.

``accepted_on`` is the date of acceptance and handover. The services date it when a project
reaches stage handover; a project that went straight to final settlement (the workflow lets a
project skip a stage) is dated by the stage change that brought it into an accepted stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.investment.models import Project
from registry.investment.workflow import ACCEPTED, Stage


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
    #: Every progress report as (as of, physical %), oldest first.
    progress: tuple[tuple[date, int], ...] = ()
    #: The project's record (a link from a plan check's evidence to its page).
    id: int | None = None


def _accepted_on(project: Project) -> date | None:
    if project.accepted_on is not None or project.stage not in ACCEPTED:
        return project.accepted_on
    entered = [
        c.occurred_on
        for c in project.stage_changes
        if c.to_stage in ACCEPTED and c.from_stage not in ACCEPTED
    ]
    return max(entered, default=None)


def project_facts(session: Session, province_codes: Iterable[str] | None) -> list[ProjectFact]:
    """Facts for the projects of ``province_codes`` (None: every province), cancelled excluded."""
    stmt = (
        select(Project)
        .where(Project.stage != Stage.CANCELLED)
        .options(
            selectinload(Project.progress_reports),
            selectinload(Project.targets),
            selectinload(Project.stage_changes),
        )
        .order_by(Project.code)
    )
    if province_codes is not None:
        stmt = stmt.where(Project.province_code.in_(list(province_codes)))
    out: list[ProjectFact] = []
    for p in session.scalars(stmt):
        reports = sorted(p.progress_reports, key=lambda r: (r.as_of, r.id))
        latest = reports[-1] if reports else None
        out.append(
            ProjectFact(
                code=p.code,
                name=p.name,
                kind=str(p.kind.value),
                stage=str(p.stage.value),
                province_code=p.province_code,
                facility_id=p.facility_id,
                accepted_on=_accepted_on(p),
                physical_pct=None if latest is None else latest.physical_pct,
                progress_as_of=None if latest is None else latest.as_of,
                capacity_after=p.capacity_after,
                targets=tuple((t.plan_code, t.rule_code) for t in p.targets),
                progress=tuple((r.as_of, r.physical_pct) for r in reports),
                id=p.id,
            )
        )
    return out
