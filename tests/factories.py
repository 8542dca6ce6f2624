"""factory_boy factories; bound to the per-test session by the ``db_session`` fixture."""

from __future__ import annotations

import factory
from werkzeug.security import generate_password_hash

from registry.auth.models import User
from registry.auth.permissions import Role

DEFAULT_PASSWORD = "correct horse battery"
# Hashing once keeps the suite fast; the login path still verifies it for real.
_DEFAULT_HASH = generate_password_hash(DEFAULT_PASSWORD, method="scrypt")

_FACTORIES: list[type[factory.alchemy.SQLAlchemyModelFactory]] = []


def bind(session) -> None:
    for f in _FACTORIES:
        f._meta.sqlalchemy_session = session


def registered(cls):
    _FACTORIES.append(cls)
    return cls


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


@registered
class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="vi_VN")
    password_hash = _DEFAULT_HASH
    role = Role.VIEWER
    province_code = "75"
    active = True
    failed_logins = 0
