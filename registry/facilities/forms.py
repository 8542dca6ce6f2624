"""Facility forms: one per use case."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from registry.facilities.models import Ownership, Status
from registry.forms import (
    COUNT_MAX,
    WHOLE_NUMBER,
    FiniteDecimalField,
    VNDateField,
    choices,
    in_range,
    version_check,
)
from registry.i18n import _l

OWNERSHIP_LABELS = {Ownership.PUBLIC: _l("Public"), Ownership.NON_PUBLIC: _l("Non-public")}
STATUS_LABELS = {
    Status.PLANNED: _l("Planned"),
    Status.UNDER_CONSTRUCTION: _l("Under construction"),
    Status.OPERATING: _l("Operating"),
    Status.SUSPENDED: _l("Suspended"),
    Status.CLOSED: _l("Closed"),
}
# Target groups for capacity by group (Decree 103/2017 Art. 5 beneficiaries).
TARGET_GROUPS = {
    "elderly": _l("Elderly people"),
    "children": _l("Children in special circumstances"),
    "disability": _l("Persons with disabilities"),
    "mental": _l("People with mental illness"),
    "other": _l("Other groups"),
}
LOCATION_MODES = (
    ("map", _l("Click on the map")),
    ("latlon", _l("Latitude / longitude")),
    ("vn2000", _l("VN-2000 coordinates")),
)
# VN-2000 provincial zones (TM, 500 km false easting): northings of Vietnam lie within 3,000 km
# and eastings within 500 km of the zone's false origin. The converted point is checked later.
VN2000_X_MAX, VN2000_Y_MAX = 3_000_000, 1_000_000


def _count(label: object) -> IntegerField:
    """A head count or capacity: a whole number from 0 to ``COUNT_MAX``."""
    return IntegerField(
        label, invalid_value_message=WHOLE_NUMBER, validators=[Optional(), in_range(0, COUNT_MAX)]
    )


class FacilityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    type_code = SelectField(_l("Type"), validators=[DataRequired()])
    ownership = SelectField(
        _l("Ownership"), choices=choices((o.value, label) for o, label in OWNERSHIP_LABELS.items())
    )
    managing_body = StringField(_l("Managing body"), validators=[Optional(), Length(max=255)])
    province_code = SelectField(_l("Province"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    location_mode = RadioField(
        _l("How to enter the location"), choices=choices(LOCATION_MODES), default="map"
    )
    lat = FiniteDecimalField(_l("Latitude"), places=6, validators=[Optional(), in_range(-90, 90)])
    lon = FiniteDecimalField(
        _l("Longitude"), places=6, validators=[Optional(), in_range(-180, 180)]
    )
    vn2000_x = FiniteDecimalField(
        _l("VN-2000 X (northing, m)"), places=3, validators=[Optional(), in_range(0, VN2000_X_MAX)]
    )
    vn2000_y = FiniteDecimalField(
        _l("VN-2000 Y (easting, m)"), places=3, validators=[Optional(), in_range(0, VN2000_Y_MAX)]
    )
    vn2000_meridian = StringField(
        _l("Central meridian of the province zone"),
        validators=[Optional(), Length(max=20)],
        description=_l("Degrees, e.g. 107.75 or 107°45′"),
    )
    location_approximate = BooleanField(_l("The location is approximate"))
    status = SelectField(_l("Status"))
    opened_on = VNDateField(_l("Opened on"))
    design_capacity = _count(_l("Design capacity (residents)"))
    residents = _count(_l("Current residents"))
    staff = _count(_l("Staff"))
    cap_elderly = _count(TARGET_GROUPS["elderly"])
    cap_children = _count(TARGET_GROUPS["children"])
    cap_disability = _count(TARGET_GROUPS["disability"])
    cap_mental = _count(TARGET_GROUPS["mental"])
    cap_other = _count(TARGET_GROUPS["other"])
    services = TextAreaField(_l("Services"), validators=[Optional(), Length(max=4000)])
    registration_no = StringField(
        _l("Registration certificate no."), validators=[Optional(), Length(max=100)]
    )
    licence_no = StringField(_l("Operating licence no."), validators=[Optional(), Length(max=100)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    reason = StringField(_l("Reason for the change"), validators=[Optional(), Length(max=500)])
    confirm_duplicates = BooleanField(_l("I have checked: this is not a duplicate"))
    version = HiddenField(validators=[Optional(), version_check()])
    submit = SubmitField(_l("Save"))

    def validate_lat(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data in ("map", "latlon") and field.data is None:
            raise ValidationError(str(_l("Enter the location (click the map or type it).")))

    def validate_lon(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data in ("map", "latlon") and field.data is None:
            raise ValidationError(str(_l("Enter the location (click the map or type it).")))

    def validate_vn2000_x(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data == "vn2000" and field.data is None:
            raise ValidationError(str(_l("Required for VN-2000 input.")))

    def validate_vn2000_y(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data == "vn2000" and field.data is None:
            raise ValidationError(str(_l("Required for VN-2000 input.")))

    def capacity_by_group(self) -> dict[str, int]:
        return {
            group: getattr(self, f"cap_{group}").data
            for group in TARGET_GROUPS
            if getattr(self, f"cap_{group}").data is not None
        }


class StatusChangeForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    effective_on = VNDateField(_l("Effective date"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    version = HiddenField(validators=[Optional(), version_check()])
    submit = SubmitField(_l("Change status"))


class RelocateForm(FlaskForm):
    lat = FiniteDecimalField(
        _l("Latitude"), places=6, validators=[DataRequired(), in_range(-90, 90)]
    )
    lon = FiniteDecimalField(
        _l("Longitude"), places=6, validators=[DataRequired(), in_range(-180, 180)]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    version = HiddenField(validators=[DataRequired(), version_check()])
