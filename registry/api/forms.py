"""The token page's form."""

from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from registry.api.tokens import NAME_MAX_LENGTH
from registry.forms import Form, VNDateField
from registry.i18n import _l


class NewTokenForm(Form):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)],
        description=_l("What the token is for, e.g. the system that will use it."),
    )
    expires_on = VNDateField(
        _l("Valid until"),
        validators=[DataRequired()],
        description=_l("At most one year from today."),
    )
    submit = SubmitField(_l("Create token"))
