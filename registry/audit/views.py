"""The audit log page; entity pages embed ``audit/_history.html`` for their own history."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from registry.audit import bp
from registry.audit.services import recent_events
from registry.auth.decorators import requires
from registry.extensions import db
from registry.i18n import _l


@bp.route("/")
@requires("audit.view")
def index():
    events = recent_events(
        db.session,
        jurisdiction=current_user.province_code,
        national=current_user.is_national,
        entity_type=request.args.get("entity") or None,
    )
    return render_template("audit/index.html", events=events)


ACTION_LABELS = {
    "insert": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "download": _l("Downloaded"),
}


@bp.app_context_processor
def _audit_helpers() -> dict[str, object]:
    def audit_action_label(action: str) -> str:
        return str(ACTION_LABELS.get(action, action))

    return {"audit_action_label": audit_action_label}
