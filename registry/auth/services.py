"""Account operations: create, authenticate, change roles and passwords, end sessions.

Throttling of failed logins is ``auth.throttle``'s; it is keyed by name, not by account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry.auth.models import User
from registry.auth.permissions import Role
from registry.errors import PermissionDenied, RegistryError
from registry.i18n import _l
from registry.models import utcnow

MIN_PASSWORD_LENGTH = 10
# Hash used when the username is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class InvalidCredentials(RegistryError):
    pass


class WeakPassword(RegistryError):
    pass


def hash_password(password: str) -> str:
    """scrypt hash (Werkzeug); the plain password is never stored."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            str(_l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)),
            field="password",
        )
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    province_code: str | None,
    full_name: str = "",
    email: str | None = None,
) -> User:
    """Create an account; usernames are unique and case-insensitive."""
    username = username.strip().lower()
    if session.scalar(select(User.id).where(func.lower(User.username) == username)):
        raise RegistryError(str(_l("This username is already taken.")), field="username")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=Role(role),
        province_code=province_code or None,
        full_name=full_name,
        email=email or None,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> User:
    """Check a login. An unknown name costs the same hash check and gets the same error as a
    wrong password; ``failed_logins`` only informs admins, it never locks the account."""
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials(str(_l("Wrong username or password.")))
    if not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        session.flush()
        raise InvalidCredentials(str(_l("Wrong username or password.")))
    if not user.active:
        raise InvalidCredentials(str(_l("This account is disabled.")))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every login session of ``user``, in every browser (see ``auth.sessions``)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Also ends the user's sessions; the view starts a fresh one for the current browser."""
    if not check_password_hash(user.password_hash, current):
        raise InvalidCredentials(str(_l("The current password is wrong.")), field="current")
    user.password_hash = hash_password(new)
    end_sessions(session, user)


def set_password(session: Session, user: User, new: str) -> None:
    """An admin sets the password: the user's sessions end."""
    user.password_hash = hash_password(new)
    user.locked_until = None
    user.failed_logins = 0
    end_sessions(session, user)


def update_user(
    session: Session,
    actor: User,
    user: User,
    *,
    role: Role | str,
    province_code: str | None,
    full_name: str,
    email: str | None,
    active: bool,
) -> User:
    """Admin edit. A provincial admin can neither manage other provinces nor grant national
    scope; nobody can disable or demote themselves (the last way back in). A change of role,
    jurisdiction or active state ends the user's sessions."""
    ensure_can_manage(actor, user)
    province_code = province_code or None
    if not actor.is_national and province_code != actor.province_code:
        raise PermissionDenied(
            str(_l("You can only manage users of your own province.")), field="province_code"
        )
    if user.id == actor.id and (Role(role) != actor.role or not active):
        raise RegistryError(str(_l("You cannot remove your own role or disable yourself.")))
    access_changes = (user.role, user.province_code, bool(user.active)) != (
        Role(role),
        province_code,
        bool(active),
    )
    user.role = Role(role)
    user.province_code = province_code
    user.full_name = full_name
    user.email = email or None
    user.active = active
    if access_changes:
        end_sessions(session, user)
    session.flush()
    return user


def ensure_can_manage(actor: User, user: User) -> None:
    if not actor.can("users.manage") or not actor.covers(user.province_code):
        raise PermissionDenied(str(_l("You cannot manage this user.")))


def users_visible_to(actor: User) -> Select[tuple[User]]:
    """Users the actor may see: national admins see all, provincial ones their province."""
    stmt = select(User).order_by(User.username)
    return scope_to_jurisdiction(stmt, User.province_code, actor)


def scope_to_jurisdiction(stmt: Select, province_column: Any, user: User) -> Select:
    """The jurisdiction filter every list query applies: national users see everything."""
    if user.is_national:
        return stmt
    return stmt.where(province_column == user.province_code)
