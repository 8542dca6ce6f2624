"""Personal API tokens.

A token is shown once, when it is made; the registry keeps only its SHA-256 (``token_hash``)
and its first characters (``prefix``) so its holder can tell tokens apart. A token acts as its
user: the same role, the same jurisdiction, never more. Every token expires (at most a year).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.audit.mixins import Audited
from registry.extensions import Model
from registry.models import utcnow

PREFIX_LENGTH = 8


class ApiToken(Audited, Model):
    __tablename__ = "api_tokens"
    # Use is bookkeeping, not a change; the hash is a secret even though it is one-way.
    __audit_exclude__ = frozenset({"last_used_at"})
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[Any] = relationship("User")

    @property
    def audit_jurisdiction(self) -> str | None:
        user = self.__dict__.get("user")
        return user.province_code if user is not None else None

    @property
    def audit_label(self) -> str:
        return f"{self.prefix}… {self.name}"[:255]

    def is_active_at(self, at: datetime) -> bool:
        """Usable now: not revoked and not past its expiry."""
        return self.revoked_at is None and aware(self.expires_at) > at

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} user={self.user_id}>"


def aware(value: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive (in UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
