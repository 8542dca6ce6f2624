"""Cells of exported spreadsheets and CSV files are never formulas, and CSV text round-trips."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from registry.cells import FORMULA_START, append_row, guard, unguard, xlsx_cell

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_guard_puts_an_apostrophe_before_a_formula_start(text):
    assert guard(text) == "'" + text


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_formula_start_is_guarded(start):
    assert guard(start + "x").startswith("'")


@pytest.mark.parametrize("text", ["Trung tâm Bảo trợ", "1-2", "a=b", "", "'quoted", "12/GP"])
def test_guard_leaves_harmless_text_alone(text):
    assert guard(text) == text


@pytest.mark.parametrize("text", [*DANGEROUS, "Trung tâm", "'quoted", "'", "''=x", ""])
def test_unguard_undoes_guard(text):
    assert unguard(guard(text)) == text


def test_unguard_keeps_an_apostrophe_the_user_typed():
    assert unguard("'quoted") == "'quoted"


def test_guarded_text_round_trips_through_csv():
    out = io.StringIO()
    csv.writer(out).writerow([guard(t) for t in DANGEROUS])
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert all(cell.startswith("'") for cell in row)
    assert [unguard(cell) for cell in row] == DANGEROUS


@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write-only"])
def test_xlsx_text_is_a_string_never_a_formula(write_only):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("s") if write_only else workbook.active
    append_row(sheet, [*DANGEROUS, 1250, 10.95, date(2020, 1, 5)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    *texts, number, degrees, day = next(
        load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows()
    )
    assert {c.data_type for c in texts} == {"s"}
    # XML reads a carriage return back as a line feed; the text is otherwise exact.
    assert [c.value for c in texts] == [t.replace("\r", "\n") for t in DANGEROUS]
    assert (number.value, degrees.value) == (1250, 10.95)
    assert day.is_date
    assert day.value.date() == date(2020, 1, 5)


def test_xlsx_cell_keeps_a_number_format_for_numbers_only():
    sheet = Workbook().active
    assert xlsx_cell(sheet, 1250, number_format="#,##0").number_format == "#,##0"
    text = xlsx_cell(sheet, "=1+1", number_format="#,##0")
    assert text.data_type == "s"
    assert text.number_format == "General"
