"""Demand layers from aggregated counts (never personal records), the small-number rule that
protects them, and sex-disaggregated facility figures."""

from flask import Blueprint

bp = Blueprint("demand", __name__, url_prefix="/demand")
