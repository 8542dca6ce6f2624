"""Sessions end everywhere on logout and on changes to the account; idle sessions expire."""

import time

import pytest

from registry.auth import sessions
from registry.auth.models import User
from registry.auth.permissions import Role
from registry.auth.views import load_user
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import DEFAULT_PASSWORD, UserFactory

ENDED = "Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại."
EXPIRED = "Phiên làm việc đã hết hạn do không hoạt động trong một thời gian."


@pytest.fixture
def browsers(app, db_session):
    """Two browsers, each with its own cookie jar."""
    clients = [app.test_client(), app.test_client()]
    return [(c, AuthActions(c)) for c in clients]


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _edit_user(client, user, **fields):
    page = client.get(f"/admin/users/{user.id}")
    data = {
        "role": user.role.value,
        "province_code": user.province_code or "",
        "full_name": user.full_name,
        "active": "y",
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(
        f"/admin/users/{user.id}", data={"csrf_token": csrf_token_from(page), **data}
    )


def test_logout_in_one_browser_ends_the_other(browsers):
    user = UserFactory(username="hai.trinh")
    (first, first_auth), (second, second_auth) = browsers
    first_auth.login(user)
    second_auth.login(user)
    assert _logged_in(first)
    assert _logged_in(second)
    first_auth.logout()
    response = second.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert ENDED in second.get("/auth/login").get_data(as_text=True)
    assert not _logged_in(second)


def test_logging_in_again_after_logout_works(browsers):
    user = UserFactory(username="binh")
    (first, first_auth), _ = browsers
    first_auth.login(user)
    first_auth.logout()
    assert first_auth.login(user).status_code == 302
    assert _logged_in(first)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(browsers):
    user = UserFactory(username="cuc")
    (first, first_auth), (second, second_auth) = browsers
    first_auth.login(user)
    second_auth.login(user)
    page = first.get("/auth/password")
    response = first.post(
        "/auth/password",
        data={
            "csrf_token": csrf_token_from(page),
            "current": DEFAULT_PASSWORD,
            "password": "another-long-pass",
            "confirm": "another-long-pass",
        },
    )
    assert response.status_code == 302
    assert _logged_in(first)
    assert not _logged_in(second)


@pytest.mark.parametrize(
    "change",
    [
        {"role": "planner"},
        {"active": None},  # the box unticked: deactivated
        {"province_code": "66"},
        {"password": "set-by-the-admin"},
    ],
)
def test_admin_changes_to_access_end_the_users_sessions(browsers, change):
    admin = UserFactory(role=Role.ADMIN, province_code=None)
    user = UserFactory(username="dung", role=Role.VIEWER, province_code="75")
    (admin_client, admin_auth), (user_client, user_auth) = browsers
    user_auth.login(user)
    assert _logged_in(user_client)
    admin_auth.login(admin)
    assert _edit_user(admin_client, user, **change).status_code == 302
    assert not _logged_in(user_client)


def test_admin_editing_only_the_name_keeps_the_users_session(browsers):
    admin = UserFactory(role=Role.ADMIN, province_code=None)
    user = UserFactory(username="em", role=Role.VIEWER, province_code="75")
    (admin_client, admin_auth), (user_client, user_auth) = browsers
    user_auth.login(user)
    admin_auth.login(admin)
    assert _edit_user(admin_client, user, full_name="Trần Thị Em").status_code == 302
    assert _logged_in(user_client)


def test_admin_setting_their_own_password_stays_logged_in(browsers):
    admin = UserFactory(role=Role.ADMIN, province_code=None)
    (admin_client, admin_auth), (other_client, other_auth) = browsers
    admin_auth.login(admin)
    other_auth.login(admin)
    response = _edit_user(admin_client, admin, role="admin", password="my-new-long-pass")
    assert response.status_code == 302
    assert _logged_in(admin_client)
    assert not _logged_in(other_client)


def test_cli_disable_ends_the_users_sessions(browsers, runner, db_session):
    user = UserFactory(username="giang")
    (client, auth), _ = browsers
    auth.login(user)
    assert runner.invoke(args=["users", "disable", "giang"]).exit_code == 0
    db_session.expire_all()  # the command ran in its own session; a request starts afresh
    assert not _logged_in(client)


def test_session_ids_carry_the_epoch(db_session):
    user = UserFactory()
    assert user.get_id() == f"{user.id}:0"
    assert load_user(f"{user.id}:0") is user
    user.session_epoch = 1
    assert load_user(f"{user.id}:0") is None
    assert load_user(str(user.id)) is None  # a session from before epochs existed
    assert load_user("x:y") is None


def test_idle_session_expires_and_goes_to_login(client, auth, db_session):
    auth.login(UserFactory(username="hanh"))
    assert _logged_in(client)
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    page = client.get("/auth/login").get_data(as_text=True)
    assert EXPIRED in page
    assert not _logged_in(client)


def test_activity_within_the_idle_period_keeps_the_session(client, auth, db_session):
    auth.login(UserFactory(username="khanh"))
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN_KEY] = int(time.time()) - 29 * 60
    assert _logged_in(client)
    with client.session_transaction() as session:
        assert session[sessions.LAST_SEEN_KEY] >= int(time.time()) - 5  # refreshed


def test_idle_period_follows_the_config(app, client, auth, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 0)
    auth.login(UserFactory(username="linh"))
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN_KEY] -= 1
    assert not _logged_in(client)


def test_idle_period_none_never_expires(app, client, auth, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", None)
    auth.login(UserFactory(username="loan"))
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN_KEY] = 0
    assert _logged_in(client)


@pytest.mark.parametrize(
    ("last_seen", "at", "minutes", "idle"),
    [
        (1000, 1000 + 30 * 60, 30, False),
        (1000, 1001 + 30 * 60, 30, True),
        (1000, 1001, 0, True),
        (None, 10**9, 30, False),
        (0, 10**9, None, False),
    ],
)
def test_is_idle(last_seen, at, minutes, idle):
    assert sessions.is_idle(last_seen, at, minutes) is idle


def test_healthz_answers_only_status_even_with_an_ended_session(browsers, db_session):
    (first, first_auth), (_, second_auth) = browsers
    assert first.get("/healthz").get_json() == {"status": "ok"}
    user = UserFactory(role=Role.ADMIN, province_code=None)  # after: healthz rolls back
    first_auth.login(user)
    second_auth.login(user)
    second_auth.logout()
    assert first.get("/healthz").get_json() == {"status": "ok"}
    assert db_session.get(User, user.id).session_epoch == 1
