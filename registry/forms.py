"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from wtforms import SelectChoice, StringField

from registry.i18n import _l


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
