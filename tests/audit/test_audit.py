from sqlalchemy import select

from registry.audit.context import set_actor, set_reason
from registry.audit.models import AuditEvent
from registry.auth.models import User
from registry.auth.permissions import Role
from tests.factories import UserFactory


def _events(session, user_id):
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == str(user_id))
        .order_by(AuditEvent.id)
    ).all()


def test_insert_records_the_new_values(db_session):
    set_actor(db_session, "cli")
    user = UserFactory(username="khanh", full_name="Khánh")
    (event,) = _events(db_session, user.id)
    assert event.action == "insert"
    assert event.actor_label == "cli"
    assert event.changes["full_name"] == [None, "Khánh"]
    assert event.changes["password_hash"] == [None, "***"]


def test_update_records_exactly_the_changed_fields_with_reason(db_session):
    user = UserFactory(username="linh", role=Role.VIEWER, full_name="Linh")
    set_reason(db_session, "promotion")
    user.role = Role.PLANNER
    user.full_name = "Linh"  # same value: not a change
    db_session.flush()
    update = _events(db_session, user.id)[-1]
    assert update.action == "update"
    assert update.changes == {"role": ["viewer", "planner"]}
    assert update.reason == "promotion"
    assert update.jurisdiction == "75"


def test_rolled_back_change_records_nothing(db_session):
    user = UserFactory(username="quang")
    before = len(_events(db_session, user.id))
    nested = db_session.begin_nested()
    user.full_name = "Changed"
    db_session.flush()
    assert len(_events(db_session, user.id)) == before + 1
    nested.rollback()
    assert len(_events(db_session, user.id)) == before


def test_delete_records_the_old_values(db_session):
    user = UserFactory(username="phuong", full_name="Phương")
    user_id = user.id
    db_session.delete(user)
    db_session.flush()
    event = _events(db_session, user_id)[-1]
    assert event.action == "delete"
    assert event.changes["full_name"] == ["Phương", None]


def test_reason_is_cleared_after_commit(db_session):
    set_reason(db_session, "once")
    db_session.commit()
    user = UserFactory(username="vy")
    assert _events(db_session, user.id)[-1].reason is None
    assert db_session.get(User, user.id) is user
