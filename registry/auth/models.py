"""User accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.audit.mixins import Audited
from registry.auth.permissions import Role, jurisdiction_covers, role_can
from registry.extensions import Model
from registry.models import TimestampMixin, str_enum


class User(UserMixin, Audited, TimestampMixin, Model):
    __tablename__ = "users"
    __audit_exclude__ = frozenset(
        {"failed_logins", "last_login_at", "session_epoch", "updated_at", "created_at"}
    )
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    # Current (post-2025) province code; None means a national account.
    province_code: Mapped[str | None] = mapped_column(String(2), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # No longer set: failed logins are throttled by name, not by locking the account
    # (``auth.throttle``). Kept so older rows and the admin list still read.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session's id: raising it ends all of the account's sessions.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:  # the Flask-Login session id: "<id>:<epoch>"
        return f"{self.id}:{self.session_epoch or 0}"

    @property
    def audit_jurisdiction(self) -> str | None:
        return self.province_code

    @property
    def is_national(self) -> bool:
        return self.province_code is None

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)

    def covers(self, province_code: str | None) -> bool:
        return jurisdiction_covers(self.province_code, province_code)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
