"""``/api/v1/projects``: investment projects, read only, for every signed-in role
(investment.view) within the caller's jurisdiction, with their money, progress and flags as
the portfolio page computes them (``investment.services``)."""

from __future__ import annotations

from typing import Any

from registry.api.v1 import schemas
from registry.api.v1.common import (
    LINK_HEADER,
    PageRequest,
    api_blueprint,
    caller,
    link_header,
    needs,
    not_found,
    page_schema,
    paged,
    sliced,
)
from registry.errors import NotFound
from registry.extensions import db
from registry.i18n import _
from registry.investment import services as investment
from registry.investment.models import Kind
from registry.investment.workflow import Stage

blp = api_blueprint(
    "api_investment",
    __name__,
    description="Public investment projects for facilities: stages, money, progress, flags.",
)

ProjectList = page_schema("ProjectList", schemas.ProjectSchema)


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _flag_json(flag: Any) -> dict[str, Any]:
    return {
        "code": flag.code,
        "severity": flag.severity,
        "message_vi": flag.message_vi,
        "message_en": flag.message_en,
    }


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "kind": row.kind.value,
        "stage": row.stage.value,
        "province_code": row.province_code,
        "facility_id": row.facility_id if row.facility_name is not None else None,
        "facility_name": row.facility_name,
        "approved_total_vnd": row.approved_total,
        "allocated_vnd": row.allocated,
        "disbursed_vnd": row.disbursed,
        "physical_pct": row.physical_pct,
        "progress_as_of": _day(row.progress_as_of),
        "flags": [_flag_json(f) for f in row.flags],
    }


@blp.route("/projects")
@blp.arguments(schemas.ProjectQuery, location="query", as_kwargs=False)
@blp.response(200, ProjectList, headers=LINK_HEADER)
@needs("investment.view")
def list_projects(args: dict[str, Any]):
    """Projects of the caller's jurisdiction by code; ``stage`` and ``kind`` narrow them
    (an unknown value matches nothing)."""
    user = caller()
    stage, kind = args.get("stage"), args.get("kind")
    if (stage and stage not in Stage._value2member_map_) or (
        kind and kind not in Kind._value2member_map_
    ):
        rows = []
    else:
        rows = investment.portfolio(
            db.session,
            user,
            stage=Stage(stage) if stage else None,
            kind=Kind(kind) if kind else None,
        ).rows
    req = PageRequest.of(args)
    body = paged([_row_json(r) for r in sliced(rows, req)], len(rows), req)
    return body, 200, link_header(body)


@blp.route("/projects/<int:project_id>")
@blp.response(200, schemas.ProjectDetailSchema)
@needs("investment.view")
def get_project(project_id: int):
    user = caller()
    try:
        project = investment.get_project(db.session, project_id, user)
    except NotFound:
        raise not_found(_("No such project.")) from None
    facility = investment.facility_of(db.session, project, user)
    money = investment.money_summary(project)
    progress = investment.latest_progress(project)
    return {
        "id": project.id,
        "code": project.code,
        "name": project.name,
        "kind": project.kind.value,
        "stage": project.stage.value,
        "province_code": project.province_code,
        "facility_id": facility.id if facility is not None else None,
        "facility_name": facility.name if facility is not None else None,
        "approved_total_vnd": money.approved_total,
        "allocated_vnd": money.allocated_total,
        "disbursed_vnd": money.disbursed_total,
        "physical_pct": progress.physical_pct if progress is not None else None,
        "progress_as_of": _day(progress.as_of) if progress is not None else None,
        "flags": [_flag_json(f) for f in investment.flags(project)],
        "owner": project.owner,
        "description": project.description,
        "capacity_before": project.capacity_before,
        "capacity_after": project.capacity_after,
        "level_after": project.level_after,
        "planned_start": _day(project.planned_start),
        "planned_end": _day(project.planned_end),
        "accepted_on": _day(project.accepted_on),
        "settled_vnd": project.settled_vnd,
        "settled_on": _day(project.settled_on),
        "version": project.version,
    }
