"""The web dashboard at `/`: static files in this package, served by the web process.

The page is a client of the public API like any other (REST under /api, live events over
/api/ws): it has no private endpoint and no build step. Its files are plain ES modules, CSS and
HTML, with no third-party code, so it works on networks without internet access.
"""

from pathlib import Path

from flask import Blueprint, send_from_directory

STATIC = Path(__file__).parent / "static"

blueprint = Blueprint("dashboard", __name__)

# Only this origin's scripts, styles and connections (fetch and WebSocket); nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@blueprint.get("/")
def page():
    return _static("index.html")


@blueprint.get("/dashboard/<path:name>")
def asset(name):
    return _static(name)


def _static(name):
    # max_age=0: browsers revalidate (ETag) on every load, so an upgrade never meets stale code.
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
