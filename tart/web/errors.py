"""Every error the web process returns is JSON: {"error": "<what is wrong>", "detail": {...}}.

`error` is one sentence for a person; `detail` holds the specifics a program may use (the
parameter and value that were refused, the allowed methods, ...) or null.
"""

import logging

import psycopg2
from flask import request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from tart.db.connect import DatabaseUnavailable, first_line
from tart.web.filters import FilterError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by a view to answer `status` with this error and detail."""

    def __init__(self, status: int, error: str, **detail):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail or None


def error_response(status: int, error: str, detail=None):
    return {"error": error, "detail": detail}, status


def register(app) -> None:
    # Werkzeug would answer a path with `//` by an HTML redirect; here it is a JSON 404.
    app.url_map.merge_slashes = False
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(FilterError, _filter_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DatabaseUnavailable, _database_unavailable)
    app.register_error_handler(psycopg2.OperationalError, _database_failed)
    app.register_error_handler(Exception, _unexpected)


def _api_error(error: ApiError):
    return error_response(error.status, error.error, error.detail)


def _filter_error(error: FilterError):
    return error_response(400, str(error), {"parameter": error.parameter, "value": error.value})


def _http_error(error: HTTPException):
    if isinstance(error, NotFound):
        return error_response(404, f"no such endpoint: {request.path}", {"path": request.path})
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or ())
        response = error_response(
            405, f"{request.method} is not allowed on {request.path}", {"allowed": allowed}
        )
        return (*response, {"Allow": ", ".join(allowed)})
    return error_response(error.code or 500, error.description or error.name)


def _database_unavailable(error: DatabaseUnavailable):
    log.warning("database unavailable: %s", error)
    return error_response(503, "the database is unavailable", {"reason": str(error)})


def _database_failed(error: psycopg2.OperationalError):
    # Lost connections, cancelled (too slow) queries: the request may well work if retried.
    log.warning("database error on %s: %s", request.path, first_line(error))
    return error_response(503, "the database could not answer", {"reason": first_line(error)})


def _unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal server error")
