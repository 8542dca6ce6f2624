"""``flask demo load``: demo accounts (one per role), demo facilities and demo investment
projects from the two plans."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from registry import database
from registry.audit.context import set_actor
from registry.auth import services as auth_services
from registry.auth.models import User
from registry.auth.permissions import Role
from registry.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")

DONG_NAI = "75"
DAK_LAK = "66"

# (username, role, province, full name)
DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("admin", Role.ADMIN, None, "Quản trị hệ thống (demo)"),
    ("admin.dongnai", Role.ADMIN, DONG_NAI, "Quản trị Đồng Nai (demo)"),
    ("planner.dongnai", Role.PLANNER, DONG_NAI, "Chuyên viên quy hoạch Đồng Nai (demo)"),
    ("licensing.dongnai", Role.LICENSING_OFFICER, DONG_NAI, "Cán bộ cấp phép Đồng Nai (demo)"),
    ("investment.dongnai", Role.INVESTMENT_OFFICER, DONG_NAI, "Cán bộ đầu tư Đồng Nai (demo)"),
    ("reporter.dongnai", Role.REPORTER, DONG_NAI, "Cán bộ báo cáo Đồng Nai (demo)"),
    ("viewer.dongnai", Role.VIEWER, DONG_NAI, "Người xem Đồng Nai (demo)"),
    ("admin.daklak", Role.ADMIN, DAK_LAK, "Quản trị Đắk Lắk (demo)"),
    ("planner.daklak", Role.PLANNER, DAK_LAK, "Chuyên viên quy hoạch Đắk Lắk (demo)"),
    ("viewer.daklak", Role.VIEWER, DAK_LAK, "Người xem Đắk Lắk (demo)"),
)


def ensure_demo_users() -> list[tuple[str, str]]:
    """Create the missing demo accounts with random passwords; returns (username, password)
    of those created now. Existing accounts are left as they are."""
    created = []
    for username, role, province, full_name in DEMO_USERS:
        exists = db.session.scalar(select(User.id).where(func.lower(User.username) == username))
        if exists:
            continue
        password = secrets.token_urlsafe(9)
        auth_services.create_user(
            db.session,
            username=username,
            password=password,
            role=role,
            province_code=province,
            full_name=full_name,
        )
        created.append((username, password))
    return created


@demo_cli.command("load")
def load() -> None:
    """Create demo users and demo facilities (idempotent)."""
    set_actor(db.session, "demo")
    created = ensure_demo_users()
    _load_demo_facilities()
    _load_demo_projects()
    database.analyze(db.session)  # commits; the planner then knows the tables are not empty
    if created:
        path = Path(current_app.instance_path) / "demo_logins.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{u}\t{p}" for u, p in created]
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        click.echo("Demo accounts created (shown once; also appended to instance/demo_logins.txt):")
        for line in lines:
            click.echo("  " + line)
    else:
        click.echo("Demo accounts already exist (passwords in instance/demo_logins.txt).")


def _load_demo_facilities() -> None:
    from registry.facilities.demo import DEMO_FACILITIES, load_demo_facilities

    created = load_demo_facilities(db.session)
    click.echo(f"Demo facilities: {created} created, {len(DEMO_FACILITIES) - created} present.")


def _load_demo_projects() -> None:
    from registry.investment.demo import DEMO_PROJECTS, load_demo_projects

    # The national demo administrator records them (audited as that account).
    actor = db.session.scalar(select(User).where(func.lower(User.username) == "admin"))
    if actor is None:
        click.echo("Demo investment projects skipped: no demo account 'admin'.")
        return
    created = load_demo_projects(db.session, actor)
    click.echo(
        f"Demo investment projects: {created} created, {len(DEMO_PROJECTS) - created} present."
    )
