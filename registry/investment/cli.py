"""``flask investment oc4ids --out FILE [--province CODE]``: the OC4IDS project package of the
portfolio, for publication. No user: facilities are read as by the public (``ANONYMOUS``), so
a confidential facility's location is generalised."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from registry.extensions import db

investment_cli = AppGroup("investment", help="Investment projects.")


@investment_cli.command("oc4ids")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON package to this file.",
)
@click.option("--province", help="Only this province's projects (current GSO code, e.g. 75).")
@click.option("--uri", help="The package's URI (default: a URN naming the registry and date).")
def oc4ids_command(out: Path, province: str | None, uri: str | None) -> None:
    """Write the OC4IDS 0.9.4 project package of the portfolio to OUT."""
    from registry import clock
    from registry.facilities.read import ANONYMOUS
    from registry.investment import oc4ids
    from registry.investment.models import Project

    stmt = select(Project).order_by(Project.code)
    if province:
        stmt = stmt.where(Project.province_code == province)
    projects = list(db.session.scalars(oc4ids.with_children(stmt)).unique())
    if not projects:
        raise click.ClickException("No projects to export (OC4IDS needs at least one).")
    now = clock.now()
    package = oc4ids.package_for(
        db.session,
        projects,
        ANONYMOUS,
        uri=uri or f"urn:registry:investment:oc4ids:{province or 'vn'}:{now:%Y%m%dT%H%M%S}",
        publisher=current_app.config.get("INVESTMENT_OC4IDS_PUBLISHER", oc4ids.PUBLISHER),
        prefix=current_app.config.get("INVESTMENT_OC4IDS_PREFIX", oc4ids.DEFAULT_PREFIX),
        now=now,
    )
    db.session.rollback()  # read only
    out.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"{len(projects)} projects written to {out}.")
