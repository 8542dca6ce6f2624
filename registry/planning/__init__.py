"""Planning: master plans as data, the rule engine, coverage analysis and siting."""

from flask import Blueprint

bp = Blueprint("planning", __name__, url_prefix="/planning")
