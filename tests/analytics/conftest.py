"""The web tests' fixtures: the app on a real database, its client, and rows written directly."""

from tests.web.conftest import app, client, rows  # noqa: F401
