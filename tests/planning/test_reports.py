# ruff: noqa: F811  (shared fixtures are imported from test_services)
"""PDF, XLSX and JSON reports parse, and the targets workbook round-trips."""

from __future__ import annotations

import io
import json
import re
import zlib

import pytest
from openpyxl import load_workbook

from registry.facilities.read import SYSTEM
from registry.planning import reports, services
from tests.planning.test_services import (  # noqa: F401  (fixtures)
    DN_PLAN,
    district_points,
    plans,
    register,
)


def _run(db_session, district_points):
    register(
        db_session, "Cơ sở cai nghiện cộng đồng Biên Hòa", "DRUG_COMMUNITY", district_points["731"]
    )
    return services.run_check(
        db_session, SYSTEM, [DN_PLAN, "QD-1520-LDTBXH-2015"], as_of=None, jurisdiction="75"
    )


def test_json_report_validates(db_session, plans, district_points):
    data = json.loads(reports.report_json(_run(db_session, district_points)))
    assert reports.validate_report_dict(data) == []
    assert [p["code"] for p in data["plans"]] == sorted([DN_PLAN, "QD-1520-LDTBXH-2015"])
    assert reports.validate_report_dict({"plans": [{"results": [{"status": "maybe"}]}]})


def test_pdf_report_is_a_pdf_with_vietnamese_font(db_session, plans, district_points):
    pdf = reports.report_pdf(_run(db_session, district_points))
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"DejaVu" in pdf
    # fpdf2 compresses page streams; they must inflate cleanly (no broken output).
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    assert streams
    inflated = []
    for stream in streams:
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            continue  # embedded font programs and images use other encodings
    assert any(b"Tj" in s or b"TJ" in s for s in inflated)


def test_xlsx_report_opens(db_session, plans, district_points):
    data = reports.report_xlsx(_run(db_session, district_points))
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Ket qua"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "Kế hoạch",
        "Ngày đối chiếu",
        "Mã quy tắc",
        "Quy tắc",
        "Năm chỉ tiêu",
        "Kết quả",
    )
    dn08 = next(r for r in rows if r[2] == "DN-08")
    assert dn08[1] == "31/12/2020"  # the plan period (2018–2020) has ended
    assert dn08[5] == "Chưa đạt"
    assert "Đơn vị chưa đạt" in dn08[7]
    statuses = {r[5] for r in rows[1:] if r[0] == "QD-1520-LDTBXH-2015"}
    assert statuses == {"Chưa đặt chỉ tiêu"}


def test_targets_template_round_trips(db_session, plans):
    data = reports.targets_template(services.all_plans(db_session))
    rows = reports.read_targets(io.BytesIO(data))
    keys = {(r.plan_code, r.rule_code, r.key, r.unit_code) for r in rows}
    assert ("QD-1520-LDTBXH-2015", "1520-TOTAL", "unit_min", "75") in keys
    assert (
        next(r for r in rows if r.rule_code == "1520-TOTAL" and r.unit_code == "75").value is None
    )
    assert services.import_targets(
        db_session, rows, reason="Không đổi", editor_province=None
    ) == len(rows)


def test_unreadable_targets_file_is_rejected():
    with pytest.raises(reports.TargetsFileError) as exc:
        reports.read_targets(io.BytesIO(b"not a workbook"))
    assert exc.value.errors[0][0] == 0


def test_xlsx_report_writes_a_formula_like_scenario_name_as_text(
    db_session, plans, district_points
):
    name = '=HYPERLINK("http://x","y")'
    scenario = services.create_scenario(
        db_session, name=name, province_code="75", target_year=2026, notes=None, actor_id=None
    )
    run = services.run_check(
        db_session, SYSTEM, [DN_PLAN], as_of=None, jurisdiction="75", scenario=scenario
    )
    summary = load_workbook(io.BytesIO(reports.report_xlsx(run)))["Tong hop"]
    cell = next(row[1] for row in summary.iter_rows() if row[0].value == "Kịch bản")
    assert cell.data_type == "s"
    assert cell.value == name


# --- every report says the plan period, the as-of date and the unit catalogue ----------------


def test_json_report_says_period_date_and_catalogue(db_session, plans, district_points):
    data = reports.report_dict(_run(db_session, district_points))
    assert data["as_of_requested"] is None
    dn = next(p for p in data["plans"] if p["code"] == DN_PLAN)
    assert dn["as_of"] == "2020-12-31"
    assert dn["as_of_default"] is True
    assert dn["period"] == {"start": 2018, "end": 2020, "ended": True}
    assert "31/12/2020" in dn["date_note_vi"]
    assert dn["catalogues"][0]["edition"] == "pre2025"
    assert "01/03/2025" in dn["catalogues"][0]["name_vi"]


def test_csv_report_rows_carry_period_date_and_catalogue(db_session, plans, district_points):
    import csv

    data = reports.report_csv(_run(db_session, district_points))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == reports.CSV_HEADER
    dn08 = next(r for r in rows if r[4] == "DN-08")
    assert dn08[:3] == [DN_PLAN, "2018–2020 (đã kết thúc)", "31/12/2020"]
    assert "01/03/2025" in dn08[3]
    assert dn08[7] == "Chưa đạt"


def test_xlsx_summary_says_period_date_and_catalogue(db_session, plans, district_points):
    wb = load_workbook(io.BytesIO(reports.report_xlsx(_run(db_session, district_points))))
    rows = list(wb["Tong hop"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Ngày đối chiếu", "theo từng kế hoạch (bên dưới)")
    header = next(r for r in rows if r and r[0] == "Kế hoạch")
    assert header[:4] == ("Kế hoạch", "Kỳ kế hoạch", "Ngày đối chiếu", "Danh mục đơn vị hành chính")
    dn = next(r for r in rows if r and r[0] == DN_PLAN)
    assert dn[1:3] == ("2018–2020 (đã kết thúc)", "31/12/2020")
    assert "01/03/2025" in dn[3]
    assert "đã kết thúc ngày 31/12/2020" in dn[8]


def test_pdf_report_says_period_date_and_catalogue(db_session, plans, district_points):
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(reports.report_pdf(_run(db_session, district_points))))
    text = " ".join(page.extract_text() for page in pdf.pages)
    text = " ".join(text.split())
    assert "Kỳ kế hoạch: 2018–2020 (đã kết thúc)" in text
    assert "Ngày đối chiếu: 31/12/2020 (mặc định: ngày cuối kỳ kế hoạch)" in text
    assert "01/03/2025" in text


def test_the_check_page_offers_csv(client, auth, db_session, plans):
    from registry.auth.permissions import Role
    from tests.factories import UserFactory

    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    response = client.get(f"/planning/check?plan={DN_PLAN}&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "31/12/2020" in response.get_data(as_text=True)
