"""Home page, health check and language switch."""

from flask import Blueprint

bp = Blueprint("main", __name__)
