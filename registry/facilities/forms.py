"""Facility forms: one per use case."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from registry.facilities import catalogue
from registry.facilities.models import Ownership, Status
from registry.forms import (
    COUNT_MAX,
    WHOLE_NUMBER,
    FiniteDecimalField,
    Form,
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
    ("unit_point", _l("Commune or district only")),
)
# VN-2000 provincial zones (TM, 500 km false easting): northings of Vietnam lie within 3,000 km
# and eastings within 500 km of the zone's false origin. The converted point is checked later.
VN2000_X_MAX, VN2000_Y_MAX = 3_000_000, 1_000_000


#: Types whose records may carry the dated "supported to the central criteria" mark: trusted
#: addresses and GBV counselling points (Đồng Nai 2735/KH-UBND, line 161). The form shows the
#: field for every type; the detail page shows it for these, or wherever a date is recorded.
CRITERIA_TYPES = frozenset({"SHELTER", "GBV_COUNSELLING"})


CODE_MAX = 32  # longer than any catalogue code
CHOOSE_FROM_LIST = _l("Choose from the list.")


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes. Choices are not checked here: ``services.check`` refuses unknown
    codes with a Vietnamese message that names the allowed values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: object = None, validators: list | None = None, **kwargs: Any):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form: Any) -> None:
        # Bounded before any message repeats what was posted.
        values = self.data or []
        if len(values) > len(self.choices or ()) or any(len(v) > CODE_MAX for v in values):
            raise ValidationError(str(CHOOSE_FROM_LIST))


def _locale() -> str:
    return str(get_locale() or "vi")


def _count(label: object) -> IntegerField:
    """A head count or capacity: a whole number from 0 to ``COUNT_MAX``."""
    return IntegerField(
        label, invalid_value_message=WHOLE_NUMBER, validators=[Optional(), in_range(0, COUNT_MAX)]
    )


class FacilityForm(Form):
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
    # The units the source names (code or name, current or before 1 July 2025): the point
    # when no coordinates are given, and checked against them when they are.
    commune = StringField(
        _l("Commune or ward"),
        validators=[Length(max=120)],  # validate_commune runs also when it is empty
        description=_l("Code or name, current or before 1 July 2025, e.g. xã Xuân Tâm"),
    )
    district = StringField(
        _l("District (before 1 July 2025)"),
        validators=[Optional(), Length(max=120)],
        description=_l("Code or name, e.g. huyện Xuân Lộc"),
    )
    location_approximate = BooleanField(_l("The location is approximate"))
    status = SelectField(_l("Status"))
    opened_on = VNDateField(
        _l("Opened on"),
        description=_l("The day it opened, if known; its status history starts there."),
    )
    status_changed_on = VNDateField(
        _l("Status since"),
        description=_l(
            "When the status chosen took effect, if before today (e.g. suspended since…); "
            "later changes are made on the facility's page."
        ),
    )
    level = SelectField(
        _l("Level"),
        validate_choice=False,
        validators=[Optional(), Length(max=CODE_MAX, message=CHOOSE_FROM_LIST)],
    )
    service_codes = CheckboxListField(_l("Services (catalogue)"))
    target_groups = CheckboxListField(_l("Target groups"))
    criteria_supported_on = VNDateField(
        _l("Supported to the central criteria on"),
        description=_l(
            "For a trusted address or counselling point: the date it was supported to provide "
            "services to the central government's criteria (Đồng Nai plan 2735/KH-UBND)."
        ),
    )
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = _locale()
        self.level.choices = choices([("", _l("Not stated")), *catalogue.choices("levels", locale)])
        self.service_codes.choices = choices(catalogue.choices("services", locale))
        self.target_groups.choices = choices(catalogue.choices("target_groups", locale))

    def catalogue_values(self) -> dict[str, Any]:
        """Level, services and target groups as the services take them."""
        return {
            "level": self.level.data or None,
            "service_codes": list(self.service_codes.data or ()),
            "target_groups": list(self.target_groups.data or ()),
            "criteria_supported_on": self.criteria_supported_on.data,
        }

    def validate_lat(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data in ("map", "latlon") and field.data is None:
            raise ValidationError(str(_l("Enter the location (click the map or type it).")))

    def validate_lon(self, field: FiniteDecimalField) -> None:
        if self.location_mode.data in ("map", "latlon") and field.data is None:
            raise ValidationError(str(_l("Enter the location (click the map or type it).")))

    def validate_commune(self, field: StringField) -> None:
        if self.location_mode.data == "unit_point" and not (field.data or self.district.data):
            raise ValidationError(str(_l("Enter the commune or the district.")))

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


class StatusChangeForm(Form):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    effective_on = VNDateField(_l("Effective date"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    version = HiddenField(validators=[Optional(), version_check()])
    submit = SubmitField(_l("Change status"))


class RelocateForm(Form):
    lat = FiniteDecimalField(
        _l("Latitude"), places=6, validators=[DataRequired(), in_range(-90, 90)]
    )
    lon = FiniteDecimalField(
        _l("Longitude"), places=6, validators=[DataRequired(), in_range(-180, 180)]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    version = HiddenField(validators=[DataRequired(), version_check()])
