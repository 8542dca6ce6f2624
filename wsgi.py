"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import os

from registry import create_app

app = create_app(os.environ.get("REGISTRY_CONFIG", "config.ProductionConfig"))
