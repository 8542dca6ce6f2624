"""Investment forms. Amounts are whole đồng typed with or without the dot separators
(1.234.567.890); dates are dd/mm/yyyy."""

from __future__ import annotations

import re

from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.forms import COUNT_MAX, Form, VNDateField, in_range, version_check
from registry.i18n import _l

# The largest amount a BIGINT holds, well beyond any project (9,2 × 10^18 đồng).
VND_MAX = 9_000_000_000_000_000_000
_VND = re.compile(r"^[0-9]{1,3}([. ]?[0-9]{3})*$|^[0-9]+$")


class VNDField(StringField):
    """A whole amount of đồng: "1.234.567", "1 234 567" or "1234567"; never a float."""

    data: int | None

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return f"{self.data:,}".replace(",", ".") if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip().removesuffix("₫").strip()
        if not text:
            self.data = None
            return
        if not _VND.match(text):
            self.data = None
            raise ValueError(str(_l("Enter a whole amount of đồng, e.g. 1.234.567.")))
        value = int(text.replace(".", "").replace(" ", ""))
        if value > VND_MAX:
            self.data = None
            raise ValueError(str(_l("The amount is too large.")))
        self.data = value


def _year_field(label: object) -> IntegerField:
    return IntegerField(label, [DataRequired(), in_range(2000, 2100)])


class ProjectForm(Form):
    version = HiddenField(validators=[Optional(), version_check()])
    code = StringField(_l("Project code"), [DataRequired(), Length(max=32)])
    name = StringField(_l("Project name"), [DataRequired(), Length(max=255)])
    kind = SelectField(_l("Kind of project"), choices=[], validate_choice=True)
    province_code = SelectField(_l("Province"), choices=[], validate_choice=True)
    facility_code = StringField(_l("Registry code of the facility"), [Optional(), Length(max=32)])
    owner = StringField(_l("Project owner"), [DataRequired(), Length(max=255)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=5000)])
    capacity_before = IntegerField(
        _l("Design capacity before"), [Optional(), NumberRange(0, COUNT_MAX)]
    )
    capacity_after = IntegerField(
        _l("Design capacity after"), [Optional(), NumberRange(0, COUNT_MAX)]
    )
    # Checked by the service (an unknown level is a field error there).
    level_after = SelectField(_l("Facility level after"), choices=[], validate_choice=False)
    planned_start = VNDateField(_l("Planned start"), [Optional()])
    planned_end = VNDateField(_l("Planned end"), [Optional()])
    targets = StringField(
        _l("Plan targets served (plan:rule, comma separated)"), [Optional(), Length(max=1000)]
    )
    reason = StringField(_l("Reason for the change"), [Optional(), Length(max=1000)])


class DecisionForm(Form):
    kind = SelectField(_l("Decision"), choices=[], validate_choice=True)
    number = StringField(_l("Decision number"), [DataRequired(), Length(max=64)])
    signed_on = VNDateField(_l("Signed on"), [DataRequired()])
    authority = StringField(_l("Issuing authority"), [DataRequired(), Length(max=255)])
    total_vnd = VNDField(_l("Total investment (đồng)"), [Optional()])
    reason = TextAreaField(_l("Reason"), [Optional(), Length(max=2000)])


class CapitalForm(Form):
    year = _year_field(_l("Year"))
    source = SelectField(_l("Source"), choices=[], validate_choice=True)
    amount_vnd = VNDField(_l("Allocated (đồng)"), [DataRequired()])
    decision_number = StringField(_l("Decision number"), [Optional(), Length(max=64)])
    decision_on = VNDateField(_l("Decision date"), [Optional()])
    extended_until = VNDateField(_l("Disbursement extended until"), [Optional()])


class DisbursementForm(Form):
    paid_on = VNDateField(_l("Paid on"), [DataRequired()])
    amount_vnd = VNDField(_l("Amount (đồng)"), [DataRequired()])
    source = SelectField(_l("Source"), choices=[], validate_choice=True)
    capital_year = _year_field(_l("Capital of the year"))
    reference = StringField(_l("Voucher or reference"), [Optional(), Length(max=128)])


class ProgressForm(Form):
    as_of = VNDateField(_l("As of"), [DataRequired()])
    physical_pct = IntegerField(_l("Physical progress (%)"), [DataRequired(), in_range(0, 100)])
    narrative = TextAreaField(_l("Work done"), [Optional(), Length(max=5000)])
    problems = TextAreaField(_l("Problems"), [Optional(), Length(max=5000)])


class PlannedForm(Form):
    points = TextAreaField(
        _l("Planned progress: one line per point, dd/mm/yyyy percent"),
        [DataRequired(), Length(max=5000)],
    )


class MilestoneForm(Form):
    title = StringField(_l("Milestone"), [DataRequired(), Length(max=255)])
    milestone_type = SelectField(_l("Type"), choices=[], validate_choice=True)
    planned_on = VNDateField(_l("Planned date"), [DataRequired()])
    actual_on = VNDateField(_l("Actual date"), [Optional()])


class CompleteMilestoneForm(Form):
    actual_on = VNDateField(_l("Actual date"), [DataRequired()])


class ContractForm(Form):
    number = StringField(_l("Contract number"), [DataRequired(), Length(max=64)])
    title = StringField(_l("Contract"), [DataRequired(), Length(max=255)])
    contractor = StringField(_l("Contractor"), [DataRequired(), Length(max=255)])
    nature = SelectField(_l("Type"), choices=[], validate_choice=True)
    signed_on = VNDateField(_l("Signed on"), [DataRequired()])
    value_vnd = VNDField(_l("Value (đồng)"), [DataRequired()])
    end_on = VNDateField(_l("End date"), [Optional()])


class ModificationForm(Form):
    signed_on = VNDateField(_l("Signed on"), [DataRequired()])
    new_value_vnd = VNDField(_l("New value (đồng)"), [Optional()])
    new_end_on = VNDateField(_l("New end date"), [Optional()])
    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=2000)])


class SupervisionForm(Form):
    year = _year_field(_l("Year"))
    period = SelectField(_l("Report"), choices=[], validate_choice=True)
    submitted_on = VNDateField(_l("Submitted on"), [DataRequired()])
    reference = StringField(_l("Reference"), [Optional(), Length(max=128)])


class StageForm(Form):
    version = HiddenField(validators=[DataRequired(), version_check()])
    target = SelectField(_l("Next stage"), choices=[], validate_choice=True)
    occurred_on = VNDateField(_l("Date"), [DataRequired()])
    reason = TextAreaField(_l("Reason"), [Optional(), Length(max=2000)])


class HandoverForm(Form):
    version = HiddenField(validators=[DataRequired(), version_check()])
