"""Display formats for Vietnamese readers, shared by pages, PDF reports and exports.

Timestamps are stored in UTC. Every place that shows one to a person goes through
:func:`format_datetime` or :func:`format_date`, which show it in Vietnam's time zone
(Asia/Ho_Chi_Minh, UTC+7, no daylight saving). A naive ``datetime`` is read as UTC: SQLite
returns ``DateTime(timezone=True)`` columns without their zone, and the application only ever
stores UTC. Dates read dd/mm/yyyy; times read HH:MM dd/mm/yyyy, the way Vietnamese documents
write "14:30 ngày 02/12/2026". Calendar dates (``date``) are shown as they are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from registry.clock import VN_TZ

if TYPE_CHECKING:
    from flask import Flask

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%H:%M %d/%m/%Y"
ZONE_VI = "giờ Việt Nam"


def to_local(value: datetime) -> datetime:
    """The instant in Vietnam's time zone; a naive value is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VN_TZ)


def local_naive(value: datetime) -> datetime:
    """Vietnam wall-clock time without a zone, for spreadsheet cells (Excel has no zones)."""
    return to_local(value).replace(tzinfo=None)


def format_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy; a timestamp gives the date in Vietnam, an ISO string is parsed first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = parse_iso(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime(DATE_FORMAT)


def format_datetime(value: datetime | str | None, *, zone: bool = False) -> str:
    """HH:MM dd/mm/yyyy in Vietnam's time zone; ``zone`` adds "(giờ Việt Nam)" for text
    read away from the page (a printed report, an export)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = parse_iso(value)
        if not isinstance(parsed, datetime):
            return format_date(value)
        value = parsed
    text = to_local(value).strftime(DATETIME_FORMAT)
    return f"{text} ({zone_label()})" if zone else text


def zone_label() -> str:
    """The zone named once, in the reader's language; Vietnamese outside the app (reports
    and exports are Vietnamese documents)."""
    from flask import has_app_context

    if not has_app_context():
        return ZONE_VI
    from registry.i18n import _

    return str(_("Vietnam time"))


def parse_iso(text: str) -> date | datetime | None:
    """A date or timestamp written in ISO 8601 (as JSON audit records keep them), else None."""
    text = text.strip()
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def format_number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """Vietnamese grouping: 1.234.567 and a decimal comma."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_vnd(value: int | float | Decimal | None) -> str:
    """1.234.567.890 ₫"""
    if value is None:
        return ""
    return f"{format_number(value)} ₫"


def init_app(app: Flask) -> None:
    from registry import labels

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["vnd"] = format_vnd
    labels.init_app(app)
