"""Reading cells: raw values into typed ones (numbers, dates, codes, vocabulary).

Each ``parse_*`` takes what a reader found in a cell (text, or a number or date an XLSX holds)
and returns the typed value, None for a blank cell, or raises ``CellError``; the validation
then reports ``CELL_MESSAGES[column.kind]`` at that cell. Numbers accept Vietnamese (1.200)
and English (1,200) thousands separators, coordinates a decimal comma, dates dd/mm/yyyy and
ISO; types, ownership and status accept the spellings in ``Vocabulary``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.cells import unguard
from registry.facilities import catalogue
from registry.facilities.imports.columns import (
    OWNERSHIP_ALIASES,
    OWNERSHIP_VALUES,
    PRECISION_VALUES,
    STATUS_ALIASES,
    STATUS_VALUES,
    Column,
    match_key,
)
from registry.facilities.models import FacilityType
from registry.facilities.places import PROVINCE_PREFIXES, split_prefix
from registry.facilities.places import key as unit_key
from registry.facilities.vocab import Ownership, Status
from registry.geography import services as geography
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l
from registry.text import fold

TRUE_VALUES = {"1", "true", "yes", "x", "co", "dung"}
# Column kinds read from the facility catalogue, and the catalogue list each reads.
CATALOGUE_KINDS = {"level": "levels", "services": "services", "target_groups": "target_groups"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class CellError(ValueError):
    pass


_GROUPED_INT = re.compile(r"\d{1,3}(?:[.,\s]\d{3})+")


def parse_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column (a licence number)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    # An export put an apostrophe in front of a formula-like value: take it off again.
    return unguard(str(value).strip())


# Words lists put after a head count ("500 đối tượng", "1.447 học viên"), folded.
_COUNT_WORDS = re.compile(
    r"\s*(doi tuong|hoc vien|nguoi|cho|giuong|tre|tre em|cu dan|nhan vien)\.?$"
)
_RANGE = re.compile(r"(?:tu\s+)?(\d[\d.,\s]*?)\s*(?:-|–|—|den|toi|to)\s*(\d[\d.,\s]*)")


def _count_text(value: Any) -> str:
    text = fold(str(value).replace("\u00a0", " "))
    return _COUNT_WORDS.sub("", text).strip()


def parse_int(value: Any) -> int | None:
    """Whole numbers, with Vietnamese (1.200) or English (1,200) thousands separators and
    an optional word for what is counted ("500 đối tượng")."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError
        number = int(value)
    else:
        text = _count_text(value)
        if _GROUPED_INT.fullmatch(text):
            text = re.sub(r"[.,\s]", "", text)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError
        number = int(text)
    if number < 0:
        raise CellError
    return number


def parse_float(value: Any, limit: float) -> float | None:
    """Decimal degrees, with a decimal point or a decimal comma."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise CellError from None
    if not math.isfinite(number) or abs(number) > limit:
        raise CellError
    return number


def parse_date(value: Any) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError


@dataclass(frozen=True)
class CapacityRange:
    """A design capacity written as a range ("300-500"): the record takes the upper bound."""

    low: int
    high: int


def parse_capacity(value: Any) -> int | CapacityRange | None:
    """A whole number, or a range as plans write it ("300-500", "từ 300 đến 500 đối tượng")."""
    if is_blank(value) or not isinstance(value, str):
        return parse_int(value)
    match = _RANGE.fullmatch(_count_text(value))
    if match is None:
        return parse_int(value)
    low, high = parse_int(match.group(1).strip()), parse_int(match.group(2).strip())
    if low is None or high is None or low > high:
        raise CellError
    return high if low == high else CapacityRange(low, high)


@dataclass(frozen=True)
class ProvinceRef:
    """A province cell: the current province, and the pre-2025 one when the cell names a
    province that was merged into another (its name then narrows the units it names)."""

    code: str
    old_code: str | None = None


def parse_province(value: Any, vocabulary: Vocabulary | None = None) -> ProvinceRef | None:
    text = parse_text(value)
    if text is None:
        return None
    if text.isdigit() and len(text) <= 2:
        return ProvinceRef(text.zfill(2))
    if vocabulary is not None:
        name = split_prefix(text, PROVINCE_PREFIXES)[1]
        found = vocabulary.provinces.get(unit_key(name))
        if found is not None:
            return found
    raise CellError


@dataclass
class Vocabulary:
    """Accepted spellings of types, ownership and status, built once per file."""

    types: dict[str, str]
    ownership: dict[str, Ownership]
    status: dict[str, Status]
    # Held so they stay in the session's (weak) identity map: services.check then finds
    # each row's type without a query.
    loaded: list[FacilityType]
    # Province names of both organisations -> the province a cell names.
    provinces: dict[str, ProvinceRef] = field(default_factory=dict)

    def allowed_types(self) -> str:
        """The type codes with their Vietnamese names, for a message."""
        ordered = sorted(self.loaded, key=lambda t: (t.sort_order, t.code))
        return "; ".join(f"{t.code} ({t.name_vi})" for t in ordered)

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        from registry.facilities.forms import OWNERSHIP_LABELS, STATUS_LABELS

        types: dict[str, str] = {}
        loaded = list(session.scalars(select(FacilityType)))
        for ftype in loaded:
            for spelling in (ftype.code, ftype.name_vi, ftype.name_en):
                types.setdefault(match_key(spelling), ftype.code)
        ownership: dict[str, Ownership] = {match_key(k): v for k, v in OWNERSHIP_ALIASES.items()}
        status: dict[str, Status] = {match_key(k): v for k, v in STATUS_ALIASES.items()}
        for enum_value, text in OWNERSHIP_VALUES.items():
            ownership[match_key(text)] = enum_value
            ownership[match_key(enum_value.value)] = enum_value
        for status_value, text in STATUS_VALUES.items():
            status[match_key(text)] = status_value
            status[match_key(status_value.value)] = status_value
        # The interface's own labels, in both languages, are accepted too.
        for enum_value, label in OWNERSHIP_LABELS.items():
            ownership.setdefault(match_key(_in_locale(label, "vi")), enum_value)
            ownership.setdefault(match_key(_in_locale(label, "en")), enum_value)
        for status_value, label in STATUS_LABELS.items():
            status.setdefault(match_key(_in_locale(label, "vi")), status_value)
            status.setdefault(match_key(_in_locale(label, "en")), status_value)
        return cls(types, ownership, status, loaded, _province_names(session))


def _province_names(session: Session) -> dict[str, ProvinceRef]:
    """Current province names, then the pre-2025 names of provinces merged into another."""
    successor = geography.province_code_map(session)
    names: dict[str, ProvinceRef] = {}
    rows = session.execute(
        select(AdminUnit.edition, AdminUnit.code, AdminUnit.name).where(
            AdminUnit.level == Level.PROVINCE
        )
    ).all()
    for edition, code, name in rows:
        if Edition(edition) is Edition.CURRENT:
            names[unit_key(name)] = ProvinceRef(code)
    for edition, code, name in rows:
        if Edition(edition) is Edition.PRE2025 and code in successor:
            names.setdefault(unit_key(name), ProvinceRef(successor[code], code))
    return names


def _in_locale(label: Any, locale: str) -> str:
    from flask import has_app_context
    from flask_babel import force_locale

    if not has_app_context():
        return str(label)
    with force_locale(locale):
        return str(label)


def parse_cell(column: Column, raw: Any, vocabulary: Vocabulary) -> Any:
    """The typed value of one cell; ``CellError`` when it cannot be read as its column's kind."""
    kind = column.kind
    if kind in ("text", "code", "ignored"):
        return parse_text(raw)
    if kind == "int":
        return parse_int(raw)
    if kind == "lat":
        return parse_float(raw, 90)
    if kind == "lon":
        return parse_float(raw, 180)
    if kind == "date":
        return parse_date(raw)
    if kind == "capacity":
        return parse_capacity(raw)
    if kind == "province":
        return parse_province(raw, vocabulary)
    if kind == "flag":
        return not is_blank(raw) and (raw is True or match_key(raw) in TRUE_VALUES)
    text = parse_text(raw)
    if kind in CATALOGUE_KINDS:
        # Labels, codes or aliases; unknown ones are kept for services.check to report. A
        # blank list cell means none.
        found = catalogue.parse_codes(CATALOGUE_KINDS[kind], text, key=match_key)
        if kind != "level":
            return found
        return None if text is None else (found[0] if len(found) == 1 else text)
    if text is None:
        return None
    if kind == "unit":
        return text
    if kind == "type":
        if match_key(text) not in vocabulary.types:
            raise CellError(
                _l(
                    "Unknown facility type “%(value)s”. Allowed types: %(allowed)s.",
                    value=text,
                    allowed=vocabulary.allowed_types(),
                )
            )
        return vocabulary.types[match_key(text)]
    if kind == "precision":
        for precision, written in PRECISION_VALUES.items():
            if match_key(text) in (match_key(written), match_key(precision.value)):
                return precision
        raise CellError(_allowed_message(text, PRECISION_VALUES.values()))
    lookup: dict[str, Any] = vocabulary.ownership if kind == "ownership" else vocabulary.status
    if match_key(text) not in lookup:
        values = OWNERSHIP_VALUES if kind == "ownership" else STATUS_VALUES
        raise CellError(_allowed_message(text, values.values()))
    return lookup[match_key(text)]


def _allowed_message(text: str, allowed: Iterable[str]) -> str:
    return str(
        _l(
            "“%(value)s” is not an accepted value. Allowed: %(allowed)s.",
            value=text,
            allowed="; ".join(allowed),
        )
    )


CELL_MESSAGES = {
    "int": _l("Enter a whole number, 0 or more."),
    "lat": _l("Enter the latitude in decimal degrees (e.g. 10.95)."),
    "lon": _l("Enter the longitude in decimal degrees (e.g. 106.82)."),
    "date": _l("Enter the date as dd/mm/yyyy."),
    "capacity": _l("Enter a whole number, or a range such as 300-500."),
    "province": _l("Enter the province's two-digit code or its name (e.g. 75 or Đồng Nai)."),
    "ownership": _l("Enter “công lập” (public) or “ngoài công lập” (non-public)."),
    "status": _l("Unknown status."),
}
