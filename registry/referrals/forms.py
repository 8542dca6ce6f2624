"""Forms of the referral pages."""

from __future__ import annotations

from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import Length, Optional

from registry.forms import Form
from registry.i18n import _l
from registry.referrals.models import SYSTEM_LABELS, ExternalSystem


class ProfileForm(Form):
    hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    contact = StringField(
        _l("Contact for operators (not public)"), validators=[Optional(), Length(max=255)]
    )
    takes_emergency = BooleanField(_l("Takes emergency cases"))
    accepts_111 = BooleanField(_l("Takes referrals from the 111 hotline"))
    listed_publicly = BooleanField(_l("Listed in the public directory"), default=True)
    submit = SubmitField(_l("Save"))


class LinksForm(Form):
    submit = SubmitField(_l("Save identifiers"))


for _system in ExternalSystem:
    setattr(
        LinksForm,
        _system.value,
        StringField(SYSTEM_LABELS[_system], validators=[Optional(), Length(max=100)]),
    )
