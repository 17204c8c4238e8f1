"""The web process: a Flask application built by create_app(), one blueprint per concern."""

from flask import Flask

from tart.config import Settings
from tart.supervision import Supervisor
from tart.web import cors, dashboard, db, errors, live, metrics, node_metrics
from tart.web.api import BLUEPRINTS, page_cache
from tart.web.health import health
from tart.web.jsonprovider import OrjsonProvider


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application; settings default to the environment's."""
    # The dashboard serves its own files (tart.web.dashboard); there is no app-wide /static.
    app = Flask(__name__, static_folder=None)
    app.config["TART_SETTINGS"] = settings or Settings.from_env()
    app.json = OrjsonProvider(app)
    # The worker's long-lived greenlets (the live stream's listener) run under it.
    app.extensions["tart_supervisor"] = Supervisor()
    errors.register(app)
    db.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(node_metrics.blueprint)
    cors.init_app(app)
    app.register_blueprint(health)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    live.init_app(app)
    app.register_blueprint(dashboard.blueprint)
    page_cache.init_app(app)
    return app
