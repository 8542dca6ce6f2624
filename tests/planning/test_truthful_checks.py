"""Plan checks that tell the truth (issue 9): one test per misleading result the review found.

Each test builds the facilities that exposed the misleading result and asserts the result an
official can defend: nothing in scope is never "met"; a target that needs a fact the registry
does not hold is "not evaluable" with that reason; a plan's capacity band holds only for the
facilities it names; gender-violence and trafficking victims are told apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry import clock
from registry.facilities.read import SYSTEM
from registry.planning import rules, services
from registry.planning.plan_schema import Plan, PlanFileError, load_plans, parse_plan
from registry.planning.rules import CheckContext, FacilityFact, Status, UnitFact, evaluate_rule
from tests.factories import FacilityFactory

AS_OF = date(2021, 1, 1)
DN = "DN-2735-KH-UBND-2018"
DL = "DL-TGXH-2016-2020"
ND103 = "ND-103-2017"
DL_DISTRICTS = {"643": "Buôn Ma Thuột", "644": "Buôn Hồ", "645": "Ea H'leo"}
UNITS: list[UnitFact] = [
    UnitFact("75", "province", "Đồng Nai", None, "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("66", "province", "Đắk Lắk", None, "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("75", "province", "Đồng Nai", None, "2025", valid_from=date(2025, 7, 1)),
    UnitFact("66", "province", "Đắk Lắk", None, "2025", valid_from=date(2025, 7, 1)),
    UnitFact("731", "district", "Biên Hòa", "75", "pre2025", valid_to=date(2025, 6, 30)),
    *[
        UnitFact(code, "district", name, "66", "pre2025", valid_to=date(2025, 6, 30))
        for code, name in DL_DISTRICTS.items()
    ],
    *[
        UnitFact(code, "commune", name, "75", "2025", valid_from=date(2025, 7, 1))
        for code, name in (("26134", "Tà Lài"), ("26227", "La Ngà"), ("26446", "Xuân Hoà"))
    ],
]
DL_MENTAL = (
    "Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, người rối nhiễu tâm trí "
    "tỉnh Đắk Lắk"
)
DL_GENERAL = "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk"


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {p.code: p for p in load_plans()}


def dn(id_: int, type_code: str, **kw: Any) -> FacilityFact:
    values: dict[str, Any] = {
        "id": id_,
        "code": f"75-{id_}",
        "name": f"Cơ sở {id_}",
        "type_code": type_code,
        "ownership": "public",
        "status": "operating",
        "province_code": "75",
        "district_code": "731",
        "lon": 106.82,
        "lat": 10.95,
    }
    values.update(kw)
    return FacilityFact(**values)


def dl(id_: int, type_code: str, **kw: Any) -> FacilityFact:
    kw.setdefault("district_code", "643")
    return dn(id_, type_code, province_code="66", code=f"66-{id_}", **kw)


def result(plan: Plan, code: str, facilities: list[FacilityFact], province: str) -> Any:
    ctx = CheckContext(AS_OF, facilities, UNITS, frozenset({province}))
    return evaluate_rule(plan, plan.rule(code), ctx)


def reason(r: Any) -> str:
    return str(r.evidence.get("reason_en", ""))


# --- an invented norm: the 300–500 band is for the two named provincial centres ---------------


@pytest.mark.parametrize(("code", "type_code"), [("DL-02", "MENTAL"), ("DL-04", "GENERAL")])
def test_an_80_place_district_centre_does_not_fail_the_provincial_band(
    plans: dict[str, Plan], code: str, type_code: str
) -> None:
    district_centre = dl(1, type_code, name="Trung tâm huyện Buôn Hồ", design_capacity=80)
    r = result(plans[DL], code, [district_centre], "66")
    assert r.status != Status.FAIL
    assert r.evidence.get("nothing_in_scope") is True
    # The named provincial centre is still held to the band the plan gives it (l. 51, 53).
    name = DL_MENTAL if type_code == "MENTAL" else DL_GENERAL
    provincial = dl(2, type_code, name=name, design_capacity=250)
    r = result(plans[DL], code, [district_centre, provincial], "66")
    assert r.status == Status.FAIL
    assert [f["name"] for f in r.evidence["failing_facilities"]] == [name]
    assert r.source.section.startswith("IV.1.c")
    assert r.source.lines in {"51", "53"}


# --- false passes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "needed"), [("DN-05", 1), ("DL-06", 2)])
def test_a_trafficking_shelter_does_not_meet_a_gender_violence_target(
    plans: dict[str, Plan], code: str, needed: int
) -> None:
    plan, province = (plans[DN], "75") if code == "DN-05" else (plans[DL], "66")
    make = dn if province == "75" else dl
    trafficking = [
        make(i, "VICTIM_SUPPORT", target_groups=("trafficking_victims",)) for i in range(needed)
    ]
    r = result(plan, code, trafficking, province)
    assert r.status == Status.FAIL
    assert r.evidence["actual"] == 0
    gbv = [make(10 + i, "VICTIM_SUPPORT", target_groups=("gbv_victims",)) for i in range(needed)]
    assert result(plan, code, trafficking + gbv, province).status == Status.PASS
    # A victim-support facility with no target groups recorded leaves the target open.
    unknown = [make(20 + i, "VICTIM_SUPPORT") for i in range(needed)]
    r = result(plan, code, unknown, province)
    assert r.status == Status.NOT_EVALUABLE
    assert "target groups" in reason(r)


def test_ten_bare_shelters_do_not_meet_dn06(plans: dict[str, Plan]) -> None:
    """DN l. 161 counts addresses supported to the central criteria, not shelters."""
    bare = [dn(i, "SHELTER") for i in range(10)]
    r = result(plans[DN], "DN-06", bare, "75")
    assert r.status == Status.NOT_EVALUABLE
    assert "central criteria" in reason(r)
    assert len(r.evidence["unrecorded"]) == 10
    supported = [dn(i, "SHELTER", criteria_supported_on=date(2019, 6, 1)) for i in range(10)]
    assert result(plans[DN], "DN-06", supported, "75").status == Status.PASS
    # A mark dated after the check date does not count yet.
    later = [dn(i, "SHELTER", criteria_supported_on=date(2022, 6, 1)) for i in range(10)]
    r = result(plans[DN], "DN-06", later, "75")
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["actual"] == 0


def test_dl03_upgrade_is_not_evaluable_without_a_project_record(
    plans: dict[str, Plan],
) -> None:
    centre = dl(1, "GENERAL", name=DL_GENERAL, design_capacity=400)
    r = result(plans[DL], "DL-03", [centre], "66")
    assert r.status == Status.NOT_EVALUABLE
    assert "investment project record" in reason(r)
    assert r.evidence["needs_record"] == "investment_project"
    assert [f["name"] for f in r.evidence["facilities"]] == [DL_GENERAL]
    # Another general facility is not the centre the plan names.
    other = dl(2, "GENERAL", name="Trung tâm Bảo trợ xã hội huyện Buôn Hồ")
    r = result(plans[DL], "DL-03", [other], "66")
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["nothing_in_scope"] is True


@pytest.mark.parametrize(
    ("services", "status"),
    [
        ((), Status.NOT_EVALUABLE),
        (("case_management",), Status.FAIL),
        (("case_management", "gender_equality_counselling"), Status.PASS),
    ],
)
def test_dl05_needs_gender_equality_services(
    plans: dict[str, Plan], services: tuple[str, ...], status: Status
) -> None:
    centre = dl(1, "SOCIAL_WORK", service_codes=services)
    assert result(plans[DL], "DL-05", [centre], "66").status == status


@pytest.mark.parametrize(
    ("level", "status", "expected"),
    [
        ("district", "planned", Status.NOT_EVALUABLE),
        ("district", "operating", Status.NOT_EVALUABLE),
        ("provincial", "planned", Status.NOT_EVALUABLE),
        ("provincial", "under_construction", Status.PASS),
        ("provincial", "operating", Status.PASS),
    ],
)
def test_dn02_counts_only_a_provincial_centre_being_built_or_open(
    plans: dict[str, Plan], level: str, status: str, expected: Status
) -> None:
    centre = dn(1, "SOCIAL_WORK", level=level, status=status)
    r = result(plans[DN], "DN-02", [centre], "75")
    assert r.status == expected
    if expected == Status.NOT_EVALUABLE:
        assert "investment project record" in reason(r)


def test_dn02_planned_centre_of_any_level_does_not_pass(plans: dict[str, Plan]) -> None:
    r = result(plans[DN], "DN-02", [dn(1, "SOCIAL_WORK", status="planned")], "75")
    assert r.status != Status.PASS


@pytest.mark.parametrize(
    "facilities",
    [
        [],
        [dn(1, "ELDERLY", ownership="non_public", residents=5, has_licence=False)],
        [dn(1, "ELDERLY", ownership="public", residents=50)],
    ],
    ids=["no-facility", "below-threshold", "public"],
)
def test_licence_rule_checked_on_no_facility_is_not_met(
    plans: dict[str, Plan], facilities: list[FacilityFact]
) -> None:
    plan = plans[ND103]
    ctx = CheckContext(AS_OF, facilities, UNITS, None)
    r = evaluate_rule(plan, plan.rule("D103-LICENCE"), ctx)
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["nothing_in_scope"] is True
    assert "nothing in scope" in r.message_en
    assert "không có gì trong phạm vi" in r.message_vi


def test_residents_rule_checked_on_no_facility_is_not_met(plans: dict[str, Plan]) -> None:
    plan = plans[ND103]
    r = evaluate_rule(plan, plan.rule("D103-RESIDENTS"), CheckContext(AS_OF, [], UNITS, None))
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["nothing_in_scope"] is True


# --- the wrong reason: DN-11 and the hand-written type list ----------------------------------


def test_dn11_checks_the_three_counselling_points(plans: dict[str, Plan]) -> None:
    rule = plans[DN].rule("DN-11")
    assert rule.kind == "min_count"
    assert rule.params["types"] == ("GBV_COUNSELLING",)
    # One pilot commune's successor without a point: a miss the registry can show.
    two = [
        dn(1, "GBV_COUNSELLING", commune_code="26134"),
        dn(2, "GBV_COUNSELLING", commune_code="26227"),
    ]
    r = result(plans[DN], "DN-11", two, "75")
    assert r.status == Status.FAIL
    assert [u["code"] for u in r.evidence["failing_units"]] == ["26446"]
    assert "no facility type" not in r.message_en
    # All three: the point is in the commune that took in the pilot commune, which is not
    # proof it is in the pilot commune itself.
    three = [*two, dn(3, "GBV_COUNSELLING", commune_code="26446")]
    r = result(plans[DN], "DN-11", three, "75")
    assert r.status == Status.NOT_EVALUABLE
    assert "no facility type" not in r.message_en


def test_plan_categories_are_validated() -> None:
    data = {
        "code": "P",
        "title_vi": "t",
        "title_en": "t",
        "document": "d",
        "issuing_body_vi": "b",
        "issuing_body_en": "b",
        "period": {"start": 2018, "end": 2020},
        "jurisdiction": {"scope": "provinces", "province_codes": ["75"], "edition": "pre2025"},
        "rules": [
            {
                "code": "R1",
                "kind": "min_count",
                "title_vi": "t",
                "title_en": "t",
                "severity": "error",
                "source": {"document": "doc"},
                "params": {"categories": ["victim support"], "scope": "jurisdiction", "min": 1},
            }
        ],
    }
    with pytest.raises(PlanFileError, match="unknown value 'victim support'"):
        parse_plan(data, "plans/p.yaml")


# --- missing targets, now rules with their lines ---------------------------------------------


@pytest.mark.parametrize(
    ("plan_code", "rule_code", "lines", "quote"),
    [
        (DN, "DN-14", "123", "điểm tư vấn, cung cấp dịch vụ bảo vệ trẻ em"),
        (DN, "DN-15", "155, 225", "dịch vụ bình đẳng giới cho Trung tâm Công tác xã hội"),
        (DN, "DN-16", "279", "điều trị Methadone tại cơ sở cai nghiện"),
        (DL, "DL-13", "110, 114", "Văn phòng tư vấn tại các huyện"),
        (DL, "DL-14", "232", "cơ sở điều trị, cai nghiện ma túy đã được phê duyệt đầu tư"),
    ],
)
def test_missing_targets_are_rules_citing_their_lines(
    plans: dict[str, Plan], plan_code: str, rule_code: str, lines: str, quote: str
) -> None:
    rule = plans[plan_code].rule(rule_code)
    assert rule.source.lines == lines
    assert quote in (rule.source.quote or "")


def test_child_protection_points_in_dong_nai(plans: dict[str, Plan]) -> None:
    assert result(plans[DN], "DN-14", [dn(1, "SOCIAL_WORK")], "75").status == Status.NOT_EVALUABLE
    point = dn(2, "OTHER", service_codes=("child_protection_counselling",))
    assert result(plans[DN], "DN-14", [point], "75").status == Status.PASS
    other = dn(3, "OTHER", service_codes=("case_management",))
    assert result(plans[DN], "DN-14", [other], "75").status == Status.FAIL


def test_gender_equality_services_at_the_dong_nai_centre(plans: dict[str, Plan]) -> None:
    services_ = ("gender_equality_counselling",)
    centre = dn(1, "SOCIAL_WORK", level="provincial", service_codes=services_)
    assert result(plans[DN], "DN-15", [centre], "75").status == Status.PASS
    district = dn(2, "SOCIAL_WORK", level="district", service_codes=services_)
    assert result(plans[DN], "DN-15", [district], "75").status == Status.FAIL


@pytest.mark.parametrize(
    ("services", "status"),
    [
        (("methadone_treatment",), Status.PASS),
        (("drug_treatment_counselling",), Status.FAIL),
        ((), Status.NOT_EVALUABLE),
    ],
)
def test_methadone_at_the_dong_nai_rehab_facility(
    plans: dict[str, Plan], services: tuple[str, ...], status: Status
) -> None:
    rehab = dn(1, "DRUG_PUBLIC", service_codes=services)
    assert result(plans[DN], "DN-16", [rehab], "75").status == status


def test_a_counselling_office_in_each_dak_lak_district(plans: dict[str, Plan]) -> None:
    office = {"service_codes": ("child_protection_counselling",), "level": "district"}
    offices = [dl(1, "OTHER", district_code="643", **office)]
    offices.append(dl(2, "OTHER", district_code="644", **office))
    r = result(plans[DL], "DL-13", offices, "66")
    assert r.status == Status.FAIL
    assert [u["code"] for u in r.evidence["failing_units"]] == ["645"]
    offices.append(dl(3, "OTHER", district_code="645", **office))
    assert result(plans[DL], "DL-13", offices, "66").status == Status.PASS


def test_dak_lak_drug_rehab_facility(plans: dict[str, Plan]) -> None:
    # No facility: nothing to link a project to, so not evaluable (never met).
    r = result(plans[DL], "DL-14", [], "66")
    assert r.status == Status.NOT_EVALUABLE
    assert r.evidence["nothing_in_scope"] is True
    r = result(plans[DL], "DL-14", [dl(1, "DRUG_PUBLIC", category="drug_rehab")], "66")
    assert r.status == Status.NOT_EVALUABLE
    assert "investment project record" in reason(r)


# --- the live registry carries the facts -----------------------------------------------------


def test_live_registry_facts_carry_level_services_groups_and_mark(db_session) -> None:
    """``build_context`` hands the engine what a facility record says, so a trafficking
    shelter in the registry does not meet DN-05."""
    FacilityFactory(type_code="VICTIM_SUPPORT", target_groups=["trafficking_victims"])
    FacilityFactory(
        type_code="SOCIAL_WORK",
        level="provincial",
        service_codes=["gender_equality_counselling"],
    )
    FacilityFactory(type_code="SHELTER", criteria_supported_on=date(2019, 5, 1))
    db_session.flush()
    services.load_plans(db_session)
    ctx = services.build_context(db_session, SYSTEM, as_of=clock.today(), jurisdiction="75")
    facts = {f.type_code: f for f in ctx.facilities}
    assert facts["VICTIM_SUPPORT"].target_groups == ("trafficking_victims",)
    assert facts["SOCIAL_WORK"].level == "provincial"
    assert facts["SOCIAL_WORK"].service_codes == ("gender_equality_counselling",)
    assert facts["SHELTER"].criteria_supported_on == date(2019, 5, 1)
    plan = services.plan_from_row(services.plan_by_code(db_session, DN))
    assert rules.evaluate_rule(plan, plan.rule("DN-05"), ctx).status == Status.FAIL
