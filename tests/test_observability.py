"""Request ids and structured logs, the metrics endpoint and who may scrape it, and the
liveness and readiness probes (registry/observability.py, docs/OPERATIONS.md)."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from registry import MIGRATIONS_DIR, create_app, observability
from registry.auth.permissions import Role
from registry.extensions import db
from tests.conftest import fresh_database
from tests.factories import UserFactory


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "registry.access"]


def _as_json(record: logging.LogRecord) -> dict:
    return json.loads(observability.JsonFormatter().format(record))


# --- request ids and logs ------------------------------------------------------------------------


def test_request_id_is_echoed_and_stamped_on_every_log_record_of_the_request(
    app, client, caplog, monkeypatch
):
    def noisy_probe():
        logging.getLogger("registry.somewhere").warning("inside the request")
        logging.getLogger("sqlalchemy.anything").warning("a library's record too")
        return None

    monkeypatch.setattr(observability, "not_ready_because", noisy_probe)
    with caplog.at_level(logging.INFO):
        response = client.get("/readyz", headers={"X-Request-ID": "proxy-7f3a.b:c_1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "proxy-7f3a.b:c_1"
    inside = [r for r in caplog.records if r.getMessage() != "GET main.readyz 200"]
    assert {r.getMessage() for r in inside} >= {"inside the request", "a library's record too"}
    assert {r.request_id for r in caplog.records} == {"proxy-7f3a.b:c_1"}
    [access] = _access_records(caplog)
    line = _as_json(access)
    assert line["request_id"] == "proxy-7f3a.b:c_1"
    assert (line["method"], line["endpoint"], line["status"]) == ("GET", "main.readyz", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] is None
    # After the request nothing carries its id.
    logging.getLogger("registry").warning("after")
    assert caplog.records[-1].request_id is None


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "has space",
        'quote"d',
        "tab\tin",
        "semi;colon",
        "x" * 129,
        "-leading-dash",
        "ü-non-ascii",
    ],
)
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client, db_session, incoming):
    response = client.get("/livez", headers={"X-Request-ID": incoming} if incoming else {})
    rid = response.headers["X-Request-ID"]
    assert rid != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", rid)


def test_each_request_gets_its_own_id(client, db_session):
    ids = {client.get("/livez").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_the_access_line_names_the_user_and_never_the_query_string_or_the_password(
    client, auth, db_session, caplog
):
    user = UserFactory(role=Role.PLANNER, province_code="75")
    with caplog.at_level(logging.INFO, logger="registry"):
        auth.login(user, "wrong password Secretpw1")
        auth.login(user)
        client.get("/facilities/?q=Quysecretz")
        client.get("/licensing/track/tok3nS3cr3tvalue")
    lines = [_as_json(r) for r in _access_records(caplog)]
    text_of_lines = json.dumps(lines)
    for secret in ("Secretpw1", "Quysecretz", "tok3nS3cr3tvalue", "/facilities/"):
        assert secret not in text_of_lines
    listing = next(line for line in lines if line["endpoint"] == "facilities.index")
    assert listing["user_id"] == user.id
    assert listing["status"] == 200
    assert any(line["endpoint"] == "licensing.track" for line in lines)


def test_logs_are_one_json_object_a_line_on_stderr(app, client, db_session, capfd):
    client.get("/livez", headers={"X-Request-ID": "line-check"})
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "registry.access"]
    assert access, err
    assert access[-1]["request_id"] == "line-check"
    assert access[-1]["endpoint"] == "main.livez"


# --- metrics -------------------------------------------------------------------------------------


def _count(endpoint: str, method: str = "GET", status: str = "200") -> float:
    labels = {"endpoint": endpoint, "method": method, "status": status}
    value = REGISTRY.get_sample_value("registry_http_request_duration_seconds_count", labels)
    return value or 0.0


def test_metrics_count_a_request_by_endpoint_method_and_status(client, db_session):
    before = _count("main.livez")
    unmatched = _count("unmatched", status="404")
    client.get("/livez")
    client.get("/no/such/page/12345")
    assert _count("main.livez") == before + 1
    assert _count("unmatched", status="404") == unmatched + 1
    body = client.get("/metrics").get_data(as_text=True)
    assert (
        'registry_http_request_duration_seconds_count{endpoint="main.livez",method="GET",'
        f'status="200"}} {before + 1}'
    ) in body
    assert "registry_db_pool_checked_out" in body
    # No raw path is ever a label: the 404 above is "unmatched".
    assert "no/such/page" not in body


def test_an_unknown_method_is_counted_as_other(client, db_session):
    # A method the route does not take fails routing: no endpoint, 405.
    before = _count("unmatched", method="OTHER", status="405")
    client.open("/livez", method="BREW")
    assert _count("unmatched", method="OTHER", status="405") == before + 1


def test_without_a_token_metrics_are_for_loopback_callers_that_came_straight(client, db_session):
    assert client.get("/metrics").status_code == 200
    far = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert far.status_code == 404
    assert "registry_http" not in far.get_data(as_text=True)
    # Behind a reverse proxy on the same host every visitor comes from loopback.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404
    assert client.get("/metrics", headers={"Forwarded": "for=203.0.113.9"}).status_code == 404


def test_with_a_token_metrics_need_it_even_from_loopback(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-s3cret-token")
    assert client.get("/metrics").status_code == 404
    for wrong in ("Bearer nope", "Basic scrape-s3cret-token", "scrape-s3cret-token", "Bearer "):
        assert client.get("/metrics", headers={"Authorization": wrong}).status_code == 404
    right = {"Authorization": "Bearer scrape-s3cret-token"}
    response = client.get("/metrics", headers=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert "registry_http_request_duration_seconds_bucket" in response.get_data(as_text=True)


def test_workers_metrics_are_added_up_in_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR each process writes its figures to files there and a
    scrape reads them all: two processes' requests add up."""
    import subprocess
    import sys

    script = (
        "from registry import create_app;"
        f"app = create_app('config.TestingConfig', {{'SQLALCHEMY_DATABASE_URI': "
        f"'sqlite:///{tmp_path}/m.sqlite'}});"
        "c = app.test_client();"
        "import sys;"
        "[c.get('/livez') for _ in range(int(sys.argv[1]))];"
        "sys.stdout.write(c.get('/metrics').get_data(as_text=True))"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    (tmp_path / "prom").mkdir()
    for n in ("2", "3"):
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script, n], env=env, capture_output=True, text=True, check=True
        )
    pattern = r'registry_http_request_duration_seconds_count\{endpoint="main.livez",'
    pattern += r'method="GET",status="200"\} (\S+)'
    assert float(re.search(pattern, done.stdout).group(1)) == 5.0, done.stdout[-2000:]


# --- probes --------------------------------------------------------------------------------------


@contextmanager
def _app_on(url: str, tmp_path) -> Iterator[Flask]:
    probe = create_app("config.TestingConfig", {"SQLALCHEMY_DATABASE_URI": url})
    probe.instance_path = str(tmp_path / "instance")
    try:
        yield probe
    finally:
        with probe.app_context():
            db.engine.dispose()


def _unreachable_url(tmp_path) -> str:
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return "postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here"
    return f"sqlite:///{tmp_path}/no/such/folder/registry.sqlite"


def test_readyz_answers_200_on_a_migrated_database(client, db_session):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_503_and_livez_200_when_the_database_is_unreachable(tmp_path):
    with _app_on(_unreachable_url(tmp_path), tmp_path) as probe:
        c = probe.test_client()
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json == {"status": "not ready", "reason": "database"}
        assert c.get("/livez").status_code == 200
        assert c.get("/healthz").status_code == 503


def test_readyz_is_503_until_the_schema_is_at_the_migrations_head(tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(config)
    [head] = script.get_heads()
    previous = script.get_revision(head).down_revision
    with fresh_database(tmp_path / "empty.sqlite") as url, _app_on(url, tmp_path) as probe:
        c = probe.test_client()
        assert c.get("/readyz").json == {"status": "not ready", "reason": "migrations"}
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": previous})
        assert c.get("/readyz").status_code == 503
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        engine.dispose()
        assert c.get("/readyz").status_code == 200  # the version is all it reads
        assert c.get("/livez").status_code == 200


def test_healthz_still_answers(client, db_session):
    assert client.get("/healthz").json == {"status": "ok"}
