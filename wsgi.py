"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from survey import create_app

app = create_app()
