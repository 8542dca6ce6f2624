"""``flask facilities load-types``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registry.audit.context import set_actor
from registry.extensions import db
from registry.facilities import services

facilities_cli = AppGroup("facilities", help="Facility registry.")


@facilities_cli.command("load-types")
def load_types() -> None:
    """Load or refresh the facility types (idempotent)."""
    set_actor(db.session, "cli")
    count = services.load_types(db.session)
    db.session.commit()
    click.echo(f"facility types: {count}")
