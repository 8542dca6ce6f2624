import pytest

from registry.auth import services
from registry.auth.models import User
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


def test_failed_logins_never_lock_the_account(db_session):
    """Locking let anyone lock any official out; throttling is by name (test_throttling)."""
    user = UserFactory(username="tuan")
    for _ in range(10):
        with pytest.raises(services.InvalidCredentials):
            services.authenticate(db_session, "tuan", "bad")
    assert user.failed_logins == 10
    assert user.locked_until is None
    assert services.authenticate(db_session, "tuan", DEFAULT_PASSWORD) is user
    assert user.failed_logins == 0


def test_unknown_name_and_wrong_password_get_the_same_error(db_session):
    UserFactory(username="ngoc")
    messages = set()
    for name in ("ngoc", "nobody-here"):
        with pytest.raises(services.InvalidCredentials) as caught:
            services.authenticate(db_session, name, "bad")
        messages.add(caught.value.message)
    assert len(messages) == 1


def test_disabled_user_cannot_log_in(db_session):
    UserFactory(username="nam", active=False)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(db_session, "nam", DEFAULT_PASSWORD)


def test_passwords_are_hashed_with_scrypt(db_session):
    user = services.create_user(
        db_session, username="Thu", password="a-long-password", role="viewer", province_code="75"
    )
    assert user.username == "thu"
    assert user.password_hash.startswith("scrypt:")
    assert "a-long-password" not in user.password_hash


def test_short_password_is_refused(db_session):
    with pytest.raises(services.WeakPassword):
        services.create_user(
            db_session, username="x", password="short", role="viewer", province_code=None
        )


def test_user_changes_own_password(client, auth, post_form, db_session):
    user = UserFactory(username="mai")
    auth.login(user)
    response = post_form(
        "/auth/password",
        {
            "current": DEFAULT_PASSWORD,
            "password": "another-long-pass",
            "confirm": "another-long-pass",
        },
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login("mai", "another-long-pass").status_code == 302


def test_open_redirect_after_login_is_refused(client, db_session):
    from tests.conftest import csrf_token_from

    UserFactory(username="an")
    token = csrf_token_from(client.get("/auth/login"))
    response = client.post(
        "/auth/login?next=//evil.example/x",
        data={"username": "an", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"
