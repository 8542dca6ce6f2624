"""Writing cells of the spreadsheets and CSV files the app produces, never as formulas.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return) as a formula: text from the registry (a facility's notes,
a scenario's name) must never become one (OWASP "CSV injection"). In CSV, such text gets a
leading apostrophe, which spreadsheets hide and the facility importer strips again
(``unguard``), so an export re-imports unchanged. In XLSX, text cells are always written as
strings (data type ``s``), so the text stays exactly as entered and is never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import Cell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(text: str) -> str:
    """CSV text a spreadsheet would run as a formula, with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unguard(text: str) -> str:
    """The text ``guard`` was given: the apostrophe it put before a formula start removed."""
    if text.startswith("'") and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def xlsx_cell(sheet: Any, value: Any, *, number_format: str | None = None) -> Cell:
    """An openpyxl cell for ``sheet`` holding ``value``: text as a string, never a formula.

    Works for normal and write-only worksheets (``sheet.append`` takes it either way)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif number_format is not None and value is not None:
        cell.number_format = number_format
    return cell


def append_row(sheet: Any, values: Iterable[Any]) -> list[Cell]:
    """Append a row of typed values (numbers stay numbers, dates dates, text text)."""
    cells = [xlsx_cell(sheet, value) for value in values]
    sheet.append(cells)
    return cells


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_bytes(fmt: str, headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A plain table as CSV (UTF-8 with BOM, for Excel; text guarded) or XLSX (one sheet)."""
    import csv
    import io

    headers = list(headers)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(
                ["" if v is None else guard(v) if isinstance(v, str) else v for v in row]
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    append_row(sheet, headers)
    for row in rows:
        append_row(sheet, row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
