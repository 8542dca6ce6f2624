"""The working-day clock, with real dates (pure: no app, no database).

Every deadline case also computes the naive count (the start date plus N calendar days, and the
same with a last day on a day off rolled forward) and asserts that it gives another date: each
case would fail if the clock counted calendar days.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import yaml

from registry.licensing.clock import (
    CALENDAR_FILE,
    CalendarFileError,
    Pause,
    WorkCalendar,
    due_date,
    package_swaps,
    parse_calendar,
    working_days_between,
    working_days_left,
    working_days_used,
)

CAL = WorkCalendar.load()
D = date


def naive_due(started_on: date, limit_days: int, pauses: tuple[Pause, ...] = ()) -> date:
    """Calendar days, pauses added day for day: what the clock must NOT compute."""
    paused = sum(((p.end or p.start) - p.start).days for p in pauses)
    return started_on + timedelta(days=limit_days + paused)


def naive_rolled(started_on: date, limit_days: int, pauses: tuple[Pause, ...] = ()) -> date:
    """The naive count with a last day on a weekend or holiday moved to the next working day."""
    end = naive_due(started_on, limit_days, pauses)
    return end if CAL.is_working_day(end) else CAL.next_working_day(end)


DEADLINES = [
    pytest.param(
        # Operating licence (15 days from a complete dossier) completed on the eve of the Tết
        # break 14/02–22/02/2026: nothing counts until Monday 23/02.
        D(2026, 2, 13),
        15,
        (),
        D(2026, 3, 13),
        id="tet-2026-operating-licence-completed-fri-13-02",
    ),
    pytest.param(
        # Small facility (10 days from receipt) received online on Sunday 15/02/2026, in Tết.
        D(2026, 2, 15),
        10,
        (),
        D(2026, 3, 6),
        id="tet-2026-small-facility-received-on-sunday",
    ),
    pytest.param(
        # Establishment (5 days): Thu 24, Fri 25, make-up Sat 26/04/2025, Mon 28, Tue 29.
        D(2025, 4, 23),
        5,
        (),
        D(2025, 4, 29),
        id="make-up-saturday-26-04-2025-counts",
    ),
    pytest.param(
        # 30/04, 01/05 and the swapped Friday 02/05/2025 are days off: 5 days from Tue 29/04.
        D(2025, 4, 28),
        5,
        (),
        D(2025, 5, 8),
        id="swapped-friday-02-05-2025-is-off",
    ),
    pytest.param(
        # National Day 2026 (10 days from Thu 20/08): make-up Saturday 22/08 counts; the swapped
        # Monday 31/08 and 01/09, 02/09 do not.
        D(2026, 8, 20),
        10,
        (),
        D(2026, 9, 7),
        id="national-day-2026-swap",
    ),
    pytest.param(
        # New Year 2026: 01/01 and the swapped Friday 02/01 off (make-up Saturday 10/01).
        D(2025, 12, 31),
        5,
        (),
        D(2026, 1, 9),
        id="new-year-2026-swap",
    ),
    pytest.param(
        # Complete Mon 02/03/2026; supplement requested Wed 04/03 (counted: 03/03, 04/03), it
        # arrives Mon 09/03; counting resumes Tue 10/03 as day 3.
        D(2026, 3, 2),
        15,
        (Pause(D(2026, 3, 4), D(2026, 3, 9)),),
        D(2026, 3, 26),
        id="pause-for-a-supplement-and-resume",
    ),
    pytest.param(
        # Two supplement requests in one application.
        D(2026, 3, 2),
        15,
        (Pause(D(2026, 3, 4), D(2026, 3, 9)), Pause(D(2026, 3, 16), D(2026, 3, 17))),
        D(2026, 3, 27),
        id="two-pauses",
    ),
    pytest.param(
        # Small facility received Fri 17/04/2026: +10 calendar days is Mon 27/04, the observed
        # Hùng Kings day (10/3 lunar fell on Sunday 26/04); 30/04 and 01/05 are off as well.
        D(2026, 4, 17),
        10,
        (),
        D(2026, 5, 6),
        id="day-off-last-day-hung-kings-observed-2026",
    ),
    pytest.param(
        # Establishment complete Tue 26/08/2025: +5 calendar days is Sunday 31/08, and the next
        # two days are National Day (01/09, 02/09).
        D(2025, 8, 26),
        5,
        (),
        D(2025, 9, 4),
        id="day-off-last-day-national-day-2025",
    ),
]


@pytest.mark.parametrize(("started_on", "limit", "pauses", "expected"), DEADLINES)
def test_due_date_counts_working_days_not_calendar_days(started_on, limit, pauses, expected):
    due = due_date(started_on, limit, CAL, pauses)
    assert due == expected
    assert CAL.is_working_day(due)
    assert naive_due(started_on, limit, pauses) != expected
    assert naive_rolled(started_on, limit, pauses) != expected
    assert working_days_used(started_on, due, CAL, pauses) == limit


def test_tet_2026_due_date_falls_after_the_break():
    due = due_date(D(2026, 2, 13), 15, CAL)
    assert due is not None
    assert due > D(2026, 2, 22)
    assert all(not CAL.is_working_day(D(2026, 2, day)) for day in range(14, 23))


def test_make_up_saturday_changes_the_due_date():
    # Without Saturday 26/04/2025 the five days would run to Monday 05/05.
    due = due_date(D(2025, 4, 23), 5, CAL)
    without_saturday = due_date(D(2025, 4, 23), 5, CAL, (Pause(D(2025, 4, 25), D(2025, 4, 26)),))
    assert due == D(2025, 4, 29)
    assert without_saturday == D(2025, 5, 5)


def test_due_date_is_none_while_a_supplement_is_awaited():
    assert due_date(D(2026, 3, 2), 15, CAL, (Pause(D(2026, 3, 4), None),)) is None


def test_request_day_counts_and_arrival_day_does_not():
    pause = Pause(D(2026, 3, 4), D(2026, 3, 9))
    assert not pause.covers(D(2026, 3, 4))
    assert pause.covers(D(2026, 3, 5))
    assert pause.covers(D(2026, 3, 9))
    assert not pause.covers(D(2026, 3, 10))
    assert Pause(D(2026, 3, 4), None).covers(D(2027, 1, 1))


def test_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(D(2026, 3, 9), D(2026, 3, 4))


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        due_date(D(2026, 3, 2), 0, CAL)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 4, 25), True),  # Friday
        (D(2025, 4, 26), True),  # make-up Saturday for Friday 02/05/2025
        (D(2025, 4, 27), False),  # Sunday
        (D(2025, 4, 30), False),  # Reunification Day
        (D(2025, 5, 2), False),  # swapped Friday
        (D(2025, 1, 27), False),  # Tết 2025
        (D(2025, 2, 3), True),  # first working day after Tết 2025
        (D(2026, 1, 2), False),  # swapped Friday (New Year 2026)
        (D(2026, 1, 10), True),  # make-up Saturday (New Year 2026)
        (D(2026, 2, 16), False),  # Tết 2026
        (D(2026, 2, 20), False),  # Tết 2026
        (D(2026, 2, 23), True),
        (D(2026, 4, 27), False),  # Hùng Kings observed
        (D(2026, 8, 22), True),  # make-up Saturday (National Day 2026)
        (D(2026, 8, 31), False),  # swapped Monday
        (D(2026, 11, 24), False),  # Vietnam Cultural Day per holidays.VN (flagged)
        (D(2026, 11, 28), False),  # an ordinary Saturday
    ],
)
def test_is_working_day(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_swap_the_package_knows_has_its_make_up_day(year):
    # README §7: holidays.VN lists the swapped weekday off but not the make-up Saturday.
    for day_off, worked_on in package_swaps(year):
        assert not CAL.is_working_day(day_off)
        assert CAL.is_working_day(worked_on)


def test_make_up_saturday_in_the_year_before_is_worked():
    # 2015: Friday 02/01/2015 off in exchange for Saturday 27/12/2014 (holidays.VN).
    cal = WorkCalendar.load(years=[2014])
    assert cal.is_working_day(D(2014, 12, 27))
    assert not cal.is_working_day(D(2015, 1, 2))


def test_years_outside_the_loaded_range_load_on_demand():
    cal = WorkCalendar.load(years=[2025])
    assert not cal.is_working_day(D(2035, 1, 1))
    assert cal.is_working_day(D(2035, 1, 2))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 13), D(2026, 2, 23)),
        (D(2025, 4, 25), D(2025, 4, 26)),
        (D(2025, 4, 29), D(2025, 5, 5)),
        (D(2025, 12, 31), D(2026, 1, 5)),
    ],
)
def test_next_working_day(day, expected):
    assert CAL.next_working_day(day) == expected


def test_day_off_names_say_why():
    assert CAL.day_off_name(D(2026, 2, 17)) == "Tết Nguyên Đán"
    assert "26/04/2025" in (CAL.day_off_name(D(2025, 5, 2)) or "")
    assert CAL.day_off_name(D(2026, 11, 28)) == "Thứ Bảy"
    assert CAL.day_off_name(D(2026, 2, 23)) is None


def test_unconfirmed_entries_are_flagged():
    assert CAL.unconfirmed(D(2025, 4, 26)) is None  # README §7 confirms the 2025 swap
    assert CAL.unconfirmed(D(2026, 1, 10)) is not None
    vi, en = CAL.unconfirmed(D(2026, 11, 24)) or ("", "")
    assert "chưa được xác nhận" in vi
    assert "unconfirmed" in en
    assert CAL.unconfirmed(D(2026, 3, 2)) is None


def test_calendar_file_cites_a_source_for_every_swap():
    data = yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))
    swaps = {(s["day_off"], s["worked_on"]): s for s in data["swaps"]}
    swap_2025 = swaps[(D(2025, 5, 2), D(2025, 4, 26))]
    assert swap_2025["confirmed"] is True
    assert "8726/VPCP-KGVX" in data["sources"][swap_2025["source"]]["document"]
    assert all(s["source"] in data["sources"] for s in data["swaps"])


@pytest.mark.parametrize(
    ("due", "today", "left"),
    [
        (D(2026, 3, 13), D(2026, 3, 13), 0),
        (D(2026, 3, 13), D(2026, 3, 12), 1),
        (D(2026, 3, 13), D(2026, 2, 13), 15),  # Tết in between
        (D(2026, 3, 13), D(2026, 3, 14), -1),  # Saturday after a Friday due date
        (D(2026, 3, 13), D(2026, 3, 16), -1),
        (D(2026, 3, 13), D(2026, 3, 18), -3),
        (D(2025, 4, 28), D(2025, 4, 25), 2),  # make-up Saturday 26/04/2025 counts
    ],
)
def test_working_days_left(due, today, left):
    assert working_days_left(due, today, CAL) == left


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        (D(2026, 2, 13), D(2026, 2, 23), 1),
        (D(2026, 2, 23), D(2026, 2, 13), -1),
        (D(2026, 2, 13), D(2026, 2, 13), 0),
        (D(2025, 4, 25), D(2025, 4, 28), 2),
        (D(2025, 4, 29), D(2025, 5, 5), 1),
    ],
)
def test_working_days_between(a, b, days):
    assert working_days_between(a, b, CAL) == days


# --- calendar.yaml validation ----------------------------------------------------------------


def _calendar_data():
    return copy.deepcopy(yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8")))


def _bad_source(d):
    d["swaps"][0]["source"] = "nowhere"


def _swap_on_saturday(d):
    d["swaps"][0]["day_off"] = D(2025, 4, 26)


def _worked_on_weekday(d):
    d["swaps"][0]["worked_on"] = D(2025, 4, 25)


def _duplicate(d):
    d["days_off"].append(
        {
            "date": D(2025, 5, 2),
            "name_vi": "x",
            "name_en": "x",
            "source": "readme-s7",
            "confirmed": True,
        }
    )


def _impossible_date(d):
    d["swaps"][0]["day_off"] = "2025-02-30"


def _extra_key(d):
    d["swaps"][0]["reason"] = "?"


def _missing_key(d):
    del d["swaps"][0]["confirmed"]


def _weekend_day_off(d):
    d["days_off"].append(
        {
            "date": D(2025, 5, 3),
            "name_vi": "x",
            "name_en": "x",
            "source": "readme-s7",
            "confirmed": True,
        }
    )


@pytest.mark.parametrize(
    ("mutate", "where", "text"),
    [
        (_bad_source, "swaps[0].source", "nowhere"),
        (_swap_on_saturday, "swaps[0].day_off", "thứ Hai đến thứ Sáu"),
        (_worked_on_weekday, "swaps[0].worked_on", "Saturday or Sunday"),
        (_duplicate, "days_off[0]", "hai lần"),
        (_impossible_date, "swaps[0].day_off", "2025-02-30"),
        (_extra_key, "swaps[0]", "reason"),
        (_missing_key, "swaps[0]", "confirmed"),
        (_weekend_day_off, "days_off[0].date", "weekend"),
    ],
)
def test_calendar_file_errors_name_the_place(mutate, where, text):
    data = _calendar_data()
    mutate(data)
    with pytest.raises(CalendarFileError) as err:
        parse_calendar(data)
    assert err.value.where == where
    assert text in str(err.value)


def test_calendar_file_as_shipped_is_valid():
    parsed = parse_calendar(_calendar_data())
    assert parsed.entries[D(2025, 4, 26)].working
    assert not parsed.entries[D(2025, 5, 2)].working
