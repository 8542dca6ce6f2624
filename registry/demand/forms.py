"""Forms of the demand pages."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.demand.vocab import FIGURE_LABELS, MEASURE_LABELS
from registry.forms import COUNT_MAX, WHOLE_NUMBER, Form, VNDateField, choices, in_range
from registry.geography.models import Edition
from registry.i18n import _l

EDITION_LABELS = {
    Edition.PRE2025: _l("Pre-2025 communes (carried to the current ones)"),
    Edition.CURRENT: _l("Current communes (from 1 July 2025)"),
}


class LayerImportForm(Form):
    measure = SelectField(_l("What is counted"), choices=choices(MEASURE_LABELS.items()))
    province = SelectField(_l("Province"), validators=[DataRequired()])
    edition = SelectField(_l("Units of the file"), choices=choices(EDITION_LABELS.items()))
    as_of = VNDateField(_l("Counts as of"), validators=[DataRequired()])
    source = TextAreaField(
        _l("Source (survey, report, decision)"), validators=[DataRequired(), Length(max=2000)]
    )
    file = FileField(_l("Count file (CSV or XLSX)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


def _count(label: object, required: bool = False) -> IntegerField:
    return IntegerField(
        label,
        invalid_value_message=WHOLE_NUMBER,
        validators=[DataRequired() if required else Optional(), in_range(0, COUNT_MAX)],
    )


class FigureForm(Form):
    kind = SelectField(_l("Figure"), choices=choices(FIGURE_LABELS.items()))
    target_group = SelectField(_l("Target group"), validators=[Optional()])
    as_of = VNDateField(_l("As of"), validators=[DataRequired()])
    total = IntegerField(
        _l("Total"), invalid_value_message=WHOLE_NUMBER, validators=[in_range(0, COUNT_MAX)]
    )
    male = _count(_l("Men / boys"))
    female = _count(_l("Women / girls"))
    source = StringField(_l("Source"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Save figure"))
