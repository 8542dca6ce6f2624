"""Template filters for Vietnamese display: dd/mm/yyyy dates and VND amounts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, in Vietnam's time zone for timestamps."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(VN_TZ)
        return value.strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time zone."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


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
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["vnd"] = format_vnd
