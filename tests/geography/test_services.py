"""Point lookups, the edition in force on a date, hierarchy and successions."""

from __future__ import annotations

from datetime import date

import pytest

from registry.geography import services
from registry.geography.models import Edition, Level

BIEN_HOA = (106.82, 10.95)  # old Biên Hòa city (731); since 2025 Phường Trấn Biên (26041)
BUON_MA_THUOT = (108.04, 12.67)  # old Buôn Ma Thuột (643); since 2025 Phường Buôn Ma Thuột
# A sliver a few metres wide between Xã An Phước (26383) and Xã An Viễn (26296): the
# simplified commune outlines leave it uncovered although it lies inside Đồng Nai.
SLIVER = (106.98142912306793, 10.865313985691978)
HA_NOI = (105.8342, 21.0278)


def _codes(units):
    return [(u.level.value, u.code) for u in units]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2020, 1, 1), Edition.PRE2025),
        (date(2025, 6, 30), Edition.PRE2025),
        (date(2025, 7, 1), Edition.CURRENT),
        (date(2026, 3, 1), Edition.CURRENT),
    ],
)
def test_edition_in_force_changes_on_1_july_2025(on, expected):
    assert services.edition_on(on) is expected


def test_point_in_bien_hoa_before_the_reorganisation(db_session):
    units = services.units_at(db_session, *BIEN_HOA, on=date(2025, 6, 30))
    assert _codes(units) == [("province", "75"), ("district", "731")]
    assert all(u.edition is Edition.PRE2025 for u in units)


def test_point_in_bien_hoa_after_the_reorganisation(db_session):
    units = services.units_at(db_session, *BIEN_HOA, on=date(2025, 7, 1))
    assert _codes(units) == [("province", "75"), ("commune", "26041")]
    assert units[1].name == "Trấn Biên"


def test_explicit_edition_wins_over_the_date(db_session):
    units = services.units_at(db_session, *BIEN_HOA, on=date(2020, 1, 1), edition=Edition.CURRENT)
    assert _codes(units) == [("province", "75"), ("commune", "26041")]


def test_default_date_is_today(db_session):
    assert _codes(services.units_at(db_session, *BIEN_HOA)) == [
        ("province", "75"),
        ("commune", "26041"),
    ]


def test_point_outside_vietnam_has_no_units(db_session):
    assert services.units_at(db_session, 2.35, 48.85) == []
    location = services.locate(db_session, 2.35, 48.85)
    assert location.province is None
    assert location.old_province is None


def test_locate_gives_both_organisations(db_session):
    location = services.locate(db_session, *BUON_MA_THUOT)
    assert location.province.code == "66"
    assert location.commune.code == "24133"
    assert location.old_province.code == "66"
    assert location.district.code == "643"
    assert location.approximate is False
    assert location.gap_m is None


def test_locate_outside_the_pilot_provinces_has_no_commune(db_session):
    location = services.locate(db_session, *HA_NOI)
    assert location.province.code == "01"
    assert location.commune is None
    assert location.old_province.code == "01"
    assert location.district is not None
    assert location.district.province_code == "01"


def test_locate_falls_back_to_the_nearest_commune_in_a_sliver(db_session):
    communes = [
        u
        for u in services.units_at(db_session, *SLIVER, edition=Edition.CURRENT)
        if u.level is Level.COMMUNE
    ]
    assert communes == []  # the precondition: no outline holds the point

    location = services.locate(db_session, *SLIVER)

    assert location.commune.code == "26383"
    assert location.province.code == "75"
    assert location.approximate is True
    assert 0 < location.gap_m < services.MAX_GAP_M


def test_nearest_commune_fallback_measures_the_gap(db_session):
    unit, metres = services.nearest_commune_fallback(db_session, *SLIVER)
    assert unit.code == "26383"
    assert 0 < metres < 20
    assert services.nearest_commune_fallback(db_session, *SLIVER, max_m=1) is None


def test_locate_does_not_reach_beyond_the_gap_limit(db_session):
    offshore = (107.3, 10.2)  # the sea south of Bà Rịa, far from any Đồng Nai commune
    location = services.locate(db_session, *offshore)
    assert location.commune is None


def test_unit_by_code_infers_the_level(db_session):
    assert services.unit_by_code(db_session, "731", Edition.PRE2025).level is Level.DISTRICT
    assert services.unit_by_code(db_session, "75", Edition.CURRENT).level is Level.PROVINCE
    commune = services.unit_by_code(db_session, "26041", Edition.CURRENT, Level.COMMUNE)
    assert commune.name == "Trấn Biên"
    assert services.unit_by_code(db_session, "731", Edition.CURRENT) is None
    assert services.unit_by_code(db_session, "7", Edition.CURRENT) is None


def test_children_follow_the_hierarchy(db_session):
    dong_nai = services.unit_by_code(db_session, "75", Edition.PRE2025)
    districts = services.children(db_session, dong_nai)
    assert [d.code for d in districts][:2] == ["731", "732"]
    assert len(districts) == 11
    bien_hoa = districts[0]
    assert len(services.children(db_session, bien_hoa)) == 25  # README: 25 wards in 2025
    new_dong_nai = services.unit_by_code(db_session, "75", Edition.CURRENT)
    assert len(services.children(db_session, new_dong_nai)) == 95


def test_communes_and_districts_of_a_province(db_session):
    communes = services.communes_of(db_session, "66")
    assert len(communes) == 102
    assert all(c.edition is Edition.CURRENT for c in communes)
    assert communes[0].name < communes[-1].name
    districts = services.districts_of(db_session, "75")
    assert {d.code for d in districts} == {str(c) for c in range(731, 743)} - {"733"}


def test_successors_and_predecessors_are_inverse(db_session):
    hoa_thang = services.unit_by_code(db_session, "24166", Edition.PRE2025)
    successors = services.successors_of(db_session, hoa_thang)
    assert [s.new_unit.code for s in successors] == ["24121"]

    tan_lap = successors[0].new_unit
    old_codes = {s.old_unit.code for s in services.predecessors_of(db_session, tan_lap)}
    assert "24166" in old_codes
    assert len(old_codes) == 3  # Phường Tân Hòa, Phường Tân Lập, Xã Hòa Thắng


def test_province_summary_counts_subdivisions(db_session):
    summary = {s.province.code: s for s in services.provinces_summary(db_session, Edition.PRE2025)}
    assert len(summary) == 63
    assert (summary["75"].districts, summary["75"].communes) == (11, 159)
    current = {s.province.code: s for s in services.provinces_summary(db_session, Edition.CURRENT)}
    assert len(current) == 34
    assert (current["66"].districts, current["66"].communes) == (0, 102)


def test_province_choices_lists_current_provinces(db_session):
    choices = dict(services.province_choices())
    assert len(choices) == 34
    assert choices["75"] == "Đồng Nai"
