from datetime import timedelta

import pytest

from registry.auth import services
from registry.auth.models import User
from registry.models import utcnow
from tests.factories import DEFAULT_PASSWORD, UserFactory


def test_login_with_right_password_opens_home(client, auth, db_session):
    user = UserFactory(username="lan")
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_without_csrf_token_is_refused(client, db_session):
    UserFactory(username="minh")
    response = client.post("/auth/login", data={"username": "minh", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400


def test_wrong_password_shows_error_and_counts(client, auth, db_session):
    user = UserFactory(username="hoa")
    response = auth.login(user, "wrong")
    assert response.status_code == 401
    assert db_session.get(User, user.id).failed_logins == 1


def test_five_failures_lock_account_for_15_minutes(db_session, caplog):
    user = UserFactory(username="tuan")
    now = utcnow()
    for _ in range(5):
        with pytest.raises(services.InvalidCredentials):
            services.authenticate(db_session, "tuan", "bad", now=now)
    assert user.locked_until == now + timedelta(minutes=15)
    assert "locked" in caplog.text
    with pytest.raises(services.AccountLocked):
        services.authenticate(db_session, "tuan", DEFAULT_PASSWORD,
                              now=now + timedelta(minutes=14))
    assert services.authenticate(
        db_session, "tuan", DEFAULT_PASSWORD, now=now + timedelta(minutes=16)
    ) is user


def test_disabled_user_cannot_log_in(db_session):
    UserFactory(username="nam", active=False)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(db_session, "nam", DEFAULT_PASSWORD)


def test_passwords_are_hashed_with_scrypt(db_session):
    user = services.create_user(db_session, username="Thu", password="a-long-password",
                                role="viewer", province_code="75")
    assert user.username == "thu"
    assert user.password_hash.startswith("scrypt:")
    assert "a-long-password" not in user.password_hash


def test_short_password_is_refused(db_session):
    with pytest.raises(services.WeakPassword):
        services.create_user(db_session, username="x", password="short", role="viewer",
                             province_code=None)


def test_user_changes_own_password(client, auth, post_form, db_session):
    user = UserFactory(username="mai")
    auth.login(user)
    response = post_form("/auth/password", {
        "current": DEFAULT_PASSWORD, "password": "another-long-pass",
        "confirm": "another-long-pass",
    })
    assert response.status_code == 302
    auth.logout()
    assert auth.login("mai", "another-long-pass").status_code == 302


def test_open_redirect_after_login_is_refused(client, db_session):
    from tests.conftest import csrf_token_from

    UserFactory(username="an")
    token = csrf_token_from(client.get("/auth/login"))
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"username": "an", "password": DEFAULT_PASSWORD,
                                 "csrf_token": token})
    assert response.headers["Location"] == "/"
