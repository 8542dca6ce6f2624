"""Attaches each domain's command group to ``app.cli``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from registry.auth.cli import users_cli
    from registry.backup import backup_cli
    from registry.demo import demo_cli
    from registry.facilities.cli import facilities_cli
    from registry.geography.cli import geography_cli
    from registry.investment.cli import investment_cli
    from registry.licensing.cli import licensing_cli
    from registry.planning.cli import planning_cli

    for group in (
        users_cli,
        geography_cli,
        facilities_cli,
        demo_cli,
        planning_cli,
        licensing_cli,
        investment_cli,
        backup_cli,
    ):
        app.cli.add_command(group)
