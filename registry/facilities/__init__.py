"""Facility registry: types, records, validation, history, import and export."""

from flask import Blueprint

bp = Blueprint("facilities", __name__, url_prefix="/facilities")
