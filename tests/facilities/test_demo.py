from sqlalchemy import func, select

from registry.facilities.demo import DEMO_FACILITIES, load_demo_facilities
from registry.facilities.models import Facility, Status


def test_demo_facilities_load_once_and_say_they_are_demo(db_session):
    assert load_demo_facilities(db_session) == len(DEMO_FACILITIES)
    assert load_demo_facilities(db_session) == 0
    rows = db_session.scalars(select(Facility).where(Facility.is_demo.is_(True))).all()
    assert len(rows) == len(DEMO_FACILITIES)
    assert all("demo" in (f.notes or "") and f.location_approximate for f in rows)


def test_demo_has_the_six_planned_community_drug_rehab_facilities_in_their_districts(db_session):
    load_demo_facilities(db_session)
    rows = db_session.execute(
        select(Facility.district_code, Facility.status).where(
            Facility.type_code == "DRUG_COMMUNITY", Facility.is_demo.is_(True)
        )
    ).all()
    assert sorted(code for code, _ in rows) == ["731", "735", "736", "738", "741", "742"]
    assert {status for _, status in rows} == {Status.PLANNED}


def test_dak_lak_centres_are_in_dak_lak(db_session):
    load_demo_facilities(db_session)
    count = db_session.scalar(
        select(func.count(Facility.id)).where(
            Facility.province_code == "66", Facility.type_code.in_(["MENTAL", "GENERAL"])
        )
    )
    assert count == 2
