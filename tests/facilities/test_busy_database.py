"""When the database refuses a write because others are writing, the editor gets a clear
503 with a retry time and nothing is written; an error page never builds on the failed
transaction."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from registry import errors
from registry.auth.permissions import Role
from registry.facilities import services
from registry.facilities.models import Facility
from tests.conftest import csrf_token_from
from tests.facilities.test_views import _form_data
from tests.factories import UserFactory


def _locked(*args, **kwargs):
    raise OperationalError("UPDATE facilities", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def facility(db_session, types, make_input):
    item, _ = services.register_facility(db_session, make_input(), actor_id=None)
    return item


def _edit(client, auth, facility, **changes):
    user = UserFactory(role=Role.ADMIN, province_code="75", full_name="Nguyễn Thị Bận")
    auth.login(user)
    token = csrf_token_from(client.get(f"/facilities/{facility.id}/edit"))
    return client.post(
        f"/facilities/{facility.id}/edit",
        data=_form_data(facility, csrf_token=token, **changes),
    )


def test_a_busy_database_gets_a_retry_page_and_nothing_is_written(
    client, auth, db_session, facility, monkeypatch
):
    def write_then_locked(session, item, data, **kwargs):
        item.residents = 999  # the edit had begun: it must not survive
        session.flush()
        _locked()

    monkeypatch.setattr(services, "update_facility", write_then_locked)
    response = _edit(client, auth, facility, residents="999")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_S)
    page = response.get_data(as_text=True)
    assert 'data-testid="busy"' in page
    assert "chưa có gì được lưu" in page
    assert "Nguyễn Thị Bận" in page  # the page read the user after the rollback
    db_session.expire_all()
    assert db_session.get(Facility, facility.id).residents == 120


def test_an_error_page_after_a_failed_flush_renders(
    app, client, auth, db_session, facility, monkeypatch
):
    def broken(session, item, data, **kwargs):
        item.name = None  # NOT NULL: the flush fails and the session needs a rollback
        session.flush()

    monkeypatch.setattr(services, "update_facility", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = _edit(client, auth, facility)
    assert response.status_code == 500
    assert "Nguyễn Thị Bận" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Facility, facility.id).name == "Trung tâm Bảo trợ xã hội thử nghiệm"


@pytest.mark.parametrize(
    ("orig", "busy"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database table is locked"), True),
        (SimpleNamespace(sqlstate="40001"), True),  # serialization failure
        (SimpleNamespace(sqlstate="40P01"), True),  # deadlock detected
        (SimpleNamespace(sqlstate="55P03"), True),  # lock not available
        (sqlite3.OperationalError("no such table: facilities"), False),
        (SimpleNamespace(sqlstate="08006"), False),  # connection failure: not a retry
    ],
)
def test_which_database_errors_are_worth_a_retry(orig, busy):
    assert errors.is_busy(OperationalError("SELECT 1", {}, orig)) is busy
