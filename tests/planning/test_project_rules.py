"""The ``project_completed`` rule kind: works done by a year, read from investment projects.

Pure: plain facts, no database. The shipped plan rules DL-03, DN-03 and DL-14 use the kind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.facilities.vocab import Category
from registry.investment.facts import ProjectFact
from registry.planning.plan_schema import Plan, PlanFileError, load_plans, parse_plan
from registry.planning.rules import (
    CheckContext,
    FacilityFact,
    Status,
    UnitFact,
    evaluate_rule,
    messages,
)

DL = "DL-TGXH-2016-2020"
DN = "DN-2735-KH-UBND-2018"
DL_GENERAL = "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk"
DN_GENERAL = "Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai"
UNITS = [
    UnitFact("66", "province", "Đắk Lắk", None, "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("75", "province", "Đồng Nai", None, "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("66", "province", "Đắk Lắk", None, "2025", valid_from=date(2025, 7, 1)),
    UnitFact("75", "province", "Đồng Nai", None, "2025", valid_from=date(2025, 7, 1)),
]


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {p.code: p for p in load_plans()}


def centre(id_: int = 1, name: str = DL_GENERAL, province: str = "66", **kw: Any) -> FacilityFact:
    values: dict[str, Any] = {
        "id": id_,
        "code": f"{province}-{id_}",
        "name": name,
        "type_code": "GENERAL",
        "ownership": "public",
        "status": "operating",
        "province_code": province,
    }
    values.update(kw)
    return FacilityFact(**values)


def project(facility_id: int | None = 1, **kw: Any) -> ProjectFact:
    values: dict[str, Any] = {
        "code": "DA-01",
        "name": "Nâng cấp, mở rộng Trung tâm",
        "kind": "upgrade",
        "stage": "construction",
        "province_code": "66",
        "facility_id": facility_id,
        "accepted_on": None,
        "physical_pct": None,
        "progress_as_of": None,
        "capacity_after": 400,
    }
    values.update(kw)
    return ProjectFact(**values)


def accepted(on: date, **kw: Any) -> ProjectFact:
    return project(stage="handover", accepted_on=on, physical_pct=100, **kw)


def check(
    plan: Plan,
    code: str,
    facilities: list[FacilityFact],
    projects: list[ProjectFact],
    *,
    as_of: date = date(2021, 1, 1),
    province: str = "66",
) -> Any:
    ctx = CheckContext(as_of, facilities, UNITS, frozenset({province}), projects=projects)
    return evaluate_rule(plan, plan.rule(code), ctx)


def test_accepted_by_the_check_date_and_deadline_is_met(plans: dict[str, Plan]) -> None:
    r = check(plans[DL], "DL-03", [centre()], [accepted(date(2020, 6, 30))])
    assert r.status == Status.PASS
    assert r.kind == "project_completed"
    assert [p["code"] for p in r.evidence["projects"]] == ["DA-01"]
    assert "30/06/2020" in r.message_vi
    assert "30/06/2020" in r.message_en
    assert r.message_en.startswith("Met:")


def test_accepted_after_the_check_date_is_not_met(plans: dict[str, Plan]) -> None:
    # Checked as of mid-2020, the project accepted in October was not accepted yet.
    p = accepted(date(2020, 10, 1))
    r = check(plans[DL], "DL-03", [centre()], [p], as_of=date(2020, 7, 1))
    assert r.status == Status.FAIL
    assert r.due is False
    assert "not reached yet" in r.message_en


def test_accepted_after_the_deadline_is_not_met(plans: dict[str, Plan]) -> None:
    r = check(plans[DL], "DL-03", [centre()], [accepted(date(2021, 3, 1))], as_of=date(2022, 1, 1))
    assert r.status == Status.FAIL
    assert r.evidence["accepted_late"] is True
    assert "01/03/2021" in r.message_en


def test_under_way_is_not_met_with_its_progress(plans: dict[str, Plan]) -> None:
    p = project(physical_pct=45, progress_as_of=date(2020, 11, 30))
    r = check(plans[DL], "DL-03", [centre()], [p])
    assert r.status == Status.FAIL
    assert r.evidence["projects"][0]["physical_pct"] == 45
    assert r.evidence["projects"][0]["progress_as_of"] == "2020-11-30"
    assert "45%" in r.message_vi
    assert "45%" in r.message_en
    assert "30/11/2020" in r.message_en
    assert "Thi công xây dựng".casefold() in r.message_vi.casefold()


def test_under_way_without_a_progress_report_says_so(plans: dict[str, Plan]) -> None:
    r = check(plans[DL], "DL-03", [centre()], [project()])
    assert r.status == Status.FAIL
    assert "no progress report" in r.message_en


def test_no_project_is_not_evaluable_a_record_is_needed(plans: dict[str, Plan]) -> None:
    # The centre exists; without a project record, whether it was upgraded is unknown (the
    # works may predate the records): never a pass, and not a fail either.
    r = check(plans[DL], "DL-03", [centre()], [])
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["needs_record"] == "investment_project"
    assert "investment project record" in r.message_en
    assert "hồ sơ dự án đầu tư" in r.message_vi


def test_facility_not_found_is_not_evaluable(plans: dict[str, Plan]) -> None:
    other = centre(2, name="Trung tâm Bảo trợ xã hội huyện Buôn Hồ")
    r = check(plans[DL], "DL-03", [other], [accepted(date(2020, 1, 1), facility_id=2)])
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["nothing_in_scope"] is True
    # A centre of the right name outside the area checked is not found either.
    far = centre(3, province="75")
    r = check(plans[DL], "DL-03", [far], [accepted(date(2020, 1, 1), facility_id=3)])
    assert r.status == Status.NOT_EVALUABLE


def test_a_project_of_another_kind_is_ignored(plans: dict[str, Plan]) -> None:
    r = check(plans[DL], "DL-03", [centre()], [accepted(date(2020, 1, 1), kind="equipment")])
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["needs_record"] == "investment_project"


def test_a_project_for_another_facility_is_ignored(plans: dict[str, Plan]) -> None:
    facilities = [centre(), centre(2, name="Trung tâm Bảo trợ xã hội huyện Buôn Hồ")]
    r = check(plans[DL], "DL-03", facilities, [accepted(date(2020, 1, 1), facility_id=2)])
    assert r.status == Status.NOT_EVALUABLE
    r = check(plans[DL], "DL-03", facilities, [accepted(date(2020, 1, 1), facility_id=None)])
    assert r.status == Status.NOT_EVALUABLE


def test_a_cancelled_project_never_reaches_the_rule(plans: dict[str, Plan]) -> None:
    # project_facts leaves cancelled projects out; one that slipped in would not be accepted.
    r = check(plans[DL], "DL-03", [centre()], [project(stage="cancelled", physical_pct=20)])
    assert r.status == Status.FAIL
    assert r.evidence["projects"][0]["stage"] == "cancelled"


def test_one_accepted_project_among_several_meets_the_rule(plans: dict[str, Plan]) -> None:
    projects = [project(code="DA-02", physical_pct=10), accepted(date(2019, 5, 1))]
    r = check(plans[DL], "DL-03", [centre()], projects)
    assert r.status == Status.PASS
    assert "DA-02" not in r.message_en


def test_dn03_repair_in_2018(plans: dict[str, Plan]) -> None:
    dn = centre(7, name=DN_GENERAL, province="75")
    ok = accepted(date(2018, 12, 20), facility_id=7, kind="repair", province_code="75")
    assert check(plans[DN], "DN-03", [dn], [ok], province="75").status == Status.PASS
    late = accepted(date(2019, 2, 1), facility_id=7, kind="repair", province_code="75")
    assert check(plans[DN], "DN-03", [dn], [late], province="75").status == Status.FAIL
    # The real record's name, without commas, is the same centre.
    real = centre(
        8, name="Trung tâm Bảo trợ người già người khuyết tật người tâm thần", province="75"
    )
    ok8 = accepted(date(2018, 12, 20), facility_id=8, kind="upgrade", province_code="75")
    assert check(plans[DN], "DN-03", [real], [ok8], province="75").status == Status.PASS


def test_dl14_any_public_drug_rehab_facility_with_accepted_works(plans: dict[str, Plan]) -> None:
    rehab = centre(
        5, name="Cơ sở cai nghiện ma túy tỉnh", type_code="DRUG_PUBLIC", category="drug_rehab"
    )
    assert check(plans[DL], "DL-14", [], []).status == Status.NOT_EVALUABLE
    assert check(plans[DL], "DL-14", [rehab], []).status == Status.NOT_EVALUABLE
    done = accepted(date(2020, 9, 1), facility_id=5, kind="new_construction")
    assert check(plans[DL], "DL-14", [rehab], [done]).status == Status.PASS


def test_explicit_deadline_and_schema() -> None:
    raw = {
        "code": "P",
        "title_vi": "Kế hoạch",
        "title_en": "Plan",
        "document": "d",
        "issuing_body_vi": "b",
        "issuing_body_en": "b",
        "jurisdiction": {"scope": "provinces", "province_codes": ["66"], "edition": "pre2025"},
        "period": {"start": 2016, "end": 2020},
        "rules": [
            {
                "code": "R1",
                "kind": "project_completed",
                "title_vi": "Nâng cấp",
                "title_en": "Upgrade",
                "severity": "warning",
                "target_year": 2020,
                "source": {"document": "Văn bản"},
                "params": {
                    "facility": {"names": [DL_GENERAL]},
                    "project_kinds": ["upgrade"],
                    "by": "2019-06-30",
                },
            }
        ],
    }
    plan = parse_plan(raw)
    rule = plan.rules[0]
    assert rule.params["by"] == date(2019, 6, 30)
    ctx = CheckContext(
        date(2021, 1, 1), [centre()], UNITS, None, projects=[accepted(date(2019, 9, 1))]
    )
    assert evaluate_rule(plan, rule, ctx).status == Status.FAIL
    ctx = CheckContext(
        date(2021, 1, 1), [centre()], UNITS, None, projects=[accepted(date(2019, 6, 30))]
    )
    assert evaluate_rule(plan, rule, ctx).status == Status.PASS
    # project_kinds is required and must name known kinds.
    del raw["rules"][0]["params"]["project_kinds"]  # type: ignore[index]
    with pytest.raises(PlanFileError):
        parse_plan(raw)
    raw["rules"][0]["params"]["project_kinds"] = ["demolition"]  # type: ignore[index]
    with pytest.raises(PlanFileError):
        parse_plan(raw)


# --- a check as of a past date reads that date -------------------------------------------------


def test_accepted_after_the_check_date_claims_no_stage_and_no_later_progress(
    plans: dict[str, Plan],
) -> None:
    """Checked as of 31/12/2020, a project accepted in 2026 was not accepted yet. The registry
    keeps only the current stage, so none is claimed for that day, and a 2026 progress report
    says nothing about 2020: the report of that day is read from the history."""
    later = accepted(
        date(2026, 11, 1),
        progress_as_of=date(2026, 10, 30),
        progress=((date(2020, 9, 30), 35), (date(2026, 10, 30), 100)),
    )
    r = check(plans[DL], "DL-03", [centre()], [later], as_of=date(2020, 12, 31))
    assert r.status == Status.FAIL
    row = r.evidence["projects"][0]
    assert row["stage"] is None
    assert row["accepted_after_check"] is True
    assert row["physical_pct"] == 35
    assert "construction" not in r.message_en
    assert "not yet accepted on 31/12/2020 (accepted on 01/11/2026)" in r.message_en
    assert "35%" in r.message_vi
    assert "100%" not in r.message_vi


def test_a_later_progress_report_is_not_read_on_an_earlier_day(plans: dict[str, Plan]) -> None:
    p = project(physical_pct=90, progress_as_of=date(2021, 5, 1))
    r = check(plans[DL], "DL-03", [centre()], [p], as_of=date(2020, 12, 31))
    assert r.evidence["projects"][0]["physical_pct"] is None
    assert "no progress report" in r.message_en


def test_english_messages_give_dates_as_dd_mm_yyyy(plans: dict[str, Plan]) -> None:
    r = check(plans[DL], "DL-03", [centre()], [accepted(date(2020, 6, 30))])
    assert "(deadline 31/12/2020)" in r.message_en
    assert "2020-12-31" not in r.message_en
    r = check(plans[DL], "DL-03", [centre()], [project()])
    assert "deadline 31/12/2020" in r.message_en


def test_dl15_the_mental_health_centre_project_completed(plans: dict[str, Plan]) -> None:
    """VII.2 (l. 313): capital so that the centre's project is completed; DL-01 asks only that
    it continue. The demo's new-construction project is under way: not met, with progress."""
    mental = centre(
        4,
        name="Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, người rối nhiễu tâm "
        "trí tỉnh Đắk Lắk",
        type_code="MENTAL",
        status="under_construction",
    )
    building = project(
        facility_id=4, kind="new_construction", physical_pct=60, progress_as_of=date(2020, 9, 1)
    )
    r = check(plans[DL], "DL-15", [mental], [building])
    assert r.status == Status.FAIL
    assert "60%" in r.message_en
    assert r.source.lines == "313, 51"
    done = accepted(date(2020, 12, 1), facility_id=4, kind="new_construction")
    assert check(plans[DL], "DL-15", [mental], [done]).status == Status.PASS
    # An upgrade of the centre is not the project the plan asks to complete.
    other = accepted(date(2020, 12, 1), facility_id=4, kind="upgrade")
    assert check(plans[DL], "DL-15", [mental], [other]).status == Status.NOT_EVALUABLE


def test_a_scope_by_category_is_told_in_words_not_codes(plans: dict[str, Plan]) -> None:
    """DL-14 with no drug-rehab facility says which facilities it looked for, in words."""
    r = check(plans[DL], "DL-14", [], [])
    assert "drug_rehab" not in r.message_vi
    assert "drug_rehab" not in r.message_en
    assert "cai nghiện ma túy" in r.message_vi
    assert "drug rehabilitation" in r.message_en
    assert set(messages._CATEGORY_LABELS) == {c.value for c in Category}
