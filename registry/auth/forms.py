"""Login, password and user-management forms."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from registry.auth.permissions import Role
from registry.forms import Form, choices
from registry.i18n import _l

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.PLANNER: _l("Planner"),
    Role.LICENSING_OFFICER: _l("Licensing officer"),
    Role.INVESTMENT_OFFICER: _l("Investment officer"),
    Role.REPORTER: _l("Reporter"),
    Role.VIEWER: _l("Viewer"),
}


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class UserForm(Form):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, . _ - only.")),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=choices((r.value, label) for r, label in ROLE_LABELS.items())
    )
    province_code = SelectField(_l("Jurisdiction"), choices=[])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=10)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
