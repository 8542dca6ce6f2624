"""View decorators for permissions and jurisdictions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required


def requires(*permissions: str) -> Callable:
    """Login required, and every named permission (see ``auth.permissions``); else 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not all(current_user.can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = permissions  # type: ignore[attr-defined]
        return wrapped

    return decorator


def ensure_jurisdiction(province_code: str | None) -> None:
    """403 unless the current user's jurisdiction covers this province."""
    if not current_user.covers(province_code):
        abort(403)
