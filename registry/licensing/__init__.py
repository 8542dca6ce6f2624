"""Licensing of non-public facilities: applications, dossiers, working-day clocks, inspections,
decisions, licences and the public register."""

from flask import Blueprint

bp = Blueprint("licensing", __name__, url_prefix="/licensing")
