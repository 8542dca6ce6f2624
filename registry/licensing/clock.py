"""The statutory working-day clock of licensing procedures. Pure: no Flask, no database.

Working days (shared/domain/README.md §7, rule 20): Monday–Friday, the civil-service five-day
week, minus Vietnam's public holidays from the ``holidays`` package (``holidays.VN``: Labour Code
2019 Art. 112 with the observed days and the swapped weekdays off it knows), plus the make-up
working Saturdays of the government's annual swaps and the extra days off, kept as data with
their sources in ``calendar.yaml``. ``holidays.VN`` lists a swap's weekday off but not its
make-up Saturday (README §7 l.139); this module reads those pairs from the package
(``VietnamStaticHolidays.special_public_holidays``) as well as from the file, so a make-up
Saturday always counts as a working day and the swapped weekday is always a day off.

Counting (Civil Code 2015 Art. 147–148, README §7 l.141, unconfirmed): a period of N working
days starts the working day after the event that starts it (the complete dossier, or its
receipt, per procedure) and its last day is the N-th working day counted. Counting only working
days, the last day can never fall on a day off: where a calendar-day count would end on a
weekend or holiday, the period ends on a working day, the next one at the earliest. A supplement
request pauses the clock: the request day still counts, the working days after it up to and
including the day the supplement arrives do not, and counting resumes the working day after the
arrival, as it started the day after the dossier came.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import holidays
import jsonschema
import yaml
from holidays.countries.vietnam import VietnamStaticHolidays

CALENDAR_FILE = Path(__file__).with_name("calendar.yaml")
PACKAGE_SOURCE = "holidays.VN (Labour Code 2019 Art. 112; VietnamStaticHolidays)"
#: Years loaded when ``WorkCalendar.load()`` is given none; other years load on first use.
DEFAULT_YEARS = range(2017, 2031)
SATURDAY = 5


class CalendarFileError(ValueError):
    """calendar.yaml cannot be used; ``detail`` is the Vietnamese reason, ``detail_en`` English."""

    def __init__(self, message_vi: str, message_en: str, *, where: str | None = None) -> None:
        self.detail = message_vi
        self.detail_en = message_en
        self.where = where
        place = f"{CALENDAR_FILE.name} ({where})" if where else CALENDAR_FILE.name
        super().__init__(f"{place}: {message_vi} — {message_en}")


@dataclass(frozen=True)
class CalendarEntry:
    """One day the file or the package's swap list changes: a working day or a day off."""

    on: date
    working: bool
    name_vi: str
    name_en: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Pause:
    """A supplement request: sent on ``start``, answered on ``end`` (None while awaited)."""

    start: date
    end: date | None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"Pause ends {self.end:%d/%m/%Y} before it starts {self.start:%d/%m/%Y}"
            )

    def covers(self, d: date) -> bool:
        """Whether working day ``d`` is not counted: after the request, up to the arrival."""
        return self.start < d and (self.end is None or d <= self.end)


# --- calendar.yaml ---------------------------------------------------------------------------

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXT = {"type": "string", "minLength": 1}
_DAY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "name_vi", "name_en", "source", "confirmed"],
    "properties": {
        "date": _DATE,
        "name_vi": _TEXT,
        "name_en": _TEXT,
        "source": _TEXT,
        "confirmed": {"type": "boolean"},
    },
}
CALENDAR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sources", "swaps", "days_off", "working_days", "flagged"],
    "properties": {
        "sources": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["document", "issued_on", "confirmed"],
                "properties": {
                    "document": _TEXT,
                    "issued_on": {"anyOf": [_DATE, {"type": "null"}]},
                    "url": _TEXT,
                    "confirmed": {"type": "boolean"},
                },
            },
        },
        "swaps": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["day_off", "worked_on", "name_vi", "name_en", "source", "confirmed"],
                "properties": {
                    "day_off": _DATE,
                    "worked_on": _DATE,
                    "name_vi": _TEXT,
                    "name_en": _TEXT,
                    "source": _TEXT,
                    "confirmed": {"type": "boolean"},
                },
            },
        },
        "days_off": {"type": "array", "items": _DAY},
        "working_days": {"type": "array", "items": _DAY},
        "flagged": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["date", "note_vi", "note_en", "source"],
                "properties": {
                    "date": _DATE,
                    "note_vi": _TEXT,
                    "note_en": _TEXT,
                    "source": _TEXT,
                },
            },
        },
    },
}


def schema_path(path: Iterable[Any]) -> str:
    """A JSON Schema error's place in a data file, written ``procedures[4].authorities[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(gốc)"


def validated(schema: Mapping[str, Any], data: Any, error: Callable[..., Exception]) -> Any:
    """``data`` as plain JSON values (dates as ISO text), or ``error(vi, en, where=...)``
    for the first place (in file order) the JSON Schema refuses."""
    plain = json.loads(json.dumps(data, default=str))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(plain),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        first = errors[0]
        raise error(
            f"không đúng cấu trúc: {first.message}",
            f"invalid structure: {first.message}",
            where=schema_path(first.absolute_path),
        )
    return plain


def _date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CalendarFileError(
            f"ngày không hợp lệ: {value!r}", f"not a valid date: {value!r}", where=where
        ) from None


@dataclass(frozen=True)
class CalendarData:
    """calendar.yaml, validated: the entries by date and the flagged days' notes."""

    entries: Mapping[date, CalendarEntry]
    flagged: Mapping[date, tuple[str, str]]
    sources: Mapping[str, str]


def parse_calendar(data: Any) -> CalendarData:
    """Validate the calendar data (as loaded from YAML) and return its entries by date.

    Refuses, with the place in the file: a shape the schema does not allow, an unknown source
    code, a swap whose day off is not Monday–Friday or whose worked day is not a weekend day, an
    extra day off on a weekend, and a date given twice.
    """
    plain = validated(CALENDAR_SCHEMA, data, CalendarFileError)
    sources = {code: str(item["document"]) for code, item in plain["sources"].items()}
    entries: dict[date, CalendarEntry] = {}

    def add(entry: CalendarEntry, where: str) -> None:
        if entry.on in entries:
            raise CalendarFileError(
                f"ngày {entry.on:%d/%m/%Y} được khai báo hai lần",
                f"{entry.on:%d/%m/%Y} is given twice",
                where=where,
            )
        entries[entry.on] = entry

    def source_of(code: str, where: str) -> str:
        if code not in sources:
            raise CalendarFileError(
                f"nguồn {code!r} không có trong sources",
                f"source {code!r} is not listed under sources",
                where=where,
            )
        return sources[code]

    for i, swap in enumerate(plain["swaps"]):
        where = f"swaps[{i}]"
        off = _date(swap["day_off"], f"{where}.day_off")
        worked = _date(swap["worked_on"], f"{where}.worked_on")
        if off.weekday() >= SATURDAY:
            raise CalendarFileError(
                f"ngày nghỉ hoán đổi {off:%d/%m/%Y} không phải ngày từ thứ Hai đến thứ Sáu",
                f"swapped day off {off:%d/%m/%Y} is not a Monday–Friday",
                where=f"{where}.day_off",
            )
        if worked.weekday() < SATURDAY:
            raise CalendarFileError(
                f"ngày làm bù {worked:%d/%m/%Y} không phải thứ Bảy hoặc Chủ nhật",
                f"make-up day {worked:%d/%m/%Y} is not a Saturday or Sunday",
                where=f"{where}.worked_on",
            )
        source = source_of(swap["source"], f"{where}.source")
        for on, working in ((off, False), (worked, True)):
            add(
                CalendarEntry(
                    on, working, swap["name_vi"], swap["name_en"], source, swap["confirmed"]
                ),
                where,
            )
    for key, working in (("days_off", False), ("working_days", True)):
        for i, day in enumerate(plain[key]):
            where = f"{key}[{i}]"
            on = _date(day["date"], f"{where}.date")
            if not working and on.weekday() >= SATURDAY:
                raise CalendarFileError(
                    f"ngày nghỉ thêm {on:%d/%m/%Y} đã là ngày nghỉ cuối tuần",
                    f"extra day off {on:%d/%m/%Y} is a weekend day already",
                    where=f"{where}.date",
                )
            source = source_of(day["source"], f"{where}.source")
            add(
                CalendarEntry(
                    on, working, day["name_vi"], day["name_en"], source, day["confirmed"]
                ),
                where,
            )
    flagged: dict[date, tuple[str, str]] = {}
    for i, flag in enumerate(plain["flagged"]):
        where = f"flagged[{i}]"
        on = _date(flag["date"], f"{where}.date")
        source = source_of(flag["source"], f"{where}.source")
        flagged[on] = (f"{flag['note_vi']} ({source})", f"{flag['note_en']} ({source})")
    return CalendarData(entries, flagged, sources)


@cache
def _calendar_file() -> CalendarData:
    try:
        data = yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CalendarFileError(
            f"không đọc được YAML: {exc}", f"cannot read the YAML: {exc}"
        ) from None
    return parse_calendar(data)


def package_swaps(year: int) -> list[tuple[date, date]]:
    """(weekday off, make-up day) pairs ``holidays.VN`` knows for ``year``.

    The package keeps them as ``special_public_holidays``: per year, one tuple or a tuple of
    tuples ``(month, day, from_month, from_day[, from_year])``.
    """
    raw: Any = VietnamStaticHolidays.special_public_holidays.get(year, ())
    items: tuple[tuple[int, ...], ...] = (
        raw if raw and isinstance(raw[0], tuple) else (raw,) if raw else ()
    )
    pairs = []
    for item in items:
        month, day, from_month, from_day, *rest = item
        from_year = rest[0] if rest else year
        pairs.append((date(year, month, day), date(from_year, from_month, from_day)))
    return pairs


# --- the calendar ----------------------------------------------------------------------------


class WorkCalendar:
    """Which days the civil service works: Mon–Fri minus holidays.VN, plus calendar.yaml."""

    def __init__(self, data: CalendarData, years: Iterable[int] = ()) -> None:
        self._data = data
        self._lock = threading.Lock()
        self._years: dict[int, Mapping[date, str]] = {}
        self._make_up: dict[date, CalendarEntry] = {}
        for year in years:
            self._load_year(year)

    @classmethod
    def load(cls, years: Iterable[int] | None = None) -> WorkCalendar:
        """The calendar from holidays.VN and calendar.yaml (years load lazily beyond ``years``).

        Without ``years``, one shared instance (it is safe to share between threads).
        """
        if years is None:
            return _shared_calendar()
        return cls(_calendar_file(), years)

    def _load_year(self, year: int) -> Mapping[date, str]:
        with self._lock:
            if year not in self._years:
                days = dict(holidays.VN(years=year, language="vi").items())
                # A make-up day may sit in the year before (2015: 02/01 off for 27/12/2014).
                for off, worked in package_swaps(year):
                    self._make_up[worked] = CalendarEntry(
                        worked,
                        True,
                        f"Ngày làm bù cho ngày nghỉ {off:%d/%m/%Y}",
                        f"Make-up working day for {off:%d/%m/%Y}",
                        PACKAGE_SOURCE,
                        True,
                    )
                self._years[year] = days
            return self._years[year]

    def _holiday(self, d: date) -> str | None:
        days = self._years.get(d.year) or self._load_year(d.year)
        if d.year + 1 not in self._years and d.month == 12:
            self._load_year(d.year + 1)  # its swaps may name a make-up day in December
        return days.get(d)

    def entry(self, d: date) -> CalendarEntry | None:
        """The calendar.yaml entry (or the package's make-up day) that decides ``d``, if any."""
        found = self._data.entries.get(d)
        if found is None:
            self._holiday(d)
            found = self._make_up.get(d)
        return found

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` counts: a listed working day, or Mon–Fri that is no holiday or day off."""
        entry = self.entry(d)
        if entry is not None:
            return entry.working
        return d.weekday() < SATURDAY and self._holiday(d) is None

    def day_off_name(self, d: date) -> str | None:
        """Why ``d`` is not worked, in Vietnamese (None on a working day)."""
        if self.is_working_day(d):
            return None
        entry = self.entry(d)
        if entry is not None:
            return entry.name_vi
        return self._holiday(d) or ("Thứ Bảy" if d.weekday() == SATURDAY else "Chủ nhật")

    def unconfirmed(self, d: date) -> tuple[str, str] | None:
        """(Vietnamese, English) warning when ``d`` rests on an unconfirmed calendar entry."""
        if d in self._data.flagged:
            return self._data.flagged[d]
        entry = self._data.entries.get(d)
        if entry is not None and not entry.confirmed:
            return (
                f"{entry.name_vi}: nguồn chưa được xác nhận ({entry.source})",
                f"{entry.name_en}: source unconfirmed ({entry.source})",
            )
        return None

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d


@cache
def _shared_calendar() -> WorkCalendar:
    return WorkCalendar(_calendar_file(), DEFAULT_YEARS)


# --- deadlines -------------------------------------------------------------------------------


def _counted(d: date, calendar: WorkCalendar, pauses: Sequence[Pause]) -> bool:
    return calendar.is_working_day(d) and not any(p.covers(d) for p in pauses)


def due_date(
    started_on: date,
    limit_days: int,
    calendar: WorkCalendar,
    pauses: Sequence[Pause] = (),
) -> date | None:
    """The last day of a period of ``limit_days`` working days started by ``started_on``.

    Counting starts the working day after ``started_on``; working days a pause covers do not
    count (see ``Pause.covers``). None while a pause is open: the clock has stopped.
    """
    if limit_days < 1:
        raise ValueError("limit_days must be at least 1")
    if any(p.end is None for p in pauses):
        return None
    d = started_on
    counted = 0
    while counted < limit_days:
        d += timedelta(days=1)
        if _counted(d, calendar, pauses):
            counted += 1
    return d


def working_days_between(a: date, b: date, calendar: WorkCalendar) -> int:
    """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``."""
    if b < a:
        return -working_days_between(b, a, calendar)
    count = 0
    d = a
    while d < b:
        d += timedelta(days=1)
        if calendar.is_working_day(d):
            count += 1
    return count


def working_days_left(due: date, today: date, calendar: WorkCalendar) -> int:
    """Working days from ``today`` to ``due``: 0 on the due day, negative once it has passed.

    Overdue by the working days since ``due`` (at least 1, also on a weekend right after it).
    """
    if today <= due:
        return working_days_between(today, due, calendar)
    return min(-1, working_days_between(today, due, calendar))


def working_days_used(
    started_on: date,
    on: date,
    calendar: WorkCalendar,
    pauses: Sequence[Pause] = (),
) -> int:
    """Working days counted from ``started_on`` up to and including ``on``, pauses left out.

    The processing time of a decided application (``on`` = the decision date).
    """
    count = 0
    d = started_on
    while d < on:
        d += timedelta(days=1)
        if _counted(d, calendar, pauses):
            count += 1
    return count
