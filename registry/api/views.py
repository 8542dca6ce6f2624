"""The signed-in user's API tokens: make one (its secret shown once), see them, revoke one.
Every change is in the audit log (``ApiToken`` is audited)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from registry import clock
from registry.api import tokens
from registry.api.forms import NewTokenForm
from registry.errors import NotFound, RegistryError
from registry.extensions import db
from registry.forms import Form
from registry.i18n import _
from registry.models import utcnow

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

DEFAULT_LIFETIME_DAYS = 90


def _page(form: NewTokenForm, *, secret: str | None = None):
    rows = tokens.tokens_of(db.session, current_user)
    now = utcnow()
    states = {t.id: tokens.token_state(t, now) for t in rows}
    response = make_response(
        render_template(
            "api/tokens.html",
            form=form,
            revoke_form=Form(),
            tokens=rows,
            states=states,
            secret=secret,
            latest_on=tokens.latest_expiry_on(clock.today()),
        ),
    )
    # The page may hold a secret shown once: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = NewTokenForm()
    if not form.is_submitted():
        form.expires_on.data = clock.today() + timedelta(days=DEFAULT_LIFETIME_DAYS)
    if form.validate_on_submit():
        try:
            issued = tokens.create_token(
                db.session,
                current_user,
                name=form.name.data,
                expires_on=form.expires_on.data,
                today=clock.today(),
            )
        except RegistryError as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "", None)
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "danger")
            return _page(form)
        db.session.commit()
        flash(_("Token %(name)s created.", name=issued.token.name), "success")
        return _page(NewTokenForm(formdata=None), secret=issued.secret)
    return _page(form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    form = Form()
    if not form.validate_on_submit():
        flash(_("The form is out of date: reload the page and try again."), "danger")
        return redirect(url_for("api_tokens.index"))
    try:
        token = tokens.token_of(db.session, current_user, token_id)
    except NotFound:
        flash(_("No such token."), "warning")
        return redirect(url_for("api_tokens.index"))
    tokens.revoke_token(db.session, token)
    db.session.commit()
    flash(_("Token %(name)s revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
