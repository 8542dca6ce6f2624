"""Role × route access matrix. Every route of the app must be listed here (or be public),
so a new view cannot ship without its access rule being tested."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from werkzeug.datastructures import FileStorage

from registry import clock
from registry.auth.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import FacilityFactory, UserFactory

ALL = set(Role)
WRITERS = {Role.ADMIN, Role.PLANNER, Role.LICENSING_OFFICER, Role.INVESTMENT_OFFICER}
PLANNERS = {Role.ADMIN, Role.PLANNER}
STATUS_CHANGERS = {Role.ADMIN, Role.LICENSING_OFFICER, Role.INVESTMENT_OFFICER}
LICENSING = {Role.ADMIN, Role.LICENSING_OFFICER}
INVESTMENT = {Role.ADMIN, Role.INVESTMENT_OFFICER}

# (endpoint, method, url, roles allowed). ``{facility}`` is a facility of the user's province.
MATRIX: list[tuple[str, str, str, set[Role]]] = [
    ("main.index", "GET", "/", ALL),
    ("auth.change_password", "GET", "/auth/password", ALL),
    ("admin.users", "GET", "/admin/users", {Role.ADMIN}),
    ("admin.new_user", "GET", "/admin/users/new", {Role.ADMIN}),
    ("admin.edit_user", "GET", "/admin/users/{user}", {Role.ADMIN}),
    ("audit.index", "GET", "/audit/", {Role.ADMIN, Role.REPORTER}),
    ("maps.index", "GET", "/map/", ALL),
    ("maps.data", "GET", "/map/data", ALL),
    ("maps.boundaries", "GET", "/map/boundaries/2025/province", ALL),
    ("maps.capacity", "GET", "/map/capacity?edition=2025&level=province", ALL),
    ("maps.relocate", "POST", "/map/facilities/{facility}/location", {Role.ADMIN, Role.PLANNER}),
    ("geography.index", "GET", "/geography/", ALL),
    ("geography.unit", "GET", "/geography/pre2025/75", ALL),
    ("geography.lookup", "GET", "/geography/lookup?lon=106.82&lat=10.95", ALL),
    ("facilities.index", "GET", "/facilities/", ALL),
    ("facilities.detail", "GET", "/facilities/{facility}", ALL),
    ("facilities.history", "GET", "/facilities/{facility}/history", ALL),
    ("facilities.new", "GET", "/facilities/new", WRITERS),
    ("facilities.edit", "GET", "/facilities/{facility}/edit", WRITERS),
    ("facilities.change_status", "POST", "/facilities/{facility}/status", STATUS_CHANGERS),
    ("facilities.export", "GET", "/facilities/export.csv", ALL),
    ("facilities.import_upload", "GET", "/facilities/import", {Role.ADMIN}),
    ("facilities.import_preview", "GET", "/facilities/import/preview", {Role.ADMIN}),
    ("facilities.import_confirm", "POST", "/facilities/import/confirm", {Role.ADMIN}),
    ("facilities.import_cancel", "POST", "/facilities/import/cancel", {Role.ADMIN}),
    ("facilities.import_template", "GET", "/facilities/import/template.xlsx", {Role.ADMIN}),
    ("planning.index", "GET", "/planning/", ALL),
    ("planning.plan", "GET", "/planning/plans/{plan}", ALL),
    ("planning.set_target", "POST", "/planning/plans/{plan}/rules/{rule}/target", {Role.ADMIN}),
    ("planning.targets_template", "GET", "/planning/targets.xlsx", {Role.ADMIN}),
    ("planning.import_targets", "GET", "/planning/targets/import", {Role.ADMIN}),
    ("planning.check", "GET", "/planning/check?plan={plan}", ALL),
    ("planning.compare", "GET", "/planning/compare", ALL),
    ("planning.coverage", "GET", "/planning/coverage", ALL),
    ("planning.siting_view", "GET", "/planning/siting", ALL),
    ("planning.new_scenario", "GET", "/planning/scenarios/new", PLANNERS),
    ("planning.scenario", "GET", "/planning/scenarios/{scenario}", ALL),
    ("planning.scenario_map", "GET", "/planning/scenarios/{scenario}/map.json", ALL),
    ("planning.add_item", "POST", "/planning/scenarios/{scenario}/items", PLANNERS),
    (
        "planning.delete_item",
        "POST",
        "/planning/scenarios/{scenario}/items/{item}/delete",
        PLANNERS,
    ),
    ("planning.copy_scenario", "POST", "/planning/scenarios/{scenario}/copy", PLANNERS),
    ("planning.adopt", "POST", "/planning/scenarios/{scenario}/adopt", {Role.ADMIN}),
    ("licensing.index", "GET", "/licensing/", LICENSING),
    ("licensing.application", "GET", "/licensing/applications/{application}", LICENSING),
    (
        "licensing.transition",
        "POST",
        "/licensing/applications/{application}/transition",
        LICENSING,
    ),
    ("licensing.assign", "POST", "/licensing/applications/{application}/assign", LICENSING),
    (
        "licensing.request_supplement",
        "POST",
        "/licensing/applications/{application}/supplement",
        LICENSING,
    ),
    (
        "licensing.mark_document",
        "POST",
        "/licensing/applications/{application}/documents/{document}",
        LICENSING,
    ),
    (
        "licensing.document_file",
        "GET",
        "/licensing/applications/{application}/documents/{document}/file",
        LICENSING,
    ),
    (
        "licensing.schedule_inspection",
        "POST",
        "/licensing/applications/{application}/inspection",
        LICENSING,
    ),
    (
        "licensing.record_inspection",
        "POST",
        "/licensing/applications/{application}/inspection/record",
        LICENSING,
    ),
    ("licensing.approve", "POST", "/licensing/applications/{application}/approve", LICENSING),
    ("licensing.refuse", "POST", "/licensing/applications/{application}/refuse", LICENSING),
    (
        "licensing.decision_pdf",
        "GET",
        "/licensing/applications/{decided}/decision.pdf",
        LICENSING,
    ),
    ("licensing.counter", "GET", "/licensing/counter/operating_licence", LICENSING),
    (
        "licensing.inspection_photo",
        "GET",
        "/licensing/applications/{decided}/inspections/{inspection}/photos/0",
        LICENSING,
    ),
    ("licensing.suspend_licence", "POST", "/licensing/licences/{licence}/suspend", LICENSING),
    (
        "licensing.reinstate_licence",
        "POST",
        "/licensing/licences/{licence}/reinstate",
        LICENSING,
    ),
    ("licensing.revoke_licence", "POST", "/licensing/licences/{licence}/revoke", LICENSING),
    (
        "licensing.close_condition",
        "POST",
        "/licensing/licences/{licence}/conditions/{condition}/close",
        LICENSING,
    ),
    # Investment (issue 11): everyone signed in follows projects; investment staff keep them.
    ("investment.index", "GET", "/investment/", ALL),
    ("investment.project", "GET", "/investment/{project}", ALL),
    ("investment.scurve", "GET", "/investment/{project}/scurve.svg", ALL),
    ("investment.timeline", "GET", "/investment/{project}/timeline.svg", ALL),
    (
        "investment.progress_photo",
        "GET",
        "/investment/{project}/progress/{report}/photos/0",
        ALL,
    ),
    ("investment.export_xlsx", "GET", "/investment/export.xlsx", ALL),
    ("investment.oc4ids", "GET", "/investment/oc4ids.json", ALL),
    ("investment.new", "GET", "/investment/new", INVESTMENT),
    ("investment.edit", "GET", "/investment/{project}/edit", INVESTMENT),
    ("investment.add_decision", "POST", "/investment/{project}/decisions", INVESTMENT),
    ("investment.set_capital", "POST", "/investment/{project}/capital", INVESTMENT),
    ("investment.add_disbursement", "POST", "/investment/{project}/disbursements", INVESTMENT),
    ("investment.add_progress", "POST", "/investment/{project}/progress", INVESTMENT),
    ("investment.set_planned", "POST", "/investment/{project}/planned", INVESTMENT),
    ("investment.add_milestone", "POST", "/investment/{project}/milestones", INVESTMENT),
    (
        "investment.complete_milestone",
        "POST",
        "/investment/{project}/milestones/{milestone}/complete",
        INVESTMENT,
    ),
    ("investment.add_contract", "POST", "/investment/{project}/contracts", INVESTMENT),
    (
        "investment.modify_contract",
        "POST",
        "/investment/{project}/contracts/{contract}/modifications",
        INVESTMENT,
    ),
    ("investment.add_supervision", "POST", "/investment/{project}/supervision", INVESTMENT),
    ("investment.change_stage", "POST", "/investment/{project}/stage", INVESTMENT),
    ("investment.handover", "POST", "/investment/{project}/handover", INVESTMENT),
    # Personal API tokens (issue 13): every signed-in user manages their own.
    ("api_tokens.index", "GET", "/account/api-tokens/", ALL),
    ("api_tokens.revoke", "POST", "/account/api-tokens/999999/revoke", ALL),
    # Demand layers and facility figures (issue 15): everyone reads (small numbers banded),
    # planners and admins import; facility figures are kept by the facility writers.
    ("demand.index", "GET", "/demand/", ALL),
    ("demand.import_layer", "GET", "/demand/import", PLANNERS),
    ("demand.layer", "GET", "/demand/layers/{layer}", ALL),
    ("demand.layer_json", "GET", "/demand/layers/{layer}.json", ALL),
    ("demand.layer_export", "GET", "/demand/layers/{layer}/export.csv", ALL),
    ("demand.layer_map", "GET", "/demand/layers/{layer}/map", ALL),
    ("demand.layer_map_json", "GET", "/demand/layers/{layer}/map.json", ALL),
    ("demand.facility_figures", "GET", "/demand/facilities/{facility}/figures", ALL),
    ("demand.record_figure", "POST", "/demand/facilities/{facility}/figures", WRITERS),
    ("demand.figures", "GET", "/demand/figures", ALL),
    ("demand.figures_export", "GET", "/demand/figures.xlsx", ALL),
    # The referral directory (issue 15): every signed-in user is a hotline operator.
    ("referrals.index", "GET", "/referrals/?q=tan+trieu", ALL),
    ("referrals.commune", "GET", "/referrals/communes/26188", ALL),
    ("referrals.commune_json", "GET", "/referrals/communes/26188.json", ALL),
    ("referrals.at", "GET", "/referrals/at.json?lon=106.8182&lat=11.0117", ALL),
    ("referrals.facility", "GET", "/referrals/facilities/{facility}", ALL),
    ("referrals.save_profile", "POST", "/referrals/facilities/{facility}/profile", WRITERS),
    ("referrals.save_links", "POST", "/referrals/facilities/{facility}/links", WRITERS),
    ("referrals.links_export", "GET", "/referrals/links.csv", ALL),
]

# The JSON API (issue 13) answers a missing sign-in with 401 problem+json, not a redirect, and
# its writes need a bearer token: each row is called with a token of each role. A write's
# empty body fails validation (400), an update without If-Match gets 428; never 403 when the
# role may.
API_MATRIX: list[tuple[str, str, str, set[Role]]] = [
    ("api_facilities.list_facilities", "GET", "/api/v1/facilities", ALL),
    ("api_facilities.get_facility", "GET", "/api/v1/facilities/{facility}", ALL),
    ("api_facilities.create_facility", "POST", "/api/v1/facilities", WRITERS),
    ("api_facilities.update_facility", "PATCH", "/api/v1/facilities/{facility}", WRITERS),
    (
        "api_facilities.change_status",
        "POST",
        "/api/v1/facilities/{facility}/status",
        STATUS_CHANGERS,
    ),
    ("api_geography.list_units", "GET", "/api/v1/admin-units", ALL),
    ("api_geography.get_unit", "GET", "/api/v1/admin-units/2025/75", ALL),
    ("api_planning.list_plans", "GET", "/api/v1/plans", ALL),
    ("api_planning.get_plan", "GET", "/api/v1/plans/{plan}", ALL),
    ("api_planning.read_check", "GET", "/api/v1/plan-checks?plan={plan}", ALL),
    ("api_planning.run_check", "POST", "/api/v1/plan-checks", ALL),
    ("api_planning.list_scenarios", "GET", "/api/v1/scenarios", ALL),
    ("api_planning.get_scenario", "GET", "/api/v1/scenarios/{scenario}", ALL),
    ("api_licensing.list_applications", "GET", "/api/v1/licensing/applications", LICENSING),
    (
        "api_licensing.get_application",
        "GET",
        "/api/v1/licensing/applications/{application}",
        LICENSING,
    ),
    ("api_licensing.list_licences", "GET", "/api/v1/licensing/licences", LICENSING),
    ("api_licensing.get_licence", "GET", "/api/v1/licensing/licences/{licence}", LICENSING),
    ("api_investment.list_projects", "GET", "/api/v1/projects", ALL),
    ("api_investment.get_project", "GET", "/api/v1/projects/{project}", ALL),
    ("api_referrals.find_communes", "GET", "/api/v1/referrals/communes?q=tan+trieu", ALL),
    ("api_referrals.get_directory", "GET", "/api/v1/referrals/communes/26188", ALL),
]

# Reachable without logging in, on purpose.
PUBLIC = {
    "static",
    "bootstrap.static",
    "main.healthz",
    # Probes for the orchestrator and the balancer: a status and, when not ready, which of
    # two checks failed; no versions, no data (tests/test_observability.py).
    "main.livez",
    "main.readyz",
    # Guarded by its own secret (METRICS_TOKEN) or loopback, not by a login: a scraper has no
    # account (tests/test_observability.py checks the refusals).
    "main.metrics",
    "main.about",
    "main.set_language",
    "main.vendor",
    "auth.login",
    "auth.logout",
    # Licensing's public side (issue 10): the online application, the private tracking link
    # and the public register need no account.
    "licensing.apply_start",
    "licensing.apply",
    "licensing.track_start",
    "licensing.track",
    "licensing.track_upload",
    "licensing.track_file",
    "licensing.register",
    "licensing.register_csv",
    # The API's own description and its documentation page hold no data.
    "api-docs.openapi_json",
    "api_docs.index",
    "api_docs.asset",
    "api_docs.init_js",
    # OGC API – Features (issue 13): open to anyone, read-only; without a token only public
    # attributes and generalised confidential locations (tests/api/test_ogc_features.py and
    # the leak hunter hold it to that), with one the holder's own view.
    "ogc.landing",
    "ogc.conformance",
    "ogc.api",
    "ogc.collections",
    "ogc.collection",
    "ogc.items",
    "ogc.feature",
    # The public referral directory (issue 15): public services only, no login.
    "referrals.public_index",
    "referrals.public_commune",
    "referrals.public_commune_json",
}


def test_every_route_is_in_the_matrix(app):
    listed = {endpoint for endpoint, *_ in MATRIX + API_MATRIX} | PUBLIC
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - listed)
    assert missing == [], f"routes without an access rule in the matrix: {missing}"


def _planning_ids(db_session) -> dict:
    from registry.planning import services as planning
    from registry.planning.models import ItemAction, ScenarioItem

    planning.load_plans(db_session)
    plan = planning.plan_by_code(db_session, "QD-1520-LDTBXH-2015")
    scenario = planning.create_scenario(
        db_session, name="Matrix", province_code="75", target_year=2026, notes=None, actor_id=None
    )
    item = ScenarioItem(
        action=ItemAction.ADD,
        name="x",
        type_code="GENERAL",
        lon=106.82,
        lat=10.95,
        province_code="75",
    )
    scenario.items.append(item)
    db_session.flush()
    return {"plan": plan.code, "rule": plan.rules[0].id, "scenario": scenario.id, "item": item.id}


def png_upload(name: str) -> FileStorage:
    """A small real PNG, as a browser would post it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    return FileStorage(stream=buffer, filename=name, content_type="image/png")


def _licensing_ids(db_session) -> dict:
    """An application of Đồng Nai (75) with a stored file, and a refused one."""
    from registry.facilities.vocab import Ownership, Status
    from registry.licensing import services as licensing
    from registry.licensing.workflow import State

    facility = FacilityFactory(
        province_code="75", ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    data = licensing.ApplicationInput(
        procedure_code="operating_licence",
        organisation="Công ty Ma trận",
        representative="Lê Văn Ba",
        facility_code=facility.code,
        provided=("application", "registration_copy"),
    )
    app, _token = licensing.record_counter(db_session, data, actor="matrix")
    document = app.documents[0]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Don")
    upload = FileStorage(stream=io.BytesIO(bytes(pdf.output())), filename="don.pdf")
    licensing._store(document, upload)
    decided, _token = licensing.record_counter(db_session, data, actor="matrix")
    licensing.transition(db_session, decided, State.UNDER_REVIEW, actor="matrix")
    today = clock.today()
    licensing.schedule_inspection(db_session, decided, on=today, team="Đoàn", actor="matrix")
    inspection = licensing.record_inspection(
        db_session,
        decided,
        inspected_on=today,
        checklist={},
        findings="Đạt",
        actor="matrix",
        photos=[png_upload("anh-kiem-tra.png")],
    )
    licence = licensing.approve(
        db_session, decided, actor="matrix", conditions=[("Lắp biển tên", None)]
    )
    db_session.flush()
    return {
        "application": app.id,
        "document": document.id,
        "decided": decided.id,
        "inspection": inspection.id,
        "licence": licence.id,
        "condition": licence.conditions[0].id,
    }


def _investment_ids(db_session) -> dict:
    """A project of Đồng Nai (75) with a progress photo, a milestone and a contract."""
    from datetime import date

    from registry.investment import services as investment
    from registry.investment.models import Kind

    actor = UserFactory(role=Role.INVESTMENT_OFFICER, province_code="75")
    project = investment.create_project(
        db_session,
        investment.ProjectInput(
            code="DA-MATRIX", name="Ma trận", kind=Kind.REPAIR, province_code="75", owner="Sở"
        ),
        actor=actor,
    )
    report = investment.add_progress(
        db_session,
        project,
        as_of=date(2025, 1, 1),
        physical_pct=10,
        narrative=None,
        problems=None,
        photos=[png_upload("tien-do.png")],
        actor=actor,
    )
    milestone = investment.add_milestone(
        db_session,
        project,
        title="Móng",
        milestone_type="delivery",
        planned_on=date(2025, 6, 1),
        actual_on=None,
        actor=actor,
    )
    contract = investment.add_contract(
        db_session,
        project,
        number="1/HĐ",
        title="Thi công",
        contractor="Công ty",
        nature="construction",
        signed_on=date(2025, 1, 1),
        value_vnd=1_000_000,
        end_on=None,
        actor=actor,
    )
    db_session.flush()
    return {
        "project": project.id,
        "report": report.id,
        "milestone": milestone.id,
        "contract": contract.id,
    }


def _demand_ids(db_session) -> dict:
    """A demand layer of Đồng Nai (75) with one commune's count."""
    from datetime import date

    from registry.demand.models import DemandCount, DemandLayer
    from registry.demand.vocab import Measure, Method

    layer = DemandLayer(
        measure=Measure.CHILDREN,
        province_code="75",
        edition="2025",
        level="commune",
        as_of=date(2025, 12, 31),
        source="Ma trận",
    )
    layer.counts = [DemandCount(unit_code="26188", total=3, method=Method.DIRECT)]
    db_session.add(layer)
    db_session.flush()
    return {"layer": layer.id}


def _ids_for(db_session, template: str) -> dict | None:
    if template.startswith("/api/v1/"):
        template = "/" + template.removeprefix("/api/v1/").replace("projects", "investment")
        template = template.replace("plan-checks", "planning").replace("plans", "planning")
        template = template.replace("scenarios", "planning")
    if template.startswith("/demand/layers"):
        return _demand_ids(db_session)
    if template.startswith("/investment"):
        return _investment_ids(db_session)
    if template.startswith("/planning"):
        return _planning_ids(db_session)
    if template.startswith("/licensing"):
        return _licensing_ids(db_session)
    return None


def _url(template: str, user, facility, ids=None) -> str:
    return template.format(user=user.id, facility=facility.id, **(ids or {}))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("endpoint", "method", "template", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_role_access(client, auth, db_session, role, endpoint, method, template, allowed):
    user = UserFactory(role=role, province_code="75")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    auth.login(user)
    url = _url(template, user, facility, ids)
    data = {"csrf_token": csrf_token_from(client.get("/"))} if method == "POST" else None
    response = client.open(url, method=method, data=data)
    if role in allowed:
        # An empty but valid POST fails validation: a redirect back, or 422 from a JSON
        # endpoint; never 403.
        assert response.status_code in (200, 302, 422), (endpoint, role, response.status_code)
    else:
        assert response.status_code == 403, (endpoint, role, response.status_code)


@pytest.mark.parametrize(
    ("endpoint", "method", "template", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_anonymous_is_sent_to_login(client, db_session, endpoint, method, template, allowed):
    user = UserFactory()
    facility = FacilityFactory()
    ids = _ids_for(db_session, template)
    response = client.open(_url(template, user, facility, ids), method=method)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "template",
    [
        "/facilities/{facility}",
        "/facilities/{facility}/edit",
        "/facilities/{facility}/history",
        "/investment/{project}",
        "/investment/{project}/edit",
        "/investment/{project}/scurve.svg",
        "/investment/{project}/timeline.svg",
        "/investment/{project}/progress/{report}/photos/0",
    ],
)
def test_other_provinces_records_are_not_found(client, auth, db_session, template):
    """Jurisdiction: a Đắk Lắk admin does not see a Đồng Nai facility or project at all."""
    admin = UserFactory(role=Role.ADMIN, province_code="66")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    auth.login(admin)
    assert client.get(_url(template, admin, facility, ids)).status_code == 404


def test_viewer_gets_403_on_admin_page(client, auth, db_session):
    auth.login(UserFactory(role=Role.VIEWER))
    assert client.get("/admin/users").status_code == 403


# --- writes × jurisdiction: plan targets -------------------------------------------------------

TARGET_EDITORS = [(role, where) for role in Role for where in (None, "75", "66")]


@pytest.mark.parametrize(
    ("role", "where"),
    TARGET_EDITORS,
    ids=[f"{r.value}-{w or 'national'}" for r, w in TARGET_EDITORS],
)
def test_plan_target_edits_follow_role_and_jurisdiction(client, auth, db_session, role, where):
    """A Đồng Nai plan's target changes only for an administrator whose jurisdiction covers
    Đồng Nai (national or 75); everyone else gets 403 and the target stays as it was."""
    from registry.planning import services as planning

    planning.load_plans(db_session)
    plan = planning.plan_by_code(db_session, "DN-2735-KH-UBND-2018")
    rule = next(r for r in plan.rules if planning.target_slots(r))
    slot = planning.target_slots(rule)[0]
    before = planning.effective_params(rule).get(slot.key)
    auth.login(UserFactory(role=role, province_code=where))
    response = client.post(
        f"/planning/plans/{plan.code}/rules/{rule.id}/target",
        data={
            "csrf_token": csrf_token_from(client.get("/planning/")),
            "key": slot.key,
            "unit_code": slot.unit_code or "",
            "value": "1",
            "reason": "ma trận quyền",
        },
    )
    db_session.refresh(rule)
    after = planning.effective_params(rule).get(slot.key)
    if role is Role.ADMIN and where in (None, "75"):
        assert response.status_code == 302, response.status_code
        assert after == 1
    else:
        assert response.status_code == 403, (role, where, response.status_code)
        assert after == before


# --- the JSON API: role × route with tokens, anonymous, session writes, jurisdiction --------


def _api_call(client, method: str, url: str, secret: str | None):
    from tests.api.conftest import ApiClient

    caller = ApiClient(client, secret)
    body = {} if method in ("POST", "PATCH") else None
    return getattr(caller, method.lower())(url, json=body)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("endpoint", "method", "template", "allowed"), API_MATRIX, ids=[m[0] for m in API_MATRIX]
)
def test_api_role_access(client, db_session, role, endpoint, method, template, allowed):
    from tests.api.conftest import issue_token

    user = UserFactory(role=role, province_code="75")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    secret = issue_token(db_session, user)
    response = _api_call(client, method, _url(template, user, facility, ids), secret)
    if role in allowed:
        assert response.status_code in (200, 201, 400, 422, 428), (
            endpoint,
            role,
            response.status_code,
        )
    else:
        assert response.status_code == 403, (endpoint, role, response.status_code)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("endpoint", "method", "template", "allowed"), API_MATRIX, ids=[m[0] for m in API_MATRIX]
)
def test_api_without_a_token_is_401(client, db_session, endpoint, method, template, allowed):
    user = UserFactory()
    facility = FacilityFactory()
    ids = _ids_for(db_session, template)
    response = _api_call(client, method, _url(template, user, facility, ids), None)
    assert response.status_code == 401, (endpoint, response.status_code)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("endpoint", "method", "template", "allowed"),
    [row for row in API_MATRIX if row[1] != "GET"],
    ids=[m[0] for m in API_MATRIX if m[1] != "GET"],
)
def test_api_writes_ignore_the_browser_session(
    client, auth, db_session, endpoint, method, template, allowed
):
    """A signed-in browser cannot write through the API: a cookie is not a token, so a page
    of another site cannot make the browser write (no CSRF through the API)."""
    admin = UserFactory(role=Role.ADMIN, province_code="75")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    auth.login(admin)
    response = _api_call(client, method, _url(template, admin, facility, ids), None)
    assert response.status_code == 401, (endpoint, response.status_code)


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/facilities/{facility}",
        "/api/v1/scenarios/{scenario}",
        "/api/v1/licensing/applications/{application}",
        "/api/v1/licensing/licences/{licence}",
        "/api/v1/projects/{project}",
    ],
)
def test_api_other_provinces_records_are_not_found(client, db_session, template):
    """Jurisdiction through the API: a Đắk Lắk administrator's token finds no Đồng Nai
    record, and no Đồng Nai licensing file."""
    from tests.api.conftest import issue_token

    admin = UserFactory(role=Role.ADMIN, province_code="66")
    facility = FacilityFactory(province_code="75")
    ids = _ids_for(db_session, template)
    response = _api_call(
        client, "GET", _url(template, admin, facility, ids), issue_token(db_session, admin)
    )
    assert response.status_code == 404, response.status_code
    assert response.mimetype == "application/problem+json"
