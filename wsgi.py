"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from tart.web import create_app

app = create_app()
