"""Administrative units (pre-2025 and current), boundaries and point lookups."""

from flask import Blueprint

bp = Blueprint("geography", __name__, url_prefix="/geography")
