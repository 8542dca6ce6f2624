"""Planning forms: one per use case. Shape only; the services check the business rules."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from registry import clock
from registry.forms import COUNT_MAX, NUMBER, WHOLE_NUMBER, Form, VNDateField, choices, in_range
from registry.http import INT_MAX
from registry.i18n import _l
from registry.planning.models import ItemAction

ACTION_LABELS = {
    ItemAction.ADD: _l("New facility"),
    ItemAction.CAPACITY: _l("Change capacity"),
    ItemAction.UPGRADE: _l("Upgrade (status and capacity)"),
    ItemAction.CLOSE: _l("Close"),
}
LEVEL_LABELS = {"commune": _l("Communes (2025)"), "district": _l("Districts (before 2025)")}
MODEL_LABELS = {
    "mclp": _l("MCLP: k new sites covering the most"),
    "lscp": _l("LSCP: fewest sites covering everything reachable"),
}


class _GetForm(Form):
    """Read-only query forms submitted by GET: no CSRF token needed."""

    class Meta:
        csrf = False


class CheckForm(_GetForm):
    plan = SelectField(_l("Plan"), validators=[Optional()])
    scenario = SelectField(_l("Scenario"), validators=[Optional()])
    as_of = VNDateField(_l("As of"), validators=[Optional()])


class ScenarioForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    province_code = SelectField(_l("Province"), validators=[DataRequired()])
    target_year = IntegerField(
        _l("Target year"),
        default=lambda: clock.today().year + 1,
        invalid_value_message=WHOLE_NUMBER,
        validators=[InputRequired(), in_range(2000, 2100)],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))


class ItemForm(Form):
    action = SelectField(
        _l("Proposal"),
        default=ItemAction.ADD.value,
        choices=choices((a.value, label) for a, label in ACTION_LABELS.items()),
    )
    facility_id = IntegerField(
        _l("Existing facility (id)"),
        invalid_value_message=WHOLE_NUMBER,
        validators=[Optional(), in_range(1, INT_MAX)],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=255)])
    type_code = SelectField(_l("Type"), validators=[Optional()])
    ownership = SelectField(
        _l("Ownership"),
        default="public",
        choices=choices([("public", _l("Public")), ("non_public", _l("Non-public"))]),
    )
    lat = FloatField(
        _l("Latitude"), invalid_value_message=NUMBER, validators=[Optional(), in_range(8.0, 23.5)]
    )
    lon = FloatField(
        _l("Longitude"),
        invalid_value_message=NUMBER,
        validators=[Optional(), in_range(102.0, 117.5)],
    )
    design_capacity = IntegerField(
        _l("Design capacity"),
        invalid_value_message=WHOLE_NUMBER,
        validators=[Optional(), in_range(0, COUNT_MAX)],
    )
    new_status = SelectField(_l("New status"), validators=[Optional()])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Add to the scenario"))


class CopyForm(Form):
    name = StringField(_l("Name of the copy"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Copy"))


class ConfirmForm(Form):
    """A button that changes something: CSRF only."""

    submit = SubmitField(_l("Confirm"))


class TargetForm(Form):
    key = HiddenField(validators=[DataRequired()])
    unit_code = HiddenField()
    value = FloatField(
        _l("Target"), invalid_value_message=NUMBER, validators=[Optional(), in_range(0, COUNT_MAX)]
    )
    reason = StringField(_l("Reason for the change"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Save target"))


class TargetsImportForm(Form):
    file = FileField(_l("Targets workbook (XLSX)"), validators=[FileRequired()])
    reason = StringField(_l("Reason for the change"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Import"))


class AnalysisForm(_GetForm):
    """What coverage and siting both ask: where, which type, how far, which units."""

    province = SelectField(_l("Province"), validators=[Optional()])
    type_code = SelectField(_l("Type"), validators=[Optional()])
    distance_km = FloatField(
        _l("Distance (km)"),
        default=15.0,
        invalid_value_message=NUMBER,
        validators=[Optional(), in_range(0.1, 500)],
    )
    level = SelectField(_l("Units"), default="commune", choices=choices(LEVEL_LABELS.items()))
    scenario = SelectField(_l("Scenario"), validators=[Optional()])
    # A demand layer (issue 15) weighs the current communes by its counts instead of
    # population; the choices are the layers of the province the reader may see.
    demand = SelectField(_l("Demand"), validators=[Optional()])


class CoverageForm(AnalysisForm):
    pass


class SitingForm(AnalysisForm):
    model = SelectField(_l("Model"), default="mclp", choices=choices(MODEL_LABELS.items()))
    k = IntegerField(
        _l("New sites (k)"),
        default=3,
        invalid_value_message=WHOLE_NUMBER,
        validators=[Optional(), in_range(1, 50)],
    )
    time_limit = IntegerField(
        _l("Time limit (s)"),
        default=20,
        invalid_value_message=WHOLE_NUMBER,
        validators=[Optional(), in_range(1, 120)],
    )
