"""Construction and upgrade projects: decisions, capital, disbursements, progress, handover
to the registry and the OC4IDS export."""

from flask import Blueprint

bp = Blueprint("investment", __name__, url_prefix="/investment")
