"""The investment portfolio as an XLSX workbook in Vietnamese (a file for officials, like the
facility export: fixed Vietnamese headers, dd/mm/yyyy dates, VND with thousands separators).

Money cells hold the exact integer VND (never a float, never a formula; a spreadsheet number
keeps 15 significant digits, so amounts below 10^15 đồng are exact); text goes through
``registry.cells`` so a project name starting with ``=`` stays text.

Sheets: the portfolio (one row per project), capital plans and disbursements by year and
source, the list of disbursements, and totals by source and by year.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from registry.cells import xlsx_cell
from registry.investment import services, workflow
from registry.investment.models import Kind, Project, Source
from registry.investment.oc4ids import SOURCE_NAMES

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_PREFIX = "danh-muc-du-an-dau-tu"
VND = "#,##0"
DATE = "DD/MM/YYYY"
PCT = "0.0%"

KIND_NAMES: dict[Kind, str] = {
    Kind.NEW_CONSTRUCTION: "Xây dựng mới",
    Kind.UPGRADE: "Nâng cấp",
    Kind.EXPANSION: "Mở rộng",
    Kind.REPAIR: "Sửa chữa",
    Kind.EQUIPMENT: "Mua sắm trang thiết bị",
}

#: (header, width, number format) of the portfolio sheet.
PORTFOLIO_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("Mã dự án", 16, None),
    ("Tên dự án", 48, None),
    ("Loại dự án", 18, None),
    ("Giai đoạn", 26, None),
    ("Tỉnh", 14, None),
    ("Cơ sở", 40, None),
    ("Chủ đầu tư", 32, None),
    ("Tổng mức đầu tư được duyệt (đồng)", 22, VND),
    ("Vốn được giao lũy kế (đồng)", 22, VND),
    ("Đã giải ngân lũy kế (đồng)", 22, VND),
    ("Tỷ lệ giải ngân so với tổng mức đầu tư", 16, PCT),
    ("Khối lượng hoàn thành (%)", 14, None),
    ("Tiến độ tính đến ngày", 14, DATE),
    ("Ngày nghiệm thu", 14, DATE),
    ("Cảnh báo", 60, None),
    ("Ghi chú", 50, None),
)
CAPITAL_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("Mã dự án", 16, None),
    ("Năm", 8, None),
    ("Nguồn vốn", 30, None),
    ("Vốn được giao (đồng)", 22, VND),
    ("Đã giải ngân vốn năm (đồng)", 22, VND),
    ("Số quyết định giao vốn", 22, None),
    ("Ngày quyết định", 14, DATE),
    ("Kéo dài thời gian giải ngân đến", 16, DATE),
)
DISBURSEMENT_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("Mã dự án", 16, None),
    ("Ngày giải ngân", 14, DATE),
    ("Số tiền (đồng)", 22, VND),
    ("Nguồn vốn", 30, None),
    ("Vốn kế hoạch năm", 10, None),
    ("Chứng từ", 28, None),
)
TOTAL_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("Năm", 10, None),
    ("Nguồn vốn", 30, None),
    ("Vốn được giao (đồng)", 22, VND),
    ("Đã giải ngân (đồng)", 22, VND),
)


@dataclass(frozen=True)
class Context:
    """What the report shows besides the projects: names the reader may see and the flags."""

    facility_names: Mapping[int, str]
    province_names: Mapping[str, str]
    flags: Mapping[int, Sequence[str]]


def filename(on: date) -> str:
    return f"{FILE_PREFIX}-{on:%Y%m%d}.xlsx"


def _rate(part: int, whole: int | None) -> float | None:
    """A share for a percentage cell (exact until the spreadsheet's own number)."""
    if not whole:
        return None
    return float(Fraction(part, whole))


def _portfolio_row(project: Project, ctx: Context) -> list[Any]:
    approved = services.approved_total(project)
    allocated = sum(int(p.amount_vnd) for p in project.capital_plans)
    disbursed = sum(int(d.amount_vnd) for d in project.disbursements)
    latest = project.progress_reports[-1] if project.progress_reports else None
    facility = ctx.facility_names.get(project.facility_id) if project.facility_id else None
    note = "Dữ liệu minh họa (demo). " + (project.source_note or "") if project.is_demo else ""
    return [
        project.code,
        project.name,
        KIND_NAMES[Kind(project.kind)],
        workflow.label(project.stage, "vi"),
        ctx.province_names.get(project.province_code, project.province_code),
        facility or "",
        project.owner,
        approved,
        allocated,
        disbursed,
        _rate(disbursed, approved),
        latest.physical_pct if latest else None,
        latest.as_of if latest else None,
        project.accepted_on,
        "; ".join(ctx.flags.get(project.id, ())),
        note.strip(),
    ]


def _capital_rows(project: Project) -> list[list[Any]]:
    paid: dict[tuple[int, Source], int] = {}
    for payment in project.disbursements:
        key = (payment.capital_year, Source(payment.source))
        paid[key] = paid.get(key, 0) + int(payment.amount_vnd)
    rows = []
    planned = set()
    for plan in project.capital_plans:
        key = (plan.year, Source(plan.source))
        planned.add(key)
        rows.append(
            [
                project.code,
                plan.year,
                SOURCE_NAMES[key[1]],
                int(plan.amount_vnd),
                paid.get(key, 0),
                plan.decision_number or "",
                plan.decision_on,
                plan.extended_until,
            ]
        )
    for key in sorted(set(paid) - planned, key=lambda k: (k[0], list(Source).index(k[1]))):
        # Paid against a year and source without an allocation: shown, with no allocation.
        rows.append([project.code, key[0], SOURCE_NAMES[key[1]], 0, paid[key], "", None, None])
    return rows


def _totals(projects: Sequence[Project]) -> list[list[Any]]:
    allocated: dict[tuple[int, Source], int] = {}
    paid: dict[tuple[int, Source], int] = {}
    for project in projects:
        for plan in project.capital_plans:
            key = (plan.year, Source(plan.source))
            allocated[key] = allocated.get(key, 0) + int(plan.amount_vnd)
        for payment in project.disbursements:
            key = (payment.capital_year, Source(payment.source))
            paid[key] = paid.get(key, 0) + int(payment.amount_vnd)
    keys = sorted(set(allocated) | set(paid), key=lambda k: (k[0], list(Source).index(k[1])))
    rows: list[list[Any]] = [
        [year, SOURCE_NAMES[source], allocated.get((year, source), 0), paid.get((year, source), 0)]
        for year, source in keys
    ]
    for source in Source:
        a = sum(v for (_, s), v in allocated.items() if s is source)
        p = sum(v for (_, s), v in paid.items() if s is source)
        if a or p:
            rows.append(["Cộng", SOURCE_NAMES[source], a, p])
    rows.append(["Tổng cộng", "", sum(allocated.values()), sum(paid.values())])
    return rows


def _sheet(
    workbook: Any, title: str, columns: tuple[tuple[str, int, str | None], ...], rows: Any
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, (_header, width, _fmt) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for text, _width, _fmt in columns:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        cell.data_type = "s"
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, value, number_format=fmt)
                for value, (_h, _w, fmt) in zip(row, columns, strict=True)
            ]
        )
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"


def to_xlsx(projects: Sequence[Project], ctx: Context) -> bytes:
    """The workbook of ``projects`` (already scoped to the reader), ordered by code."""
    from openpyxl import Workbook

    ordered = sorted(projects, key=lambda p: p.code)
    workbook = Workbook(write_only=True)
    _sheet(workbook, "Danh mục dự án", PORTFOLIO_COLUMNS, (_portfolio_row(p, ctx) for p in ordered))
    _sheet(
        workbook,
        "Kế hoạch vốn",
        CAPITAL_COLUMNS,
        (row for p in ordered for row in _capital_rows(p)),
    )
    _sheet(
        workbook,
        "Giải ngân",
        DISBURSEMENT_COLUMNS,
        (
            [
                p.code,
                d.paid_on,
                int(d.amount_vnd),
                SOURCE_NAMES[Source(d.source)],
                d.capital_year,
                d.reference or "",
            ]
            for p in ordered
            for d in p.disbursements
        ),
    )
    _sheet(workbook, "Tổng hợp", TOTAL_COLUMNS, _totals(ordered))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
