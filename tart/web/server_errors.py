"""The errors gunicorn answers by itself, before a request reaches Flask, in the API's shape.

A request line longer than limit_request_line (414), too many or too large headers (431),
bytes that are not HTTP (400): gunicorn writes these with gunicorn.util.write_error, as HTML.
Every error TART answers is JSON — {"error": ..., "detail": ...} as tart.web.errors writes
it — so gunicorn.conf.py replaces that one function in each worker. gunicorn has no hook for it.
"""

import orjson
from gunicorn import util


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's signature and job, with a JSON body."""
    body = orjson.dumps(
        {"error": f"{reason}: {mesg}" if mesg else reason, "detail": {"status": status_int}}
    )
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    util.write_error = write_json_error
