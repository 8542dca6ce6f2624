"""The shipped plan files load, cite their sources, and carry exactly the confirmed targets."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from registry.planning.plan_schema import (
    FACILITY_TYPE_CODES,
    KIND_PARAMS,
    PLANS_DIR,
    TYPES_FILE,
    Plan,
    PlanFileError,
    live_vocabulary,
    load_plan,
    load_plans,
    parse_plan,
    plan_json_schema,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
PLAN_FILES = sorted(PLANS_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {plan.code: plan for plan in load_plans()}


def test_every_shipped_file_is_a_plan() -> None:
    assert len(PLAN_FILES) == 6
    assert {p.code for p in load_plans()} == {
        "DN-2735-KH-UBND-2018",
        "DL-TGXH-2016-2020",
        "ND-103-2017",
        "QD-1520-LDTBXH-2015",
        "QD-966-TTg-2023",
        "QD-19-2025-TTg",
    }


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_every_rule_cites_a_source_and_is_well_formed(path: Path) -> None:
    plan = load_plan(path)
    for rule in plan.rules:
        assert rule.source.document
        assert rule.title_vi
        assert rule.title_en
        assert rule.kind in KIND_PARAMS
        for code in rule.params.get("types", ()):
            assert code in FACILITY_TYPE_CODES


@pytest.mark.parametrize(
    ("plan_code", "rule_code", "expected"),
    [
        (
            "DN-2735-KH-UBND-2018",
            "DN-01",
            {"kind": "min_count", "ownership": "non_public", "min": 16, "scope": "jurisdiction"},
        ),
        ("DN-2735-KH-UBND-2018", "DN-02", {"types": ("SOCIAL_WORK",), "min": 1}),
        ("DN-2735-KH-UBND-2018", "DN-05", {"types": ("VICTIM_SUPPORT",), "min": 1}),
        (
            "DN-2735-KH-UBND-2018",
            "DN-06",
            {"types": ("SHELTER",), "min": 10, "count_bound": "lower"},
        ),
        (
            "DN-2735-KH-UBND-2018",
            "DN-08",
            {
                "types": ("DRUG_COMMUNITY",),
                "scope": "units",
                "level": "district",
                "units": ("741", "742", "735", "736", "738", "731"),
                "min": 1,
            },
        ),
        ("DN-2735-KH-UBND-2018", "DN-09", {"types": ("COUNSELLING",), "min": 82}),
        ("DN-2735-KH-UBND-2018", "DN-07", {"kind": "external_indicator"}),
        (
            "DL-TGXH-2016-2020",
            "DL-02",
            {"kind": "capacity_bounds", "types": ("MENTAL",), "min": 300, "max": 500},
        ),
        (
            "DL-TGXH-2016-2020",
            "DL-04",
            {"kind": "capacity_bounds", "types": ("GENERAL",), "min": 300, "max": 500},
        ),
        ("DL-TGXH-2016-2020", "DL-05", {"types": ("SOCIAL_WORK",), "min": 1}),
        ("DL-TGXH-2016-2020", "DL-06", {"types": ("VICTIM_SUPPORT",), "min": 2}),
        ("DL-TGXH-2016-2020", "DL-07", {"types": ("SHELTER",), "min": 70, "count_bound": "upper"}),
        ("DL-TGXH-2016-2020", "DL-08", {"kind": "external_indicator"}),
        ("ND-103-2017", "D103-LICENCE", {"kind": "licensing_required", "residents_threshold": 10}),
        ("ND-103-2017", "D103-RESIDENTS", {"kind": "residents_within_capacity"}),
        ("QD-966-TTg-2023", "966-TOTAL", {"min": 725}),
        ("QD-966-TTg-2023", "966-ELDERLY", {"types": ("ELDERLY",), "min": 90}),
        ("QD-966-TTg-2023", "966-MENTAL", {"types": ("MENTAL",), "min": 94}),
        ("QD-966-TTg-2023", "966-DRUG", {"types": ("DRUG_PUBLIC", "DRUG_VOLUNTARY"), "min": 130}),
        ("QD-966-TTg-2023", "966-CHILDREN", {"types": ("CHILDREN",), "min": 130}),
        ("QD-966-TTg-2023", "966-DISABILITY", {"types": ("DISABILITY",), "min": 117}),
        ("QD-966-TTg-2023", "966-GENERAL-SW", {"types": ("GENERAL", "SOCIAL_WORK"), "min": 164}),
        ("QD-966-TTg-2023", "966-REGION-NMM", {"min": 129, "units": None}),
        ("QD-966-TTg-2023", "966-REGION-RRD", {"min": 151, "units": None}),
        ("QD-19-2025-TTg", "ADMIN-CODES", {"subject": "facilities"}),
    ],
)
def test_confirmed_targets_are_encoded(
    plans: dict[str, Plan], plan_code: str, rule_code: str, expected: dict[str, Any]
) -> None:
    rule = plans[plan_code].rule(rule_code)
    for key, value in expected.items():
        actual = rule.kind if key == "kind" else rule.params.get(key)
        assert actual == value, key


def test_966_type_minimums_add_up_to_the_total(plans: dict[str, Plan]) -> None:
    plan = plans["QD-966-TTg-2023"]
    parts = [
        "966-ELDERLY",
        "966-MENTAL",
        "966-DRUG",
        "966-CHILDREN",
        "966-DISABILITY",
        "966-GENERAL-SW",
    ]
    assert sum(plan.rule(code).params["min"] for code in parts) == 725
    types = {t for code in parts for t in plan.rule(code).params["types"]}
    assert types == set(plan.rule("966-TOTAL").params["types"])
    assert plan.successor_of == "QD-1520-LDTBXH-2015"


def test_1520_targets_are_all_empty(plans: dict[str, Plan]) -> None:
    plan = plans["QD-1520-LDTBXH-2015"]
    for rule in plan.rules:
        targets = dict(rule.params.get("unit_min", {}))
        targets["min"] = rule.params.get("min")
        assert all(value is None for value in targets.values()), rule.code


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


@pytest.mark.parametrize(
    "path",
    [p for p in PLAN_FILES if "source_file" in p.read_text(encoding="utf-8")],
    ids=lambda p: p.name,
)
def test_quotes_appear_verbatim_on_the_cited_lines(path: Path) -> None:
    plan = load_plan(path)
    assert plan.source_file is not None
    source = REPO_ROOT.parent / plan.source_file
    if not source.exists():
        pytest.skip(f"{source} is not beside the repository")
    lines = source.read_text(encoding="utf-8").splitlines()
    checked = 0
    for rule in plan.rules:
        if rule.source.quote is None:
            continue
        assert rule.source.lines, rule.code
        numbers = [int(n) for n in re.findall(r"\d+", rule.source.lines)]
        text = _norm(" ".join(lines[n - 1] for n in numbers))
        assert _norm(rule.source.quote) in text, rule.code
        checked += 1
    assert checked >= 10


# --- validation errors name the file and the rule --------------------------------------------


def _plan(**overrides: Any) -> dict[str, Any]:
    rule = {
        "code": "R1",
        "kind": "min_count",
        "title_vi": "t",
        "title_en": "t",
        "severity": "error",
        "target_year": 2020,
        "source": {"document": "doc"},
        "params": {"types": ["ELDERLY"], "scope": "jurisdiction", "min": 1},
    }
    rule.update(overrides.pop("rule", {}))
    data = {
        "code": "P",
        "title_vi": "t",
        "title_en": "t",
        "document": "d",
        "issuing_body_vi": "b",
        "issuing_body_en": "b",
        "period": {"start": 2018, "end": 2020},
        "jurisdiction": {"scope": "provinces", "province_codes": ["75"], "edition": "pre2025"},
        "rules": [rule],
    }
    data.update(overrides)
    return data


def _params(**params: Any) -> dict[str, Any]:
    return {"rule": {"params": params}}


@pytest.mark.parametrize(
    ("overrides", "message", "where"),
    [
        ({"rule": {"kind": "max_count"}}, "unknown value 'max_count'", "rules[0].kind"),
        (
            _params(types=["ELDERLY"], scope="jurisdiction", min=1, colour="red"),
            "unknown key(s) ['colour']",
            "rules[0].params",
        ),
        (
            _params(types=["NURSING"], scope="jurisdiction", min=1),
            "unknown value 'NURSING'",
            "rules[0].params.types[0]",
        ),
        (
            _params(categories=["elderly care"], scope="jurisdiction", min=1),
            "unknown value 'elderly care'",
            "rules[0].params.categories[0]",
        ),
        (
            _params(types=["SOCIAL_WORK"], levels=["regional"], scope="jurisdiction", min=1),
            "unknown value 'regional'",
            "rules[0].params.levels[0]",
        ),
        (
            _params(services=["yoga"], scope="jurisdiction", min=1),
            "unknown value 'yoga'",
            "rules[0].params.services[0]",
        ),
        (
            _params(
                types=["VICTIM_SUPPORT"], target_groups=["victims"], scope="jurisdiction", min=1
            ),
            "unknown value 'victims'",
            "rules[0].params.target_groups[0]",
        ),
        (
            _params(facility={"nickname": "x"}, scope="jurisdiction", min=1),
            "unknown key(s) ['nickname']",
            "rules[0].params.facility",
        ),
        (
            _params(types=["ELDERLY"], scope="units", level="district", units=[741], min=1),
            "quoted string",
            "rules[0].params.units[0]",
        ),
        (
            _params(types=["ELDERLY"], scope="jurisdiction", min=-1),
            "zero or more",
            "rules[0].params.min",
        ),
        (_params(types=["ELDERLY"], scope="jurisdiction"), "needs 'min'", "rules[0].params"),
        (_params(scope="jurisdiction", min=1), "needs 'types' or 'categories'", "rules[0].params"),
        (_params(types=["ELDERLY"], scope="each_unit", min=1), "needs 'level'", "rules[0].params"),
        (
            _params(types=["ELDERLY"], scope="each_unit", level="district", edition="2025", min=1),
            "districts do not exist",
            "rules[0].params",
        ),
        (
            _params(types=["ELDERLY"], scope="jurisdiction", min=1, unit_min={"75": 1}),
            "only for scope 'units'",
            "rules[0].params",
        ),
        (
            {
                "rule": {
                    "kind": "non_public_share",
                    "params": {"types": ["ELDERLY"], "scope": "jurisdiction", "min_pct": 120},
                }
            },
            "more than 100",
            "rules[0].params.min_pct",
        ),
        (
            {"rule": {"kind": "capacity_bounds", "params": {"types": ["MENTAL"]}}},
            "needs 'min' and/or 'max'",
            "rules[0].params",
        ),
        (
            {"rule": {"kind": "external_indicator", "params": {"reason_vi": "x"}}},
            "missing ['reason_en']",
            "rules[0].params",
        ),
        ({"rule": {"target_year": 2025}}, "outside the plan period", "rules[0].target_year"),
        ({"rule": {"severity": "fatal"}}, "unknown value 'fatal'", "rules[0].severity"),
        ({"rule": {"source": {"section": "I"}}}, "missing ['document']", "rules[0].source"),
        ({"rule": {"source": "a string"}}, "is not of type object", "rules[0].source"),
    ],
)
def test_invalid_rules_are_rejected_with_file_rule_and_path(
    overrides: dict[str, Any], message: str, where: str
) -> None:
    with pytest.raises(PlanFileError, match=re.escape(message)) as info:
        parse_plan(_plan(**overrides), "plans/x.yaml")
    assert info.value.path == "plans/x.yaml"
    assert info.value.rule_code == "R1"
    assert info.value.where == where
    assert str(info.value).startswith(f"plans/x.yaml: rule 'R1' ({where}): ")
    # The Vietnamese reason comes first and is what users see (``detail``).
    assert info.value.detail != info.value.detail_en
    assert str(info.value).index(info.value.detail) < str(info.value).index(message)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"period": {"start": 2021, "end": 2020}}, "starts after it ends"),
        (
            {"jurisdiction": {"scope": "national", "province_codes": ["75"], "edition": "2025"}},
            "takes no province_codes",
        ),
        ({"jurisdiction": {"scope": "provinces", "edition": "2025"}}, "province_codes"),
        ({"rules": []}, "must be non-empty"),
        ({"owner": "me"}, "unknown key"),
        ({"title_en": ""}, "must be non-empty"),
    ],
)
def test_invalid_plans_are_rejected_with_file(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanFileError, match=re.escape(message)) as info:
        parse_plan(_plan(**overrides), "plans/x.yaml")
    assert info.value.rule_code is None


def test_schema_is_built_from_the_live_type_catalogue() -> None:
    """DN-11's "no type" reason came from a hand-written list of 13 codes; types.yaml has
    every type, GBV_COUNSELLING included, and the schema takes its codes from there."""
    live = [t["code"] for t in yaml.safe_load(TYPES_FILE.read_text(encoding="utf-8"))]
    assert set(live) == FACILITY_TYPE_CODES
    assert "GBV_COUNSELLING" in FACILITY_TYPE_CODES
    plan = parse_plan(_plan(**_params(types=["GBV_COUNSELLING"], scope="jurisdiction", min=1)))
    assert plan.rules[0].params["types"] == ("GBV_COUNSELLING",)
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_follows_a_changed_catalogue() -> None:
    live = live_vocabulary()
    narrower = replace(live, type_codes=("ELDERLY",), services=("methadone_treatment",))
    data = _plan(**_params(types=["CHILDREN"], scope="jurisdiction", min=1))
    parse_plan(data)
    with pytest.raises(PlanFileError, match="unknown value 'CHILDREN'"):
        parse_plan(data, vocabulary=narrower)
    data = _plan(**_params(services=["methadone_treatment"], scope="jurisdiction", min=1))
    assert parse_plan(data, vocabulary=narrower).rules[0].params["services"] == (
        "methadone_treatment",
    )


def test_scoping_parameters_load() -> None:
    plan = parse_plan(
        _plan(
            **_params(
                types=["SOCIAL_WORK"],
                levels=["provincial"],
                services=["gender_equality_counselling"],
                target_groups=["gbv_victims"],
                facility={"code": "75-SW-001", "names": ["Trung tâm A"]},
                criteria_supported=True,
                needs_record="investment_project",
                count_bound="upper",
                scope="jurisdiction",
                min=1,
            )
        )
    )
    params = plan.rules[0].params
    assert params["levels"] == ("provincial",)
    assert params["facility"]["names"] == ("Trung tâm A",)
    assert params["criteria_supported"] is True


def test_duplicate_rule_codes_are_rejected() -> None:
    data = _plan()
    data["rules"] = data["rules"] * 2
    with pytest.raises(PlanFileError, match="duplicate rule code"):
        parse_plan(data, "p.yaml")


def test_open_ended_period_and_null_target_load() -> None:
    plan = parse_plan(
        _plan(
            period={"start": 2017, "end": None},
            rule={"params": {"types": ["ELDERLY"], "scope": "jurisdiction", "min": None}},
        )
    )
    assert plan.period_end is None
    assert plan.rules[0].params["min"] is None
    assert plan.rules[0].params["edition"] == "pre2025"


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("code: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"(?s)broken\.yaml: .*not valid YAML"):
        load_plan(path)


def test_plan_codes_must_be_unique_and_successors_known(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(yaml.safe_dump(_plan()), encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text(yaml.safe_dump(_plan()), encoding="utf-8")
    with pytest.raises(PlanFileError, match="used twice"):
        load_plans([first, second])
    second.write_text(yaml.safe_dump(_plan(code="Q", successor_of="NOPE")), encoding="utf-8")
    with pytest.raises(PlanFileError, match="unknown plan 'NOPE'"):
        load_plans([first, second])
