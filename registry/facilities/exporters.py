"""Facility exports: CSV (UTF-8 with BOM, for Excel), formatted XLSX and GeoJSON (RFC 7946).

Every export takes the records of ``facilities.read``, so a confidential facility is already
generalised (commune point, no address, no notes) for a reader who may not see it. CSV and
XLSX use the import template's Vietnamese columns, so an export re-imports; GeoJSON
properties use the English field names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from registry.cells import guard, xlsx_cell
from registry.facilities import read
from registry.facilities.imports.columns import (
    COLUMNS,
    EXTRA_COLUMNS,
    OWNERSHIP_VALUES,
    STATUS_VALUES,
    Column,
)
from registry.facilities.read import FacilityRecord
from registry.facilities.vocab import Ownership, Status
from registry.i18n import _, _l

FILE_PREFIX = "co-so-tgxh"
TEMPLATE_PREFIX = "mau-nhap-co-so-tgxh"
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
EXPORT_COLUMNS: tuple[Column, ...] = COLUMNS + EXTRA_COLUMNS
# Character widths in the XLSX, by kind of column; text columns by their field.
_WIDTHS = {
    "name": 42,
    "managing_body": 32,
    "address": 42,
    "services": 36,
    "notes": 36,
    "type_name": 40,
    "registration_no": 22,
    "licence_no": 22,
    "code": 24,
}
_KIND_WIDTHS = {
    "int": 14,
    "lat": 12,
    "lon": 12,
    "date": 14,
    "province": 9,
    "status": 20,
    "ownership": 18,
    "type": 18,
    "flag": 12,
}


def filename(prefix: str, fmt: str, on: date) -> str:
    """``co-so-tgxh-20250701.csv``: ASCII, dated, safe in a Content-Disposition header."""
    return f"{prefix}-{on:%Y%m%d}.{fmt}"


def _cell(item: FacilityRecord, column: Column) -> Any:
    """The typed value of one export cell (dates stay dates, numbers stay numbers)."""
    if column.field == "type_name":
        return item["type_name_vi"]
    if column.field == "generalised":
        return "có" if item["generalised"] else ""
    value = item.get(column.field)
    if column.kind == "ownership" and value is not None:
        return OWNERSHIP_VALUES[Ownership(value)]
    if column.kind == "status" and value is not None:
        return STATUS_VALUES[Status(value)]
    return value


def _csv_text(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    if column.kind in ("lat", "lon"):
        return f"{value:.6f}"
    if isinstance(value, str):
        return guard(value)  # never run as a formula; the importer removes the apostrophe
    return str(value)


def to_csv(
    items: Iterable[FacilityRecord], *, columns: tuple[Column, ...] = EXPORT_COLUMNS
) -> bytes:
    """UTF-8 with a byte-order mark: Excel then opens Vietnamese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for item in items:
        writer.writerow([_csv_text(_cell(item, c), c) for c in columns])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(
    items: Iterable[FacilityRecord],
    *,
    columns: tuple[Column, ...] = EXPORT_COLUMNS,
    help_types: list[tuple[str, str]] | None = None,
) -> bytes:
    """One sheet, bold frozen header with a filter, sized columns, dd/mm/yyyy dates and
    numbers with thousands separators."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cơ sở")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        width = _WIDTHS.get(column.field) or _KIND_WIDTHS.get(column.kind, 20)
        sheet.column_dimensions[get_column_letter(index)].width = max(width, len(column.header) + 2)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    sheet.append(header)
    formats = {"int": "#,##0", "lat": "0.000000", "lon": "0.000000", "date": "DD/MM/YYYY"}
    for item in items:
        row = []
        for column in columns:
            value = _cell(item, column)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)
            row.append(xlsx_cell(sheet, value, number_format=formats.get(column.kind)))
        sheet.append(row)
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
    if help_types is not None:
        _append_help(workbook, help_types)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append_help(workbook: Any, types: list[tuple[str, str]]) -> None:
    """The template's other sheets: what each column takes, the accepted values, and the
    facility type codes."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(_("Instructions")[:31])
    for letter, width in zip("ABC", (30, 18, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def heading(*texts: str) -> None:
        cells = []
        for text in texts:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    def text_row(*texts: str) -> None:
        sheet.append([xlsx_cell(sheet, text) for text in texts])

    heading(_("Column"), _("Required"), _("What to enter"))
    for column in COLUMNS:
        text_row(
            column.header,
            _("for a new facility") if column.required else "",
            str(COLUMN_HELP[column.field]),
        )
    sheet.append([])
    heading(_("Ownership"), _("Value"))
    for ownership, text in OWNERSHIP_VALUES.items():
        text_row(text, ownership.value)
    sheet.append([])
    heading(_("Status"), _("Value"))
    for status, text in STATUS_VALUES.items():
        text_row(text, status.value)

    sheet = workbook.create_sheet(_("Facility types")[:31])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 70
    heading(_("Type (code)"), _("Name"))
    for code, name in types:
        text_row(code, name)


def to_geojson(items: Iterable[FacilityRecord]) -> bytes:
    """A FeatureCollection per RFC 7946: WGS 84 longitude/latitude, no ``crs`` member,
    6 decimals (about 0.1 m); dates in ISO 8601."""
    document = {"type": "FeatureCollection", "features": [read.to_feature(i) for i in items]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def export(items: list[FacilityRecord], fmt: str) -> bytes:
    writers: dict[str, Callable[[list[FacilityRecord]], bytes]] = {
        "csv": to_csv,
        "xlsx": to_xlsx,
        "geojson": to_geojson,
    }
    return writers[fmt](items)


def template(fmt: str, types: list[tuple[str, str]]) -> bytes:
    """The empty import template: the columns only (an example row could be imported by
    mistake); the XLSX explains each column and lists the type codes."""
    if fmt == "csv":
        return to_csv([], columns=COLUMNS)
    return to_xlsx([], columns=COLUMNS, help_types=types)


COLUMN_HELP = {
    "code": _l("Leave empty to register a new facility. A registry code updates that facility."),
    "name": _l("Full name of the facility."),
    "type_code": _l("A code from the “Facility types” sheet."),
    "ownership": _l("“công lập” (public) or “ngoài công lập” (non-public)."),
    "managing_body": _l("The body that manages the facility."),
    "province_code": _l("Two-digit code of the current province (e.g. 75)."),
    "address": _l("Street address."),
    "lat": _l("Latitude in decimal degrees, WGS 84 (e.g. 10.95)."),
    "lon": _l("Longitude in decimal degrees, WGS 84 (e.g. 106.82)."),
    "status": _l(
        "One of the status values below; empty means operating. An update cannot change the status."
    ),
    "opened_on": _l("dd/mm/yyyy"),
    "design_capacity": _l("Whole number of residents."),
    "residents": _l("Whole number; not more than the design capacity."),
    "staff": _l("Whole number."),
    "services": _l("Services offered."),
    "registration_no": _l("Number of the registration certificate."),
    "licence_no": _l("Number of the operating licence."),
    "notes": _l("Anything else."),
}
