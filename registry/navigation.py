"""Navigation entries, shown by permission; later modules add theirs here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import get_locale
from flask_login import current_user

from registry.i18n import _l


@dataclass(frozen=True)
class NavItem:
    key: str
    endpoint: str
    permission: str
    label: object

    @property
    def prefix(self) -> str:
        return self.endpoint.split(".", 1)[0] + "."


NAV: tuple[NavItem, ...] = (
    NavItem("facilities", "facilities.index", "facilities.view", _l("Facilities")),
    NavItem("map", "maps.index", "facilities.view", _l("Map")),
    NavItem("planning", "planning.index", "plans.view", _l("Planning")),
    NavItem("licensing", "licensing.index", "licensing.view", _l("Licensing")),
    NavItem("investment", "investment.index", "investment.view", _l("Investment")),
    NavItem("demand", "demand.index", "demand.view", _l("Demand")),
    NavItem("referrals", "referrals.index", "referrals.view", _l("Referral directory")),
    NavItem("geography", "geography.index", "geography.view", _l("Administrative units")),
    NavItem("audit", "audit.index", "audit.view", _l("Audit log")),
    NavItem("users", "admin.users", "users.manage", _l("Users")),
)


def nav_items() -> list[dict[str, object]]:
    items = []
    for item in NAV:
        if item.endpoint not in current_app.view_functions:
            continue
        if not current_user.is_authenticated or not current_user.can(item.permission):
            continue
        items.append(
            {
                "key": item.key,
                "url": url_for(item.endpoint),
                "label": item.label,
                "prefix": item.prefix,
            }
        )
    return items


def init_app(app: Flask) -> None:
    from registry.auth.forms import ROLE_LABELS
    from registry.i18n import _

    def role_label(role: Any) -> str:
        return str(ROLE_LABELS.get(role, role))

    @app.context_processor
    def _helpers() -> dict[str, object]:
        # Province names read here, before rendering: templates run no queries.
        from registry.geography.services import province_choices

        names = dict(province_choices())

        def jurisdiction_label(code: str | None) -> str:
            return _("National") if code is None else names.get(code, code)

        return {
            "nav_items": nav_items,
            "role_label": role_label,
            "jurisdiction_label": jurisdiction_label,
            "current_locale": lambda: str(get_locale() or "vi"),
            "has_endpoint": lambda name: name in current_app.view_functions,
        }
