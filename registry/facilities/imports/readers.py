"""Reading an uploaded file: CSV, XLSX or GeoJSON into numbered rows of raw cell values.

Reading checks that the file is what its extension says (``UploadRejected`` otherwise), maps
its headers to the template's fields and numbers each row as the user sees it in the file.
Cells are not interpreted here (``parsing`` does that).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import RegistryError
from registry.facilities.imports.columns import CORE_FIELDS, HEADER_KEYS, match_key
from registry.facilities.imports.parsing import is_blank
from registry.i18n import _l

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson"}
MAX_ROWS = 50_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an XLSX is a zip: refuse "zip bombs"


class UploadRejected(RegistryError):
    """The file as a whole cannot be read: wrong type, wrong content, empty, too big."""

    status_code = 400


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
        "csv": _read_csv,
        "xlsx": _read_xlsx,
        "geojson": _read_geojson,
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
        name = HEADER_KEYS.get(match_key(header))
        if name is None or name in written:
            unknown.append(header)
            continue
        by_index[index] = name
        written[name] = header
    if not any(name in written for name in ("code", *CORE_FIELDS)):
        raise UploadRejected(
            str(
                _l("The first row must hold the column names of the template; none was recognised.")
            )
        )
    return by_index, written, unknown


def _rows_from_table(records: Iterator[tuple[int, list[Any]]], fmt: str) -> SourceFile:
    first = next(records, None)
    if first is None:
        raise UploadRejected(str(_l("The file is empty.")))
    by_index, written, unknown = _map_headers(first[1])
    rows = []
    for number, cells in records:
        if all(is_blank(c) for c in cells):
            continue  # blank lines are skipped but keep their number
        values = {name: cells[i] for i, name in by_index.items() if i < len(cells)}
        rows.append(SourceRow(number, values))
        if len(rows) > MAX_ROWS:
            break
    return SourceFile(fmt, rows, written, unknown)


def table_records(data: bytes, fmt: str) -> list[tuple[int, list[Any]]]:
    """The numbered rows of raw cells of a CSV or XLSX file, header row first, after the same
    checks the facility import makes (type, encoding, size); for other imports of tables
    (demand counts) that map their own headers. At most ``MAX_ROWS`` + 1 data rows."""
    if not data:
        raise UploadRejected(str(_l("The file is empty.")))
    limit = MAX_ROWS + 2
    if fmt == "csv":
        return list(itertools.islice(_csv_records(data), limit))
    with _xlsx_records(data) as records:
        return list(itertools.islice(records, limit))


def _csv_records(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise UploadRejected(str(_l("This is not a CSV text file.")))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected(
            str(_l("The CSV file is not UTF-8 text. In Excel, save it as “CSV UTF-8”."))
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Numbered by record, not by line: a quoted multi-line cell is one row in Excel too.
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise UploadRejected(str(_l("The CSV file cannot be read: %(error)s", error=exc))) from None


def _read_csv(data: bytes) -> SourceFile:
    return _rows_from_table(_csv_records(data), "csv")


@contextlib.contextmanager
def _xlsx_records(data: bytes) -> Iterator[Iterator[tuple[int, list[Any]]]]:
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
        yield (
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
    finally:
        workbook.close()


def _read_xlsx(data: bytes) -> SourceFile:
    with _xlsx_records(data) as records:
        return _rows_from_table(records, "xlsx")


def _read_geojson(data: bytes) -> SourceFile:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UploadRejected(str(_l("This is not a valid GeoJSON file."))) from None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(document.get("features"), list)
    ):
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
            name = HEADER_KEYS.get(match_key(key))
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
    elif (
        not isinstance(coordinates, list)
        or len(coordinates) < 2
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates[:2])
    ):
        row.problems.append(("geometry", str(_l("The point has no valid coordinates."))))
    else:
        row.values["lon"], row.values["lat"] = float(coordinates[0]), float(coordinates[1])
