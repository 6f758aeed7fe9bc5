"""WSGI entry point: ``gunicorn wsgi:app`` (settings come from ESGSCREEN_* variables)."""

from esgscreen.app import create_app

app = create_app()
