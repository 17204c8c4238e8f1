"""Liveness: answers as long as the web process serves requests."""

from flask import Blueprint

import tart

health = Blueprint("health", __name__, url_prefix="/api")


@health.get("/health")
def status():
    return {"status": "ok", "service": "tart-backend", "version": tart.__version__}
