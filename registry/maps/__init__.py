"""The planner's map: facilities, boundaries and capacity per unit, and map editing of planned
facilities."""

from flask import Blueprint

bp = Blueprint("maps", __name__, url_prefix="/map")
