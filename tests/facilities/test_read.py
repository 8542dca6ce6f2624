"""The facility read model: jurisdiction and the confidential-location rule applied in SQL,
every filter on what the reader sees, one serializer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry import clock
from registry.facilities import read, services
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import SYSTEM, Reader
from registry.facilities.vocab import Ownership, Status
from registry.geography.models import AdminUnit, Edition, Level

# A shelter with distinctive decimals, away from its commune's representative point.
SHELTER = (106.87913, 10.96187)
ADDRESS = "Hẻm Quỳnhxyz"
NOTES = "gần chợ Zebrawq"


@pytest.fixture
def shelter(db_session):
    data = services.FacilityInput(
        name="Nhà tạm lánh An Bình",
        type_code="SHELTER",
        ownership=Ownership.PUBLIC,
        province_code="75",
        lon=SHELTER[0],
        lat=SHELTER[1],
        status=Status.OPERATING,
        address=ADDRESS,
        notes=NOTES,
        design_capacity=10,
        residents=2,
    )
    facility, _ = services.register_facility(
        db_session, data, actor_id=None, confirm_duplicates=True
    )
    return facility


@pytest.fixture
def commune_point(db_session, shelter):
    row = db_session.execute(
        select(AdminUnit.rep_lon, AdminUnit.rep_lat).where(
            AdminUnit.edition == Edition.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == shelter.commune_code,
        )
    ).one()
    assert abs(row[0] - SHELTER[0]) > 0.005 or abs(row[1] - SHELTER[1]) > 0.005
    return row


VIEWER = Reader(province_code="75", may_see_exact=False)
OFFICER = Reader(province_code="75", may_see_exact=True)
OTHER_OFFICER = Reader(province_code="66", may_see_exact=True)
NATIONAL_OFFICER = Reader(province_code=None, may_see_exact=True)


def test_viewer_gets_the_commune_point_and_no_address_or_notes(db_session, shelter, commune_point):
    record = read.get(db_session, VIEWER, shelter.id)
    assert record.generalised
    assert record.location_approximate
    assert (record.lon, record.lat) == pytest.approx(tuple(commune_point))
    assert record.address is None
    assert record.notes is None


def test_officer_of_the_province_sees_the_exact_place(db_session, shelter):
    record = read.get(db_session, OFFICER, shelter.id)
    assert not record.generalised
    assert (record.lon, record.lat) == pytest.approx(SHELTER)
    assert record.address == ADDRESS
    assert record.notes == NOTES


def test_other_province_sees_nothing_and_exact_place_stays_in_its_province(db_session, shelter):
    assert read.get(db_session, OTHER_OFFICER, shelter.id) is None
    # Lifting the jurisdiction for a cross-border analysis still shows the generalised point.
    [record] = [
        r for r in read.records(db_session, OTHER_OFFICER, everywhere=True, ids=[shelter.id])
    ]
    assert record.generalised
    assert record.address is None
    assert not read.get(db_session, NATIONAL_OFFICER, shelter.id).generalised


def _box(point, metres=10):
    pad = metres / 111_000
    return (point[0] - pad, point[1] - pad, point[0] + pad, point[1] + pad)


def test_bbox_text_and_distance_run_on_the_shown_point(db_session, shelter, commune_point):
    ids = lambda records: {r.id for r in records}  # noqa: E731
    exact = FacilityFilter(bbox=_box(SHELTER))
    shown = FacilityFilter(bbox=_box(commune_point))
    assert shelter.id not in ids(read.records(db_session, VIEWER, exact))
    assert shelter.id in ids(read.records(db_session, VIEWER, shown))
    assert shelter.id in ids(read.records(db_session, OFFICER, exact))
    only_shelters = FacilityFilter(bbox=_box(SHELTER), types=["SHELTER"])
    assert read.count(db_session, VIEWER, only_shelters) == 0
    assert read.count(db_session, OFFICER, only_shelters) == 1
    # Words of the withheld address and notes find nothing for the viewer.
    assert shelter.id not in ids(read.records(db_session, VIEWER, FacilityFilter(q="Quỳnhxyz")))
    assert shelter.id in ids(read.records(db_session, OFFICER, FacilityFilter(q="quynhxyz")))
    assert shelter.id in ids(read.records(db_session, VIEWER, FacilityFilter(q="an binh")))
    near_exact = read.nearest(db_session, VIEWER, *SHELTER, radius_m=50)
    assert shelter.id not in {r.id for _d, r in near_exact}
    [(distance, record)] = [
        (d, r)
        for d, r in read.nearest(db_session, VIEWER, *commune_point, radius_m=50)
        if r.id == shelter.id
    ]
    assert distance < 1
    assert record.generalised


def test_map_markers_and_unit_totals_follow_the_same_rule(db_session, shelter, commune_point):
    [row] = [
        r
        for r in read.marker_rows(db_session, VIEWER, FacilityFilter(types=["SHELTER"]))
        if r[0] == shelter.id
    ]
    assert row[8:11] == pytest.approx((*commune_point, True))
    totals = read.unit_totals(db_session, VIEWER, FacilityFilter(types=["SHELTER"]), "commune_code")
    assert totals[shelter.commune_code][0] >= 1


def test_status_on_a_date_reads_the_history(db_session, shelter):
    from datetime import date, timedelta

    today = clock.today()
    shelter.opened_on = today - timedelta(days=30)  # opened before it was registered
    services.change_status(
        db_session,
        shelter,
        Status.SUSPENDED,
        effective_on=today,
        reason="sửa chữa",
        actor_id=None,
        expected_version=shelter.version,
    )
    earlier = read.statuses_on(db_session, [shelter.id], today - timedelta(days=10))
    now = read.statuses_on(db_session, [shelter.id], today)
    before = read.statuses_on(db_session, [shelter.id], date(2000, 1, 1))
    assert earlier[shelter.id] is Status.OPERATING
    assert now[shelter.id] is Status.SUSPENDED
    assert before[shelter.id] is None


def test_one_serializer_for_features_and_rows(db_session, shelter):
    record = read.get(db_session, VIEWER, shelter.id)
    feature = read.to_feature(record)
    assert feature["id"] == record.code
    assert feature["properties"]["generalised"] is True
    assert feature["properties"]["address"] is None
    assert read.as_dict(record)["notes"] is None
    assert read.get(db_session, SYSTEM, shelter.id).address == ADDRESS
