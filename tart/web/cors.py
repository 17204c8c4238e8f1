"""CORS for the read-only API, so dashboards on other origins can fetch() it.

TART_CORS_ORIGINS is `*` (any origin; the default) or a comma-separated list of origins, which
are answered by echoing the request's Origin when it is listed.
"""

from flask import request


def init_app(app) -> None:
    origins = app.config["TART_SETTINGS"].cors_origins
    any_origin = "*" in origins

    @app.after_request
    def allow_cross_origin(response):
        origin = request.headers.get("Origin")
        if not request.path.startswith("/api/") or not origin:
            return response
        if any_origin:
            response.headers["Access-Control-Allow-Origin"] = "*"
        else:
            response.vary.add("Origin")  # the answer depends on who asks
            if origin not in origins:
                return response
            response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":  # a preflight request
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            requested = request.headers.get("Access-Control-Request-Headers")
            if requested:
                response.headers["Access-Control-Allow-Headers"] = requested
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
