"""The date and time where the registry's officials are: Asia/Ho_Chi_Minh (UTC+7, no daylight
saving). Timestamps are stored in UTC; "today" — the default as-of date of a check, the latest
effective date of a status change — is the date in Vietnam, not the server's: between 17:00
and 24:00 UTC it is already tomorrow there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """The current time in Vietnam (aware)."""
    return datetime.now(UTC).astimezone(VN_TZ)


def today() -> date:
    """Today's date in Vietnam."""
    return now().date()
