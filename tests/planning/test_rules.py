"""The rule engine over plain facts: each kind, the "as of" logic, jurisdictions, NOT_SET."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from registry.planning import rules
from registry.planning.coverage import GEOD
from registry.planning.plan_schema import KIND_PARAMS, Plan, load_plans, parse_plan
from registry.planning.rules import (
    CheckContext,
    FacilityFact,
    RuleResult,
    Status,
    UnitFact,
    evaluate,
    evaluate_rule,
)

AS_OF = date(2021, 1, 1)
BIEN_HOA = (106.82, 10.95)


def fac(id_: int, type_code: str = "ELDERLY", **kw: Any) -> FacilityFact:
    values: dict[str, Any] = {
        "id": id_,
        "code": f"F{id_}",
        "name": f"Facility {id_}",
        "type_code": type_code,
        "ownership": "public",
        "status": "operating",
        "province_code": "75",
        "district_code": "731",
        "lon": BIEN_HOA[0],
        "lat": BIEN_HOA[1],
    }
    values.update(kw)
    return FacilityFact(**values)


def _offset(
    km: float, azimuth: float = 90.0, origin: tuple[float, float] = BIEN_HOA
) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, km * 1000.0)
    return float(lon), float(lat)


DISTRICTS = {
    "731": "Biên Hòa",
    "732": "Long Khánh",
    "735": "Vĩnh Cửu",
    "736": "Định Quán",
    "738": "Thống Nhất",
    "741": "Xuân Lộc",
    "742": "Nhơn Trạch",
}
UNITS: list[UnitFact] = [
    UnitFact(
        "75",
        "province",
        "Đồng Nai",
        None,
        "pre2025",
        population=3_097_107,
        valid_to=date(2025, 6, 30),
    ),
    UnitFact(
        "66",
        "province",
        "Đắk Lắk",
        None,
        "pre2025",
        population=1_869_322,
        valid_to=date(2025, 6, 30),
    ),
    UnitFact("70", "province", "Bình Phước", None, "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("689", "district", "Đồng Xoài", "70", "pre2025", valid_to=date(2025, 6, 30)),
    UnitFact("75", "province", "Đồng Nai", None, "2025", valid_from=date(2025, 7, 1)),
    UnitFact("66", "province", "Đắk Lắk", None, "2025", valid_from=date(2025, 7, 1)),
    *[
        UnitFact(code, "district", name, "75", "pre2025", valid_to=date(2025, 6, 30))
        for code, name in DISTRICTS.items()
    ],
    # Three current communes of Đồng Nai, 0, 20 and 40 km east of Biên Hòa.
    *[
        UnitFact(
            f"2600{i}",
            "commune",
            f"Xã {i}",
            "75",
            "2025",
            population=pop,
            rep_lon=_offset(20.0 * i)[0],
            rep_lat=_offset(20.0 * i)[1],
            valid_from=date(2025, 7, 1),
        )
        for i, pop in enumerate((50_000, 30_000, 20_000))
    ],
]


def make_plan(
    *rules: dict[str, Any],
    national: bool = False,
    edition: str = "pre2025",
    period: tuple[int, int] = (2016, 2030),
) -> Plan:
    jurisdiction: dict[str, Any] = (
        {"scope": "national", "edition": edition}
        if national
        else {"scope": "provinces", "province_codes": ["75"], "edition": edition}
    )
    return parse_plan(
        {
            "code": "TEST",
            "title_vi": "t",
            "title_en": "t",
            "document": "d",
            "issuing_body_vi": "b",
            "issuing_body_en": "b",
            "issued_on": date(2018, 3, 22),
            "period": {"start": period[0], "end": period[1]},
            "jurisdiction": jurisdiction,
            "rules": list(rules),
        },
        "test.yaml",
    )


def rule(
    kind: str, code: str = "R", target_year: int | None = 2020, **params: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "kind": kind,
        "title_vi": "t",
        "title_en": "t",
        "severity": "error",
        "target_year": target_year,
        "source": {"document": "doc"},
        "params": params,
    }


def check(
    rule_dict: dict[str, Any],
    facilities: list[FacilityFact],
    *,
    as_of: date = AS_OF,
    provinces: frozenset[str] | None = frozenset({"75"}),
    units: list[UnitFact] | None = None,
    province_code_map: dict[str, str] | None = None,
    **plan_kw: Any,
) -> RuleResult:
    plan = make_plan(rule_dict, **plan_kw)
    ctx = CheckContext(
        as_of,
        facilities,
        UNITS if units is None else units,
        provinces,
        province_code_map=province_code_map or {},
    )
    return evaluate_rule(plan, plan.rules[0], ctx)


def count_rule(**params: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"types": ["ELDERLY"], "scope": "jurisdiction", "min": 2}
    base.update(params)
    if base["types"] is None:  # a rule by category only
        del base["types"]
    return rule("min_count", **base)


# --- status on the check date -----------------------------------------------------------------


def test_the_engine_takes_each_facts_status_as_given() -> None:
    """The status on the check date is the caller's (facilities.read.statuses_on, the one
    definition); the engine does not derive it again from the opening and closing dates."""
    facility = fac(1, status="operating", opened_on=date(2022, 1, 1), closed_on=date(2020, 1, 1))
    assert CheckContext(AS_OF, [facility]).index.status(facility) == "operating"


# --- scoping by level, service, target group, named facility --------------------------------


@pytest.mark.parametrize(
    ("params", "facility", "status"),
    [
        ({"levels": ["provincial"]}, {"level": "provincial"}, Status.PASS),
        ({"levels": ["provincial"]}, {"level": "district"}, Status.FAIL),
        ({"levels": ["provincial"]}, {}, Status.NOT_EVALUABLE),
        (
            {"services": ["methadone_treatment", "case_management"]},
            {"service_codes": ("case_management", "gbv_counselling")},
            Status.PASS,
        ),
        (
            {"services": ["methadone_treatment"]},
            {"service_codes": ("case_management",)},
            Status.FAIL,
        ),
        ({"services": ["methadone_treatment"]}, {}, Status.NOT_EVALUABLE),
        ({"target_groups": ["gbv_victims"]}, {"target_groups": ("gbv_victims",)}, Status.PASS),
        ({"target_groups": ["gbv_victims"]}, {"target_groups": ("elderly",)}, Status.FAIL),
        ({"criteria_supported": True}, {"criteria_supported_on": date(2020, 1, 1)}, Status.PASS),
        ({"criteria_supported": True}, {"criteria_supported_on": date(2022, 1, 1)}, Status.FAIL),
        ({"criteria_supported": True}, {}, Status.NOT_EVALUABLE),
        (
            {"facility": {"names": ["Trung tâm A – tỉnh"]}},
            {"name": "trung tâm a - TỈNH"},
            Status.PASS,
        ),
        ({"facility": {"code": "F1"}}, {}, Status.PASS),
        ({"facility": {"names": ["Trung tâm A"]}}, {"name": "Trung tâm A2"}, Status.NOT_EVALUABLE),
    ],
)
def test_rules_scope_by_catalogue_attributes_and_named_facilities(
    params: dict[str, Any], facility: dict[str, Any], status: Status
) -> None:
    # The unit fixture's facilities carry no catalogue attributes unless given: not recorded.
    result = check(count_rule(min=1, **params), [fac(1, **facility)])
    assert result.status == status
    if status == Status.NOT_EVALUABLE and "facility" not in params:
        assert result.evidence["unrecorded"][0]["code"] == "F1"


def test_unrecorded_facilities_leave_a_shortfall_open_only_if_they_could_close_it() -> None:
    two_unknown = [fac(1), fac(2)]
    assert check(count_rule(min=2, levels=["district"]), two_unknown).status == (
        Status.NOT_EVALUABLE
    )
    assert check(count_rule(min=3, levels=["district"]), two_unknown).status == Status.FAIL


def test_a_standard_over_facilities_with_unrecorded_attributes_is_not_met() -> None:
    result = check(
        rule("capacity_bounds", types=["ELDERLY"], levels=["provincial"], min=300, max=500),
        [fac(1, design_capacity=80)],
    )
    assert result.status == Status.NOT_EVALUABLE
    assert result.evidence["unrecorded"][0]["missing"] == ["level"]


# --- min_count -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "facilities", "status", "actual"),
    [
        ({}, [fac(1), fac(2)], Status.PASS, 2),
        ({}, [fac(1)], Status.FAIL, 1),
        ({}, [fac(1), fac(2, status="planned")], Status.FAIL, 1),
        (
            {"statuses": ["planned", "operating"]},
            [fac(1), fac(2, status="planned")],
            Status.PASS,
            2,
        ),
        # Not yet open on the check date (statuses_on says planned), closed later (operating).
        ({}, [fac(1), fac(2, status="planned", opened_on=date(2022, 1, 1))], Status.FAIL, 1),
        ({}, [fac(1), fac(2, closed_on=date(2021, 5, 1))], Status.PASS, 2),
        ({}, [fac(1), fac(2, type_code="CHILDREN")], Status.FAIL, 1),
        ({"ownership": "non_public"}, [fac(1, ownership="non_public"), fac(2)], Status.FAIL, 1),
        ({}, [fac(1), fac(2, province_code="66", district_code=None)], Status.FAIL, 1),
        ({"min": None}, [fac(1), fac(2)], Status.NOT_SET, 2),
        ({"count_bound": "lower"}, [fac(1)], Status.NOT_EVALUABLE, 1),
        ({"count_bound": "lower"}, [fac(1), fac(2)], Status.PASS, 2),
        ({"count_bound": "upper"}, [fac(1)], Status.FAIL, 1),
        ({"count_bound": "upper"}, [fac(1), fac(2)], Status.NOT_EVALUABLE, 2),
        (
            {"opened_from": date(2018, 3, 22), "statuses": ["under_construction", "operating"]},
            [
                fac(1, opened_on=date(2010, 1, 1)),
                fac(2),
                fac(3, opened_on=date(2019, 1, 1)),
                fac(4, status="under_construction"),
            ],
            Status.PASS,
            2,
        ),
        (
            {"types": None, "categories": ["elderly"]},
            [fac(1, category="elderly"), fac(2, type_code="X", category="elderly")],
            Status.PASS,
            2,
        ),
    ],
)
def test_min_count_in_the_jurisdiction(
    params: dict[str, Any], facilities: list[FacilityFact], status: Status, actual: int
) -> None:
    rule_dict = count_rule(**params)
    if rule_dict["params"].get("types", "") is None:
        del rule_dict["params"]["types"]
    result = check(rule_dict, facilities)
    assert result.status == status
    assert result.evidence["actual"] == actual
    assert len(result.evidence["counted"]) == actual
    assert result.message_vi
    assert result.message_en


def test_min_count_fail_message_gives_the_shortfall_in_both_languages() -> None:
    result = check(count_rule(min=16), [fac(1)], as_of=date(2021, 1, 1))
    assert result.status == Status.FAIL
    assert result.evidence["shortfall"] == 15
    assert result.message_vi == "Chưa đạt: 1 cơ sở, chỉ tiêu tối thiểu 16, còn thiếu 15."
    assert result.message_en == "Not met: 1 facilities against a minimum of 16; 15 short."
    assert result.due is True


def test_fail_before_the_target_year_says_it_is_not_due_yet() -> None:
    result = check(count_rule(min=16), [fac(1)], as_of=date(2019, 6, 1))
    assert result.status == Status.FAIL
    assert result.due is False
    assert result.message_en.startswith("(Target year 2020 not reached yet)")


NAMED = ["741", "742", "735", "736", "738", "731"]


@pytest.mark.parametrize(
    ("districts", "status", "failing"),
    [
        (NAMED, Status.PASS, []),
        (NAMED[:-1], Status.FAIL, ["731"]),
        (["731", "731", "732"], Status.FAIL, ["741", "742", "735", "736", "738"]),
    ],
)
def test_min_count_in_named_districts(
    districts: list[str], status: Status, failing: list[str]
) -> None:
    facilities = [fac(i, "DRUG_COMMUNITY", district_code=d) for i, d in enumerate(districts)]
    result = check(
        rule(
            "min_count",
            types=["DRUG_COMMUNITY"],
            scope="units",
            level="district",
            units=NAMED,
            min=1,
        ),
        facilities,
    )
    assert result.status == status
    assert [u["code"] for u in result.evidence["failing_units"]] == failing
    assert result.evidence["n_units"] == 6


@pytest.mark.parametrize(
    ("unit_min", "status"),
    [
        ({"731": 1, "732": 1}, Status.FAIL),
        ({"731": 1, "732": None}, Status.NOT_SET),
        ({"731": None, "732": None}, Status.NOT_SET),
        ({"731": 1, "732": 0}, Status.PASS),
        ({"731": 2, "732": None}, Status.FAIL),
    ],
)
def test_per_unit_targets_and_empty_ones(unit_min: dict[str, int | None], status: Status) -> None:
    result = check(
        rule("min_count", types=["ELDERLY"], scope="units", level="district", unit_min=unit_min),
        [fac(1)],
    )
    assert result.status == status
    assert result.status != Status.PASS or all(v is not None for v in unit_min.values())


@pytest.mark.parametrize(
    ("share", "status"), [(None, Status.FAIL), (25, Status.PASS), (40, Status.FAIL)]
)
def test_each_unit_with_a_share_of_units(share: int | None, status: Status) -> None:
    params: dict[str, Any] = {
        "types": ["ELDERLY"],
        "scope": "each_unit",
        "level": "district",
        "min": 1,
    }
    if share is not None:
        params["min_share_of_units_pct"] = share
    facilities = [fac(1, district_code="731"), fac(2, district_code="732")]
    result = check(rule("min_count", **params), facilities)
    assert result.status == status
    assert result.evidence["n_units"] == 7
    assert result.evidence["n_met"] == 2


def test_unit_group_sums_named_provinces_and_empty_group_is_not_set() -> None:
    base: dict[str, Any] = {
        "types": ["ELDERLY"],
        "scope": "unit_group",
        "level": "province",
        "min": 2,
    }
    facilities = [fac(1), fac(2, province_code="66", district_code=None)]
    grouped = check(
        rule("min_count", units=["75", "66"], **base), facilities, provinces=None, national=True
    )
    assert grouped.status == Status.PASS
    assert grouped.evidence["actual"] == 2
    empty = check(rule("min_count", units=None, **base), facilities, provinces=None, national=True)
    assert empty.status == Status.NOT_SET
    assert "not been entered" in empty.message_en


@pytest.mark.parametrize(
    ("national_plan", "provinces", "status"),
    [
        (True, frozenset({"75"}), Status.NOT_EVALUABLE),
        (True, None, Status.PASS),
        (False, frozenset({"75"}), Status.PASS),
        (False, frozenset({"75", "66"}), Status.PASS),
        (False, frozenset({"66"}), Status.NOT_EVALUABLE),
    ],
)
def test_totals_need_the_whole_jurisdiction(
    national_plan: bool, provinces: frozenset[str] | None, status: Status
) -> None:
    result = check(count_rule(min=1), [fac(1)], provinces=provinces, national=national_plan)
    assert result.status == status


def test_pre2025_province_comes_from_the_district() -> None:
    # New Đồng Nai (75) absorbed Bình Phước (70): a facility in old Bình Phước now has
    # province_code 75 but does not count for the pre-2025 Đồng Nai plan.
    facilities = [fac(1), fac(2, district_code="689"), fac(3, district_code=None)]
    result = check(count_rule(min=1), facilities, province_code_map={"70": "75", "75": "75"})
    assert [c["id"] for c in result.evidence["counted"]] == [1, 3]
    assert [c["id"] for c in result.evidence["uncertain_membership"]] == [3]


def test_2025_plan_counts_by_current_province() -> None:
    facilities = [fac(1), fac(2, district_code="689")]
    result = check(count_rule(min=2), facilities, edition="2025")
    assert result.status == Status.PASS


# --- shares and capacities -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ownerships", "target", "status", "actual"),
    [
        (["non_public", "public"], 50, Status.PASS, 50),
        (["non_public", "public", "public"], 50, Status.FAIL, 33.33),
        ([], 50, Status.NOT_EVALUABLE, None),
        (["public"], None, Status.NOT_SET, 0),
    ],
)
def test_non_public_share(
    ownerships: list[str], target: int | None, status: Status, actual: float | None
) -> None:
    facilities = [fac(i, ownership=o) for i, o in enumerate(ownerships)]
    result = check(
        rule("non_public_share", types=["ELDERLY"], scope="jurisdiction", min_pct=target),
        facilities,
    )
    assert result.status == status
    assert result.evidence.get("actual") == actual


@pytest.mark.parametrize(
    ("capacities", "target", "status"),
    [
        ([100, 200], 300, Status.PASS),
        ([100, 150], 300, Status.FAIL),
        ([100, None], 300, Status.NOT_EVALUABLE),
        ([400, None], 300, Status.PASS),
        ([100], None, Status.NOT_SET),
    ],
)
def test_total_capacity(capacities: list[int | None], target: int | None, status: Status) -> None:
    facilities = [fac(i, design_capacity=c) for i, c in enumerate(capacities)]
    result = check(
        rule("total_capacity", types=["ELDERLY"], scope="jurisdiction", min=target), facilities
    )
    assert result.status == status


@pytest.mark.parametrize(
    ("population", "capacity", "status", "actual"),
    [
        (100_000, 60, Status.PASS, 6),
        (100_000, 40, Status.FAIL, 4),
        (None, 60, Status.NOT_EVALUABLE, None),
    ],
)
def test_capacity_per_population_by_district(
    population: int | None, capacity: int, status: Status, actual: float | None
) -> None:
    units = [replace(u, population=population) if u.code == "731" else u for u in UNITS]
    result = check(
        rule(
            "capacity_per_population",
            types=["ELDERLY"],
            scope="units",
            level="district",
            units=["731"],
            per=10_000,
            min=5,
        ),
        [fac(1, design_capacity=capacity)],
        units=units,
    )
    assert result.status == status
    assert result.evidence["per_unit"][0]["actual"] == actual


# --- facility-level standards ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacities", "status"),
    [
        ([300, 500], Status.PASS),
        ([250], Status.FAIL),
        ([501, 400], Status.FAIL),
        ([None], Status.NOT_EVALUABLE),
        ([], Status.NOT_EVALUABLE),
    ],
)
def test_capacity_bounds(capacities: list[int | None], status: Status) -> None:
    facilities = [fac(i, "MENTAL", design_capacity=c) for i, c in enumerate(capacities)]
    result = check(rule("capacity_bounds", types=["MENTAL"], min=300, max=500), facilities)
    assert result.status == status


def test_capacity_bounds_without_values_is_not_set() -> None:
    result = check(
        rule("capacity_bounds", types=["MENTAL"], min=None, max=None),
        [fac(1, "MENTAL", design_capacity=10)],
    )
    assert result.status == Status.NOT_SET


@pytest.mark.parametrize(
    ("residents", "capacity", "status"),
    [
        (50, 50, Status.PASS),
        (51, 50, Status.FAIL),
        (None, 50, Status.NOT_EVALUABLE),
        (10, None, Status.NOT_EVALUABLE),
    ],
)
def test_residents_within_capacity(
    residents: int | None, capacity: int | None, status: Status
) -> None:
    result = check(
        rule("residents_within_capacity", target_year=None),
        [fac(1, residents=residents, design_capacity=capacity)],
    )
    assert result.status == status
    if status == Status.FAIL:
        assert result.evidence["failing_facilities"][0]["excess"] == 1


@pytest.mark.parametrize(
    ("facility", "status", "missing"),
    [
        (
            fac(1, ownership="non_public", residents=12, has_registration=True, has_licence=True),
            Status.PASS,
            None,
        ),
        (
            fac(1, ownership="non_public", residents=12, has_registration=True, has_licence=False),
            Status.FAIL,
            ["licence"],
        ),
        (
            fac(1, ownership="non_public", residents=10, has_registration=False, has_licence=False),
            Status.FAIL,
            ["registration", "licence"],
        ),
        (
            fac(1, ownership="non_public", residents=9, has_registration=False, has_licence=False),
            Status.NOT_EVALUABLE,  # below the threshold: nothing in scope, never "met"
            None,
        ),
        (fac(1, ownership="public", residents=50, has_licence=False), Status.NOT_EVALUABLE, None),
        (
            fac(1, ownership="non_public", residents=20, has_registration=True, has_licence=None),
            Status.NOT_EVALUABLE,
            None,
        ),
        (fac(1, ownership="non_public", residents=None), Status.NOT_EVALUABLE, None),
        (
            fac(1, ownership="non_public", residents=30, status="closed", has_licence=False),
            Status.NOT_EVALUABLE,
            None,
        ),
    ],
)
def test_licensing_required_for_ten_or_more_residents(
    facility: FacilityFact, status: Status, missing: list[str] | None
) -> None:
    result = check(rule("licensing_required", target_year=None, residents_threshold=10), [facility])
    assert result.status == status
    if missing is not None:
        assert result.evidence["failing_facilities"][0]["missing"] == missing


# --- coverage and spacing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets_km", "distance", "status", "failing"),
    [
        ([0.0, 40.0], 25.0, Status.PASS, []),
        ([0.0], 25.0, Status.FAIL, ["26002"]),
        ([0.0], 15.0, Status.FAIL, ["26001", "26002"]),
        ([], 15.0, Status.FAIL, ["26000", "26001", "26002"]),
        ([0.0], None, Status.NOT_SET, []),
    ],
)
def test_coverage_each_commune(
    offsets_km: list[float], distance: float | None, status: Status, failing: list[str]
) -> None:
    facilities = [
        fac(i, "SOCIAL_WORK", lon=_offset(km)[0], lat=_offset(km)[1])
        for i, km in enumerate(offsets_km)
    ]
    result = check(
        rule(
            "coverage",
            types=["SOCIAL_WORK"],
            level="commune",
            edition="2025",
            distance_km=distance,
            mode="each_unit",
        ),
        facilities,
    )
    assert result.status == status
    assert [u["code"] for u in result.evidence.get("failing_units", [])] == failing


@pytest.mark.parametrize(
    ("target", "status", "actual"), [(80, Status.PASS, 80), (90, Status.FAIL, 80)]
)
def test_coverage_population_share(target: int, status: Status, actual: float) -> None:
    # Communes at 0, 20, 40 km hold 50k, 30k, 20k people; a facility at 0 km with D = 25 km
    # covers 80k of 100k.
    result = check(
        rule(
            "coverage",
            types=["SOCIAL_WORK"],
            level="commune",
            edition="2025",
            distance_km=25,
            mode="population_share",
            min_pct=target,
        ),
        [fac(1, "SOCIAL_WORK")],
    )
    assert result.status == status
    assert result.evidence["actual"] == actual
    assert result.evidence["basis"] == "population"


def test_coverage_share_without_population_counts_units_and_is_not_evaluable() -> None:
    units = [replace(u, population=None) if u.level == "commune" else u for u in UNITS]
    result = check(
        rule(
            "coverage",
            types=["SOCIAL_WORK"],
            level="commune",
            edition="2025",
            distance_km=25,
            mode="population_share",
            min_pct=50,
        ),
        [fac(1, "SOCIAL_WORK")],
        units=units,
    )
    assert result.status == Status.NOT_EVALUABLE
    assert result.evidence["basis"] == "units"
    assert "2 of 3 units" in result.message_en


@pytest.mark.parametrize(
    ("offsets_km", "status", "pairs"),
    [
        ([0.0, 3.0], Status.PASS, 0),
        ([0.0, 1.5, 10.0], Status.FAIL, 1),
        ([0.0, 1.0, 2.0], Status.FAIL, 3),
    ],
)
def test_spacing(offsets_km: list[float], status: Status, pairs: int) -> None:
    facilities = [
        fac(i, "SHELTER", lon=_offset(km)[0], lat=_offset(km)[1]) for i, km in enumerate(offsets_km)
    ]
    result = check(rule("spacing", types=["SHELTER"], min_distance_km=2.5), facilities)
    assert result.status == status
    assert len(result.evidence["pairs"]) == pairs


# --- administrative codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "facility", "status"),
    [
        # The pre-2025 catalogue is the 01/03/2025 snapshot: it speaks for 01/03–30/06/2025.
        (date(2025, 5, 1), fac(1, district_code="731"), Status.PASS),
        (date(2025, 5, 1), fac(1, district_code="999"), Status.FAIL),
        # Before 2025 the province comes from the district: 689 is consistently Bình Phước.
        (date(2025, 5, 1), fac(1, district_code="689"), Status.PASS),
        # ... and not for an earlier day: neither a pass nor a failure.
        (date(2024, 1, 1), fac(1, district_code="731"), Status.NOT_EVALUABLE),
        (date(2024, 1, 1), fac(1, district_code="999"), Status.NOT_EVALUABLE),
        (date(2026, 1, 1), fac(1, commune_code="26001"), Status.PASS),
        (date(2026, 1, 1), fac(1, commune_code="99999"), Status.FAIL),
        (date(2026, 1, 1), fac(1, commune_code=None), Status.FAIL),
        (date(2026, 1, 1), fac(1, province_code="66", commune_code="24121"), Status.NOT_EVALUABLE),
        (date(2026, 1, 1), fac(1, province_code="54", commune_code="22060"), Status.FAIL),
    ],
)
def test_facility_codes_exist_on_the_check_date(
    as_of: date, facility: FacilityFact, status: Status
) -> None:
    result = check(
        rule("valid_admin_codes", target_year=None, subject="facilities"),
        [facility],
        as_of=as_of,
        provinces=None,
        national=True,
        edition="2025",
        period=(2017, 2030),
    )
    assert result.status == status


@pytest.mark.parametrize(
    ("units", "status"), [(["731", "741"], Status.PASS), (["731", "743"], Status.FAIL)]
)
def test_plan_unit_codes_exist_at_the_plan_date(units: list[str], status: Status) -> None:
    plan = make_plan(
        rule(
            "min_count",
            code="A",
            types=["ELDERLY"],
            scope="units",
            level="district",
            units=units,
            min=1,
        ),
        rule("valid_admin_codes", code="B", target_year=None, subject="plan_units"),
    )
    # A catalogue with start dates can say what existed on the plan's date.
    dated = [
        replace(u, valid_from=date(2004, 1, 1)) if u.edition == "pre2025" else u for u in UNITS
    ]
    result = evaluate_rule(plan, plan.rule("B"), CheckContext(AS_OF, [], dated))
    assert result.status == status
    assert result.evidence["n_checked"] == 3  # the province and the two districts


def test_external_indicator_is_never_evaluable() -> None:
    result = check(
        rule("external_indicator", reason_vi="Không phải cơ sở.", reason_en="Not a facility."),
        [fac(1)],
    )
    assert result.status == Status.NOT_EVALUABLE
    assert (result.message_vi, result.message_en) == ("Không phải cơ sở.", "Not a facility.")


# --- whole plans -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, Plan]:
    return {p.code: p for p in load_plans()}


def test_evaluate_counts_every_rule_once(shipped: dict[str, Plan]) -> None:
    plan = shipped["DN-2735-KH-UBND-2018"]
    report = evaluate(plan, CheckContext(AS_OF, [fac(1)], UNITS, frozenset({"75"})))
    assert sum(report.counts.values()) == len(plan.rules) == len(report.results)
    assert report.result("DN-07").status == Status.NOT_EVALUABLE
    # The pre-2025 catalogue is a 2025 snapshot: it cannot vouch for the plan's 2018 codes.
    assert report.result("DN-13").status == Status.NOT_EVALUABLE


def test_dong_nai_network_that_meets_the_plan(shipped: dict[str, Plan]) -> None:
    facilities = [
        *[fac(i, "ELDERLY", ownership="non_public") for i in range(16)],
        fac(
            100,
            "SOCIAL_WORK",
            level="provincial",
            service_codes=("gender_equality_counselling", "child_protection_counselling"),
        ),
        fac(101, "SHELTER"),
        fac(102, "VICTIM_SUPPORT", target_groups=("gbv_victims",)),
        *[fac(200 + i, "SHELTER", criteria_supported_on=date(2019, 1, 1)) for i in range(10)],
        *[fac(300 + i, "DRUG_COMMUNITY", district_code=d) for i, d in enumerate(NAMED)],
        *[fac(400 + i, "COUNSELLING") for i in range(82)],
        fac(500, "DRUG_PUBLIC", opened_on=date(2019, 9, 1), service_codes=("methadone_treatment",)),
    ]
    report = evaluate(
        shipped["DN-2735-KH-UBND-2018"], CheckContext(AS_OF, facilities, UNITS, frozenset({"75"}))
    )
    assert report.counts[Status.FAIL] == 0
    assert {r.rule_code for r in report.by_status(Status.PASS)} == {
        "DN-01",
        "DN-02",
        "DN-04",
        "DN-05",
        "DN-06",
        "DN-08",
        "DN-09",
        "DN-10",
        "DN-14",
        "DN-15",
        "DN-16",
    }


def test_1520_is_not_set_and_never_passes(shipped: dict[str, Plan]) -> None:
    facilities = [
        fac(i, t, design_capacity=100)
        for i, t in enumerate(
            ["ELDERLY", "CHILDREN", "DISABILITY", "MENTAL", "GENERAL", "SOCIAL_WORK"] * 5
        )
    ]
    report = evaluate(shipped["QD-1520-LDTBXH-2015"], CheckContext(AS_OF, facilities, UNITS, None))
    assert report.counts[Status.NOT_SET] == len(report.results)
    assert report.counts[Status.PASS] == 0
    assert all(r.message_vi and r.message_en for r in report.results)


def test_dak_lak_centres_and_shelters(shipped: dict[str, Plan]) -> None:
    kw: dict[str, Any] = {"province_code": "66", "district_code": None}
    mental = (
        "Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, người rối nhiễu tâm trí tỉnh"
    )
    facilities = [
        fac(1, "MENTAL", name=f"{mental} Đắk Lắk", design_capacity=400, **kw),
        fac(2, "GENERAL", name="Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk", design_capacity=250, **kw),
        *[fac(10 + i, "SHELTER", **kw) for i in range(70)],
    ]
    report = evaluate(
        shipped["DL-TGXH-2016-2020"], CheckContext(AS_OF, facilities, UNITS, frozenset({"66"}))
    )
    assert report.result("DL-01").status == Status.PASS
    assert report.result("DL-02").status == Status.PASS
    assert report.result("DL-03").status == Status.NOT_EVALUABLE  # upgrade: no project record
    assert report.result("DL-04").status == Status.FAIL
    assert report.result("DL-06").status == Status.FAIL
    assert report.result("DL-07").status == Status.NOT_EVALUABLE
    assert report.result("DL-08").status == Status.NOT_EVALUABLE


def test_every_plan_kind_has_one_registered_evaluator() -> None:
    assert set(rules.KINDS) == set(KIND_PARAMS)


@pytest.mark.parametrize(
    "module", sorted(Path(rules.__file__).parent.glob("*.py")), ids=lambda p: p.name
)
def test_rule_package_imports_neither_flask_nor_the_database(module: Path) -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    forbidden = {"flask", "flask_sqlalchemy", "sqlalchemy", "geoalchemy2", "registry.extensions"}
    assert not {m for m in imported if m.split(".")[0] in forbidden or m in forbidden}
