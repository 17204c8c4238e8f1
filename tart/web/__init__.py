"""The web process: a Flask application built by create_app(), one blueprint per concern."""

from flask import Flask

from tart.config import Settings
from tart.web.health import health


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application; settings default to the environment's."""
    app = Flask(__name__)
    app.config["TART_SETTINGS"] = settings or Settings.from_env()
    app.register_blueprint(health)
    return app
