"""Fixtures of the open interfaces: users of both provinces, tokens for them, and a client
that sends a token. Đồng Nai is 75, Đắk Lắk 66 (current codes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry import clock
from registry.api import tokens
from registry.auth.permissions import Role
from tests.factories import UserFactory

DONG_NAI, DAK_LAK = "75", "66"


def issue_token(db_session, user, *, days: int = 30, name: str = "test") -> str:
    """A fresh token for ``user``, committed into the test's transaction; its secret."""
    issued = tokens.create_token(
        db_session,
        user,
        name=name,
        expires_on=clock.today() + timedelta(days=days),
        today=clock.today(),
    )
    db_session.commit()
    return issued.secret


@pytest.fixture
def make_token(db_session):
    def _make(role: Role = Role.ADMIN, province: str | None = DONG_NAI, **kwargs):
        user = UserFactory(role=role, province_code=province)
        return user, issue_token(db_session, user, **kwargs)

    return _make


class ApiClient:
    """The test client with ``Authorization: Bearer`` on every request."""

    def __init__(self, client, secret: str | None) -> None:
        self._client = client
        self.secret = secret

    def _headers(self, headers):
        out = dict(headers or {})
        if self.secret is not None:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def get(self, url, headers=None, **kwargs):
        return self._client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, headers=None, **kwargs):
        return self._client.post(url, headers=self._headers(headers), **kwargs)

    def patch(self, url, headers=None, **kwargs):
        return self._client.patch(url, headers=self._headers(headers), **kwargs)

    def put(self, url, headers=None, **kwargs):
        return self._client.put(url, headers=self._headers(headers), **kwargs)

    def delete(self, url, headers=None, **kwargs):
        return self._client.delete(url, headers=self._headers(headers), **kwargs)


@pytest.fixture
def api(client, make_token):
    """``api(role, province)`` → (user, ApiClient with that user's token)."""

    def _api(role: Role = Role.ADMIN, province: str | None = DONG_NAI, **kwargs):
        user, secret = make_token(role, province, **kwargs)
        return user, ApiClient(client, secret)

    return _api
