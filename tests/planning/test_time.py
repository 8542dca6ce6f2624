# ruff: noqa: F811  (shared fixtures are imported from test_services)
"""Time is real in the plan check (issue 9): an ended plan is checked as of its end date and
says so, facilities take part with their status on that date, the unit-validity rules say
what they checked against and claim no more, and capacity per 10,000 population has one
definition that the map and the rule engine share."""

from __future__ import annotations

from datetime import date

import pytest

from registry import clock
from registry.facilities import definitions
from registry.facilities.demo import DEMO_FACILITIES, load_demo_facilities
from registry.facilities.models import Status as FacilityStatus
from registry.facilities.queries import FacilityFilter
from registry.facilities.read import SYSTEM
from registry.geography.models import Edition, Level
from registry.maps import services as maps
from registry.planning import rules, services
from registry.planning.plan_schema import parse_plan
from registry.planning.rules import Status
from tests.planning.test_services import (  # noqa: F401  (fixtures)
    DN_PLAN,
    district_points,
    plans,
    register,
)

DL_PLAN = "DL-TGXH-2016-2020"
END_2020 = date(2020, 12, 31)


def check(session, codes, as_of=None, jurisdiction=None):
    return services.run_check(session, SYSTEM, codes, as_of=as_of, jurisdiction=jurisdiction)


# --- the date of the check -------------------------------------------------------------------


def test_an_ended_plan_is_checked_as_of_its_end_date_and_says_so(db_session, plans):
    run = check(db_session, [DN_PLAN, "ND-103-2017"], jurisdiction="75")
    by_code = {row.code: report for row, report in run.reports}
    assert by_code[DN_PLAN].as_of == END_2020
    assert by_code["ND-103-2017"].as_of == clock.today()  # standards in force: today
    dn = run.info(DN_PLAN)
    assert (dn.period_start, dn.period_end, dn.ended, dn.as_of_default) == (2018, 2020, True, True)
    # The plan's own (pre-2025) catalogue, and the current one its commune rule (DN-11) names.
    assert dn.catalogues == ("pre2025", "2025")
    assert "đã kết thúc ngày 31/12/2020" in dn.date_note("vi")
    assert "ended on 31/12/2020" in dn.date_note("en")
    assert not run.one_date
    # Results that depend on the date are judged on that date.
    assert all(r.due for r in by_code[DN_PLAN].results if r.target_year == 2020)


def test_a_date_asked_for_after_the_period_is_flagged(db_session, plans):
    run = check(db_session, [DN_PLAN], as_of=date(2026, 6, 1), jurisdiction="75")
    info = run.info(DN_PLAN)
    assert info.as_of == date(2026, 6, 1)
    assert not info.as_of_default
    assert info.after_period
    assert "sau khi kết thúc kỳ" in info.date_note("vi")
    assert info.catalogues[0] == "pre2025"


def test_the_check_page_says_the_period_ended_and_what_it_read(client, auth, db_session, plans):
    from registry.auth.permissions import Role
    from tests.factories import UserFactory

    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    html = client.get(f"/planning/check?plan={DN_PLAN}").get_data(as_text=True)
    assert f'data-testid="period-note-{DN_PLAN}"' in html
    assert "31/12/2020" in html
    assert "2018–2020" in html
    assert "01/03/2025" in html  # the pre-2025 catalogue is the 01/03/2025 snapshot


# --- the demo, as of 31/12/2020 --------------------------------------------------------------


def test_the_demo_check_as_of_2020_counts_the_centres_that_existed_then(db_session, plans):
    load_demo_facilities(db_session)
    facts = services.facility_facts(db_session, SYSTEM, as_of=END_2020)
    demo = {d.name: d for d in DEMO_FACILITIES}
    seen = {f.name: f.status for f in facts if f.name in demo}
    # Every demo facility is there, with the status its plan gave it.
    assert seen == {name: d.status.value for name, d in demo.items()}
    # Before the Đồng Nai plan's date (22/03/2018) nothing of Đồng Nai is known.
    early = services.facility_facts(db_session, SYSTEM, as_of=date(2018, 3, 21))
    assert not [f for f in early if f.name in demo and f.province_code == "75"]

    run = check(db_session, [DN_PLAN, DL_PLAN])
    reports = {row.code: report for row, report in run.reports}
    assert {r.as_of for r in reports.values()} == {END_2020}
    counselling = reports[DN_PLAN].result("DN-11").evidence
    counted = counselling.get("counted") or [
        code for unit in counselling.get("per_unit", []) for code in unit["facilities"]
    ]
    assert len(counted) == 3  # the three ethnic-minority counselling points of l.177
    mental = reports[DL_PLAN].result("DL-01").evidence
    assert [c["name"] for c in mental.get("counted", [])] == [
        d.name for d in DEMO_FACILITIES if d.type_code == "MENTAL"
    ]


def test_the_demo_records_no_invented_opening_date(db_session):
    from sqlalchemy import select

    from registry.facilities.models import Facility

    load_demo_facilities(db_session)
    rows = db_session.scalars(select(Facility).where(Facility.is_demo.is_(True))).all()
    assert rows
    assert all(f.opened_on is None for f in rows)  # no source gives one
    assert all("ngày thành lập không có trong nguồn" in f.notes.lower() for f in rows)
    dates = {f.province_code: f.status_changed_on for f in rows}
    assert dates == {"75": date(2018, 3, 22), "66": END_2020}


def test_a_facility_opened_before_it_was_registered_counts_in_an_old_check(
    db_session, plans, district_points
):
    register(
        db_session,
        "Cơ sở điều trị nghiện ma túy công lập",
        "DRUG_PUBLIC",
        district_points["731"],
        opened_on=date(2005, 9, 2),
    )
    facts = services.facility_facts(db_session, SYSTEM, as_of=END_2020, province_codes=["75"])
    assert [f.status for f in facts if f.type_code == "DRUG_PUBLIC"] == ["operating"]


# --- unit validity says what it checked against ----------------------------------------------


@pytest.mark.parametrize(("plan_code", "rule_code"), [(DN_PLAN, "DN-13"), (DL_PLAN, "DL-12")])
def test_plan_unit_codes_cannot_be_vouched_for_by_a_2025_snapshot(
    db_session, plans, plan_code, rule_code
):
    report = check(db_session, [plan_code]).reports[0][1]
    result = report.result(rule_code)
    assert result.status == Status.NOT_EVALUABLE
    assert "01/03/2025" in result.message_vi
    assert "01/03/2025" in result.message_en
    assert result.evidence["edition"] == "pre2025"
    assert result.evidence["snapshot"] == "2025-03-01"
    assert result.evidence["n_in_snapshot"] <= result.evidence["n_checked"]


def test_an_undated_plan_is_checked_on_the_start_of_its_period_and_says_so(db_session, plans):
    result = check(db_session, [DL_PLAN]).reports[0][1].result("DL-12")
    assert result.evidence["date"] == "2016-01-01"
    assert result.evidence["date_is_issue_date"] is False
    assert "không rõ ngày ban hành" in result.message_vi
    # What the snapshot shows instead: 180 Đắk Lắk communes (the plan counts 184, l. 94).
    assert result.evidence["snapshot_units"] == {"district": 15, "commune": 180}
    assert "180 xã" in result.message_vi


def test_facility_codes_name_the_catalogue_and_the_day(db_session, plans, district_points):
    register(db_session, "Trung tâm Bảo trợ xã hội", "GENERAL", district_points["731"])
    today = check(db_session, ["QD-19-2025-TTg"], jurisdiction="75").reports[0][1]
    result = today.result("ADMIN-CODES")
    assert result.status == Status.PASS
    assert "01/07/2025" in result.message_vi
    assert result.evidence["edition"] == "2025"
    # On a day the pre-2025 snapshot cannot speak for: not evaluable, never a pass.
    old = check(db_session, ["QD-19-2025-TTg"], as_of=END_2020, jurisdiction="75")
    assert old.reports[0][1].result("ADMIN-CODES").status == Status.NOT_EVALUABLE


def test_the_catalogues_a_plan_reads_are_reported():
    plan = _plan({"code": "C", "kind": "valid_admin_codes", "params": {"subject": "facilities"}})
    assert rules.catalogues_used(plan, date(2020, 1, 1)) == ("pre2025",)
    assert rules.catalogues_used(plan, date(2026, 1, 1)) == ("pre2025", "2025")
    assert "01/03/2025" in rules.catalogue_text("pre2025", "vi")


# --- one definition of capacity per 10,000 population ----------------------------------------


def _plan(*rule_dicts):
    return parse_plan(
        {
            "code": "TIME-TEST",
            "title_vi": "t",
            "title_en": "t",
            "document": "d",
            "issuing_body_vi": "b",
            "issuing_body_en": "b",
            "issued_on": date(2018, 3, 22),
            "period": {"start": 2016, "end": 2030},
            "jurisdiction": {"scope": "provinces", "province_codes": ["75"], "edition": "pre2025"},
            "rules": [
                {
                    "title_vi": "t",
                    "title_en": "t",
                    "severity": "error",
                    "target_year": None,
                    "source": {"document": "doc"},
                    **r,
                }
                for r in rule_dicts
            ],
        },
        "time-test.yaml",
    )


def test_map_and_engine_give_the_same_capacity_per_10000(db_session, plans, district_points):
    point = district_points["731"]
    register(db_session, "Cơ sở A", "ELDERLY", point, capacity=100)
    register(db_session, "Cơ sở B", "ELDERLY", (point[0] + 0.01, point[1]), capacity=50)
    register(
        db_session,
        "Cơ sở C (quy hoạch)",
        "ELDERLY",
        (point[0] + 0.02, point[1]),
        capacity=200,
        status=FacilityStatus.PLANNED,
    )
    on_map = maps.capacity_by_unit(
        db_session, FacilityFilter(province="75"), SYSTEM, Edition.PRE2025, Level.DISTRICT
    )["731"]
    assert on_map.capacity == 150  # the planned 200 places are not counted
    plan = _plan(
        {
            "code": "CAP",
            "kind": "capacity_per_population",
            "params": {
                "types": ["ELDERLY"],
                "scope": "units",
                "level": "district",
                "units": ["731"],
                "min": 1,
            },
        }
    )
    ctx = services.build_context(db_session, SYSTEM, as_of=clock.today(), jurisdiction="75")
    result = rules.evaluate_rule(plan, plan.rule("CAP"), ctx)
    [unit] = result.evidence["per_unit"]
    assert on_map.per_10k is not None
    assert unit["actual"] == on_map.per_10k
    assert on_map.per_10k == round(150 * 10_000 / on_map.population, 2)
    # The definition is shown beside the figure, the same words in both places.
    assert result.evidence["definition_vi"] == definitions.capacity_definition()
    assert "đang hoạt động" in result.evidence["definition_vi"]


def test_the_map_shows_the_definition_beside_the_figure(client, auth, db_session):
    from registry.auth.permissions import Role
    from tests.factories import UserFactory

    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    page = client.get("/map/").get_data(as_text=True)
    assert 'data-testid="capacity-definition"' in page
    body = client.get("/map/capacity?edition=pre2025&level=district").get_json()
    assert body["statuses"] == ["operating"]
    assert body["definition"] == definitions.capacity_definition()


def test_which_statuses_count_is_defined_once():
    assert tuple(s.value for s in definitions.COUNTED_STATUSES) == rules.DEFAULT_STATUSES
    assert maps.PER_POPULATION == definitions.PER_POPULATION
