"""The reference-data load: counts, idempotence, geometry, population and successions."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select

from registry.geo import to_db, to_shapely
from registry.geography import loader
from registry.geography.loader import DEFAULT_DATA_DIR, load_all
from registry.geography.models import AdminUnit, AdminUnitSuccession, Edition, Level


def _count(session, edition, level, province_code=None):
    query = (
        select(func.count())
        .select_from(AdminUnit)
        .where(AdminUnit.edition == edition, AdminUnit.level == level)
    )
    if province_code:
        query = query.where(AdminUnit.province_code == province_code)
    return session.scalar(query)


def _unit(session, edition, level, code):
    return session.scalars(
        select(AdminUnit).where(
            AdminUnit.edition == edition, AdminUnit.level == level, AdminUnit.code == code
        )
    ).one()


def _table_counts(session):
    return (
        session.scalar(select(func.count()).select_from(AdminUnit)),
        session.scalar(select(func.count()).select_from(AdminUnitSuccession)),
    )


def test_reference_data_has_the_published_counts(db_session):
    pre, cur = Edition.PRE2025, Edition.CURRENT
    assert _count(db_session, pre, Level.PROVINCE) == 63
    assert _count(db_session, pre, Level.DISTRICT) == 696
    assert _count(db_session, pre, Level.COMMUNE) == 10_047
    assert _count(db_session, pre, Level.DISTRICT, "75") == 11
    assert _count(db_session, pre, Level.DISTRICT, "66") == 15
    assert _count(db_session, cur, Level.PROVINCE) == 34
    assert _count(db_session, cur, Level.COMMUNE, "75") == 95
    assert _count(db_session, cur, Level.COMMUNE, "66") == 102


def test_loading_twice_keeps_counts_and_ids(db_session):
    before = _table_counts(db_session)
    bien_hoa_id = _unit(db_session, Edition.PRE2025, Level.DISTRICT, "731").id

    counts = load_all(db_session, DEFAULT_DATA_DIR)

    assert _table_counts(db_session) == before
    assert _unit(db_session, Edition.PRE2025, Level.DISTRICT, "731").id == bien_hoa_id
    assert counts["units_inserted"] == 0
    assert counts["units_updated"] == 0
    assert counts["provinces_pre2025"] == 63
    assert counts["provinces_2025"] == 34
    assert counts["communes_pre2025"] == 10_047
    assert counts["communes_2025_with_geometry"] == 95 + 102
    assert counts["successions_unmatched"] == 0


def test_reload_repairs_an_edited_unit(db_session):
    unit = _unit(db_session, Edition.CURRENT, Level.COMMUNE, "26041")
    original = to_shapely(unit.geom)
    unit.name = "Sửa tay"
    unit.min_lon = 0.0
    unit.geom = to_db(MultiPolygon([box(106.0, 10.0, 106.1, 10.1)]))
    db_session.flush()

    counts = load_all(db_session, DEFAULT_DATA_DIR)

    assert counts["units_updated"] == 1
    db_session.expire(unit)
    assert unit.name == "Trấn Biên"
    assert unit.min_lon > 106
    assert to_shapely(unit.geom).equals_exact(original, tolerance=0)


def test_units_carry_dates_parents_and_province_codes(db_session):
    district = _unit(db_session, Edition.PRE2025, Level.DISTRICT, "731")
    assert district.valid_to == date(2025, 6, 30)
    assert district.valid_from is None
    assert district.parent.code == "75"
    assert district.province_code == "75"

    old_commune = _unit(db_session, Edition.PRE2025, Level.COMMUNE, "24166")  # Hòa Thắng
    assert old_commune.parent.code == "643"
    assert old_commune.parent.parent.code == "66"
    assert old_commune.province_code == "66"
    assert old_commune.geom is None

    commune = _unit(db_session, Edition.CURRENT, Level.COMMUNE, "24121")
    assert commune.valid_from == date(2025, 7, 1)
    assert commune.valid_to is None
    assert commune.parent.code == "66"
    assert commune.province_code == "66"
    assert commune.name_en


def test_geometry_is_stored_with_point_bbox_and_source(db_session):
    district = _unit(db_session, Edition.PRE2025, Level.DISTRICT, "731")
    geom = to_shapely(district.geom)
    assert geom.geom_type == "MultiPolygon"
    assert district.geometry_source == "dong_nai_districts.geojson"  # the finer file wins
    assert geom.covers(to_shapely(f"POINT({district.rep_lon} {district.rep_lat})"))
    assert (district.min_lon, district.min_lat, district.max_lon, district.max_lat) == (
        pytest.approx(geom.bounds)
    )

    elsewhere = _unit(db_session, Edition.PRE2025, Level.DISTRICT, "001")  # Ba Đình
    assert elsewhere.geometry_source == "vn_districts_2024.geojson"

    commune = _unit(db_session, Edition.CURRENT, Level.COMMUNE, "26041")
    assert commune.geometry_source == "dong_nai_communes_2025.geojson"
    assert commune.area_km2 > 0

    province = _unit(db_session, Edition.CURRENT, Level.PROVINCE, "75")
    assert province.geometry_source == "vn_provinces_2025.geojson"


def test_population_keeps_year_and_source(db_session):
    province = _unit(db_session, Edition.PRE2025, Level.PROVINCE, "75")
    assert (province.population, province.population_year) == (3_097_107, 2019)
    assert "census" in province.population_source

    bien_hoa = _unit(db_session, Edition.PRE2025, Level.DISTRICT, "731")
    assert (bien_hoa.population, bien_hoa.population_year) == (797_840, 2009)

    assert _unit(db_session, Edition.CURRENT, Level.PROVINCE, "75").population is None


def _successions(session, old_code, old_level):
    old = _unit(session, Edition.PRE2025, old_level, old_code)
    return {
        s.new_unit.code: s
        for s in session.scalars(
            select(AdminUnitSuccession).where(AdminUnitSuccession.old_unit_id == old.id)
        )
    }


def test_merged_and_unchanged_provinces_have_successions(db_session):
    assert set(_successions(db_session, "02", Level.PROVINCE)) == {"08"}  # Hà Giang
    assert set(_successions(db_session, "08", Level.PROVINCE)) == {"08"}  # Tuyên Quang
    assert set(_successions(db_session, "70", Level.PROVINCE)) == {"75"}  # Bình Phước
    assert set(_successions(db_session, "77", Level.PROVINCE)) == {"79"}  # Bà Rịa - Vũng Tàu
    assert set(_successions(db_session, "01", Level.PROVINCE)) == {"01"}  # unchanged
    every_old_province = db_session.scalar(
        select(func.count(func.distinct(AdminUnitSuccession.old_unit_id)))
        .join(AdminUnitSuccession.old_unit)
        .where(AdminUnit.level == Level.PROVINCE)
    )
    assert every_old_province == 63


def test_old_commune_is_followed_to_its_new_commune(db_session):
    # README: Xã Hòa Thắng of Buôn Ma Thuột became part of Phường Tân Lập, code 24121.
    found = _successions(db_session, "24166", Level.COMMUNE)
    assert set(found) == {"24121"}
    assert found["24121"].effective_on == date(2025, 7, 1)
    assert found["24121"].partial is False
    # The other Xã Hòa Thắng of Đắk Lắk's new territory (huyện Phú Hòa, old Phú Yên).
    assert set(_successions(db_session, "22324", Level.COMMUNE)) == {"22319"}


def test_split_commune_is_partial_with_a_note(db_session):
    found = _successions(db_session, "26449", Level.COMMUNE)  # Xã Xuân Tâm, Xuân Lộc
    assert set(found) == {"26359", "26446"}
    assert all(s.partial for s in found.values())
    assert "phần còn lại" in found["26446"].note


def test_every_old_commune_of_the_pilot_provinces_has_a_successor(db_session):
    without = db_session.scalar(
        select(func.count())
        .select_from(AdminUnit)
        .where(
            AdminUnit.edition == Edition.PRE2025,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_code.in_(["75", "70", "66", "54"]),
            AdminUnit.id.not_in(select(AdminUnitSuccession.old_unit_id)),
        )
    )
    assert without == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xã Hòa Thắng (thành phố Buôn Ma Thuột)", ("xã", "Hòa Thắng", "Buôn Ma Thuột", None)),
        (
            "Phường 9 (phần còn lại sau khi sáp nhập vào phường Tuy Hòa)",
            ("phường", "9", None, "phần còn lại sau khi sáp nhập vào phường Tuy Hòa"),
        ),
        ("Thị trấn Tân Phú (huyện Tân Phú)", ("thị trấn", "Tân Phú", "Tân Phú", None)),
        ("Krông Na", (None, "Krông Na", None, None)),
    ],
)
def test_formed_from_entries_are_parsed(text, expected):
    entry = loader._parse_entry(text)
    assert (entry.division_type, entry.name, entry.district_hint, entry.note) == expected


def test_names_match_across_tone_placement_and_apostrophes():
    assert loader._name_key("Xã Hoà Sơn") == loader._name_key("xã Hòa Sơn")
    assert loader._name_key("Ea H’Leo") == loader._name_key("Ea H'leo")
    assert loader._loose_key("EaBar") == loader._loose_key("Ea Bar")
    assert loader._name_key("Hóa An") != loader._name_key("Hòa An")
