"""Login, logout and password change."""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from registry.auth import bp, services, sessions, throttle
from registry.auth.forms import ChangePasswordForm, LoginForm
from registry.auth.models import User
from registry.extensions import db, limiter, login_manager
from registry.i18n import _

log = logging.getLogger(__name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """``user_id`` is ``User.get_id()``: a session from before the account's sessions were
    ended carries an older epoch and loads nobody."""
    ident, _sep, epoch = user_id.partition(":")
    if not (ident.isdigit() and epoch.isdigit()):
        return None
    user = db.session.get(User, int(ident))
    if user is None or (user.session_epoch or 0) != int(epoch):
        return None
    return user


def _safe_next(target: str | None) -> str:
    if (
        target
        and urlsplit(target).netloc == ""
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("main.index")


def _throttle_off() -> bool:
    return not (limiter.enabled and current_app.config["LOGIN_THROTTLE_ENABLED"])


def _ip_limit() -> str:
    return current_app.config["LOGIN_IP_LIMIT"]


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _log_ip_breach(limit: Any) -> None:
    log.warning("login attempts from %s throttled (%s)", get_remote_address(), limit.limit)


def _backoff() -> throttle.LoginBackoff:
    return throttle.LoginBackoff(
        limiter.storage, throttle.BackoffPolicy.from_config(current_app.config)
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _ip_limit,
    methods=["POST"],
    exempt_when=_throttle_off,
    deduct_when=_failed,
    on_breach=_log_ip_breach,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        backoff = None if _throttle_off() else _backoff()
        if backoff and (wait := backoff.wait(form.username.data)):
            log.warning(
                "login as %r from %s refused: %d s of delay left",
                form.username.data,
                get_remote_address(),
                wait,
            )
            raise TooManyRequests(retry_after=wait)
        try:
            user = services.authenticate(db.session, form.username.data, form.password.data)
        except services.RegistryError as exc:
            db.session.commit()  # keep the failure count
            if backoff:
                backoff.failed(form.username.data)
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        if backoff:
            backoff.succeeded(form.username.data)
        sessions.start(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.errorhandler(429)
def too_many_attempts(exc: TooManyRequests) -> Response:
    """The same answer for every throttled login, whoever the name belongs to."""
    flash(_("Too many login attempts. Wait a few minutes and try again."), "danger")
    response = current_app.make_response(
        (render_template("auth/login.html", form=LoginForm()), 429)
    )
    wait = exc.retry_after if isinstance(exc.retry_after, int) else None
    if wait is None and limiter.current_limit is not None:
        wait = max(1, math.ceil(limiter.current_limit.reset_at - throttle.now()))
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Ends the user's sessions in every browser, not only this one."""
    services.end_sessions(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(db.session, user, form.current.data, form.password.data)
        except services.RegistryError as exc:
            db.session.rollback()
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            db.session.commit()
            sessions.start(user)  # every other session has ended; this one goes on
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
