import csv
import io
import json
import os
import time
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.audit.services import history_for
from registry.facilities import imports, services
from registry.facilities.imports import parsing
from registry.facilities.models import Facility, LocationSource, Ownership, Status
from registry.geo import to_shapely
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l
from tests.facilities.conftest import BUON_MA_THUOT

HEADERS = [c.header for c in imports.COLUMNS]
WORDS = (
    "Hoa Sen",
    "Bình An",
    "Tân Phong",
    "Long Bình",
    "Phước Tân",
    "Trảng Dài",
    "Hố Nai",
    "Tam Hiệp",
    "An Bình",
    "Bửu Long",
    "Thống Nhất",
    "Quang Vinh",
    "Tân Mai",
    "Hiệp Hòa",
)


class National:
    def covers(self, province_code):
        return True


class Provincial:
    def __init__(self, code):
        self.code = code

    def covers(self, province_code):
        return province_code == self.code


def province_points(session, n, *, code="75", spacing=0.01):
    """``n`` points on a grid inside the current province, well away from its border and
    more than 1 km apart (no duplicates)."""
    unit = session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.PROVINCE,
            AdminUnit.code == code,
        )
    ).one()
    area = to_shapely(unit.geom).buffer(-0.03)
    minx, miny, maxx, maxy = area.bounds
    points = []
    lat = miny
    while lat < maxy and len(points) < n:
        lon = minx
        while lon < maxx and len(points) < n:
            if area.contains(to_shapely({"type": "Point", "coordinates": [lon, lat]})):
                points.append((round(lon, 6), round(lat, 6)))
            lon += spacing
        lat += spacing
    assert len(points) == n
    return points


def make_rows(session, n, *, type_code="ELDERLY", province="75"):
    rows = []
    for i, (lon, lat) in enumerate(province_points(session, n, code=province)):
        rows.append(
            {
                "Mã cơ sở": "",
                "Tên cơ sở": f"Mái ấm {WORDS[i % len(WORDS)]} {i + 1}",
                "Loại hình (mã)": type_code,
                "Loại hình sở hữu": "ngoài công lập" if i % 2 else "công lập",
                "Cơ quan quản lý": "Sở Y tế",
                "Mã tỉnh": province,
                "Địa chỉ": f"{i + 1} đường {WORDS[i % len(WORDS)]}",
                "Vĩ độ": lat,
                "Kinh độ": lon,
                "Trạng thái": "đang hoạt động",
                "Ngày hoạt động": "15/03/2019",
                "Công suất thiết kế": 60,
                "Số đối tượng hiện có": 25,
                "Số nhân viên": 12,
            }
        )
    return rows


def full_row(facility, **changes):
    """Every template column of a registered facility, as an export writes it."""
    row = {
        "Mã cơ sở": facility.code,
        "Tên cơ sở": facility.name,
        "Loại hình (mã)": facility.type_code,
        "Loại hình sở hữu": imports.OWNERSHIP_VALUES[facility.ownership],
        "Cơ quan quản lý": facility.managing_body,
        "Mã tỉnh": facility.province_code,
        "Địa chỉ": facility.address,
        "Vĩ độ": facility.lat,
        "Kinh độ": facility.lon,
        "Trạng thái": imports.STATUS_VALUES[facility.status],
        "Ngày hoạt động": facility.opened_on.strftime("%d/%m/%Y") if facility.opened_on else None,
        "Công suất thiết kế": facility.design_capacity,
        "Số đối tượng hiện có": facility.residents,
        "Số nhân viên": facility.staff,
    }
    row.update(changes)
    return row


def headers_of(rows):
    """The template's columns the rows use, in template order, then any others."""
    used = dict.fromkeys(k for row in rows for k in row)
    return [h for h in HEADERS if h in used] + [h for h in used if h not in HEADERS]


def xlsx_bytes(rows, headers=None):
    headers = headers or headers_of(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=None, *, bom=True, delimiter=","):
    headers = headers or headers_of(rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def geojson_bytes(rows):
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k not in ("Vĩ độ", "Kinh độ")}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [row["Kinh độ"], row["Vĩ độ"]]},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def counts(session):
    return (
        session.scalar(select(func.count(Facility.id))),
        session.scalar(select(func.count(AuditEvent.id))),
    )


def plan_for(session, data, fmt, user=None):
    return imports.validate(session, imports.read_file(data, fmt), user=user or National())


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_csv_with_and_without_bom_is_read(bom):
    rows = [{"Tên cơ sở": "Mái ấm Hoa Sen", "Mã tỉnh": "75", "Vĩ độ": "10,95"}]
    source = imports.read_file(csv_bytes(rows, bom=bom), "csv")
    assert source.headers["name"] == "Tên cơ sở"  # the BOM is not part of the first header
    assert [(r.number, r.values["name"], r.values["lat"]) for r in source.rows] == [
        (2, "Mái ấm Hoa Sen", "10,95")
    ]


def test_semicolon_csv_and_english_headers_are_read():
    data = "name;type_code;Latitude;Longitude;province code\nA;GENERAL;10.9;106.8;75\n"
    source = imports.read_file(data.encode(), "csv")
    assert source.rows[0].values == {
        "name": "A",
        "type_code": "GENERAL",
        "lat": "10.9",
        "lon": "106.8",
        "province_code": "75",
    }


def test_blank_lines_are_skipped_but_keep_their_number():
    data = "Tên cơ sở,Mã tỉnh\nA,75\n,\nB,75\n".encode()
    assert [r.number for r in imports.read_file(data, "csv").rows] == [2, 4]


@pytest.mark.parametrize(
    ("filename", "data", "fmt"),
    [
        ("danh-sach.xls", b"\xd0\xcf\x11\xe0", None),
        ("danh-sach.txt", b"a,b", None),
        ("danh-sach.xlsx", "Tên cơ sở,Mã tỉnh\nA,75\n".encode(), "xlsx"),
        ("danh-sach.csv", "Tên cơ sở,Mã tỉnh\nTrung tâm,75\n".encode("utf-16"), "csv"),
        ("danh-sach.csv", "name,province_code\nTrung tâm Hòa,75\n".encode("latin-1"), "csv"),
        ("danh-sach.geojson", b'{"type": "Feature"}', "geojson"),
        ("danh-sach.geojson", b"not json", "geojson"),
        ("danh-sach.csv", b"", "csv"),
        ("danh-sach.csv", "Cột lạ,Khác\n1,2\n".encode(), "csv"),
    ],
)
def test_wrong_extension_or_content_is_refused(filename, data, fmt):
    def read():
        return imports.read_file(data, imports.detect_format(filename))

    with pytest.raises(imports.UploadRejected):
        read()


def test_zip_that_is_not_a_workbook_is_refused():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(imports.UploadRejected):
        imports.read_file(buffer.getvalue(), "xlsx")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.200", 1200),
        ("1,200", 1200),
        ("1 200", 1200),
        (" 45 ", 45),
        (45.0, 45),
        (7, 7),
        ("", None),
        (None, None),
    ],
)
def test_whole_numbers_accept_thousands_separators(value, expected):
    assert parsing.parse_int(value) == expected


@pytest.mark.parametrize("value", ["-1", "1,5", 2.5, "mười", True])
def test_bad_whole_numbers_are_refused(value):
    with pytest.raises(imports.CellError):
        parsing.parse_int(value)


def test_dates_and_decimal_commas():
    assert parsing.parse_date("05/01/2020") == date(2020, 1, 5)
    assert parsing.parse_date("2020-01-05") == date(2020, 1, 5)
    assert parsing.parse_float("10,95", 90) == 10.95
    with pytest.raises(imports.CellError):
        parsing.parse_date("2020/31/12")
    with pytest.raises(imports.CellError):
        parsing.parse_float("95", 90)


# --- validation ------------------------------------------------------------------------------


def test_xlsx_with_two_bad_rows_explains_exactly_those_rows(db_session, types):
    rows = make_rows(db_session, 200)
    rows[9]["Loại hình (mã)"] = "KHONG_CO"  # file row 11
    rows[99]["Số đối tượng hiện có"] = 80  # row 101: more than the capacity of 60
    rows[149]["Vĩ độ"] = "mười"  # row 151
    before = counts(db_session)

    plan = plan_for(db_session, xlsx_bytes(rows), "xlsx")

    assert not plan.ok
    assert plan.bad_rows == [11, 151]
    assert [(p.row, p.field, p.column) for p in plan.errors] == [
        (11, "type_code", "Loại hình (mã)"),
        (151, "lat", "Vĩ độ"),
    ]
    assert plan.errors[1].message == str(_l("Enter the latitude in decimal degrees (e.g. 10.95)."))
    # Overcrowding is recorded and flagged, not refused.
    assert [(w.row, w.field, w.column) for w in plan.warnings] == [
        (101, "residents", "Số đối tượng hiện có")
    ]
    assert counts(db_session) == before


def test_an_unknown_type_is_named_with_every_allowed_type(db_session, types):
    rows = make_rows(db_session, 1)
    rows[0]["Loại hình (mã)"] = "Trung tâm bảo trợ xã hội tổng hợp cấp vùng"  # > 32 characters
    plan = plan_for(db_session, csv_bytes(rows), "csv")
    (problem,) = plan.errors
    assert problem.field == "type_code"
    assert "32" not in problem.message
    assert "Trung tâm bảo trợ xã hội tổng hợp cấp vùng" in problem.message
    for ftype in services.facility_types(db_session):
        assert f"{ftype.code} ({ftype.name_vi})" in problem.message


def test_rows_are_checked_by_the_services_rules(db_session, types):
    rows = make_rows(db_session, 4)
    rows[0]["Vĩ độ"], rows[0]["Kinh độ"] = BUON_MA_THUOT[1], BUON_MA_THUOT[0]  # in Đắk Lắk
    rows[1]["Tên cơ sở"] = ""
    rows[2]["Loại hình sở hữu"] = "hợp tác xã"
    rows[3]["Ngày hoạt động"] = "31/02/2020"
    plan = plan_for(db_session, csv_bytes(rows), "csv")
    assert [(p.row, p.field) for p in plan.errors] == [
        (2, "location"),
        (3, "name"),
        (4, "ownership"),
        (5, "opened_on"),
    ]
    assert plan.errors[0].column == "Vĩ độ, Kinh độ"


def test_provincial_users_row_for_another_province_is_an_error(db_session, types):
    rows = make_rows(db_session, 2) + make_rows(db_session, 1, province="66")
    plan = plan_for(db_session, csv_bytes(rows), "csv", user=Provincial("75"))
    assert [(p.row, p.field) for p in plan.errors] == [(4, "province_code")]
    assert plan_for(db_session, csv_bytes(rows), "csv", user=National()).ok


def test_geojson_takes_the_point_from_the_geometry(db_session, types):
    rows = make_rows(db_session, 3)
    document = json.loads(geojson_bytes(rows))
    document["features"][1]["geometry"] = {
        "type": "LineString",
        "coordinates": [[106.8, 10.9], [106.9, 11.0]],
    }
    plan = plan_for(db_session, json.dumps(document).encode(), "geojson")
    assert [(p.row, p.field, p.column) for p in plan.errors] == [(2, "geometry", "geometry")]

    document["features"][1]["geometry"] = {
        "type": "Point",
        "coordinates": [rows[1]["Kinh độ"], rows[1]["Vĩ độ"]],
    }
    plan = plan_for(db_session, json.dumps(document).encode(), "geojson")
    assert plan.ok
    assert [(r.number, r.data.lon, r.data.lat) for r in plan.rows] == [
        (i + 1, row["Kinh độ"], row["Vĩ độ"]) for i, row in enumerate(rows)
    ]


def test_duplicates_inside_the_file_and_in_the_registry_are_listed(db_session, types, make_input):
    existing, _ = services.register_facility(
        db_session,
        make_input(
            type_code="ELDERLY", design_capacity=60, residents=10, name="Viện dưỡng lão Tâm An"
        ),
        actor_id=None,
    )
    rows = make_rows(db_session, 3)
    rows[1]["Vĩ độ"] = round(rows[0]["Vĩ độ"] + 0.0009, 6)  # about 100 m north of row 2
    rows[1]["Kinh độ"] = rows[0]["Kinh độ"]
    rows[2]["Vĩ độ"], rows[2]["Kinh độ"] = existing.lat, existing.lon
    plan = plan_for(db_session, csv_bytes(rows), "csv")
    assert plan.ok
    found = {(d.row, d.other_row, d.facility.code if d.facility else None) for d in plan.duplicates}
    assert found == {(3, 2, None), (4, None, existing.code)}
    inside = next(d for d in plan.duplicates if d.other_row)
    assert 90 < inside.distance_m < 110


def test_update_rows_keep_columns_the_file_does_not_have(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session,
        make_input(capacity_by_group={"elderly": 50}, address="12 Võ Thị Sáu"),
        actor_id=None,
    )
    data = f"Mã cơ sở,Số đối tượng hiện có\n{facility.code},130\n".encode()
    plan = plan_for(db_session, data, "csv")
    assert plan.ok, plan.errors
    (row,) = plan.rows
    assert row.facility is facility
    assert row.data.residents == 130
    assert row.data.capacity_by_group == {"elderly": 50}
    assert row.data.address == "12 Võ Thị Sáu"
    assert row.data.location_source is LocationSource.LATLON


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("Trạng thái", "tạm ngừng hoạt động", "status"),
        ("Mã tỉnh", "66", "province_code"),
        ("Mã cơ sở", "75-GENERAL-9999", "code"),
    ],
)
def test_update_rows_cannot_change_status_or_province_or_invent_codes(
    db_session, types, make_input, column, value, field
):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    row = {"Mã cơ sở": facility.code, "Tên cơ sở": facility.name, column: value}
    plan = plan_for(db_session, csv_bytes([row]), "csv")
    assert [(p.row, p.field) for p in plan.errors] == [(2, field)]


def test_other_provinces_codes_are_not_revealed(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    plan = plan_for(
        db_session,
        csv_bytes([{"Mã cơ sở": facility.code, "Tên cơ sở": "X"}]),
        "csv",
        user=Provincial("66"),
    )
    assert [(p.row, p.field) for p in plan.errors] == [(2, "code")]


def test_generalised_export_rows_are_refused(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    data = csv_bytes(
        [{"Mã cơ sở": facility.code, "Tên cơ sở": facility.name, "Vị trí đã khái quát": "có"}]
    )
    plan = plan_for(db_session, data, "csv")
    assert [(p.row, p.field) for p in plan.errors] == [(2, "generalised")]


# --- applying --------------------------------------------------------------------------------


def test_apply_creates_and_updates_through_the_services(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    rows = make_rows(db_session, 2)
    rows.append(full_row(facility, **{"Số đối tượng hiện có": 150}))
    plan = plan_for(db_session, csv_bytes(rows), "csv")
    assert plan.ok, plan.errors
    assert (plan.creates, plan.updates) == (2, 1)

    created, updated = imports.apply(db_session, plan, actor_id=None, reason="Nhập từ tệp ds.csv")

    assert (created, updated) == (2, 1)
    new = db_session.scalars(
        select(Facility).where(Facility.id != facility.id).order_by(Facility.id)
    ).all()
    assert [f.code for f in new] == ["75-ELDERLY-0001", "75-ELDERLY-0002"]
    assert new[1].ownership is Ownership.NON_PUBLIC
    assert new[0].opened_on == date(2019, 3, 15)
    assert new[0].location_source is LocationSource.IMPORT
    assert new[0].status is Status.OPERATING
    assert facility.residents == 150
    event = history_for(db_session, "facilities", facility.id)[0]
    assert (event.action, event.changes, event.reason) == (
        "update",
        {"residents": [120, 150]},
        "Nhập từ tệp ds.csv",
    )
    assert history_for(db_session, "facilities", new[0].id)[0].reason == "Nhập từ tệp ds.csv"


def test_apply_refuses_a_facility_changed_since_the_preview(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    plan = plan_for(db_session, csv_bytes([{"Mã cơ sở": facility.code, "Số nhân viên": 9}]), "csv")
    seen = plan.versions()
    services.update_facility(
        db_session,
        facility,
        _with(facility, staff=30),
        expected_version=facility.version,
        actor_id=None,
    )
    with pytest.raises(imports.ImportFailed) as failed:
        imports.apply(db_session, plan, actor_id=None, reason="x", expected_versions=seen)
    assert [(p.row, p.field) for p in failed.value.problems] == [(2, "code")]
    db_session.refresh(facility)
    assert facility.staff == 30


def _with(facility, **changes):
    data = services.FacilityInput.from_facility(facility)
    for name, value in changes.items():
        setattr(data, name, value)
    return data


# --- stored uploads --------------------------------------------------------------------------


def test_upload_store_uses_opaque_tokens_and_forgets_old_files(tmp_path):
    store = imports.UploadStore(tmp_path, max_age_s=60)
    token = store.save(b"abc")
    assert store.load(token) == b"abc"
    assert [p.name for p in (tmp_path / "imports").iterdir()] == [f"{token}.upload"]
    for forged in ("../../etc/passwd", token.upper(), token + "x", "", None):
        assert store.load(forged) is None
    plan = imports.ImportPlan("csv", {})
    store.save_preview(token, plan)
    assert store.load_preview(token) == imports.Preview({}, 0)

    old = store.save(b"old")
    stale = time.time() - 120
    os.utime(tmp_path / "imports" / f"{old}.upload", (stale, stale))
    assert store.purge() == 1
    assert store.load(old) is None
    store.discard(token)
    assert list((tmp_path / "imports").iterdir()) == []
