"""The query and path parameters of the OpenAPI document (tart.web.api.openapi): the grammar of
tart.web.filters, described once."""

from tart.web import filters

_TYPES = "[0-9]{1,3}(-[0-9]{1,3})?"

NODE_ID_PATH = {
    "name": "node_id",
    "in": "path",
    "required": True,
    "description": "The node's peer id: 64 hex characters, any case, optionally prefixed 0x.",
    "schema": {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"},
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "description": f"How many items to return (default {filters.DEFAULT_LIMIT}). A number out "
    f"of range is clamped into 1 … {filters.MAX_LIMIT} (limit=10000 gives {filters.MAX_LIMIT}, "
    f"limit=0 or -1 gives 1); anything else is a 400.",
    "schema": {"type": "integer", "default": filters.DEFAULT_LIMIT},
}
OFFSET = {
    "name": "offset",
    "in": "query",
    "description": f"Skip this many events before the page (at most {filters.MAX_OFFSET}; "
    "more is a 400). Deep pages cost what they skip: to read everything, page with since_id.",
    "schema": {"type": "integer", "minimum": 0, "maximum": filters.MAX_OFFSET, "default": 0},
}
BEFORE_ID = {
    "name": "before_id",
    "in": "query",
    "description": "Paging backwards: only items with a smaller id, newest first. Pass the "
    "`next` of the previous page.",
    "schema": {"type": "integer", "minimum": 0, "maximum": filters.MAX_ID},
}
SINCE_ID = {
    "name": "since_id",
    "in": "query",
    "description": "Paging forwards (polling, exporting): only items with a larger id, oldest "
    "first. Pass the `next` of the previous page. Event ids are assigned in commit order, so "
    "polling with since_id never misses an event.",
    "schema": {"type": "integer", "minimum": 0, "maximum": filters.MAX_ID},
}
EVENT_TYPE = {
    "name": "event_type",
    "in": "query",
    "description": "Only events of these JIP-3 discriminators: one, a range (`90-113`), or a "
    "comma-separated list of both (`11,42,90-113`). The same grammar as /api/events/stream.",
    "schema": {"type": "string", "pattern": f"^{_TYPES}(,{_TYPES})*$"},
    "example": "11,42",
}
NODE_ID_FILTER = {
    "name": "node_id",
    "in": "query",
    "description": "Only items of this node: its 64-hex id, or the id's first characters "
    "(every node whose id starts with them). Optionally prefixed 0x. The same grammar as "
    "/api/events/stream and /api/ws Node filters.",
    "schema": {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{1,64}$"},
}
RECEIVED_SINCE = {
    "name": "since",
    "in": "query",
    "description": "Only events TART received at or after this time (ISO 8601; UTC when it "
    "has no zone), e.g. `2026-01-31T12:00:00Z`.",
    "schema": {"type": "string", "format": "date-time"},
}
RECEIVED_UNTIL = {
    "name": "until",
    "in": "query",
    "description": "Only events TART received before this time (ISO 8601; UTC when it has "
    "no zone).",
    "schema": {"type": "string", "format": "date-time"},
}
SESSION = {
    "name": "session",
    "in": "query",
    "description": "Only errors of this session (a telemetry connection, GET /api/sessions).",
    "schema": {"type": "integer", "minimum": 0, "maximum": filters.MAX_ID},
}
EVENT_PAGE_CURSOR = (
    "Newest first, unless `since_id` is given (then oldest first). `next` is the cursor for "
    "the following page: without since_id, pass it as `before_id` (null once a page is short, "
    "i.e. there is nothing older); with since_id, pass it as `since_id` (never null: the last "
    "id returned, or since_id itself when nothing new has arrived). `has_more` says whether "
    "more events follow the page. To export everything, start at since_id=0 and follow `next` "
    "until has_more is false."
)
