"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectChoice, StringField
from wtforms.validators import NumberRange, Regexp

from registry.i18n import _l, wtforms_translations

# Bounds within the database's limits (PostgreSQL ``integer`` is 32-bit) and the real world:
# no facility holds a million residents or staff.
COUNT_MAX = 1_000_000
YEAR_MIN, YEAR_MAX = 1900, 2100

# WTForms' own messages are English; every number field says it in Vietnamese instead.
WHOLE_NUMBER = _l("Enter a whole number.")
NUMBER = _l("Enter a number.")


class Form(FlaskForm):
    """Every form of the registry: WTForms' built-in messages ("This field is required.",
    "Not a valid integer value.") in the interface's language, since WTForms has no
    Vietnamese catalogue of its own."""

    class Meta:
        def get_translations(self, form: object) -> object:
            return wtforms_translations


def in_range(low: float, high: float) -> NumberRange:
    """``NumberRange`` with both ends and a translated message."""
    return NumberRange(low, high, message=_l("Enter a number from %(min)s to %(max)s."))


def version_check() -> Regexp:
    """The hidden record version the form carries back: digits that fit an ``integer``."""
    return Regexp(
        r"^[0-9]{1,9}$", message=_l("The form is out of date: reload the page and try again.")
    )


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy, the way Vietnamese officials write it."""

    def __init__(self, label: object = None, validators: list | None = None, **kwargs: object):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter the date as dd/mm/yyyy."))) from None


class FiniteDecimalField(DecimalField):
    """A ``DecimalField`` that refuses ``NaN``, ``sNaN`` and infinities as not a number:
    ``NumberRange`` cannot compare a signalling NaN and would raise instead of failing."""

    data: Decimal | float | None

    def __init__(self, label: object = None, validators: list | None = None, **kwargs: object):
        kwargs.setdefault("invalid_value_message", NUMBER)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if valuelist and isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)
