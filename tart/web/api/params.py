"""Reading the API's path and query parameters; anything malformed is a 400 saying why."""

import re

from tart.web.errors import ApiError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")
_HEX = re.compile(r"[0-9a-f]{1,64}")


def node_id(text: str) -> str:
    """A node id as stored: 64 lowercase hex digits. Input may be any case, with 0x or not."""
    value = _unprefixed(text)
    if len(value) != 64 or not _HEX.fullmatch(value):
        raise ApiError(
            400,
            "node_id must be 64 hexadecimal characters, optionally prefixed with 0x",
            parameter="node_id",
            value=text,
        )
    return value


def node_id_prefix(text: str) -> str:
    """A whole node id or its first hex digits (like a short git hash)."""
    value = _unprefixed(text)
    if not _HEX.fullmatch(value):
        raise ApiError(
            400,
            "node_id must be 1 to 64 hexadecimal characters (a node id or its "
            "beginning), optionally prefixed with 0x",
            parameter="node_id",
            value=text,
        )
    return value


def limit(args) -> int:
    """`limit`: how many items to return, 1..1000, 50 when absent."""
    text = args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    value = int(text) if _DIGITS.fullmatch(text) else None
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise ApiError(
            400,
            f"limit must be a whole number from 1 to {MAX_LIMIT}",
            parameter="limit",
            value=text,
        )
    return value


def id_cursor(args, name: str) -> int | None:
    """`before_id` / `since_id`: a paging cursor, the id of an item (a whole number) or absent."""
    text = args.get(name)
    if text is None:
        return None
    value = int(text) if _DIGITS.fullmatch(text) else None
    if value is None or value > MAX_ID:
        raise ApiError(
            400,
            f"{name} must be an id (a whole number from 0 to {MAX_ID})",
            parameter=name,
            value=text,
        )
    return value


def event_types(args) -> list[int] | None:
    """`event_type`: one JIP-3 discriminator (0..255) or a comma-separated list of them."""
    text = args.get("event_type")
    if text is None:
        return None
    types = set()
    for part in text.split(","):
        part = part.strip()
        if not _DIGITS.fullmatch(part) or int(part) > 255:
            raise ApiError(
                400,
                "event_type must be an event discriminator from 0 to 255, or a "
                "comma-separated list of them",
                parameter="event_type",
                value=text,
            )
        types.add(int(part))
    return sorted(types)


def _unprefixed(text: str) -> str:
    value = text.lower()
    return value[2:] if value.startswith("0x") else value
