import pytest

from registry import create_app
from registry.auth.permissions import Role
from tests.factories import UserFactory


def test_healthz_tells_the_anonymous_only_that_the_service_is_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.PLANNER])
def test_healthz_tells_other_users_only_that_the_service_is_up(client, auth, db_session, role):
    auth.login(UserFactory(role=role))
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_reports_engine_spatial_version_and_head_to_an_admin(client, auth, db_session):
    auth.login(UserFactory(role=Role.ADMIN))
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["dialect"] in {"sqlite", "postgresql"}
    assert body["spatial"].startswith(("SpatiaLite", "PostGIS"))
    assert body["migration"]


def test_pages_default_to_vietnamese(client):
    page = client.get("/auth/login")
    assert 'lang="vi"' in page.get_data(as_text=True)
    assert "Đăng nhập" in page.get_data(as_text=True)


def test_language_switch_to_english(client, post_form):
    post_form("/lang/en", {"next": "/auth/login"}, page_url="/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in" in page


def test_security_headers_present(client):
    response = client.get("/auth/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_production_config_generates_secret_outside_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    app = create_app("config.ProductionConfig")
    assert len(app.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
