"""Locale selection; re-exports Flask-Babel's gettext helpers."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "gettext", "lazy_gettext", "ngettext", "select_locale"]


def select_locale() -> str:
    """Session choice first, then Vietnamese: the interface is Vietnamese unless asked otherwise."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        for chosen in (session.get("lang"), request.args.get("lang")):
            if chosen in languages:
                return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])
