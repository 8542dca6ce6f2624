"""``flask users create|set-role|disable|list``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from registry.audit.context import set_actor
from registry.auth import services
from registry.auth.models import User
from registry.auth.permissions import Role
from registry.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


def _get(username: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--province", "province_code", default=None, help="Province code; omit for national")
@click.option("--full-name", default="")
@click.password_option()
def create(
    username: str, role: str, province_code: str | None, full_name: str, password: str
) -> None:
    """Create a user."""
    set_actor(db.session, "cli")
    try:
        services.create_user(
            db.session,
            username=username,
            password=password,
            role=role,
            province_code=province_code,
            full_name=full_name,
        )
    except services.RegistryError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"created {username} ({role}, {province_code or 'national'})")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role(username: str, role: str) -> None:
    """Change a user's role."""
    set_actor(db.session, "cli")
    user = _get(username)
    user.role = Role(role)
    services.end_sessions(db.session, user)
    db.session.commit()
    click.echo(f"{username} is now {role}")


@users_cli.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user (they can no longer log in)."""
    set_actor(db.session, "cli")
    user = _get(username)
    user.active = False
    services.end_sessions(db.session, user)
    db.session.commit()
    click.echo(f"{username} disabled")


@users_cli.command("list")
def list_users() -> None:
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "disabled"
        scope = user.province_code or "national"
        click.echo(f"{user.username}\t{user.role.value}\t{scope}\t{state}")
