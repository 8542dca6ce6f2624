"""Users, roles, jurisdictions, login and permission checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
