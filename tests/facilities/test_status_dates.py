"""Facilities carry the dates things happened (issue 9, "time is real"): the opening date and
each status change's effective date, apart from when the record was typed. The status on a
date has one definition (``workflow.timeline`` / ``workflow.status_on`` through
``read.statuses_on``)."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest

from registry import clock
from registry.facilities import read, services, workflow
from registry.facilities.models import Status

TODAY = clock.today()
REGISTRY = Path(__file__).resolve().parents[2] / "registry"


def status_on(session, facility, day):
    return read.statuses_on(session, [facility.id], day)[facility.id]


def change(session, facility, target, on, reason="Quyết định"):
    return services.change_status(
        session,
        facility,
        target,
        effective_on=on,
        reason=reason,
        actor_id=None,
        expected_version=facility.version,
    )


# --- the pure definition ---------------------------------------------------------------------


def test_a_change_recorded_later_with_an_earlier_date_replaces_what_it_covers():
    registered = (date(2026, 5, 1), Status.PLANNED)
    operating_since = (date(2005, 1, 1), Status.OPERATING)
    periods = workflow.timeline([registered, operating_since])
    assert periods == [operating_since]
    assert workflow.status_on(periods, date(2020, 12, 31)) is Status.OPERATING
    assert workflow.status_on(periods, date(2004, 12, 31)) is None
    assert workflow.superseded([registered[0], operating_since[0]]) == {0}


def test_the_opening_date_counts_before_the_first_recorded_change():
    periods = [(date(2026, 5, 1), Status.OPERATING)]
    opened = date(2005, 9, 2)
    assert workflow.status_on(periods, date(2020, 12, 31), opened_on=opened) is Status.OPERATING
    assert workflow.status_on(periods, date(2005, 9, 1), opened_on=opened) is None
    # Not for a facility that is still planned: an expected opening date is no history.
    planned = [(date(2026, 5, 1), Status.PLANNED)]
    assert workflow.status_on(planned, date(2020, 12, 31), opened_on=opened) is None


def test_a_record_without_history_counts_with_its_dates():
    opened, closed = date(2010, 1, 1), date(2021, 6, 1)
    on = workflow.status_on
    assert on([], date(2020, 1, 1), opened_on=opened, current=Status.OPERATING) is Status.OPERATING
    assert on([], date(2009, 1, 1), opened_on=opened, current=Status.OPERATING) is None
    assert (
        on([], date(2020, 1, 1), opened_on=opened, closed_on=closed, current=Status.CLOSED)
        is Status.OPERATING
    )
    assert on([], date(2022, 1, 1), closed_on=closed, current=Status.CLOSED) is Status.CLOSED


def test_status_on_a_date_is_defined_once_in_the_registry():
    """No module derives a facility's status on a date again (the engine used to, from the
    opening and closing dates): only ``workflow`` defines it and ``read`` applies it."""
    allowed = {("facilities/workflow.py", "status_on"), ("facilities/read.py", "statuses_on")}
    found = set()
    for path in REGISTRY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and (
                node.name in {"effective_status", "status_at", "status_as_of"}
                or node.name.endswith(("status_on", "statuses_on"))
            ):
                found.add((str(path.relative_to(REGISTRY)), node.name))
    assert found == allowed


# --- registering with the dates things happened ----------------------------------------------


def test_a_facility_opened_in_2005_and_registered_today_operated_in_2020(
    db_session, types, make_input
):
    facility, _ = services.register_facility(
        db_session, make_input(opened_on=date(2005, 9, 2)), actor_id=None
    )
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.OPERATING
    assert status_on(db_session, facility, date(2005, 9, 1)) is None
    [row] = services.status_changes(db_session, facility.id)
    assert row.effective_on == date(2005, 9, 2)
    assert row.recorded_at is not None
    assert row.recorded_at.date() >= TODAY - timedelta(days=1)


def test_a_suspended_facility_is_registered_with_both_dates(db_session, types, make_input):
    data = make_input(
        status=Status.SUSPENDED, opened_on=date(2010, 1, 4), status_changed_on=date(2024, 3, 1)
    )
    facility, _ = services.register_facility(db_session, data, actor_id=None)
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.OPERATING
    assert status_on(db_session, facility, date(2024, 3, 1)) is Status.SUSPENDED
    assert facility.status_changed_on == date(2024, 3, 1)
    history = services.status_changes(db_session, facility.id)
    assert [(r.effective_on, r.to_status) for r in history] == [
        (date(2024, 3, 1), Status.SUSPENDED),
        (date(2010, 1, 4), Status.OPERATING),
    ]


def test_a_planned_facility_is_planned_from_the_date_given(db_session, types, make_input):
    data = make_input(status=Status.PLANNED, status_changed_on=date(2018, 3, 22))
    facility, _ = services.register_facility(db_session, data, actor_id=None)
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.PLANNED
    assert status_on(db_session, facility, date(2018, 3, 21)) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"status_changed_on": TODAY + timedelta(days=1)}, "status_changed_on"),
        ({"opened_on": TODAY + timedelta(days=1)}, "opened_on"),
        (
            {
                "status": Status.SUSPENDED,
                "opened_on": date(2015, 1, 1),
                "status_changed_on": date(2014, 1, 1),
            },
            "status_changed_on",
        ),
    ],
)
def test_dates_that_cannot_have_happened_are_refused(
    db_session, types, make_input, overrides, field
):
    with pytest.raises(services.ValidationFailed) as exc:
        services.register_facility(db_session, make_input(**overrides), actor_id=None)
    assert field in exc.value.errors


def test_imported_rows_start_their_history_on_their_dates(db_session, types, make_input):
    rows = [
        make_input(name="Cơ sở mở năm 2005", opened_on=date(2005, 9, 2)),
        make_input(
            name="Cơ sở tạm ngừng",
            lon=106.85,
            status=Status.SUSPENDED,
            status_changed_on=date(2023, 7, 1),
        ),
    ]
    opened, suspended = services.register_many(
        db_session, rows, actor_id=None, confirm_duplicates=True
    )
    assert status_on(db_session, opened, date(2020, 12, 31)) is Status.OPERATING
    assert status_on(db_session, suspended, date(2023, 7, 1)) is Status.SUSPENDED
    assert status_on(db_session, suspended, date(2023, 6, 30)) is None


# --- status changes with their effective dates -----------------------------------------------


def test_a_change_dated_before_the_registration_makes_the_history_reflect_it(
    db_session, types, make_input
):
    facility, _ = services.register_facility(
        db_session, make_input(status=Status.PLANNED), actor_id=None
    )
    change(db_session, facility, Status.OPERATING, date(2005, 1, 1), "Đã hoạt động từ 2005")
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.OPERATING
    assert status_on(db_session, facility, TODAY) is Status.OPERATING
    assert facility.opened_on == date(2005, 1, 1)
    history = services.status_changes(db_session, facility.id)
    registration = next(r for r in history if r.from_status is None)
    assert registration.superseded
    assert not next(r for r in history if r.to_status is Status.OPERATING).superseded


def test_effective_dates_must_fit_the_history(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session, make_input(opened_on=date(2010, 1, 1)), actor_id=None
    )
    with pytest.raises(services.RegistryError) as future:
        change(db_session, facility, Status.SUSPENDED, TODAY + timedelta(days=1))
    assert future.value.field == "effective_on"
    with pytest.raises(services.RegistryError) as before_opening:
        change(db_session, facility, Status.SUSPENDED, date(2009, 12, 31))
    assert before_opening.value.field == "effective_on"
    change(db_session, facility, Status.SUSPENDED, date(2020, 3, 1))
    with pytest.raises(services.RegistryError) as before_last:
        change(db_session, facility, Status.OPERATING, date(2020, 2, 1))
    assert before_last.value.field == "effective_on"
    change(db_session, facility, Status.OPERATING, date(2020, 9, 1))
    assert status_on(db_session, facility, date(2020, 6, 1)) is Status.SUSPENDED
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.OPERATING


def test_correcting_the_opening_date_moves_the_history_with_it(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session, make_input(opened_on=date(2012, 1, 1)), actor_id=None
    )
    data = services.FacilityInput.from_facility(facility)
    data.opened_on = date(2005, 9, 2)
    services.update_facility(
        db_session, facility, data, expected_version=facility.version, actor_id=None
    )
    assert status_on(db_session, facility, date(2006, 1, 1)) is Status.OPERATING
    assert services.status_changes(db_session, facility.id)[0].effective_on == date(2005, 9, 2)
    change(db_session, facility, Status.SUSPENDED, date(2015, 1, 1))
    later = services.FacilityInput.from_facility(facility)
    later.opened_on = date(2016, 1, 1)  # after it is recorded as suspended
    with pytest.raises(services.ValidationFailed) as exc:
        services.update_facility(
            db_session, facility, later, expected_version=facility.version, actor_id=None
        )
    assert "opened_on" in exc.value.errors


def test_an_opening_date_filled_in_later_extends_the_history_back(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    assert status_on(db_session, facility, date(2020, 12, 31)) is None
    data = services.FacilityInput.from_facility(facility)
    data.opened_on = date(2005, 9, 2)
    services.update_facility(
        db_session, facility, data, expected_version=facility.version, actor_id=None
    )
    assert status_on(db_session, facility, date(2020, 12, 31)) is Status.OPERATING


# --- the forms -------------------------------------------------------------------------------


def test_the_detail_page_shows_when_each_change_was_recorded(
    client, auth, db_session, types, make_input
):
    from registry.auth.permissions import Role
    from tests.factories import UserFactory

    facility, _ = services.register_facility(
        db_session, make_input(status=Status.PLANNED), actor_id=None
    )
    change(db_session, facility, Status.OPERATING, date(2005, 1, 1), "Đã hoạt động từ 2005")
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    html = client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert "01/01/2005" in html
    assert 'data-testid="superseded"' in html


def test_the_status_form_refuses_a_future_date(client, auth, post_form, db_session, types):
    from registry.auth.permissions import Role
    from tests.factories import UserFactory

    data = services.FacilityInput(
        name="Cơ sở thử ngày",
        type_code="GENERAL",
        ownership=services.Ownership.PUBLIC,
        province_code="75",
        lon=106.82,
        lat=10.95,
    )
    facility, _ = services.register_facility(db_session, data, actor_id=None)
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form(
        f"/facilities/{facility.id}/status",
        {
            "status": "suspended",
            "effective_on": (TODAY + timedelta(days=5)).strftime("%d/%m/%Y"),
            "reason": "Sửa chữa",
            "version": str(facility.version),
        },
        page_url=f"/facilities/{facility.id}",
    )
    assert response.status_code == 302
    assert facility.status is Status.OPERATING
