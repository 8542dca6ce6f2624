"""``flask geography load``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registry import database
from registry.extensions import db

geography_cli = AppGroup("geography", help="Administrative units and boundaries.")


@geography_cli.command("load")
@click.option("--data-dir", default=None, help="Boundary files folder (default: data/boundaries)")
def load(data_dir: str | None) -> None:
    """Load (or refresh) pre-2025 and current administrative units; idempotent, one transaction."""
    from registry.geography.loader import DEFAULT_DATA_DIR, load_all

    counts = load_all(db.session, data_dir or DEFAULT_DATA_DIR)
    database.analyze(db.session)
    for key, value in counts.items():
        click.echo(f"{key}: {value}")
