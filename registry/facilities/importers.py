"""Importing facilities from CSV, XLSX and GeoJSON files.

Three steps. *Reading* checks that the file is what its extension says and turns it into
numbered rows of raw cell values. *Validation* turns each row into a ``FacilityInput`` and runs
the services' own rules over it (``services.check``), collecting every problem with the row
number the user sees in the file and the column it concerns, plus possible duplicates (in the
registry, and inside the file: same type within 200 m). *Applying* writes a file without
problems through ``register_facility`` / ``update_facility``, all rows in the caller's single
transaction; the caller commits, or rolls back when ``ImportFailed`` is raised.

The column names are a file format, not interface text: they stay Vietnamese whatever the
interface language, so that an export always re-imports. English headers and field names are
accepted as well.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import secrets
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registry.errors import RegistryError
from registry.facilities import services
from registry.facilities.models import Facility, FacilityType, LocationSource, Ownership, Status
from registry.geo import distance_m, in_vietnam_bbox, point
from registry.geography import services as geography
from registry.i18n import _l
from registry.text import fold

# --- the file format -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the template. ``kind`` says how a cell is read."""

    field: str
    header: str
    kind: str
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    required: bool = False  # for a new facility


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã cơ sở", "code", ("registry code", "ma dang ky"), 32),
    Column("name", "Tên cơ sở", "text", ("name", "facility name", "ten"), 255, True),
    Column("type_code", "Loại hình (mã)", "type",
           ("type", "type code", "loai hinh", "ma loai hinh"), 32, True),
    Column("ownership", "Loại hình sở hữu", "ownership", ("ownership", "so huu"), None, True),
    Column("managing_body", "Cơ quan quản lý", "text", ("managing body",), 255),
    Column("province_code", "Mã tỉnh", "province", ("province", "province code", "tinh"),
           None, True),
    Column("address", "Địa chỉ", "text", ("address",), 500),
    Column("lat", "Vĩ độ", "lat", ("latitude",), None, True),
    Column("lon", "Kinh độ", "lon", ("longitude", "lng"), None, True),
    Column("status", "Trạng thái", "status", ("status",)),
    Column("opened_on", "Ngày hoạt động", "date",
           ("opened on", "opened", "ngay bat dau hoat dong")),
    Column("design_capacity", "Công suất thiết kế", "int",
           ("design capacity", "capacity", "cong suat")),
    Column("residents", "Số đối tượng hiện có", "int",
           ("residents", "current residents", "so doi tuong")),
    Column("staff", "Số nhân viên", "int", ("staff",)),
    Column("services", "Dịch vụ", "text", ("services",), 4000),
    Column("registration_no", "Số giấy chứng nhận đăng ký", "text",
           ("registration no", "registration certificate no", "registration number"), 100),
    Column("licence_no", "Số giấy phép hoạt động", "text",
           ("licence no", "license no", "operating licence no", "licence number"), 100),
    Column("notes", "Ghi chú", "text", ("notes", "note"), 4000),
)
# Written by exports after the template's columns; read back only to refuse generalised rows.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("type_name", "Tên loại hình", "ignored", ("type name", "type_name_vi")),
    Column("commune_code", "Mã xã", "ignored", ("commune code",)),
    Column("generalised", "Vị trí đã khái quát", "flag", ("generalized",)),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS + EXTRA_COLUMNS}
CORE_FIELDS = tuple(c.field for c in COLUMNS if c.required)

# Cell values, also a file format: the brief's "công lập / ngoài công lập"; codes are accepted.
OWNERSHIP_VALUES = {Ownership.PUBLIC: "công lập", Ownership.NON_PUBLIC: "ngoài công lập"}
STATUS_VALUES = {
    Status.PLANNED: "quy hoạch",
    Status.UNDER_CONSTRUCTION: "đang xây dựng",
    Status.OPERATING: "đang hoạt động",
    Status.SUSPENDED: "tạm ngừng hoạt động",
    Status.CLOSED: "đã đóng cửa",
}
_MORE_OWNERSHIP = {"public": Ownership.PUBLIC, "non public": Ownership.NON_PUBLIC,
                   "nonpublic": Ownership.NON_PUBLIC, "private": Ownership.NON_PUBLIC,
                   "tu nhan": Ownership.NON_PUBLIC, "dan lap": Ownership.NON_PUBLIC,
                   "tu thuc": Ownership.NON_PUBLIC}
_MORE_STATUS = {"planned": Status.PLANNED, "du kien": Status.PLANNED,
                "under construction": Status.UNDER_CONSTRUCTION,
                "operating": Status.OPERATING, "hoat dong": Status.OPERATING,
                "suspended": Status.SUSPENDED, "tam ngung": Status.SUSPENDED,
                "closed": Status.CLOSED, "dong cua": Status.CLOSED,
                "giai the": Status.CLOSED, "ngung hoat dong": Status.CLOSED}
_TRUE = {"1", "true", "yes", "x", "co", "dung"}

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson"}
MAX_ROWS = 50_000
LOCATION_TOLERANCE_DEG = 1e-6  # files carry 6 decimals (about 0.1 m): not a move
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an XLSX is a zip: refuse "zip bombs"
# Spreadsheets run cells starting with these as formulas; exports prefix them with "'".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _key(text: object) -> str:
    """Headers and values compared without case, diacritics, spaces or punctuation."""
    return re.sub(r"[^0-9a-z]", "", fold(str(text)))


_HEADER_KEYS: dict[str, str] = {}
for _column in COLUMNS + EXTRA_COLUMNS:
    for _name in (_column.field, _column.header, *_column.aliases):
        _HEADER_KEYS.setdefault(_key(_name), _column.field)


class UploadRejected(RegistryError):
    """The file as a whole cannot be read: wrong type, wrong content, empty, too big."""

    status_code = 400


# --- reading ---------------------------------------------------------------------------------


@dataclass
class SourceRow:
    """Raw cells of one row (or feature), keyed by field; ``number`` as the user sees it."""

    number: int
    values: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)


@dataclass
class SourceFile:
    format: str
    rows: list[SourceRow]
    headers: dict[str, str]  # field -> the column name written in the file
    ignored_columns: list[str] = field(default_factory=list)


def detect_format(filename: str) -> str:
    """The format named by the extension; content is checked when the file is read."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise UploadRejected(str(_l("Only .csv, .xlsx and .geojson files can be imported.")))
    return FORMATS[suffix]


def read_file(data: bytes, fmt: str) -> SourceFile:
    """Rows of an uploaded file; ``UploadRejected`` when the content is not of that format."""
    if not data:
        raise UploadRejected(str(_l("The file is empty.")))
    readers: dict[str, Callable[[bytes], SourceFile]] = {
        "csv": _read_csv, "xlsx": _read_xlsx, "geojson": _read_geojson,
    }
    source = readers[fmt](data)
    if not source.rows:
        raise UploadRejected(str(_l("The file has no data rows.")))
    if len(source.rows) > MAX_ROWS:
        raise UploadRejected(str(_l("The file has more than %(n)d rows; split it.", n=MAX_ROWS)))
    return source


def _map_headers(cells: Iterable[Any]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Column index -> field, field -> header as written, and the unknown headers."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(cells):
        header = "" if cell is None else str(cell).strip()
        if not header:
            continue
        name = _HEADER_KEYS.get(_key(header))
        if name is None or name in written:
            unknown.append(header)
            continue
        by_index[index] = name
        written[name] = header
    if not any(name in written for name in ("code", *CORE_FIELDS)):
        raise UploadRejected(str(_l(
            "The first row must hold the column names of the template; none was recognised.")))
    return by_index, written, unknown


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _rows_from_table(records: Iterator[tuple[int, list[Any]]], fmt: str) -> SourceFile:
    first = next(records, None)
    if first is None:
        raise UploadRejected(str(_l("The file is empty.")))
    by_index, written, unknown = _map_headers(first[1])
    rows = []
    for number, cells in records:
        if all(_blank(c) for c in cells):
            continue  # blank lines are skipped but keep their number
        values = {name: cells[i] for i, name in by_index.items() if i < len(cells)}
        rows.append(SourceRow(number, values))
        if len(rows) > MAX_ROWS:
            break
    return SourceFile(fmt, rows, written, unknown)


def _read_csv(data: bytes) -> SourceFile:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise UploadRejected(str(_l("This is not a CSV text file.")))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected(str(_l(
            "The CSV file is not UTF-8 text. In Excel, save it as “CSV UTF-8”."))) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[Any]]]:
        # Numbered by record, not by line: a quoted multi-line cell is one row in Excel too.
        yield from enumerate(reader, start=1)

    try:
        return _rows_from_table(records(), "csv")
    except csv.Error as exc:
        raise UploadRejected(str(_l("The CSV file cannot be read: %(error)s", error=exc))) \
            from None


def _read_xlsx(data: bytes) -> SourceFile:
    from openpyxl import load_workbook

    not_xlsx = str(_l("This is not an Excel workbook (.xlsx)."))
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise UploadRejected(not_xlsx)
    try:
        with zipfile.ZipFile(buffer) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise UploadRejected(not_xlsx) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRejected(not_xlsx)
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadRejected(str(_l("The workbook is too large once unpacked.")))
    buffer.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            workbook = load_workbook(buffer, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise UploadRejected(not_xlsx) from None
    try:
        sheet = workbook.worksheets[0]
        records = ((number, list(cells)) for number, cells
                   in enumerate(sheet.iter_rows(values_only=True), start=1))
        return _rows_from_table(records, "xlsx")
    finally:
        workbook.close()


def _read_geojson(data: bytes) -> SourceFile:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UploadRejected(str(_l("This is not a valid GeoJSON file."))) from None
    if (not isinstance(document, dict) or document.get("type") != "FeatureCollection"
            or not isinstance(document.get("features"), list)):
        raise UploadRejected(str(_l("The GeoJSON file must be a FeatureCollection.")))
    written: dict[str, str] = {}
    unknown: list[str] = []
    rows = []
    for number, feature in enumerate(document["features"], start=1):
        row = SourceRow(number, {})
        rows.append(row)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            row.problems.append(("geometry", str(_l("This item is not a GeoJSON Feature."))))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        for key, value in properties.items():
            name = _HEADER_KEYS.get(_key(key))
            if name is None:
                if key not in unknown:
                    unknown.append(str(key))
                continue
            written.setdefault(name, str(key))
            row.values[name] = value
        _point_from_geometry(row, feature.get("geometry"))
    written["lat"] = written["lon"] = "geometry"  # problems with the point are the geometry's
    return SourceFile("geojson", rows, written, unknown)


def _point_from_geometry(row: SourceRow, geometry: Any) -> None:
    """The geometry is the location; properties' lat/lon are used only when it is null."""
    if geometry is None:
        return
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        row.problems.append(("geometry", str(_l("The geometry must be a Point."))))
    elif (not isinstance(coordinates, list) or len(coordinates) < 2
          or not all(isinstance(c, (int, float)) and not isinstance(c, bool)
                     for c in coordinates[:2])):
        row.problems.append(("geometry", str(_l("The point has no valid coordinates."))))
    else:
        row.values["lon"], row.values["lat"] = float(coordinates[0]), float(coordinates[1])


# --- reading cells ---------------------------------------------------------------------------


class CellError(ValueError):
    pass


_GROUPED_INT = re.compile(r"\d{1,3}(?:[.,\s]\d{3})+")


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column (a licence number)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in FORMULA_START:
        text = text[1:]  # the guard an export put in front of a formula-like value
    return text


def _int(value: Any) -> int | None:
    """Whole numbers, with Vietnamese (1.200) or English (1,200) thousands separators."""
    if _blank(value):
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
        text = str(value).strip().replace("\u00a0", " ")
        if _GROUPED_INT.fullmatch(text):
            text = re.sub(r"[.,\s]", "", text)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError
        number = int(text)
    if number < 0:
        raise CellError
    return number


def _float(value: Any, limit: float) -> float | None:
    """Decimal degrees, with a decimal point or a decimal comma."""
    if _blank(value):
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


def _date(value: Any) -> date | None:
    if _blank(value):
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


def _province(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text.isdigit() and len(text) <= 2:
        return text.zfill(2)
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

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        from registry.facilities.forms import OWNERSHIP_LABELS, STATUS_LABELS

        types: dict[str, str] = {}
        loaded = list(session.scalars(select(FacilityType)))
        for ftype in loaded:
            for spelling in (ftype.code, ftype.name_vi, ftype.name_en):
                types.setdefault(_key(spelling), ftype.code)
        ownership = {_key(k): v for k, v in _MORE_OWNERSHIP.items()}
        status = {_key(k): v for k, v in _MORE_STATUS.items()}
        for enum_value, text in OWNERSHIP_VALUES.items():
            ownership[_key(text)] = enum_value
            ownership[_key(enum_value.value)] = enum_value
        for enum_value, text in STATUS_VALUES.items():
            status[_key(text)] = enum_value
            status[_key(enum_value.value)] = enum_value
        # The interface's own labels, in both languages, are accepted too.
        for enum_value, label in OWNERSHIP_LABELS.items():
            ownership.setdefault(_key(_in_locale(label, "vi")), enum_value)
            ownership.setdefault(_key(_in_locale(label, "en")), enum_value)
        for enum_value, label in STATUS_LABELS.items():
            status.setdefault(_key(_in_locale(label, "vi")), enum_value)
            status.setdefault(_key(_in_locale(label, "en")), enum_value)
        return cls(types, ownership, status, loaded)


def _in_locale(label: Any, locale: str) -> str:
    from flask import has_app_context
    from flask_babel import force_locale

    if not has_app_context():
        return str(label)
    with force_locale(locale):
        return str(label)


# --- validation ------------------------------------------------------------------------------


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


class ImportFailed(RegistryError):
    """The registry refused rows while writing; the caller rolls the transaction back."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(_l("Nothing was imported: %(n)d rows were refused.",
                                n=len({p.row for p in problems}))))
        self.problems = problems


def column_label(headers: dict[str, str], name: str) -> str:
    """The column a field is in, as the file names it; services' "location" is the point."""
    if name == "location":
        return ", ".join(dict.fromkeys(column_label(headers, f) for f in ("lat", "lon")))
    if name in headers:
        return headers[name]
    column = COLUMN_BY_FIELD.get(name)
    return column.header if column else name


class _Validator:
    def __init__(self, session: Session, source: SourceFile, user: Jurisdiction,
                 rules: bool) -> None:
        self.session = session
        self.source = source
        self.user = user
        self.with_rules = rules
        self.lookups: services.Lookups | None = None
        self.vocabulary = Vocabulary.load(session)
        self.plan = ImportPlan(source.format, source.headers, total=len(source.rows),
                               ignored_columns=list(source.ignored_columns))
        self.existing = self._existing_facilities()
        self.seen_codes: dict[str, int] = {}

    def column(self, name: str) -> str:
        return column_label(self.source.headers, name)

    def error(self, row: int, name: str, message: object) -> None:
        self.plan.errors.append(Problem(row, name, self.column(name), str(message)))

    def _existing_facilities(self) -> dict[str, Facility]:
        codes = sorted({str(_text(r.values.get("code"))) for r in self.source.rows
                        if not _blank(r.values.get("code"))})
        found: dict[str, Facility] = {}
        for start in range(0, len(codes), 500):
            stmt = select(Facility).where(Facility.code.in_(codes[start:start + 500]))
            found.update((f.code, f) for f in self.session.scalars(stmt).unique())
        return found

    def run(self) -> ImportPlan:
        """The file's own checks for every row first, then the registry's rules over the rows
        that could be read, so that batch lookups can be prepared for all of them at once."""
        parsed = [self.row(row) for row in self.source.rows]
        readable = [(planned, ok) for planned, ok in parsed if planned is not None]
        if self.with_rules:
            self.lookups = BatchLookups(self.session, [p.data for p, _ in readable])
            readable = [(planned, self.rules(planned) and ok) for planned, ok in readable]
        self.plan.rows = [planned for planned, ok in readable if ok]
        if self.with_rules:
            self.duplicates_inside_file()
        order = {c.field: i for i, c in enumerate(COLUMNS + EXTRA_COLUMNS)}
        order["location"] = order["lat"]
        self.plan.errors.sort(key=lambda p: (p.row, order.get(p.field, -1)))
        return self.plan

    def cells(self, row: SourceRow) -> tuple[dict[str, Any], set[str]]:
        """Typed cell values, and the fields whose cell could not be read."""
        values: dict[str, Any] = {}
        bad: set[str] = set()
        for name, raw in row.values.items():
            column = COLUMN_BY_FIELD[name]
            try:
                values[name] = self.cell(column, raw)
            except CellError:
                bad.add(name)
                self.error(row.number, name, _CELL_MESSAGES[column.kind])
                continue
            if (column.max_length and isinstance(values[name], str)
                    and len(values[name]) > column.max_length):
                bad.add(name)
                self.error(row.number, name, _l("At most %(n)d characters.",
                                                n=column.max_length))
        return values, bad

    def cell(self, column: Column, raw: Any) -> Any:
        kind = column.kind
        if kind in ("text", "code", "ignored"):
            return _text(raw)
        if kind == "int":
            return _int(raw)
        if kind == "lat":
            return _float(raw, 90)
        if kind == "lon":
            return _float(raw, 180)
        if kind == "date":
            return _date(raw)
        if kind == "province":
            return _province(raw)
        if kind == "flag":
            return not _blank(raw) and (raw is True or _key(raw) in _TRUE)
        text = _text(raw)
        if text is None:
            return None
        if kind == "type":
            # An unknown type is left for services.check to report.
            return self.vocabulary.types.get(_key(text), text.upper())
        lookup: dict[str, Any] = (self.vocabulary.ownership if kind == "ownership"
                                  else self.vocabulary.status)
        if _key(text) not in lookup:
            raise CellError
        return lookup[_key(text)]

    def row(self, row: SourceRow) -> tuple[PlannedRow | None, bool]:
        """The row as a record to check (None when it cannot be built), and whether it was
        read without problems."""
        before = len(self.plan.errors)
        for name, message in row.problems:
            self.error(row.number, name, message)
        values, bad = self.cells(row)
        if row.problems:
            bad.update(("lat", "lon"))  # the geometry was unusable, and said so
        if values.get("generalised"):
            self.error(row.number, "generalised", _l(
                "This row was exported with a generalised location and cannot be imported."))
        facility = self.target(row.number, values)
        if facility is False:
            return None, False
        for name in CORE_FIELDS:
            # A new facility needs every core column; an update keeps the columns the file
            # does not have, but a core cell the file has must not be blank.
            blank = values.get(name) is None if facility is None else (
                name in values and values[name] is None)
            if blank and name not in bad:
                bad.add(name)
                self.error(row.number, name, _l("Required."))
        if any(name in bad for name in CORE_FIELDS):
            return None, False
        data = self.facility_input(values, facility, bad)
        if not self.user.covers(data.province_code):
            self.error(row.number, "province_code", _l(
                "Province %(code)s is outside your jurisdiction.", code=data.province_code))
            return None, False
        return PlannedRow(row.number, data, facility), len(self.plan.errors) == before

    def target(self, number: int, values: dict[str, Any]) -> Facility | bool | None:
        """The facility a row updates, None for a new one, False when the row is refused."""
        code = values.get("code")
        if not code:
            return None
        if code in self.seen_codes:
            self.error(number, "code", _l("This registry code is also in row %(row)d.",
                                          row=self.seen_codes[code]))
            return False
        self.seen_codes[code] = number
        facility = self.existing.get(code)
        if facility is None or not self.user.covers(facility.province_code):
            self.error(number, "code", _l(
                "No facility in your jurisdiction has this registry code. Leave the code "
                "empty to register a new facility."))
            return False
        refused = False
        if facility.status is Status.CLOSED:
            self.error(number, "code", _l(
                "Closed facilities are kept for history and cannot be edited."))
            refused = True
        status = values.get("status")
        if status is not None and status != facility.status:
            self.error(number, "status", _l(
                "The status differs from the registry (%(status)s). Change a status on the "
                "facility's page, with its date and reason.",
                status=STATUS_VALUES[facility.status]))
            refused = True
        province = values.get("province_code")
        if province is not None and province != facility.province_code:
            self.error(number, "province_code", _l(
                "A facility cannot be moved to another province; close it and register it "
                "there."))
            refused = True
        return False if refused else facility

    def facility_input(self, values: dict[str, Any], current: Facility | None,
                       bad: set[str]) -> services.FacilityInput:
        """The row's values over the registered record (update) or the defaults (new).
        Columns the file does not have keep their registered values."""
        if current is not None:
            data = services.FacilityInput.from_facility(current)
        else:
            data = services.FacilityInput(
                name="", type_code="", ownership=Ownership.PUBLIC, province_code="",
                lon=0.0, lat=0.0, location_source=LocationSource.IMPORT)
        for column in COLUMNS:
            name = column.field
            if name in ("code",) or name not in values or name in bad:
                continue
            value = values[name]
            if name == "status" and value is None:
                continue
            setattr(data, name, value)
        if current is not None:
            if (math.isclose(data.lon, current.lon, abs_tol=LOCATION_TOLERANCE_DEG)
                    and math.isclose(data.lat, current.lat, abs_tol=LOCATION_TOLERANCE_DEG)):
                data.lon, data.lat = current.lon, current.lat  # files round to 6 decimals
            else:
                data.location_source = LocationSource.IMPORT
                data.location_approximate = False
        return data

    def rules(self, planned: PlannedRow) -> bool:
        """The services' rules for one record; False when it breaks any."""
        number = planned.number
        checked = services.check(self.session, planned.data, current=planned.facility,
                                 lookups=self.lookups)
        for name, messages in checked.errors.items():
            for message in messages:
                self.error(number, name, message)
        for message in checked.warnings:
            self.plan.warnings.append(Problem(number, "", "", message))
        self.plan.duplicates.extend(PossibleDuplicate(number, facility=f)
                                    for f in checked.duplicates)
        return not checked.errors

    def duplicates_inside_file(self) -> None:
        """Rows of the same type within the services' duplicate distance of each other.
        A grid of cells about as wide as that distance keeps this linear in the rows."""
        limit = services.DUPLICATE_DISTANCE_M
        cell_deg = limit / 100_000  # a degree is at least about 100 km below 25°N
        grid: dict[tuple[str, int, int], list[PlannedRow]] = {}
        for row in self.plan.rows:
            data = row.data
            cx, cy = math.floor(data.lon / cell_deg), math.floor(data.lat / cell_deg)
            here = point(data.lon, data.lat)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for other in grid.get((data.type_code, cx + dx, cy + dy), ()):
                        metres = distance_m(here, point(other.data.lon, other.data.lat))
                        if metres <= limit:
                            self.plan.duplicates.append(PossibleDuplicate(
                                row.number, other_row=other.number, distance_m=metres))
            grid.setdefault((data.type_code, cx, cy), []).append(row)


_CELL_MESSAGES = {
    "int": _l("Enter a whole number, 0 or more."),
    "lat": _l("Enter the latitude in decimal degrees (e.g. 10.95)."),
    "lon": _l("Enter the longitude in decimal degrees (e.g. 106.82)."),
    "date": _l("Enter the date as dd/mm/yyyy."),
    "province": _l("Enter the two-digit province code (e.g. 75)."),
    "ownership": _l("Enter “công lập” (public) or “ngoài công lập” (non-public)."),
    "status": _l("Unknown status."),
}


def validate(session: Session, source: SourceFile, *, user: Jurisdiction,
             rules: bool = True) -> ImportPlan:
    """Every row checked against the services' rules and the user's jurisdiction; nothing is
    written. The plan lists every problem and every possible duplicate.

    ``rules=False`` checks only what the file itself must satisfy (cells, codes, jurisdiction):
    for the confirmation, where ``apply`` runs the services' rules while writing, so they do
    not run twice."""
    return _Validator(session, source, user, rules).run()


def apply(
    session: Session, plan: ImportPlan, *, actor_id: int | None, reason: str,
    expected_versions: dict[str, int] | None = None,
) -> tuple[int, int]:
    """Write a validated plan: creates and updates in file order; returns (created, updated).

    Duplicates were confirmed on the plan, so the services do not ask again. Updates check the
    version seen at the preview (``expected_versions``) so a change made in between is never
    overwritten. Raises ``ImportFailed`` when any row is refused; the caller rolls back."""
    if not plan.ok:
        raise ImportFailed(plan.errors)
    problems: list[Problem] = []
    created = updated = 0
    versions = expected_versions or {}
    _types_held = services.facility_types(session)  # in the weak identity map: no query per row
    lookups = BatchLookups(session, [row.data for row in plan.rows])
    new = [row for row in plan.rows if row.facility is None]
    for row in plan.rows:
        if row.facility is None:
            continue
        try:
            facility = row.facility
            services.update_facility(
                session, facility, row.data,
                expected_version=versions.get(facility.code, facility.version),
                actor_id=actor_id, confirm_duplicates=True, reason=reason, lookups=lookups)
            updated += 1
        except services.EditConflict:
            problems.append(Problem(row.number, "code", column_label(plan.headers, "code"), str(_l(
                "This facility was changed by someone else after the preview; upload the file "
                "again."))))
        except services.ValidationFailed as exc:
            problems.extend(Problem(row.number, name, column_label(plan.headers, name), message)
                            for name, messages in exc.errors.items() for message in messages)
        except SQLAlchemyError as exc:
            # The session cannot go on after a database error; report the row and stop.
            problems.append(Problem(row.number, "", "", str(_l(
                "The database refused this row: %(error)s", error=type(exc).__name__))))
            break
    if new and not problems:
        try:
            created = len(services.register_many(
                session, [row.data for row in new], actor_id=actor_id, confirm_duplicates=True,
                reason=reason, lookups=lookups))
        except services.BatchValidationFailed as exc:
            problems.extend(
                Problem(new[index].number, name, column_label(plan.headers, name), message)
                for index, failure in sorted(exc.failures.items())
                for name, messages in failure.errors.items() for message in messages)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.row))
    return created, updated


class BatchLookups(services.Lookups):
    """The units and possible duplicates of all a file's points, read once: the outlines
    around the file's extent, and the open facilities near it on a 0.01° grid. Facilities
    written by the import itself are not in it: duplicates were confirmed before writing."""

    CELL = 0.01

    def __init__(self, session: Session, records: list[services.FacilityInput]) -> None:
        super().__init__(session)
        points = [(r.lon, r.lat) for r in records if in_vietnam_bbox(r.lon, r.lat)]
        self.locator: geography.Locator | None = None
        self.grid: dict[tuple[str, int, int], list[Facility]] = {}
        self.communes: dict[str, list[Facility]] = {}
        if not points:
            return
        xs, ys = [x for x, _ in points], [y for _, y in points]
        bounds = (min(xs), min(ys), max(xs), max(ys))
        self.locator = geography.Locator(session, bounds)
        pad = 2 * self.CELL
        nearby = select(Facility).where(
            Facility.status != Status.CLOSED,
            Facility.lon.between(bounds[0] - pad, bounds[2] + pad),
            Facility.lat.between(bounds[1] - pad, bounds[3] + pad))
        for facility in session.scalars(nearby).unique():
            key = (facility.type_code, *self._cell(facility.lon, facility.lat))
            self.grid.setdefault(key, []).append(facility)

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.CELL), math.floor(lat / self.CELL)

    def locate(self, lon: float, lat: float) -> geography.Location:
        if self.locator is None:
            return super().locate(lon, lat)
        return self.locator.locate(lon, lat)

    def near(self, type_code: str, lon: float, lat: float, pad: float) -> list[Facility]:
        if self.locator is None or pad > self.CELL:
            return list(super().near(type_code, lon, lat, pad))
        cx, cy = self._cell(lon, lat)
        return [f for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                for f in self.grid.get((type_code, cx + dx, cy + dy), ())
                if abs(f.lon - lon) <= pad and abs(f.lat - lat) <= pad]

    def in_commune(self, commune_code: str) -> list[Facility]:
        if commune_code not in self.communes:
            self.communes[commune_code] = list(super().in_commune(commune_code))
        return self.communes[commune_code]


# --- stored uploads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    versions: dict[str, int]
    duplicates: int

_TOKEN = re.compile(r"[0-9a-f]{32}")


class UploadStore:
    """Uploads kept between preview and confirmation, outside the web root, under random
    names. Only an opaque token (kept in the user's session) refers to a file."""

    def __init__(self, folder: str | Path, max_age_s: float = 2 * 3600) -> None:
        self.folder = Path(folder) / "imports"
        self.max_age_s = max_age_s

    def _path(self, token: str, suffix: str) -> Path | None:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        return self.folder / f"{token}{suffix}"

    def save(self, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_hex(16)
        path = self.folder / f"{token}.upload"
        with path.open("xb") as fh:
            fh.write(data)
        path.chmod(0o600)
        return token

    def load(self, token: str) -> bytes | None:
        """The stored bytes, or None when the token is unknown or the upload expired."""
        path = self._path(token, ".upload")
        if path is None or not path.is_file():
            return None
        if time.time() - path.stat().st_mtime > self.max_age_s:
            self.discard(token)
            return None
        return path.read_bytes()

    def save_preview(self, token: str, plan: ImportPlan) -> None:
        """What the preview showed: the versions to update and how many duplicates."""
        path = self._path(token, ".json")
        if path is not None and path.with_suffix(".upload").is_file():
            path.write_text(json.dumps({"versions": plan.versions(),
                                        "duplicates": len(plan.duplicates)}), encoding="utf-8")

    def load_preview(self, token: str) -> Preview | None:
        path = self._path(token, ".json")
        if path is None or not path.is_file():
            return None
        loaded = json.loads(path.read_text(encoding="utf-8"))
        return Preview({str(k): int(v) for k, v in loaded["versions"].items()},
                       int(loaded["duplicates"]))

    def discard(self, token: str | None) -> None:
        for suffix in (".upload", ".json"):
            path = self._path(token or "", suffix)
            if path is not None:
                path.unlink(missing_ok=True)

    def purge(self) -> int:
        """Delete abandoned uploads older than the time limit; returns how many."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - self.max_age_s
        for path in self.folder.iterdir():
            if path.suffix in (".upload", ".json") and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += path.suffix == ".upload"
        return removed
