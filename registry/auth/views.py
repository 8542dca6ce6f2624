"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from registry.auth import services
from registry.auth.forms import ChangePasswordForm, LoginForm
from registry.auth.models import User
from registry.extensions import db, login_manager
from registry.i18n import _

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, form.username.data, form.password.data,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except services.RegistryError as exc:
            db.session.commit()  # keep the failure count and any lock
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current.data,
                                     form.password.data)
        except services.RegistryError as exc:
            db.session.rollback()
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
