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
from registry.facilities import catalogue, read
from registry.facilities.imports.columns import (
    COLUMNS,
    EXTRA_COLUMNS,
    OWNERSHIP_VALUES,
    PRECISION_VALUES,
    STATUS_VALUES,
    Column,
)
from registry.facilities.imports.parsing import CATALOGUE_KINDS
from registry.facilities.read import FacilityRecord
from registry.facilities.vocab import LocationPrecision, Ownership, Status
from registry.filters import format_datetime, local_naive
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
    "service_codes": 48,
    "target_groups": 36,
    "level": 12,
    "notes": 36,
    "type_name": 40,
    "registration_no": 22,
    "licence_no": 22,
    "code": 24,
}
_KIND_WIDTHS = {
    "int": 14,
    "capacity": 14,
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


_UNIT_CODES = {"commune": "commune_code", "district": "district_code"}


def _cell(item: FacilityRecord, column: Column) -> Any:
    """The typed value of one export cell (dates stay dates, numbers stay numbers)."""
    if column.field == "type_name":
        return item["type_name_vi"]
    if column.field == "generalised":
        return "có" if item["generalised"] else ""
    if column.field in _UNIT_CODES:  # the units by code: re-imports name the same units
        return item.get(_UNIT_CODES[column.field])
    if column.field == "location_precision":
        return PRECISION_VALUES[LocationPrecision(item["location_precision"])]
    if column.field == "over_capacity":
        return "có" if item.get("over_capacity") else ""
    value = item.get(column.field)
    if column.kind in CATALOGUE_KINDS:
        # Readable labels (Vietnamese, a file format), "; "-separated; the import reads
        # them back.
        codes = [str(getattr(value, "value", value))] if isinstance(value, str) else value
        return "; ".join(catalogue.labels(CATALOGUE_KINDS[column.kind], codes or (), "vi"))
    if column.kind == "ownership" and value is not None:
        return OWNERSHIP_VALUES[Ownership(value)]
    if column.kind == "status" and value is not None:
        return STATUS_VALUES[Status(value)]
    return value


def _csv_text(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a timestamp: Vietnam time, "HH:MM dd/mm/yyyy"
        return format_datetime(value)
    if isinstance(value, date):
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
    formats = {
        "int": "#,##0",
        "capacity": "#,##0",
        "lat": "0.000000",
        "lon": "0.000000",
        "date": "DD/MM/YYYY",
        "datetime": "HH:MM DD/MM/YYYY",
    }
    for item in items:
        row = []
        for column in columns:
            value = _cell(item, column)
            if isinstance(value, datetime):
                value = local_naive(value)  # Excel has no zones: Vietnam wall-clock time
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

    for kind, title in (
        ("levels", _("Level")),
        ("services", _("Services (catalogue)")),
        ("target_groups", _("Target groups")),
    ):
        sheet.append([])
        heading(title, _("Value"))
        for entry in catalogue.catalogue().kind(kind):
            text_row(entry.name_vi, entry.code)

    sheet = workbook.create_sheet(_("Facility types")[:31])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 70
    heading(_("Type (code)"), _("Name"))
    for code, name in types:
        text_row(code, name)


def to_geojson(items: Iterable[FacilityRecord]) -> bytes:
    """A FeatureCollection per RFC 7946: WGS 84 longitude/latitude, no ``crs`` member,
    6 decimals (about 0.1 m); dates in ISO 8601."""
    document = {"type": "FeatureCollection", "features": [_feature(i) for i in items]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _feature(item: FacilityRecord) -> dict[str, Any]:
    """The read model's feature, with the catalogue codes' labels beside them."""
    feature = read.to_feature(item)
    properties = feature["properties"]
    level = item.get("level")
    properties["level_label"] = catalogue.level_label(
        None if level is None else str(getattr(level, "value", level)), "vi"
    )
    properties["service_labels"] = catalogue.labels("services", item.get("service_codes"), "vi")
    properties["target_group_labels"] = catalogue.labels(
        "target_groups", item.get("target_groups"), "vi"
    )
    return feature


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
    "province_code": _l(
        "Code or name of the province, current or before 1 July 2025 (e.g. 75, Đồng Nai, "
        "Bình Phước)."
    ),
    "address": _l("Street address."),
    "commune": _l(
        "Commune or ward, by code or name, current or before 1 July 2025 (e.g. xã Xuân Tâm). "
        "Without coordinates the facility is placed at the commune's representative point, "
        "marked approximate."
    ),
    "district": _l(
        "District before 1 July 2025, by code or name (e.g. huyện Xuân Lộc); narrows the "
        "commune, or places the facility at the district's point."
    ),
    "lat": _l(
        "Latitude in decimal degrees, WGS 84 (e.g. 10.95). Leave empty when only the commune "
        "or district is known."
    ),
    "lon": _l("Longitude in decimal degrees, WGS 84 (e.g. 106.82)."),
    "status": _l(
        "One of the status values below; empty means operating. An update cannot change the status."
    ),
    "status_changed_on": _l(
        "dd/mm/yyyy: when the status took effect, if before the import; empty: the opening "
        "date for an operating facility, else the day of the import."
    ),
    "opened_on": _l("dd/mm/yyyy"),
    "level": _l("One level from the “Instructions” sheet (label or code); empty if not stated."),
    "service_codes": _l(
        "Services from the “Instructions” sheet (labels or codes), separated by “;”."
    ),
    "target_groups": _l(
        "Target groups from the “Instructions” sheet (labels or codes), separated by “;”."
    ),
    "criteria_supported_on": _l(
        "Trusted addresses and counselling points: the date they were supported to the "
        "central criteria (dd/mm/yyyy)."
    ),
    "design_capacity": _l(
        "Whole number of residents, or a range (300-500): the upper bound is recorded."
    ),
    "residents": _l("Whole number; more than the design capacity is flagged as over capacity."),
    "staff": _l("Whole number."),
    "services": _l("Services offered."),
    "registration_no": _l("Number of the registration certificate."),
    "licence_no": _l("Number of the operating licence."),
    "notes": _l("Anything else."),
}
