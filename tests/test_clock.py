""" "Today" is the date in Vietnam, not the server's UTC date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry import clock


class _Frozen(datetime):
    at = datetime(2026, 6, 30, 18, 30, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.at if tz is None else cls.at.astimezone(tz)


@pytest.fixture
def evening_utc(monkeypatch):
    """18:30 UTC on 30/06/2026 is 01:30 on 01/07/2026 in Hồ Chí Minh City."""
    monkeypatch.setattr(clock, "datetime", _Frozen)


def test_today_is_the_date_in_vietnam(evening_utc):
    assert clock.today() == date(2026, 7, 1)
    assert clock.now().hour == 1


def test_a_status_change_dated_today_in_vietnam_is_not_in_the_future(db_session, evening_utc):
    """At 01:30 on 01/07 in Vietnam (still 30/06 in UTC) an official records a suspension
    effective 01/07: it is today, not a future date."""
    from registry.errors import RegistryError
    from registry.facilities import services
    from registry.facilities.vocab import Status
    from tests.factories import FacilityFactory

    facility = FacilityFactory(province_code="75", status=Status.OPERATING)
    db_session.flush()
    services.change_status(
        db_session,
        facility,
        Status.SUSPENDED,
        effective_on=date(2026, 7, 1),
        reason="Tạm dừng để sửa chữa",
        actor_id=None,
        expected_version=facility.version,
    )
    assert facility.status is Status.SUSPENDED
    with pytest.raises(RegistryError):
        services.change_status(
            db_session,
            facility,
            Status.OPERATING,
            effective_on=date(2026, 7, 2),
            reason="Hoạt động lại",
            actor_id=None,
            expected_version=facility.version,
        )
