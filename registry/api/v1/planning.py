"""``/api/v1/plans``, ``/api/v1/plan-checks`` and ``/api/v1/scenarios``: the master plans, a
check of the registry (or a scenario) against them, and the scenarios, for every role that
may read plans (plans.view), within the caller's jurisdiction.

A check is run on demand, as the planning page runs it; its report is the page's JSON
download (``planning.reports.report_dict``). GET reads a report for query parameters, POST
runs one for a JSON body (both read only)."""

from __future__ import annotations

from datetime import date
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
from registry.extensions import db
from registry.facilities.read import Reader
from registry.i18n import _
from registry.planning import reports
from registry.planning import services as planning

blp = api_blueprint(
    "api_planning",
    __name__,
    description="Master plans, plan checks and planning scenarios.",
)

ScenarioList = page_schema("ScenarioList", schemas.ScenarioSummary)
PlanList = page_schema("PlanList", schemas.PlanSchema)


def _plan_json(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "title_vi": row.title_vi,
        "title_en": row.title_en,
        "document": row.document,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "rules": len(row.rules),
    }


@blp.route("/plans")
@blp.arguments(schemas.PageArgsSchema, location="query", as_kwargs=False)
@blp.response(200, PlanList, headers=LINK_HEADER)
@needs("plans.view")
def list_plans(args: dict[str, Any]):
    """The master plans the registry checks against."""
    rows = planning.all_plans(db.session)
    req = PageRequest.of(args)
    body = paged([_plan_json(r) for r in sliced(rows, req)], len(rows), req)
    return body, 200, link_header(body)


@blp.route("/plans/<code>")
@blp.response(200, schemas.PlanSchema)
@needs("plans.view")
def get_plan(code: str):
    row = planning.plan_by_code(db.session, code) if len(code) <= 64 else None
    if row is None:
        raise not_found(_("No such plan."))
    return _plan_json(row)


def _scenario(user: Any, scenario_id: int | None) -> Any:
    """A scenario of the caller's jurisdiction; others read as not found."""
    if scenario_id is None:
        return None
    for scenario in planning.visible_scenarios(db.session, user):
        if scenario.id == scenario_id:
            return scenario
    raise not_found(_("No such scenario."))


def _run(user: Any, plans: list[str] | None, as_of: date | None, scenario_id: int | None):
    scenario = _scenario(user, scenario_id)
    try:
        run = planning.run_check(
            db.session,
            Reader.of(user),
            plans or None,
            as_of=as_of,
            jurisdiction=user.province_code,
            scenario=scenario,
        )
    except planning.PlanningError as exc:
        raise not_found(exc.message) from None
    return reports.report_dict(run)


@blp.route("/plan-checks")
@blp.arguments(schemas.CheckQuery, location="query", as_kwargs=False)
@blp.response(200, schemas.CheckReportSchema)
@needs("plans.view")
def read_check(args: dict[str, Any]):
    """The report of checking the registry (or a scenario) against the plans on a date."""
    user = caller()
    return _run(user, args.get("plan"), args.get("as_of"), args.get("scenario"))


@blp.route("/plan-checks", methods=["POST"])
@blp.arguments(schemas.CheckRequest)
@blp.response(200, schemas.CheckReportSchema)
@needs("plans.view")
def run_check(body: dict[str, Any]):
    """Run a check from a JSON body (a POST, so it needs an API token); nothing is stored."""
    user = caller()
    return _run(user, body.get("plans"), body.get("as_of"), body.get("scenario_id"))


def _status(scenario: Any) -> str:
    return "adopted" if scenario.adopted_at is not None else "open"


@blp.route("/scenarios")
@blp.arguments(schemas.PageArgsSchema, location="query", as_kwargs=False)
@blp.response(200, ScenarioList, headers=LINK_HEADER)
@needs("plans.view")
def list_scenarios(args: dict[str, Any]):
    """The scenarios of the caller's jurisdiction, newest first."""
    user = caller()
    rows = planning.visible_scenarios(db.session, user)
    req = PageRequest.of(args)
    items = [
        {
            "id": s.id,
            "name": s.name,
            "province_code": s.province_code,
            "target_year": s.target_year,
            "status": _status(s),
            "items": len(s.items),
        }
        for s in sliced(rows, req)
    ]
    body = paged(items, len(rows), req)
    return body, 200, link_header(body)


@blp.route("/scenarios/<int:scenario_id>")
@blp.response(200, schemas.ScenarioSchema)
@needs("plans.view")
def get_scenario(scenario_id: int):
    """A scenario and its items, each shown where the caller may see it (a confidential
    proposal at its commune's point for a caller who may not see exact locations)."""
    user = caller()
    scenario = _scenario(user, scenario_id)
    views = planning.item_views(db.session, Reader.of(user), scenario)
    items = []
    for item in scenario.items:
        view = views[item.id]
        items.append(
            {
                "id": item.id,
                "action": item.action.value,
                "name": item.name,
                "type_code": item.type_code,
                "facility_id": view.facility.id if view.facility is not None else None,
                "lon": view.lon,
                "lat": view.lat,
                "generalised": view.generalised,
            }
        )
    return {
        "id": scenario.id,
        "name": scenario.name,
        "province_code": scenario.province_code,
        "target_year": scenario.target_year,
        "notes": scenario.notes,
        "status": _status(scenario),
        "created_at": scenario.created_at.isoformat() if scenario.created_at else None,
        "items": items,
    }
