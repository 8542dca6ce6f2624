"""Audit trail: who changed what, when and why."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")
