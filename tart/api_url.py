"""A TART HTTP API as a user names it on a command line: `host:port`, or a URL behind a proxy.

Only the standard library and click, so the commands that take one (`tart dash`, `tart export`)
can check it without slowing `tart`'s start-up.
"""

from urllib.parse import urlsplit, urlunsplit

import click


def base_url(url: str) -> str:
    """The API's base URL from what a user typed: `host:port`, `http://host:port/prefix`."""
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL of a TART")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def url_option(ctx, param, value):
    """A click callback: the option's value as base_url() gives it (None stays None)."""
    if value is None:
        return None
    try:
        return base_url(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
