"""Validation: every row of a read file checked into an ``ImportPlan``; nothing is written.

Each row becomes a ``FacilityInput`` (over the registered record for an update) and the
services' own rules run over it (``services.check``), collecting every problem with the row
number the user sees in the file and the column it concerns, plus possible duplicates (in the
registry, and inside the file: same type within 200 m). The plan is what the preview shows;
``apply`` writes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities import services
from registry.facilities.imports.columns import (
    COLUMN_BY_FIELD,
    COLUMNS,
    CORE_FIELDS,
    EXTRA_COLUMNS,
    STATUS_VALUES,
)
from registry.facilities.imports.lookups import BatchLookups
from registry.facilities.imports.parsing import (
    CELL_MESSAGES,
    CapacityRange,
    CellError,
    ProvinceRef,
    Vocabulary,
    is_blank,
    parse_cell,
    parse_text,
)
from registry.facilities.imports.readers import SourceFile, SourceRow
from registry.facilities.models import Facility, LocationSource, Ownership, Status
from registry.facilities.vocab import LocationPrecision
from registry.geo import distance_m, point
from registry.geography import services as geography
from registry.i18n import _l

LOCATION_TOLERANCE_DEG = 1e-6  # files carry 6 decimals (about 0.1 m): not a move


class Jurisdiction(Protocol):
    def covers(self, province_code: str | None) -> bool: ...


@dataclass
class Problem:
    """A reason a row cannot be imported (or a warning), at a field of a row."""

    row: int
    field: str  # internal name ("lat", "location", "type_code" ...)
    column: str  # as the user sees it in the file
    message: str


@dataclass
class PossibleDuplicate:
    """A row close to a registered facility, or to another row of the same file."""

    row: int
    facility: Facility | None = None
    other_row: int | None = None
    distance_m: float | None = None


@dataclass
class PlannedRow:
    number: int
    data: services.FacilityInput
    facility: Facility | None  # None: a new facility
    # The point the registry will store (the given one, or the named units') and what it
    # stands for, once the services' rules have run.
    lon: float | None = None
    lat: float | None = None
    precision: LocationPrecision = LocationPrecision.EXACT
    units: geography.Location | None = None
    place: str = ""  # the units, as the preview shows them

    @property
    def is_update(self) -> bool:
        return self.facility is not None


@dataclass
class ImportPlan:
    format: str
    headers: dict[str, str]
    rows: list[PlannedRow] = field(default_factory=list)
    total: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicates: list[PossibleDuplicate] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def creates(self) -> int:
        return sum(1 for r in self.rows if not r.is_update)

    @property
    def updates(self) -> int:
        return sum(1 for r in self.rows if r.is_update)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.errors})

    def versions(self) -> dict[str, int]:
        """Versions of the facilities to update, as validated: confirm checks them."""
        return {r.facility.code: r.facility.version for r in self.rows if r.facility}


@dataclass(frozen=True)
class Preview:
    """What the preview showed: the versions of the facilities to update, and how many
    possible duplicates; the confirmation checks the file against it."""

    versions: dict[str, int]
    duplicates: int


def column_label(headers: dict[str, str], name: str) -> str:
    """The column a field is in, as the file names it; services' "location" is the point."""
    if name == "location":
        given = [f for f in ("lat", "lon", "commune", "district") if f in headers]
        return ", ".join(dict.fromkeys(column_label(headers, f) for f in given or ("lat", "lon")))
    if name in headers:
        return headers[name]
    column = COLUMN_BY_FIELD.get(name)
    return column.header if column else name


class _Validator:
    def __init__(
        self, session: Session, source: SourceFile, user: Jurisdiction, rules: bool
    ) -> None:
        self.session = session
        self.source = source
        self.user = user
        self.with_rules = rules
        self.lookups: services.Lookups | None = None
        self.vocabulary = Vocabulary.load(session)
        self.plan = ImportPlan(
            source.format,
            source.headers,
            total=len(source.rows),
            ignored_columns=list(source.ignored_columns),
        )
        self.existing = self._existing_facilities()
        self.seen_codes: dict[str, int] = {}

    def column(self, name: str) -> str:
        return column_label(self.source.headers, name)

    def error(self, row: int, name: str, message: object) -> None:
        self.plan.errors.append(Problem(row, name, self.column(name), str(message)))

    def warning(self, row: int, name: str, message: object) -> None:
        self.plan.warnings.append(Problem(row, name, self.column(name), str(message)))

    def _existing_facilities(self) -> dict[str, Facility]:
        codes = sorted(
            {
                str(parse_text(r.values.get("code")))
                for r in self.source.rows
                if not is_blank(r.values.get("code"))
            }
        )
        found: dict[str, Facility] = {}
        for start in range(0, len(codes), 500):
            stmt = select(Facility).where(Facility.code.in_(codes[start : start + 500]))
            found.update((f.code, f) for f in self.session.scalars(stmt).unique())
        return found

    def run(self) -> ImportPlan:
        """The file's own checks for every row first, then the registry's rules over the rows
        that could be read, so that batch lookups can be prepared for all of them at once."""
        parsed = [self.row(row) for row in self.source.rows]
        readable = [(planned, ok, bad) for planned, ok, bad in parsed if planned is not None]
        if self.with_rules:
            # Every row that could be built is checked, even one whose own cells failed:
            # the file comes back with all of its problems at once.
            self.lookups = BatchLookups(self.session, [p.data for p, _, _ in readable])
            readable = [
                (planned, self.rules(planned, bad) and ok, bad) for planned, ok, bad in readable
            ]
        self.plan.rows = [planned for planned, ok, _ in readable if ok]
        if self.with_rules:
            self.duplicates_inside_file()
        order = {c.field: i for i, c in enumerate(COLUMNS + EXTRA_COLUMNS)}
        order["location"] = order["lat"]
        self.plan.errors.sort(key=lambda p: (p.row, order.get(p.field, -1)))
        self.plan.warnings.sort(key=lambda p: (p.row, order.get(p.field, -1)))
        return self.plan

    def cells(self, row: SourceRow) -> tuple[dict[str, Any], set[str]]:
        """Typed cell values, and the fields whose cell could not be read."""
        values: dict[str, Any] = {}
        bad: set[str] = set()
        for name, raw in row.values.items():
            column = COLUMN_BY_FIELD[name]
            try:
                values[name] = parse_cell(column, raw, self.vocabulary)
            except CellError as exc:
                bad.add(name)
                self.error(
                    row.number, name, exc.args[0] if exc.args else CELL_MESSAGES[column.kind]
                )
                continue
            if (
                column.max_length
                and isinstance(values[name], str)
                and len(values[name]) > column.max_length
            ):
                bad.add(name)
                self.error(row.number, name, _l("At most %(n)d characters.", n=column.max_length))
        return values, bad

    def row(self, row: SourceRow) -> tuple[PlannedRow | None, bool, set[str]]:
        """The row as a record to check (None when it cannot be built), whether it was read
        without problems, and the fields whose cells were missing or unreadable (already
        reported: the rules do not report them again)."""
        before = len(self.plan.errors)
        for name, message in row.problems:
            self.error(row.number, name, message)
        values, bad = self.cells(row)
        if row.problems:
            bad.update(("lat", "lon"))  # the geometry was unusable, and said so
        if values.get("generalised"):
            self.error(
                row.number,
                "generalised",
                _l("This row was exported with a generalised location and cannot be imported."),
            )
        target = self.target(row.number, values)
        if target is False or target is True:
            return None, False, bad
        facility = target
        for name in CORE_FIELDS:
            # A new facility needs every core column; an update keeps the columns the file
            # does not have, but a core cell the file has must not be blank.
            blank = (
                values.get(name) is None
                if facility is None
                else (name in values and values[name] is None)
            )
            if blank and name not in bad:
                bad.add(name)
                self.error(row.number, name, _l("Required."))
        data = self.facility_input(row.number, values, facility, bad)
        if "province_code" not in bad and not self.user.covers(data.province_code):
            self.error(
                row.number,
                "province_code",
                _l("Province %(code)s is outside your jurisdiction.", code=data.province_code),
            )
            return None, False, bad
        return PlannedRow(row.number, data, facility), len(self.plan.errors) == before, bad

    def target(self, number: int, values: dict[str, Any]) -> Facility | bool | None:
        """The facility a row updates, None for a new one, False when the row is refused."""
        code = values.get("code")
        if not code:
            return None
        if code in self.seen_codes:
            self.error(
                number,
                "code",
                _l("This registry code is also in row %(row)d.", row=self.seen_codes[code]),
            )
            return False
        self.seen_codes[code] = number
        facility = self.existing.get(code)
        if facility is None or not self.user.covers(facility.province_code):
            self.error(
                number,
                "code",
                _l(
                    "No facility in your jurisdiction has this registry code. Leave the code "
                    "empty to register a new facility."
                ),
            )
            return False
        refused = False
        if facility.status is Status.CLOSED:
            self.error(
                number, "code", _l("Closed facilities are kept for history and cannot be edited.")
            )
            refused = True
        status = values.get("status")
        if status is not None and status != facility.status:
            self.error(
                number,
                "status",
                _l(
                    "The status differs from the registry (%(status)s). Change a status on the "
                    "facility's page, with its date and reason.",
                    status=STATUS_VALUES[facility.status],
                ),
            )
            refused = True
        since = values.get("status_changed_on")
        if since is not None and since != facility.status_changed_on:
            self.error(
                number,
                "status_changed_on",
                _l(
                    "The status date differs from the registry. Change a status on the "
                    "facility's page, with its date and reason."
                ),
            )
            refused = True
        province = values.get("province_code")
        if isinstance(province, ProvinceRef) and province.code != facility.province_code:
            self.error(
                number,
                "province_code",
                _l(
                    "A facility cannot be moved to another province; close it and register it "
                    "there."
                ),
            )
            refused = True
        return False if refused else facility

    def facility_input(
        self, number: int, values: dict[str, Any], current: Facility | None, bad: set[str]
    ) -> services.FacilityInput:
        """The row's values over the registered record (update) or the defaults (new).
        Columns the file does not have keep their registered values."""
        if current is not None:
            data = services.FacilityInput.from_facility(current)
        else:
            data = services.FacilityInput(
                name="",
                type_code="",
                ownership=Ownership.PUBLIC,
                province_code="",
                location_source=LocationSource.IMPORT,
            )
        note = None
        for column in COLUMNS:
            name = column.field
            if name in ("code",) or name not in values or name in bad:
                continue
            value = values[name]
            if name == "status" and value is None:
                continue
            if isinstance(value, ProvinceRef):
                data.province_code, data.old_province = value.code, value.old_code
                continue
            if isinstance(value, CapacityRange):
                value, note = self.capacity_range(number, value)
            setattr(data, name, value)
        if note:
            data.notes = f"{data.notes}\n{note}" if data.notes else note
        named = {"commune", "district"} & values.keys()
        if isinstance(values.get("province_code"), ProvinceRef) and data.old_province:
            named.add("old_province")
        if values.get("location_precision") is not None:
            data.location_precision = values["location_precision"]
        if current is not None:
            self.moved(data, current, named)
        if data.location_precision is not LocationPrecision.EXACT:
            data.location_approximate = True
        return data

    def capacity_range(self, number: int, value: CapacityRange) -> tuple[int, str]:
        """A range in the capacity column: the record takes the upper bound, and the range
        as the source wrote it goes into the notes."""
        self.warning(
            number,
            "design_capacity",
            _l(
                "The design capacity is given as a range (%(low)d–%(high)d): %(high)d is "
                "recorded, and the range is kept in the notes.",
                low=value.low,
                high=value.high,
            ),
        )
        note = _l(
            "Design capacity in the source: %(low)d–%(high)d.", low=value.low, high=value.high
        )
        return value.high, str(note)

    def moved(self, data: services.FacilityInput, current: Facility, named: set[str]) -> None:
        """An update's point: the registered one when the file did not move it (files round
        to 6 decimals); a new point is exact and replaces the units it was tied to."""
        same = (
            data.lon is not None
            and data.lat is not None
            and math.isclose(data.lon, current.lon, abs_tol=LOCATION_TOLERANCE_DEG)
            and math.isclose(data.lat, current.lat, abs_tol=LOCATION_TOLERANCE_DEG)
        )
        if same:
            data.lon, data.lat = current.lon, current.lat
            return
        if data.lon is None and data.lat is None and named:
            return  # the file names the units instead of a point
        data.location_source = LocationSource.IMPORT
        data.location_approximate = False
        data.location_precision = LocationPrecision.EXACT
        for name in ("commune", "district", "old_province"):
            if name not in named:
                setattr(data, name, None)

    def rules(self, planned: PlannedRow, bad: set[str]) -> bool:
        """The services' rules for one record; False when it breaks any. Problems that
        follow from a cell already reported (a missing province makes every unit unknown)
        are not reported twice."""
        number = planned.number
        data = planned.data
        checked = services.check(self.session, data, current=planned.facility, lookups=self.lookups)
        silent = set(bad)
        if bad & {"province_code", "lat", "lon", "commune", "district"}:
            silent.update(("location", "province_code", "commune", "district"))
        reported = False
        for name, messages in checked.errors.items():
            for message in messages:
                if name not in silent:
                    self.error(number, name, message)
                    reported = True
        for name, message in checked.warned:
            self.warning(number, name, message)
        self.plan.duplicates.extend(
            PossibleDuplicate(number, facility=f) for f in checked.duplicates
        )
        planned.lon, planned.lat, planned.units = checked.lon, checked.lat, checked.units
        planned.precision = checked.precision
        units = checked.units
        if units is not None:
            planned.place = ", ".join(
                u.full_name for u in (units.commune, units.district) if u is not None
            )
        return not checked.errors and not bad and not reported

    def duplicates_inside_file(self) -> None:
        """Rows of the same type within the services' duplicate distance of each other.
        A grid of cells about as wide as that distance keeps this linear in the rows."""
        limit = services.DUPLICATE_DISTANCE_M
        cell_deg = limit / 100_000  # a degree is at least about 100 km below 25°N
        grid: dict[tuple[str, int, int], list[PlannedRow]] = {}
        for row in self.plan.rows:
            data = row.data
            if row.lon is None or row.lat is None:
                continue
            cx, cy = math.floor(row.lon / cell_deg), math.floor(row.lat / cell_deg)
            here = point(row.lon, row.lat)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for other in grid.get((data.type_code, cx + dx, cy + dy), ()):
                        metres = distance_m(here, point(other.lon or 0.0, other.lat or 0.0))
                        if metres <= limit:
                            self.plan.duplicates.append(
                                PossibleDuplicate(
                                    row.number, other_row=other.number, distance_m=metres
                                )
                            )
            grid.setdefault((data.type_code, cx, cy), []).append(row)


def validate(
    session: Session, source: SourceFile, *, user: Jurisdiction, rules: bool = True
) -> ImportPlan:
    """Every row checked against the services' rules and the user's jurisdiction; nothing is
    written. The plan lists every problem and every possible duplicate.

    ``rules=False`` checks only what the file itself must satisfy (cells, codes, jurisdiction):
    for the confirmation, where ``apply`` runs the services' rules while writing, so they do
    not run twice."""
    return _Validator(session, source, user, rules).run()
