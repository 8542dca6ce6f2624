"""Personal API tokens: the service, the bearer check and the token page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import clock
from registry.api import tokens
from registry.api.auth import hash_secret
from registry.api.models import ApiToken
from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.errors import RegistryError
from registry.models import utcnow
from tests.api.conftest import ApiClient, issue_token
from tests.conftest import csrf_token_from
from tests.factories import UserFactory

ME = "/api/v1/facilities"


def test_token_is_stored_hashed_and_shown_once(db_session):
    user = UserFactory(role=Role.VIEWER)
    issued = tokens.create_token(
        db_session,
        user,
        name="GIS",
        expires_on=clock.today() + timedelta(days=10),
        today=clock.today(),
    )
    row = db_session.get(ApiToken, issued.token.id)
    assert row.token_hash == hash_secret(issued.secret)
    assert issued.secret not in (row.token_hash, row.prefix)
    assert row.prefix == issued.secret[:8]
    assert len(issued.secret) >= 40


@pytest.mark.parametrize(
    ("days", "field"),
    [(-1, "expires_on"), (366, "expires_on")],
)
def test_token_expiry_is_required_within_a_year(db_session, days, field):
    user = UserFactory()
    with pytest.raises(RegistryError) as caught:
        tokens.create_token(
            db_session,
            user,
            name="x",
            expires_on=clock.today() + timedelta(days=days),
            today=clock.today(),
        )
    assert caught.value.field == field


def test_token_needs_a_name(db_session):
    with pytest.raises(RegistryError) as caught:
        tokens.create_token(
            db_session, UserFactory(), name="   ", expires_on=clock.today(), today=clock.today()
        )
    assert caught.value.field == "name"


def test_valid_token_reads_as_its_user_and_notes_its_use(client, db_session):
    user = UserFactory(role=Role.VIEWER)
    secret = issue_token(db_session, user)
    response = ApiClient(client, secret).get(ME)
    assert response.status_code == 200
    token = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    db_session.refresh(token)
    assert token.last_used_at is not None


def test_revoked_token_gets_401(client, db_session):
    user = UserFactory(role=Role.ADMIN)
    secret = issue_token(db_session, user)
    token = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    tokens.revoke_token(db_session, token)
    db_session.commit()
    response = ApiClient(client, secret).get(ME)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "revoked" in response.get_json()["detail"] or response.get_json()["detail"]


def test_expired_token_gets_401(client, db_session):
    user = UserFactory(role=Role.ADMIN)
    secret = issue_token(db_session, user)
    token = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    response = ApiClient(client, secret).get(ME)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500],
)
def test_unknown_or_malformed_credentials_get_401_not_anonymous(client, db_session, header):
    response = client.get("/api/v1/admin-units", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["status"] == 401


def test_token_of_a_disabled_account_gets_401(client, db_session):
    user = UserFactory(role=Role.ADMIN)
    secret = issue_token(db_session, user)
    user.active = False
    db_session.commit()
    assert ApiClient(client, secret).get(ME).status_code == 401


def test_session_reads_but_cannot_write(client, auth, db_session):
    user = UserFactory(role=Role.ADMIN)
    db_session.commit()
    auth.login(user)
    assert client.get(ME).status_code == 200
    response = client.post(ME, json={"name": "x"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_anonymous_gets_401(client, db_session):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- the token page ---------------------------------------------------------------------------


PAGE = "/account/api-tokens/"


def test_token_page_creates_a_token_shown_once_and_audited(client, auth, db_session):
    user = UserFactory(role=Role.PLANNER)
    db_session.commit()
    auth.login(user)
    page = client.get(PAGE)
    assert page.status_code == 200
    until = (clock.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    created = client.post(
        PAGE,
        data={"csrf_token": csrf_token_from(page), "name": "QGIS", "expires_on": until},
    )
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    token = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    text = created.get_data(as_text=True)
    secret = text.split('data-testid="token-secret"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert hash_secret(secret) == token.token_hash
    # Shown once: the list page afterwards has the prefix only.
    again = client.get(PAGE).get_data(as_text=True)
    assert secret not in again
    assert token.prefix in again
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "api_tokens", AuditEvent.entity_id == str(token.id)
        )
    ).all()
    assert [e.action for e in events] == ["insert"]
    assert events[0].actor_id == user.id
    assert token.token_hash not in str(events[0].changes)
    # The new token works.
    assert ApiClient(client, secret).get(ME).status_code == 200


def test_token_page_refuses_an_expiry_past_a_year(client, auth, db_session):
    user = UserFactory()
    db_session.commit()
    auth.login(user)
    page = client.get(PAGE)
    too_late = (clock.today() + timedelta(days=400)).strftime("%d/%m/%Y")
    response = client.post(
        PAGE, data={"csrf_token": csrf_token_from(page), "name": "x", "expires_on": too_late}
    )
    assert response.status_code == 200
    assert 'data-field-error="expires_on"' in response.get_data(as_text=True)
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_token_page_revokes_own_token_only(client, auth, db_session):
    me, other = UserFactory(), UserFactory()
    mine = issue_token(db_session, me, name="mine")
    theirs = issue_token(db_session, other, name="theirs")
    auth.login(me)
    page = client.get(PAGE)
    token_of = {t.user_id: t for t in db_session.scalars(select(ApiToken)).all()}
    other_id = token_of[other.id].id
    client.post(
        f"/account/api-tokens/{other_id}/revoke", data={"csrf_token": csrf_token_from(page)}
    )
    assert ApiClient(client, theirs).get(ME).status_code == 200
    client.post(
        f"/account/api-tokens/{token_of[me.id].id}/revoke",
        data={"csrf_token": csrf_token_from(page)},
    )
    assert ApiClient(client, mine).get(ME).status_code == 401
    listed = client.get(PAGE).get_data(as_text=True)
    assert "theirs" not in listed
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "api_tokens",
            AuditEvent.entity_id == str(token_of[me.id].id),
            AuditEvent.action == "update",
        )
    ).all()
    assert len(events) == 1
    assert "revoked_at" in events[0].changes


def test_token_page_needs_login_and_is_in_the_account_menu(client, auth, db_session):
    assert client.get(PAGE).status_code == 302
    user = UserFactory()
    db_session.commit()
    auth.login(user)
    assert 'href="/account/api-tokens/"' in client.get("/").get_data(as_text=True)
