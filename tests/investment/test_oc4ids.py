"""The OC4IDS export: the demo portfolio validates against the official 0.9.4 schema, every
codelist-valued field takes a code of its list, confidential locations stay generalised, and
the command writes a valid file."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from registry.auth.permissions import Role
from registry.facilities import read
from registry.facilities.demo import load_demo_facilities
from registry.investment import oc4ids
from registry.investment.demo import DEMO_PROJECTS, load_demo_projects
from registry.investment.models import Kind, Project
from registry.investment.workflow import Stage
from tests.factories import FacilityFactory, UserFactory

# A copy of shared/standards/oc4ids-0.9.4 (official schema and codelists, with its licence).
STANDARD = Path(__file__).resolve().parents[2] / "standards" / "oc4ids-0.9.4"
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


@cache
def _schemas() -> tuple[dict, dict]:
    package = json.loads((STANDARD / "project-package-schema.json").read_text(encoding="utf-8"))
    project = json.loads((STANDARD / "project-schema.json").read_text(encoding="utf-8"))
    return package, project


@cache
def codes(codelist: str) -> frozenset[str]:
    with (STANDARD / "codelists" / codelist).open(encoding="utf-8") as fh:
        return frozenset(row["Code"] for row in csv.DictReader(fh))


def schema_errors(data: dict) -> list[str]:
    package, project = _schemas()
    registry = Registry().with_resource(project["id"], DRAFT4.create_resource(project))
    validator = Draft4Validator(package, registry=registry)
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    )


def coded_values(data: dict) -> list[tuple[str, str, object]]:
    """(path, codelist, value) of every value in a codelist-valued field, found by walking the
    schema alongside the data; also checks the date-time and URI formats the validator leaves
    unchecked without extra packages."""
    package, project = _schemas()
    found: list[tuple[str, str, object]] = []

    def walk(value: object, node: dict, path: str) -> None:
        ref = node.get("$ref")
        if ref == project["id"]:
            node = project
        elif ref:
            node = project["definitions"][ref.rsplit("/", 1)[-1]]
        if "codelist" in node:
            for item in value if isinstance(value, list) else [value]:
                found.append((path, node["codelist"], item))
        if node.get("format") == "date-time":
            assert datetime.fromisoformat(str(value)).tzinfo is not None, path
        if node.get("format") == "uri":
            assert urlparse(str(value)).scheme, path
        if isinstance(value, dict):
            for key, item in value.items():
                sub = node.get("properties", {}).get(key)
                if sub is not None:
                    walk(item, sub, f"{path}/{key}")
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for n, item in enumerate(value):
                walk(item, node["items"], f"{path}/{n}")

    walk(data, package, "")
    return found


@pytest.fixture
def admin(db_session):
    return UserFactory(role=Role.ADMIN, province_code=None, username="oc4ids.admin")


@pytest.fixture
def demo_portfolio(db_session, admin):
    load_demo_facilities(db_session)
    load_demo_projects(db_session, admin)
    db_session.flush()
    return db_session


def _package(session, reader=read.ANONYMOUS, province: str | None = None) -> dict:
    from sqlalchemy import select

    stmt = select(Project).order_by(Project.code)
    if province:
        stmt = stmt.where(Project.province_code == province)
    projects = list(session.scalars(oc4ids.with_children(stmt)).unique())
    return oc4ids.package_for(
        session, projects, reader, uri="https://example.org/oc4ids.json", publisher="Thử", now=NOW
    )


def test_demo_portfolio_package_validates_against_the_official_schema(demo_portfolio):
    data = _package(demo_portfolio)
    assert len(data["projects"]) == len(DEMO_PROJECTS)
    assert schema_errors(data) == []
    # A JSON round trip changes nothing (plain types only) and money stays integer VND.
    assert json.loads(json.dumps(data)) == data
    budget = {p["identifiers"][0]["id"]: p["budget"]["amount"] for p in data["projects"]}
    assert budget["DEMO-DL-01"] == {"amount": 120_000_000_000, "currency": "VND"}
    assert isinstance(budget["DEMO-DL-01"]["amount"], int)


def test_every_codelist_value_of_the_demo_package_is_in_its_list(demo_portfolio):
    found = coded_values(_package(demo_portfolio))
    wrong = [(path, cl, v) for path, cl, v in found if v not in codes(cl)]
    assert wrong == []
    used = {cl for _, cl, _ in found}
    assert {
        "projectStatus.csv",
        "projectType.csv",
        "projectSector.csv",
        "partyRole.csv",
        "currency.csv",
        "geometryType.csv",
        "metricID.csv",
        "milestoneType.csv",
        "milestoneCode.csv",
        "milestoneStatus.csv",
        "contractNature.csv",
        "contractingProcessStatus.csv",
        "modificationType.csv",
        "documentType.csv",
    } <= used


def test_demo_package_carries_budget_breakdowns_progress_and_the_demo_note(demo_portfolio):
    projects = {p["identifiers"][0]["id"]: p for p in _package(demo_portfolio)["projects"]}
    dl = projects["DEMO-DL-01"]
    assert dl["status"] == "implementation"
    assert dl["type"] == "construction"
    assert {b["id"] for b in dl["budget"]["budgetBreakdowns"]} == {"by-source", "capital-plans"}
    metrics = {m["id"]: m for m in dl["metrics"]}
    assert metrics["physicalProgress"]["observations"][-1]["measure"] == 64
    assert metrics["financialProgress"]["observations"][-1]["value"]["amount"] == 56_000_000_000
    assert {f["id"] for f in dl["forecasts"]} == {"physicalProgress", "financialProgress"}
    assert "2929/QĐ-UBND" in json.dumps(dl["milestones"], ensure_ascii=False)
    assert "demo" in dl["description"]
    assert dl["locations"][0]["geometry"]["type"] == "Point"
    # The upgrade's contract modification is both a value and a duration change.
    upgrade = projects["DEMO-DL-02"]
    mods = upgrade["contractingProcesses"][0]["summary"]["modifications"]
    assert sorted(m["type"] for m in mods) == ["duration", "value"]
    # The new drug-treatment facility is not in the registry: only its province is given.
    assert "geometry" not in projects["DEMO-DN-02"]["locations"][0]
    assert projects["DEMO-DN-02"]["locations"][0]["address"]["countryName"] == "Việt Nam"


@pytest.mark.parametrize(
    ("stage", "suspended_from", "status"),
    [
        (Stage.POLICY_DECISION, None, "identification"),
        (Stage.INVESTMENT_DECISION, None, "preparation"),
        (Stage.DESIGN, None, "preparation"),
        (Stage.PROCUREMENT, None, "implementation"),
        (Stage.CONSTRUCTION, None, "implementation"),
        (Stage.HANDOVER, None, "completion"),
        (Stage.SETTLEMENT, None, "completion"),
        (Stage.CANCELLED, None, "cancelled"),
        (Stage.SUSPENDED, Stage.CONSTRUCTION, "implementation"),
    ],
)
def test_every_stage_maps_to_a_project_status_code(stage, suspended_from, status):
    project = Project(stage=stage, suspended_from=suspended_from)
    assert oc4ids.project_status(project) == status
    assert status in codes("projectStatus.csv")


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_maps_to_a_project_type_code(kind):
    assert oc4ids.TYPE[kind] in codes("projectType.csv")


def _confidential_project(session, admin):
    shelter = FacilityFactory(
        type_code="SHELTER",
        name="Nhà tạm lánh thử",
        code="75-SHELTER-9999",
        lon=106.912345,
        lat=10.987654,
        address="Số 1 đường bí mật",
    )
    project = Project(
        code="T-CONF-1",
        name="Nâng cấp nhà tạm lánh",
        kind=Kind.UPGRADE,
        province_code="75",
        facility_id=shelter.id,
        owner="Sở thử",
    )
    session.add(project)
    session.flush()
    return shelter


def test_a_confidential_facility_is_generalised_for_a_reader_who_may_not_see_it(db_session, admin):
    _confidential_project(db_session, admin)
    viewer = UserFactory(role=Role.VIEWER, province_code="75")
    for reader in (read.ANONYMOUS, read.Reader.of(viewer)):
        assert not reader.may_see_exact
        data = _package(db_session, reader)
        text = json.dumps(data, ensure_ascii=False)
        assert "106.912345" not in text
        assert "10.987654" not in text
        assert "bí mật" not in text
        location = data["projects"][0]["locations"][0]
        assert "khái quát" in location["description"]
        assert schema_errors(data) == []
    # The registry itself sees the exact point: the test above is not vacuous.
    exact = json.dumps(_package(db_session, read.SYSTEM))
    assert "106.912345" in exact


def test_the_command_writes_a_valid_package(demo_portfolio, runner, tmp_path):
    out = tmp_path / "oc4ids.json"
    result = runner.invoke(args=["investment", "oc4ids", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert schema_errors(data) == []
    assert len(data["projects"]) == len(DEMO_PROJECTS)


def test_the_command_filters_by_province_and_generalises(db_session, admin, runner, tmp_path):
    load_demo_facilities(db_session)
    load_demo_projects(db_session, admin)
    _confidential_project(db_session, admin)
    out = tmp_path / "dn.json"
    result = runner.invoke(args=["investment", "oc4ids", "--out", str(out), "--province", "75"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    assert schema_errors(data) == []
    assert {p["identifiers"][0]["id"] for p in data["projects"]} == {
        "DEMO-DN-01",
        "DEMO-DN-02",
        "T-CONF-1",
    }
    assert "106.912345" not in text


def test_the_command_refuses_an_empty_package(db_session, runner, tmp_path):
    out = tmp_path / "none.json"
    result = runner.invoke(args=["investment", "oc4ids", "--out", str(out), "--province", "01"])
    assert result.exit_code != 0
    assert not out.exists()


def test_the_route_exports_only_the_users_province(demo_portfolio, client, auth):
    officer = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="66")
    auth.login(officer)
    response = client.get("/investment/oc4ids.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert schema_errors(data) == []
    assert {p["identifiers"][0]["id"] for p in data["projects"]} == {"DEMO-DL-01", "DEMO-DL-02"}


def test_the_route_needs_a_login(client):
    response = client.get("/investment/oc4ids.json")
    assert response.status_code in (302, 401)


def test_dates_are_midnight_in_vietnam():
    assert oc4ids.when(date(2015, 10, 30)) == "2015-10-30T00:00:00+07:00"
