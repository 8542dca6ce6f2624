"""Real-world records (issue 9): a list of facilities as public sources give them, with a
province, a district and a commune in the names of either organisation (before or after
1 July 2025), addresses but mostly no coordinates, capacity ranges, over-capacity figures and
notes, imports in one pass, each row landing in the units its source names; a row that cannot
is explained, with every problem of the file at once.

``data/real_facilities.csv`` names facilities the two seed plans name (Đồng Nai 2735/KH-UBND,
Đắk Lắk 2016–2020; the "Nguồn" column cites the plan line) in the units the plans or the old
provincial lists give. The 1,447 residents of the 500-place rehab centre are the figure of
the issue's try-out. Street addresses and the one pair of coordinates are illustrative: they
were not checked against a survey.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.facilities import exporters, imports, places, read
from registry.facilities.models import Facility, LocationSource
from registry.facilities.vocab import LocationPrecision
from registry.geography.models import AdminUnit, Edition, Level
from registry.i18n import _l
from tests.facilities.test_importers import National, counts, csv_bytes
from tests.factories import UserFactory

REAL = Path(__file__).with_name("data") / "real_facilities.csv"

# Where each row's source puts it, in the official names: the current commune (None when
# the source names none that can be told, e.g. an old commune split in 2025), the pre-2025
# district and province, and what the stored point stands for.
EXPECTED = {
    "Cơ sở Điều trị nghiện ma túy tỉnh Đồng Nai": (None, "Xuân Lộc", "Đồng Nai", "district"),
    "Điểm tư vấn cho đồng bào dân tộc thiểu số xã Tà Lài": (
        "Tà Lài",
        "Tân Phú",
        "Đồng Nai",
        "commune",
    ),
    "Điểm tư vấn cho đồng bào dân tộc thiểu số xã Túc Trưng": (
        "La Ngà",  # Túc Trưng was merged into La Ngà
        "Định Quán",
        "Đồng Nai",
        "commune",
    ),
    "Điểm tư vấn cho đồng bào dân tộc thiểu số xã Xuân Hưng": (
        "Xuân Hoà",  # Xuân Hưng was merged into Xuân Hoà
        "Xuân Lộc",
        "Đồng Nai",
        "commune",
    ),
    "Trung tâm Công tác xã hội tổng hợp tỉnh Đồng Nai": (
        "Trấn Biên",
        "Biên Hòa",
        "Đồng Nai",
        "commune",
    ),
    "Cơ sở cai nghiện ma túy tại cộng đồng huyện Nhơn Trạch": (
        None,
        "Nhơn Trạch",
        "Đồng Nai",
        "district",
    ),
    "Trung tâm Bảo trợ người già người khuyết tật người tâm thần": (
        "Trấn Biên",  # from the coordinates; the source names only the city
        "Biên Hòa",
        "Đồng Nai",
        "exact",
    ),
    "Trung tâm Bảo trợ xã hội tỉnh Bình Phước": (
        "Bình Phước",  # the ward formed from Tiến Hưng
        "Đồng Xoài",
        "Bình Phước",
        "commune",
    ),
    "Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần người rối nhiễu tâm trí tỉnh "
    "Đắk Lắk": ("Hoà Phú", "Buôn Ma Thuột", "Đắk Lắk", "commune"),
    "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk": ("Tân Lập", "Buôn Ma Thuột", "Đắk Lắk", "commune"),
    "Điểm tư vấn cộng đồng xã Hòa Phú (Tây Hòa)": (
        "Sơn Thành",  # Hòa Phú of Tây Hòa, not the Hòa Phú of Buôn Ma Thuột
        "Tây Hoà",
        "Phú Yên",
        "commune",
    ),
    "Văn phòng tư vấn trẻ em huyện Cư Kuin": (None, "Cư Kuin", "Đắk Lắk", "district"),
}


def real_rows():
    with REAL.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def plan_of(session, rows, user=None):
    data = csv_bytes(rows, headers=list(rows[0]))
    return imports.validate(session, imports.read_file(data, "csv"), user=user or National())


def unit_name(session, edition, level, code):
    if code is None:
        return None
    unit = session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition, AdminUnit.level == level, AdminUnit.code == code
        )
    ).one()
    return unit.name


def shape_of(session, edition, level, code):
    from registry.geo import to_shapely

    unit = session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition, AdminUnit.level == level, AdminUnit.code == code
        )
    ).one()
    return to_shapely(unit.geom)


def messages(plan, row, field):
    return [p.message for p in plan.errors if p.row == row and p.field == field]


# --- the real list ---------------------------------------------------------------------------


def test_every_real_record_lands_in_the_unit_its_source_names(db_session, types):
    from shapely.geometry import Point

    plan = plan_of(db_session, real_rows())
    assert plan.ok, [(p.row, p.column, p.message) for p in plan.errors]
    assert plan.creates == len(EXPECTED)
    assert "STT" in plan.ignored_columns  # the list's own columns are named, not guessed

    created, _ = imports.apply(db_session, plan, actor_id=None, reason="Danh sách công khai")

    assert created == len(EXPECTED)
    found = {}
    for facility in db_session.scalars(select(Facility)):
        found[facility.name] = facility
        commune = unit_name(db_session, Edition.CURRENT, Level.COMMUNE, facility.commune_code)
        district = unit_name(db_session, Edition.PRE2025, Level.DISTRICT, facility.district_code)
        old_province = unit_name(
            db_session, Edition.PRE2025, Level.PROVINCE, facility.old_province_code
        )
        assert (commune, district, old_province, facility.location_precision.value) == EXPECTED[
            facility.name
        ], facility.name
        # The stored point lies in the units recorded (the precision says how far to trust it).
        here = Point(facility.lon, facility.lat)
        district_shape = shape_of(
            db_session, Edition.PRE2025, Level.DISTRICT, facility.district_code
        )
        assert district_shape.distance(here) < 0.002, facility.name
        if facility.commune_code:
            commune_shape = shape_of(
                db_session, Edition.CURRENT, Level.COMMUNE, facility.commune_code
            )
            assert commune_shape.distance(here) < 0.002, facility.name
        if facility.location_precision is LocationPrecision.EXACT:
            assert facility.location_source is LocationSource.IMPORT
            assert not facility.location_approximate
        else:
            assert facility.location_source is LocationSource.UNIT_POINT
            assert facility.location_approximate
    assert set(found) == set(EXPECTED)
    # The unit points are the units' representative points, not a made-up place.
    nhon_trach = found["Cơ sở cai nghiện ma túy tại cộng đồng huyện Nhơn Trạch"]
    district = db_session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == Edition.PRE2025,
            AdminUnit.level == Level.DISTRICT,
            AdminUnit.code == nhon_trach.district_code,
        )
    ).one()
    assert (nhon_trach.lon, nhon_trach.lat) == pytest.approx((district.rep_lon, district.rep_lat))
    # Provinces named by their pre-2025 names land in the province they joined.
    assert found["Trung tâm Bảo trợ xã hội tỉnh Bình Phước"].province_code == "75"
    assert found["Điểm tư vấn cộng đồng xã Hòa Phú (Tây Hòa)"].province_code == "66"


def test_capacity_ranges_are_recorded_with_their_upper_bound_and_kept_in_the_notes(
    db_session, types
):
    plan = plan_of(db_session, real_rows())
    mental = next(r for r in plan.rows if r.data.type_code == "MENTAL")
    assert mental.data.design_capacity == 500
    assert mental.data.notes.startswith("Quy mô thiết kế từ 300 đến 500 đối tượng")
    assert "300–500" in mental.data.notes.splitlines()[-1]
    ranged = [w for w in plan.warnings if w.field == "design_capacity"]
    assert {w.row for w in ranged} == {mental.number, mental.number + 1}  # "từ 300 đến 500"


def test_the_over_capacity_record_imports_with_a_warning_and_is_flagged(db_session, types):
    plan = plan_of(db_session, real_rows())
    rehab = next(r for r in plan.rows if r.data.residents == 1447)
    assert rehab.data.design_capacity == 500  # "500 học viên"
    (warning,) = [w for w in plan.warnings if w.row == rehab.number and w.field == "residents"]
    assert warning.column == "Số đối tượng hiện có"
    assert "1447" in warning.message
    assert plan.ok

    imports.apply(db_session, plan, actor_id=None, reason="x")

    records = read.records(db_session, read.SYSTEM)
    flagged = {r.name for r in records if r.over_capacity}
    assert flagged == {"Cơ sở Điều trị nghiện ma túy tỉnh Đồng Nai"}
    exported = list(csv.DictReader(io.StringIO(exporters.to_csv(records).decode("utf-8-sig"))))
    by_name = {row["Tên cơ sở"]: row for row in exported}
    rehab_row = by_name["Cơ sở Điều trị nghiện ma túy tỉnh Đồng Nai"]
    assert rehab_row["Vượt công suất"] == "có"
    assert rehab_row["Độ chính xác vị trí"] == "gần đúng (điểm đại diện huyện)"
    assert rehab_row["Quận/huyện (trước 01/7/2025)"] == "741"
    feature = read.to_feature(next(r for r in records if r.over_capacity))
    assert feature["properties"]["over_capacity"] is True
    assert feature["properties"]["location_precision"] == "district"


def test_map_popups_say_which_points_stand_for_a_unit(db_session, types):
    from registry.facilities.queries import FacilityFilter
    from registry.maps import services as maps

    imports.apply(db_session, plan_of(db_session, real_rows()), actor_id=None, reason="x")
    flt = FacilityFilter(province="75")

    features = maps.facility_features(db_session, flt, read.SYSTEM)

    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert by_name["Cơ sở cai nghiện ma túy tại cộng đồng huyện Nhơn Trạch"]["prec"] == "district"
    assert by_name["Điểm tư vấn cho đồng bào dân tộc thiểu số xã Tà Lài"]["prec"] == "commune"
    assert "prec" not in by_name["Trung tâm Bảo trợ người già người khuyết tật người tâm thần"]
    # The whole-map document says the same.
    assert maps.features_geojson(db_session, flt, read.SYSTEM) == maps.feature_collection(features)


def test_an_export_of_unit_points_reimports_without_becoming_exact(db_session, types):
    imports.apply(db_session, plan_of(db_session, real_rows()), actor_id=None, reason="x")
    exported = exporters.to_csv(read.records(db_session, read.SYSTEM))

    plan = imports.validate(db_session, imports.read_file(exported, "csv"), user=National())

    assert plan.ok, [(p.row, p.column, p.message) for p in plan.errors]
    assert plan.updates == len(EXPECTED)
    for row in plan.rows:
        assert row.precision is row.facility.location_precision
        assert (row.lon, row.lat) == (row.facility.lon, row.facility.lat)


def test_a_units_centre_typed_in_as_coordinates_is_recorded_as_approximate(db_session, types):
    """The try-out's workaround: the commune's centre typed in as coordinates was stored as
    exact. It is the commune's point, and says so."""
    tai_lai = db_session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == "26134",
        )
    ).one()
    row = _row(**{"Vĩ độ": f"{tai_lai.rep_lat:.6f}", "Kinh độ": f"{tai_lai.rep_lon:.6f}"})
    row.update({"Xã/phường": "", "Quận/huyện": ""})

    plan = plan_of(db_session, [row])

    assert plan.ok, plan.errors
    (planned,) = plan.rows
    assert planned.precision is LocationPrecision.COMMUNE
    assert [(w.field, "Xã Tà Lài" in w.message) for w in plan.warnings] == [("location", True)]
    imports.apply(db_session, plan, actor_id=None, reason="x")
    facility = db_session.scalars(select(Facility)).one()
    assert facility.location_precision is LocationPrecision.COMMUNE
    assert facility.location_approximate


# --- rows that cannot land -------------------------------------------------------------------


def _row(**changes):
    row = dict(real_rows()[1])  # the Tà Lài counselling point
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        # A commune that does not exist: said so, with the close names.
        ({"Xã/phường": "xã Tà Lày"}, "commune", ("Tà Lày", "Xã Tà Lài")),
        # A commune outside the district the source names: both are named.
        ({"Quận/huyện": "huyện Xuân Lộc"}, "commune", ("Xã Tà Lài", "Huyện Xuân Lộc")),
        # A name three pre-2025 communes share: every candidate, and how to settle it.
        ({"Xã/phường": "Tân Hiệp", "Quận/huyện": ""}, "commune", ("Biên Hòa", "Long Thành")),
        # A district written as the commune.
        ({"Xã/phường": "huyện Cẩm Mỹ", "Quận/huyện": ""}, "commune", ("Huyện Cẩm Mỹ",)),
        # A district that was never in the province.
        ({"Quận/huyện": "huyện Krông Pắc"}, "district", ("Krông Pắc",)),
        # Coordinates in Biên Hòa for a counselling point the source puts in Tân Phú.
        ({"Vĩ độ": "10,95", "Kinh độ": "106,82"}, "location", ("Phường Trấn Biên", "Xã Tà Lài")),
    ],
)
def test_a_row_with_a_bad_unit_is_explained_naming_the_units(
    db_session, types, changes, field, words
):
    rows = real_rows()
    rows.append(_row(**changes))
    before = counts(db_session)

    plan = plan_of(db_session, rows)

    bad = len(rows) + 1  # the file row of the appended record
    assert plan.bad_rows == [bad]
    found = messages(plan, bad, field)
    assert found, [(p.row, p.field, p.message) for p in plan.errors]
    for word in words:
        assert word in found[0], found[0]
    assert counts(db_session) == before


def test_errors_of_every_kind_come_back_in_one_pass_with_the_allowed_values(db_session, types):
    rows = real_rows()[:3]
    rows[0].update(
        {
            "Tên cơ sở": "",
            "Loại hình": "Nhà dưỡng lão cao cấp",
            "Sở hữu": "hợp tác xã",
            "Trạng thái": "hoạt động tốt",
            "Xã/phường": "xã Không Có",
            "Công suất thiết kế": "nhiều",
        }
    )
    rows[1].update({"Tỉnh": "", "Số đối tượng hiện có": "mười"})
    rows[2].update({"Quận/huyện": "huyện Không Có", "Công suất thiết kế": "20"})
    rows[2]["Số đối tượng hiện có"] = "35"
    before = counts(db_session)

    plan = plan_of(db_session, rows)

    assert {(p.row, p.field) for p in plan.errors} == {
        (2, "name"),
        (2, "type_code"),
        (2, "ownership"),
        (2, "status"),
        (2, "commune"),
        (2, "design_capacity"),
        (3, "province_code"),
        (3, "residents"),
        (4, "district"),
    }
    # An unknown type is unknown, with every type allowed (code and Vietnamese name).
    (type_message,) = messages(plan, 2, "type_code")
    assert "Nhà dưỡng lão cao cấp" in type_message
    for code, name in (("ELDERLY", "Cơ sở chăm sóc người cao tuổi"), ("MENTAL", None)):
        assert code in type_message
        assert name is None or name in type_message
    assert str(_l("At most %(n)d characters.", n=32)) not in type_message
    (status_message,) = messages(plan, 2, "status")
    assert all(value in status_message for value in imports.STATUS_VALUES.values())
    (ownership_message,) = messages(plan, 2, "ownership")
    assert all(value in ownership_message for value in imports.OWNERSHIP_VALUES.values())
    # A missing province is reported once, not as a cascade of unit and location errors.
    assert [p.field for p in plan.errors if p.row == 3] == ["province_code", "residents"]
    # The over-capacity row is explained too, as a warning beside its error.
    assert [(w.row, w.field) for w in plan.warnings] == [(4, "residents")]
    assert plan.rows == []
    assert counts(db_session) == before


# --- the facility form ---------------------------------------------------------------------


FORM = {
    "name": "Điểm tư vấn xã Xuân Hưng",
    "type_code": "GBV_COUNSELLING",
    "ownership": "public",
    "province_code": "75",
    "status": "operating",
}


def test_the_form_places_a_facility_at_its_commune_point(
    client, auth, post_form, db_session, types
):
    auth.login(UserFactory(role="admin", province_code="75"))
    response = post_form(
        "/facilities/new",
        {**FORM, "location_mode": "unit_point", "commune": "xã Xuân Hưng", "district": "Xuân Lộc"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    facility = db_session.scalars(select(Facility)).one()
    assert (facility.commune_code, facility.district_code) == ("26446", "741")
    assert facility.location_precision is LocationPrecision.COMMUNE
    assert facility.location_source is LocationSource.UNIT_POINT
    page = client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert str(places.PRECISION_LABELS[LocationPrecision.COMMUNE]) in page
    listing = client.get("/facilities/").get_data(as_text=True)
    assert 'data-testid="location-precision"' in listing
    edit = client.get(f"/facilities/{facility.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="unit_point"', edit)


def test_the_form_refuses_coordinates_outside_the_named_district(
    client, auth, post_form, db_session, types
):
    auth.login(UserFactory(role="admin", province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            **FORM,
            "location_mode": "latlon",
            "lat": "10.95",
            "lon": "106.82",
            "district": "Xuân Lộc",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thành phố Biên Hòa" in page
    assert "Huyện Xuân Lộc" in page
    assert db_session.scalars(select(Facility)).first() is None


def test_the_form_needs_a_unit_in_unit_mode(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role="admin", province_code="75"))
    response = post_form("/facilities/new", {**FORM, "location_mode": "unit_point"})
    assert response.status_code == 200
    assert 'data-field-error="commune"' in response.get_data(as_text=True)
    assert db_session.scalars(select(Facility)).first() is None
