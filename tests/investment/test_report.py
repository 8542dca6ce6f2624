"""The XLSX portfolio report: opens with openpyxl, Vietnamese headers, exact integer VND,
text never becomes a formula."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from registry.auth.permissions import Role
from registry.investment import report
from registry.investment.models import (
    CapitalPlan,
    DecisionKind,
    Disbursement,
    Kind,
    Project,
    ProjectDecision,
    Source,
)
from registry.investment.workflow import Stage
from tests.factories import UserFactory


def _project(**overrides) -> Project:
    fields = {
        "id": 1,
        "code": "DA-01",
        "name": "Nâng cấp trung tâm",
        "kind": Kind.UPGRADE,
        "stage": Stage.CONSTRUCTION,
        "province_code": "75",
        "facility_id": None,
        "owner": "Sở Lao động - Thương binh và Xã hội",
        "is_demo": False,
    }
    project = Project(**{**fields, **overrides})
    project.decisions = [
        ProjectDecision(
            id=1,
            kind=DecisionKind.INVESTMENT,
            number="1/QĐ",
            signed_on=date(2024, 1, 2),
            authority="UBND tỉnh",
            total_vnd=123_456_789_012_345,  # 15 digits: exact in a spreadsheet number
        )
    ]
    project.capital_plans = [
        CapitalPlan(year=2024, source=Source.CENTRAL, amount_vnd=3_000_000_001),
        CapitalPlan(year=2025, source=Source.PROVINCIAL, amount_vnd=2_000_000_000),
    ]
    project.disbursements = [
        Disbursement(
            paid_on=date(2024, 3, 1), amount_vnd=1, source=Source.CENTRAL, capital_year=2024
        )
        for _ in range(1000)
    ]
    return project


def _open(body: bytes):
    return load_workbook(io.BytesIO(body))


CTX = report.Context(facility_names={}, province_names={"75": "Đồng Nai"}, flags={})


def test_the_report_opens_with_vietnamese_headers_on_every_sheet():
    book = _open(report.to_xlsx([_project()], CTX))
    assert book.sheetnames == ["Danh mục dự án", "Kế hoạch vốn", "Giải ngân", "Tổng hợp"]
    headers = [c.value for c in book["Danh mục dự án"][1]]
    assert headers == [h for h, _, _ in report.PORTFOLIO_COLUMNS]
    assert "Tổng mức đầu tư được duyệt (đồng)" in headers
    assert "Đã giải ngân lũy kế (đồng)" in headers
    assert book["Danh mục dự án"].freeze_panes == "A2"


def test_money_cells_are_exact_integers_with_thousands_separators():
    sheet = _open(report.to_xlsx([_project()], CTX))["Danh mục dự án"]
    row = {h.value: c for h, c in zip(sheet[1], sheet[2], strict=True)}
    approved = row["Tổng mức đầu tư được duyệt (đồng)"]
    assert approved.value == 123_456_789_012_345
    assert isinstance(approved.value, int)
    assert approved.number_format == "#,##0"
    assert row["Vốn được giao lũy kế (đồng)"].value == 5_000_000_001
    # A thousand payments of one đồng sum to exactly 1,000.
    assert row["Đã giải ngân lũy kế (đồng)"].value == 1000
    assert row["Giai đoạn"].value == "Thi công xây dựng"
    assert row["Loại dự án"].value == "Nâng cấp"
    assert row["Tỉnh"].value == "Đồng Nai"


def test_totals_by_year_and_source_are_exact():
    sheet = _open(report.to_xlsx([_project(), _project(id=2, code="DA-02")], CTX))["Tổng hợp"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [2024, "Ngân sách trung ương", 6_000_000_002, 2000] in rows
    assert ["Tổng cộng", None, 10_000_000_002, 2000] in rows or [
        "Tổng cộng",
        "",
        10_000_000_002,
        2000,
    ] in rows


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_stays_text(text):
    project = _project(name=text, owner=text)
    body = report.to_xlsx([project], CTX)
    sheet = _open(body)["Danh mục dự án"]
    row = {h.value: c for h, c in zip(sheet[1], sheet[2], strict=True)}
    for header in ("Tên dự án", "Chủ đầu tư"):
        assert row[header].value == text
        assert row[header].data_type == "s"
    assert b"<f>" not in _sheet_xml(body)


def _sheet_xml(body: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"".join(
            archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")
        )


def test_the_route_gives_the_users_projects(db_session, client, auth):
    from registry.facilities.demo import load_demo_facilities
    from registry.investment.demo import load_demo_projects

    admin = UserFactory(role=Role.ADMIN, province_code=None, username="report.admin")
    load_demo_facilities(db_session)
    load_demo_projects(db_session, admin)
    officer = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="75")
    auth.login(officer)
    response = client.get("/investment/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == report.MIMETYPE
    sheet = _open(response.data)["Danh mục dự án"]
    codes = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert codes == ["DEMO-DN-01", "DEMO-DN-02"]
    row = {h.value: c.value for h, c in zip(sheet[1], sheet[2], strict=True)}
    assert row["Cơ sở"].startswith("Trung tâm Bảo trợ người già")
    assert "minh họa" in row["Ghi chú"]
    # The 2018 capital paid in February 2019 is flagged.
    assert row["Cảnh báo"]
