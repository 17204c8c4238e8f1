"""The one grammar of what clients ask for, shared by the REST API and both WebSocket endpoints.

- `node_id`: a node's 64 hex digits or their beginning (1 to 63 digits, like a short git hash;
  every node whose id starts with them), any case, optionally prefixed 0x. A path parameter
  (/api/nodes/<node_id>) names one node, so it takes the whole id only.
- `event_type`: discriminators (0 to 255) and ranges such as `90-113`, separated by commas. A
  Subscribe message's filter object takes JSON numbers instead.
- ids (`since_id`, `before_id`): whole numbers from 0, PostgreSQL bigints.
- `limit`: a whole number; out of range it is clamped into 1 … 1000, as the Rust TART does.
- `since` / `until`: ISO 8601 times; without a zone they are UTC.

Anything else is a FilterError naming the parameter: a 400 on REST, an `error` message or a
close reason on a WebSocket.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
# Deeper than this, paging by offset costs more than a client should make the server pay:
# page with since_id / before_id instead.
MAX_OFFSET = 100_000
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")
_INTEGER = re.compile(r"-?([0-9]+)")
_HEX = re.compile(r"[0-9a-f]{1,64}")
_TYPE_OR_RANGE = re.compile(r"([0-9]{1,3})(?:-([0-9]{1,3}))?")

NODE_ID_RULE = (
    "node_id must be 64 hexadecimal characters or the beginning of them (1 to 63), "
    "optionally prefixed with 0x"
)
WHOLE_NODE_ID_RULE = "node_id must be 64 hexadecimal characters, optionally prefixed with 0x"
EVENT_TYPES_RULE = (
    "event_type must be event discriminators (0 to 255) or ranges such as 90-113, "
    "separated by commas"
)
LIMIT_RULE = f"limit must be a whole number from 1 to {MAX_LIMIT}"


class FilterError(ValueError):
    """A parameter that cannot be applied; the message tells the client why."""

    def __init__(self, message: str, parameter: str | None = None, value=None):
        super().__init__(message)
        self.parameter = parameter
        self.value = value


@dataclass(frozen=True)
class Filter:
    """Events of the nodes whose id starts with `node_id` and of `event_types` (AND); None is
    no condition on that."""

    node_id: str | None = None
    event_types: frozenset | None = None
    # How the client wrote it, normalised; what a `subscribed` message acknowledges.
    spec: dict = field(default=None, compare=False)

    @property
    def everything(self) -> bool:
        return self.node_id is None and self.event_types is None

    @property
    def one_node(self) -> bool:
        return self.node_id is not None and len(self.node_id) == 64

    def matches(self, event) -> bool:
        return (self.node_id is None or event.node_id.startswith(self.node_id)) and (
            self.event_types is None or event.event_type in self.event_types
        )


def query_filter(args) -> Filter:
    """The filter of a request's `node_id` and `event_type` query parameters."""
    node = node_id(args["node_id"]) if "node_id" in args else None
    types = event_types(args["event_type"]) if "event_type" in args else None
    spec = {}
    if node is not None:
        spec["node_id"] = node
    if types is not None:
        spec["event_type"] = args["event_type"]
    return Filter(node_id=node, event_types=types, spec=spec)


def node_id(value) -> str:
    """A node id or its beginning, as stored: lowercase, no 0x."""
    found = _hex(value)
    if found is None:
        raise FilterError(NODE_ID_RULE, "node_id", value)
    return found


def whole_node_id(value) -> str:
    """One node's whole id, as stored: 64 lowercase hex digits, no 0x."""
    found = _hex(value)
    if found is None or len(found) != 64:
        raise FilterError(WHOLE_NODE_ID_RULE, "node_id", value)
    return found


def event_types(text: str) -> frozenset:
    """`event_type` as query text: discriminators and ranges, separated by commas."""
    types = set()
    for part in text.split(","):
        match = _TYPE_OR_RANGE.fullmatch(part.strip())
        start = int(match[1]) if match else 256
        end = int(match[2]) if match and match[2] else start
        if not start <= end <= 255:
            raise FilterError(EVENT_TYPES_RULE, "event_type", text)
        types.update(range(start, end + 1))
    return frozenset(types)


def event_type(value, name: str) -> int:
    """One discriminator given as a JSON number (a Subscribe filter's)."""
    if type(value) is not int or not 0 <= value <= 255:
        raise FilterError(
            f"{name} must be an event discriminator, a whole number from 0 to 255", name, value
        )
    return value


def item_id(value, name: str, item: str = "an event") -> int:
    """A paging cursor: the id of `item` (with its article: "an event", "a session"), as query
    text or a JSON number."""
    number = int(value) if isinstance(value, str) and _DIGITS.fullmatch(value) else value
    if type(number) is not int or not 0 <= number <= MAX_ID:
        raise FilterError(
            f"{name} must be {item} id, a whole number from 0 to {MAX_ID}", name, value
        )
    return number


def limit(value, default: int = DEFAULT_LIMIT) -> int:
    """How many items a list may hold: a whole number, clamped into 1 … MAX_LIMIT."""
    if value is None:
        return default
    if type(value) is int:
        return min(max(value, 1), MAX_LIMIT)
    match = _INTEGER.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise FilterError(LIMIT_RULE, "limit", value)
    # Compared as text first: int() refuses numbers of thousands of digits.
    digits = match[1].lstrip("0") or "0"
    number = MAX_LIMIT + 1 if len(digits) > len(str(MAX_LIMIT)) else int(digits)
    return 1 if value.startswith("-") else min(max(number, 1), MAX_LIMIT)


def offset(value) -> int:
    """How many items to skip before the page (query text), 0 … MAX_OFFSET."""
    if value is None:
        return 0
    if not _DIGITS.fullmatch(value) or int(value) > MAX_OFFSET:
        raise FilterError(
            f"offset must be a whole number from 0 to {MAX_OFFSET}; page deeper with "
            f"since_id or before_id",
            "offset",
            value,
        )
    return int(value)


def time(value, name: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise FilterError(
            f"{name} must be an ISO 8601 time such as 2026-01-31T12:00:00Z", name, value
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _hex(value) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.lower()
    text = text[2:] if text.startswith("0x") else text
    return text if _HEX.fullmatch(text) else None
