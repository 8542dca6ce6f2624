"""Login throttling: per client address and per submitted name, the same for every name."""

import re

import pytest

from registry.auth import throttle
from registry.extensions import limiter
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, UserFactory

BAD_PASSWORD = "wrong-password"
THROTTLED = "Quá nhiều lần đăng nhập. Vui lòng đợi vài phút rồi thử lại."
WRONG = "Sai tên đăng nhập hoặc mật khẩu."


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "now", fake)
    return fake


@pytest.fixture
def throttled(app, monkeypatch, clock):
    """Throttling on (the suite runs with it off), with small numbers, from a clean store."""
    for key, value in {
        "LOGIN_THROTTLE_ENABLED": True,
        "LOGIN_IP_LIMIT": "1000 per minute",
        "LOGIN_BACKOFF_FREE_FAILURES": 2,
        "LOGIN_BACKOFF_BASE_SECONDS": 5,
        "LOGIN_BACKOFF_MAX_SECONDS": 30,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    limiter.reset()
    yield app
    limiter.reset()


def attempt(client, username, password=BAD_PASSWORD, ip="10.0.0.1"):
    token = csrf_token_from(client.get("/auth/login"))
    return client.post(
        "/auth/login",
        environ_base={"REMOTE_ADDR": ip},
        data={"username": username, "password": password, "csrf_token": token},
    )


def alerts(response) -> list[str]:
    return [
        " ".join(m.split())
        for m in re.findall(
            r'<div class="alert[^"]*"[^>]*>(.*?)<button', response.get_data(as_text=True), re.S
        )
    ]


def answer(response) -> tuple:
    return response.status_code, response.headers.get("Retry-After"), alerts(response)


def test_unknown_and_known_names_get_identical_answers(throttled, client, db_session):
    UserFactory(username="official")
    known = [answer(attempt(client, "official")) for _ in range(4)]
    unknown = [answer(attempt(client, "no-such-user")) for _ in range(4)]
    assert known == unknown
    assert [a[0] for a in known] == [401, 401, 401, 429]
    assert known[0][2] == [WRONG]
    assert known[3] == (429, "5", [THROTTLED])


def test_the_right_password_waits_too_and_nobody_is_locked_out(
    throttled, client, clock, db_session
):
    user = UserFactory(username="officer")
    for _ in range(3):
        attempt(client, "officer")
    assert attempt(client, "officer", DEFAULT_PASSWORD).status_code == 429
    assert user.locked_until is None
    clock.now += 5
    assert attempt(client, "officer", DEFAULT_PASSWORD).status_code == 302


def test_delays_grow_up_to_the_cap(throttled, client, clock, db_session):
    waits = []
    for _ in range(2):
        assert attempt(client, "target").status_code == 401  # free failures
    for _ in range(5):
        assert attempt(client, "target").status_code == 401
        blocked = attempt(client, "target")
        assert blocked.status_code == 429
        waits.append(int(blocked.headers["Retry-After"]))
        clock.now += waits[-1] - 1
        assert attempt(client, "target").status_code == 429  # one second short
        clock.now += 1
    assert waits == [5, 10, 20, 30, 30]


def test_a_success_forgets_the_failures(throttled, client, clock, db_session):
    UserFactory(username="forgetful")
    for _ in range(3):
        attempt(client, "forgetful")
    clock.now += 5
    assert attempt(client, "forgetful", DEFAULT_PASSWORD).status_code == 302
    other = throttled.test_client()
    for _ in range(2):
        assert attempt(other, "forgetful").status_code == 401
    assert attempt(other, "forgetful").status_code == 401  # free again, not 429


def test_names_are_delayed_separately(throttled, client, db_session):
    for _ in range(3):
        attempt(client, "first")
    assert attempt(client, "first").status_code == 429
    assert attempt(client, "second").status_code == 401
    assert attempt(client, " FIRST ").status_code == 429  # the same name as typed


def test_per_address_limit(throttled, client, monkeypatch, db_session):
    monkeypatch.setitem(throttled.config, "LOGIN_IP_LIMIT", "3 per minute")
    statuses = [attempt(client, f"name{i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = attempt(client, "name-new")
    assert answer(blocked)[0::2] == (429, [THROTTLED])
    assert int(blocked.headers["Retry-After"]) <= 60
    assert attempt(client, "name-new", ip="10.0.0.2").status_code == 401


def test_successful_logins_do_not_count_against_the_address(
    throttled, app, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_IP_LIMIT", "2 per minute")
    for i in range(4):
        user = UserFactory(username=f"office{i}")
        assert attempt(app.test_client(), user.username, DEFAULT_PASSWORD).status_code == 302


def test_throttling_is_logged(throttled, client, caplog, db_session, monkeypatch):
    for _ in range(4):
        attempt(client, "logged-name")
    assert "delayed 5 s after 3 failed logins" in caplog.text
    assert "refused" in caplog.text
    monkeypatch.setitem(throttled.config, "LOGIN_IP_LIMIT", "1 per minute")
    limiter.reset()
    attempt(client, "a")
    attempt(client, "b")
    assert "from 10.0.0.1 throttled" in caplog.text


def test_throttling_off_in_the_suite_by_default(app, client, db_session):
    assert app.config["LOGIN_THROTTLE_ENABLED"] is False
    assert {attempt(client, "anyone").status_code for _ in range(12)} == {401}


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, 0),
        (5, 0),
        (6, 5),
        (7, 10),
        (8, 20),
        (12, 320),
        (13, 640),
        (14, 900),
        (500, 900),
    ],
)
def test_backoff_policy(failures, delay):
    assert throttle.BackoffPolicy().delay(failures) == delay
