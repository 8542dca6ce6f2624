"""``flask planning load`` and ``flask planning check``."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from registry.audit.context import set_actor
from registry.extensions import db
from registry.facilities.read import SYSTEM
from registry.labels import RESULT_LABELS
from registry.planning import reports, services
from registry.planning.models import Scenario
from registry.planning.rules import Status

planning_cli = AppGroup("planning", help="Master plans, checks and scenarios.")


@planning_cli.command("load")
def load() -> None:
    """Load or refresh the plan files into the database (idempotent; entered targets kept)."""
    set_actor(db.session, "cli")
    counts = services.load_plans(db.session)
    db.session.commit()
    for key, value in counts.items():
        click.echo(f"{key}: {value}")


def _date(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise click.BadParameter("use dd/mm/yyyy") from None


@planning_cli.command("check")
@click.option("--plan", "plan_codes", multiple=True, help="Plan code (repeatable; default all)")
@click.option("--scenario", "scenario_id", type=int, default=None, help="Scenario id")
@click.option("--province", default=None, help="Current province code (default: national)")
@click.option(
    "--as-of",
    "as_of",
    callback=_date,
    default=None,
    help="dd/mm/yyyy (default: today; an ended plan, the last day of its period)",
)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
def check(
    plan_codes: tuple[str, ...], scenario_id: int | None, province: str | None, as_of, fmt: str
) -> None:
    """Check plans against the registry (or a scenario); prints the report."""
    scenario = None
    if scenario_id is not None:
        scenario = db.session.get(Scenario, scenario_id)
        if scenario is None:
            raise click.ClickException(f"no scenario {scenario_id}")
    try:
        run = services.run_check(
            db.session,
            SYSTEM,
            list(plan_codes) or None,
            as_of=as_of,
            jurisdiction=province,
            scenario=scenario,
        )
    except services.PlanningError as exc:
        raise click.ClickException(exc.message) from None
    if fmt == "json":
        click.echo(reports.report_json(run))
        return
    for row, report in run.reports:
        counts = ", ".join(f"{RESULT_LABELS[s.value]}: {report.counts[s]}" for s in Status)
        click.echo(f"{row.code} ({report.as_of:%d/%m/%Y}): {counts}")
        for text in reports.plan_lines(run.info(row.code)):
            click.echo(f"  {text}")
        for r in report.results:
            click.echo(f"  [{RESULT_LABELS[r.status.value]}] {r.rule_code}: {r.message_vi}")
