"""Login sessions: start one, end it after an idle period or when the account's sessions
were ended elsewhere.

Every session carries the account's ``session_epoch`` in its Flask-Login id (``User.get_id``)
and the time of its last request. Bumping the epoch (``services.end_sessions``) ends every
session of the account at its next request, in any browser; the idle check ends one session.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from registry.auth.models import User
from registry.i18n import _

LAST_SEEN_KEY = "last_seen"
# Files and probes neither need a live session nor refresh one.
_PASSIVE_ENDPOINTS = frozenset(
    {
        "static",
        "bootstrap.static",
        "main.vendor",
        "main.healthz",
        "main.livez",
        "main.readyz",
        "main.metrics",
    }
)


def now() -> float:
    return time.time()


def start(user: User) -> None:
    """Log ``user`` in on this browser, with the account's current epoch."""
    login_user(user)
    session[LAST_SEEN_KEY] = int(now())


def is_idle(last_seen: float | None, at: float, idle_minutes: float | None) -> bool:
    """True when more than ``idle_minutes`` passed since ``last_seen``; None never expires."""
    if idle_minutes is None or last_seen is None:
        return False
    return at - last_seen > idle_minutes * 60


def check_session() -> Response | None:
    """``before_request``: end an idle or revoked session and send the browser to the login
    page; otherwise note this request as the session's last activity."""
    if "_user_id" not in session or request.endpoint in _PASSIVE_ENDPOINTS:
        return None
    at = now()
    if is_idle(session.get(LAST_SEEN_KEY), at, current_app.config["SESSION_IDLE_MINUTES"]):
        message = _("Your session has expired after a period of inactivity. Please log in again.")
    elif not current_user.is_authenticated:
        message = _("Your session has ended. Please log in again.")
    else:
        session[LAST_SEEN_KEY] = int(at)
        return None
    logout_user()
    session.pop(LAST_SEEN_KEY, None)
    flash(message, "warning")
    if request.endpoint == "auth.login":
        return None  # the login page itself goes on, now anonymous
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def init_app(app: Flask) -> None:
    app.before_request(check_session)
