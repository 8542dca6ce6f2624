"""factory_boy factories; bound to the per-test session by the ``db_session`` fixture."""

from __future__ import annotations

import factory
from werkzeug.security import generate_password_hash

from registry.auth.models import User
from registry.auth.permissions import Role
from registry.facilities.models import Facility, Ownership, Status
from registry.geo import point, to_db
from registry.text import fold

DEFAULT_PASSWORD = "correct horse battery"
# Hashed once, with a cheap scrypt cost: the login path still verifies it for real, and the
# suite logs in hundreds of times. Real accounts use Werkzeug's default cost.
_DEFAULT_HASH = generate_password_hash(DEFAULT_PASSWORD, method="scrypt:1024:8:1")

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


@registered
class FacilityFactory(BaseFactory):
    """A facility set up through plain attributes, for fixtures; rules go through services."""

    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"75-GENERAL-{n + 9000:04d}")
    name = factory.Sequence(lambda n: f"Cơ sở thử nghiệm {n}")
    type_code = "GENERAL"
    ownership = Ownership.PUBLIC
    province_code = "75"
    lon = 106.8212
    lat = 10.9574
    status = Status.OPERATING
    design_capacity = 400
    residents = 100
    capacity_by_group = factory.LazyFunction(dict)
    search_text = factory.LazyAttribute(lambda o: fold(o.name))
    search_public = factory.LazyAttribute(lambda o: fold(o.name))
    geom = factory.LazyAttribute(lambda o: to_db(point(o.lon, o.lat)))
