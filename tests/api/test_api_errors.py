"""problem+json on the API only, the rate limit per token, the OpenAPI document and the docs
page served from installed files."""

from __future__ import annotations

import pytest

from registry.auth.permissions import Role

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/no-such-thing", 404),
        ("delete", "/api/v1/facilities", 405),
        ("get", "/api/v1/facilities/2147483648", 404),
    ],
)
def test_api_errors_are_problem_json(api, db_session, method, url, status):
    _user, client = api(Role.ADMIN)
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem.keys() >= PROBLEM_KEYS
    assert problem["status"] == status
    assert problem["instance"] == url.split("?")[0]
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_problem_is_in_the_readers_language(app, api, db_session):
    from flask_babel import force_locale, gettext

    _user, client = api(Role.ADMIN)
    vi = client.get("/api/v1/no-such-thing").get_json()
    en = client.get("/api/v1/no-such-thing?lang=en").get_json()
    with app.test_request_context(), force_locale("vi"):
        assert vi["title"] == gettext("Not found")  # Vietnamese once the catalogue has it
    assert en["title"] == "Not found"


def test_html_pages_keep_their_own_error_pages(client, db_session):
    response = client.get("/facilities/no-such-page")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_rate_limit_is_per_token(app, api, db_session):
    app.config.update(API_THROTTLE_ENABLED=True, API_RATE_LIMIT="3 per minute")
    try:
        _a, first = api(Role.VIEWER)
        _b, second = api(Role.VIEWER)
        statuses = [first.get("/api/v1/admin-units").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = first.get("/api/v1/admin-units")
        assert limited.content_type == "application/problem+json"
        assert int(limited.headers["Retry-After"]) >= 1
        assert second.get("/api/v1/admin-units").status_code == 200
    finally:
        app.config.update(API_THROTTLE_ENABLED=False, API_RATE_LIMIT="120 per minute")


def test_openapi_document_is_3_1_with_bearer_security(client, db_session):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = spec["paths"]
    for path in (
        "/api/v1/facilities",
        "/api/v1/facilities/{facility_id}",
        "/api/v1/facilities/{facility_id}/status",
        "/api/v1/admin-units",
        "/api/v1/plans",
        "/api/v1/plan-checks",
        "/api/v1/scenarios/{scenario_id}",
        "/api/v1/licensing/applications/{application_id}",
        "/api/v1/licensing/licences",
        "/api/v1/projects/{project_id}",
    ):
        assert path in paths, path
    patch = paths["/api/v1/facilities/{facility_id}"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert "application/problem+json" in problem


def test_openapi_document_validates_against_the_3_1_schema(client, db_session):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").get_json())


def test_docs_page_is_served_from_installed_files(client, db_session):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "https://" not in html.split("<footer")[0].split("<main")[1]
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert len(bundle.data) > 100_000
    init = client.get("/api/v1/docs/init.js").get_data(as_text=True)
    assert "/api/v1/openapi.json" in init
    assert client.get("/api/v1/docs/assets/../../../etc/passwd").status_code == 404
    assert client.get("/api/v1/docs/assets/index.html").status_code == 404
