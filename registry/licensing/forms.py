"""Licensing forms. Dossier files come from ``request.files`` as ``doc_<document code>``."""

from __future__ import annotations

from wtforms import (
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.forms import (
    COUNT_MAX,
    WHOLE_NUMBER,
    Form,
    VNDateField,
    choices,
    in_range,
    version_check,
)
from registry.i18n import _l


class ApplyForm(Form):
    organisation = StringField(_l("Organisation or applicant"), [DataRequired(), Length(max=255)])
    representative = StringField(_l("Legal representative"), [DataRequired(), Length(max=255)])
    email = EmailField(_l("E-mail"), [Optional(), Length(max=255)])
    phone = StringField(_l("Phone"), [Optional(), Length(max=50)])
    address = StringField(_l("Applicant's address"), [Optional(), Length(max=500)])
    facility_code = StringField(
        _l("Registry code of an existing facility"), [Optional(), Length(max=32)]
    )
    facility_name = StringField(_l("New facility: name"), [Optional(), Length(max=255)])
    type_code = SelectField(_l("New facility: type"), choices=[], validate_choice=False)
    province_code = SelectField(_l("New facility: province"), choices=[], validate_choice=False)
    lat = FloatField(_l("Latitude"), [Optional(), in_range(-90, 90)])
    lon = FloatField(_l("Longitude"), [Optional(), in_range(-180, 180)])
    facility_address = StringField(_l("New facility: address"), [Optional(), Length(max=500)])
    design_capacity = IntegerField(
        _l("Design capacity"),
        [Optional(), NumberRange(0, COUNT_MAX)],
        render_kw={"inputmode": "numeric"},
    )


class CounterForm(ApplyForm):
    received_on = VNDateField(_l("Received on"), [Optional()])


class TransitionForm(Form):
    target = SelectField(_l("Next step"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason"), [Optional(), Length(max=4000)])
    version = HiddenField(validators=[version_check()])


class SupplementForm(Form):
    reason = TextAreaField(_l("What is missing"), [DataRequired(), Length(max=4000)])
    version = HiddenField(validators=[version_check()])


class AssignForm(Form):
    officer = SelectField(_l("Officer"), choices=[], validate_choice=False)


class DocumentForm(Form):
    status = SelectField(
        _l("Document"),
        choices=choices(
            [
                ("provided", _l("Provided")),
                ("missing", _l("Missing")),
                ("rejected", _l("Rejected")),
            ]
        ),
    )
    reason = StringField(_l("Reason"), [Optional(), Length(max=2000)])


class ScheduleInspectionForm(Form):
    scheduled_on = VNDateField(_l("Inspection date"), [DataRequired()])
    team = TextAreaField(_l("Inspection team"), [DataRequired(), Length(max=2000)])


class InspectionForm(Form):
    inspected_on = VNDateField(_l("Inspected on"), [DataRequired()])
    findings = TextAreaField(_l("Findings"), [Optional(), Length(max=8000)])


class ApproveForm(Form):
    capacity = IntegerField(
        _l("Licensed capacity"),
        [Optional(), NumberRange(0, COUNT_MAX, message=WHOLE_NUMBER)],
    )
    services = TextAreaField(_l("Licensed services"), [Optional(), Length(max=4000)])
    conditions = TextAreaField(
        _l("Conditions (one a line: text | dd/mm/yyyy)"), [Optional(), Length(max=8000)]
    )
    version = HiddenField(validators=[version_check()])


class RefuseForm(Form):
    reason = TextAreaField(_l("Written reason for the refusal"), [DataRequired(), Length(max=4000)])
    version = HiddenField(validators=[version_check()])


class UploadForm(Form):
    """CSRF only: the files come from ``request.files``."""


class SuspendForm(Form):
    start = VNDateField(_l("Suspended from"), [DataRequired()])
    until = VNDateField(_l("Suspended until (at most six months)"), [DataRequired()])
    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=4000)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=4000)])
