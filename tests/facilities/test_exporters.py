import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.auth.permissions import Role
from registry.facilities import exporters, imports, services
from registry.facilities.imports.parsing import parse_text
from registry.facilities.read import FacilityRecord
from registry.facilities.vocab import LocationPrecision, Ownership, Status
from registry.geography.models import AdminUnit, Edition, Level
from tests.factories import UserFactory

HEADERS = [c.header for c in exporters.EXPORT_COLUMNS]
SHELTER_POINT = (106.8345, 10.9612)  # lon, lat: inside Đồng Nai, away from other test points


def item(**overrides):
    """A facility as ``facilities.read`` gives it to a reader."""
    values = {
        "id": 1,
        "code": "75-GENERAL-0001",
        "name": "Trung tâm Bảo trợ xã hội",
        "type_code": "GENERAL",
        "type_name_vi": "Cơ sở trợ giúp xã hội tổng hợp",
        "type_name_en": "General social assistance facility",
        "category": "general",
        "ownership": "public",
        "managing_body": "Sở Y tế",
        "status": "operating",
        "status_changed_on": date(2020, 1, 1),
        "province_code": "75",
        "commune_code": "26041",
        "old_province_code": "75",
        "district_code": "731",
        "address": "Khu phố 3, phường Trấn Biên",
        "lon": 106.8212341,
        "lat": 10.9574321,
        "generalised": False,
        "location_approximate": False,
        "opened_on": date(2005, 9, 2),
        "closed_on": None,
        "design_capacity": 1250,
        "capacity_by_group": {"elderly": 50},
        "residents": 340,
        "staff": 60,
        "services": "Chăm sóc, nuôi dưỡng",
        "registration_no": None,
        "licence_no": "12/GP",
        "level": None,
        "service_codes": (),
        "target_groups": (),
        "criteria_supported_on": None,
        "location_precision": LocationPrecision.EXACT,
        "notes": "=SUM(A1:A9)",
        "is_demo": False,
        "version": 1,
        "updated_at": None,
        "confidential_type": False,
    }
    values.update(overrides)
    values["ownership"] = Ownership(values["ownership"])
    values["status"] = Status(values["status"])
    return FacilityRecord(**values)


def test_csv_is_utf8_with_bom_and_uses_the_template_columns():
    data = exporters.to_csv([item()])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Loại hình sở hữu"] == "công lập"
    assert row["Trạng thái"] == "đang hoạt động"
    assert row["Ngày hoạt động"] == "02/09/2005"
    assert (row["Vĩ độ"], row["Kinh độ"]) == ("10.957432", "106.821234")
    assert row["Công suất thiết kế"] == "1250"
    assert row["Ghi chú"] == "'=SUM(A1:A9)"  # never run as a formula
    assert row["Vị trí đã khái quát"] == ""


def test_csv_export_reads_back_as_an_import():
    source = imports.read_file(exporters.to_csv([item()]), "csv")
    (row,) = source.rows
    assert source.ignored_columns == []
    assert row.number == 2
    assert parse_text(row.values["notes"]) == "=SUM(A1:A9)"
    assert row.values["code"] == "75-GENERAL-0001"


def test_xlsx_is_formatted():
    workbook = load_workbook(io.BytesIO(exporters.to_xlsx([item()])))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(HEADERS)).column_letter}1"
    cells = {h: sheet.cell(2, i + 1) for i, h in enumerate(HEADERS)}
    assert cells["Ngày hoạt động"].is_date
    assert cells["Ngày hoạt động"].number_format == "DD/MM/YYYY"
    assert cells["Công suất thiết kế"].value == 1250
    assert cells["Công suất thiết kế"].number_format == "#,##0"
    assert cells["Ghi chú"].data_type == "s"
    assert cells["Ghi chú"].value == "=SUM(A1:A9)"
    assert sheet.column_dimensions["B"].width >= 40  # the name column


def test_xlsx_export_reads_back_as_an_import():
    source = imports.read_file(exporters.to_xlsx([item()]), "xlsx")
    (row,) = source.rows
    assert row.values["opened_on"].date() == date(2005, 9, 2)
    assert row.values["design_capacity"] == 1250


def test_geojson_is_an_rfc7946_feature_collection():
    document = json.loads(exporters.to_geojson([item()]))
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document
    (feature,) = document["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.821234, 10.957432]}
    assert feature["id"] == "75-GENERAL-0001"
    properties = feature["properties"]
    assert properties["ownership"] == "public"
    assert properties["opened_on"] == "2005-09-02"
    assert properties["capacity_by_group"] == {"elderly": 50}
    assert "lon" not in properties


def test_geojson_export_reads_back_as_an_import():
    source = imports.read_file(exporters.to_geojson([item()]), "geojson")
    (row,) = source.rows
    assert (row.values["lon"], row.values["lat"]) == (106.821234, 10.957432)
    assert row.values["code"] == "75-GENERAL-0001"


# --- through the export endpoint -------------------------------------------------------------


@pytest.fixture
def shelter(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session,
        make_input(
            name="Nhà tạm lánh Bình Yên",
            type_code="SHELTER",
            lon=SHELTER_POINT[0],
            lat=SHELTER_POINT[1],
            address="Hẻm 12, đường bí mật",
            design_capacity=10,
            residents=2,
        ),
        actor_id=None,
    )
    return facility


def commune_point(db_session, code):
    unit = db_session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == code,
        )
    ).one()
    return unit.rep_lon, unit.rep_lat


def export_rows(client, fmt):
    response = client.get(f"/facilities/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
        return [
            (r["Mã cơ sở"], float(r["Kinh độ"]), float(r["Vĩ độ"]), r["Địa chỉ"] or None)
            for r in rows
        ]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        header = [c.value for c in sheet[1]]
        return [
            (
                r[header.index("Mã cơ sở")],
                r[header.index("Kinh độ")],
                r[header.index("Vĩ độ")],
                r[header.index("Địa chỉ")],
            )
            for r in sheet.iter_rows(min_row=2, values_only=True)
        ]
    document = json.loads(response.data)
    return [
        (f["id"], *f["geometry"]["coordinates"], f["properties"]["address"])
        for f in document["features"]
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_confidential_facilities_are_generalised_for_readers_without_the_right(
    client, auth, db_session, shelter, fmt
):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    ((code, lon, lat, address),) = export_rows(client, fmt)
    assert code == shelter.code
    assert address is None
    assert (lon, lat) != pytest.approx(SHELTER_POINT, abs=1e-4)
    assert (lon, lat) == pytest.approx(commune_point(db_session, shelter.commune_code), abs=1e-6)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_readers_with_the_right_see_the_exact_location(client, auth, db_session, shelter, fmt):
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="75"))
    ((_, lon, lat, address),) = export_rows(client, fmt)
    assert (lon, lat) == pytest.approx(SHELTER_POINT, abs=1e-6)
    assert address == "Hẻm 12, đường bí mật"


def test_generalised_rows_say_so_and_cannot_be_imported(client, auth, db_session, shelter):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    data = client.get("/facilities/export.csv").data
    row = next(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert row["Vị trí đã khái quát"] == "có"
    document = json.loads(client.get("/facilities/export.geojson").data)
    assert document["features"][0]["properties"]["generalised"] is True


def test_export_follows_the_filters_and_the_jurisdiction(
    client, auth, db_session, types, make_input
):
    general, _ = services.register_facility(db_session, make_input(), actor_id=None)
    services.register_facility(
        db_session,
        make_input(name="Cơ sở cai nghiện", type_code="DRUG_PUBLIC", lon=106.9, lat=10.97),
        actor_id=None,
    )
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    response = client.get("/facilities/export.csv?type=GENERAL")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["Mã cơ sở"] for r in rows] == [general.code]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "co-so-tgxh-" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"].startswith("text/csv")

    auth.logout()
    auth.login(UserFactory(role=Role.VIEWER, province_code="66"))
    document = json.loads(client.get("/facilities/export.geojson").data)
    assert document["features"] == []


def test_export_filename_is_dated():
    assert exporters.filename("co-so-tgxh", "csv", date(2025, 7, 1)) == "co-so-tgxh-20250701.csv"
