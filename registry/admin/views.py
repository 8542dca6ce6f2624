"""Admins manage the users of their jurisdiction."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from registry.admin import bp
from registry.audit import services as audit
from registry.auth import services, sessions
from registry.auth.decorators import requires
from registry.auth.forms import ROLE_LABELS, UserForm
from registry.auth.models import User
from registry.extensions import db
from registry.forms import choices
from registry.geography.services import province_choices
from registry.i18n import _


def _jurisdiction_choices() -> list:
    provinces = province_choices()
    if current_user.is_national:
        return choices([("", _("National")), *provinces])
    return choices((code, name) for code, name in provinces if code == current_user.province_code)


@bp.route("/users")
@requires("users.manage")
def users():
    rows = db.session.scalars(services.users_visible_to(current_user)).all()
    names = dict(province_choices())
    return render_template(
        "admin/users.html", users=rows, role_labels=ROLE_LABELS, province_names=names
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage")
def new_user():
    form = UserForm()
    form.province_code.choices = _jurisdiction_choices()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("A new user needs a password."))
        else:
            try:
                if not current_user.covers(form.province_code.data or None):
                    abort(403)
                services.create_user(
                    db.session,
                    username=form.username.data,
                    password=form.password.data,
                    role=form.role.data,
                    province_code=form.province_code.data or None,
                    full_name=form.full_name.data or "",
                    email=form.email.data,
                )
            except services.RegistryError as exc:
                db.session.rollback()
                getattr(form, exc.field or "username").errors.append(exc.message)
            else:
                db.session.commit()
                flash(_("User created."), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("users.manage")
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if not current_user.covers(user.province_code):
        abort(404)  # do not reveal users of other provinces
    form = UserForm(obj=user)
    form.province_code.choices = _jurisdiction_choices()
    if form.is_submitted() is False:
        form.province_code.data = user.province_code or ""
        form.role.data = user.role.value
    form.username.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session,
                current_user,
                user,
                role=form.role.data,
                province_code=form.province_code.data or None,
                full_name=form.full_name.data or "",
                email=form.email.data,
                active=form.active.data,
            )
            if form.password.data:
                services.set_password(db.session, user, form.password.data)
        except services.RegistryError as exc:
            db.session.rollback()
            getattr(form, exc.field or "role").errors.append(exc.message)
        else:
            db.session.commit()
            if user.id == current_user.id:
                sessions.start(user)  # an admin editing themselves keeps this session
            flash(_("User saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        history=audit.history_for(db.session, "users", user.id),
    )
