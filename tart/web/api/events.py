"""Stored events: GET /api/events and GET /api/nodes/<node_id>/events.

Paging is by event id (keyset), so every page is a walk down an index however deep it goes.
Ids grow in commit order (the ingest writer allocates them under a lock), so a client that has
seen id N has seen every event below N: `since_id` polling misses nothing. `offset` (the Rust
TART's paging) is taken too, up to filters.MAX_OFFSET: it walks past the rows it skips.
Pages are kept until the next commit (tart.web.api.page_cache); a page of the newest events
then follows the commits (tart.web.api.latest_pages).
"""

from flask import Blueprint, current_app, request

from tart.web import event_json, filters
from tart.web.api.latest_pages import MAX_IDS, Committed, LatestPage, RecentEvents
from tart.web.api.nodes import matching_nodes, node_name_and_version
from tart.web.api.page_cache import kept
from tart.web.db import pool

blueprint = Blueprint("events", __name__, url_prefix="/api")

# Without a commit, pages change only by a node's new name or version, or retention.
PAGE_LIFETIME = 5.0
# Up to this many node ids or event types, each gets its own walk down its index and the walks
# are merged; for more, one walk down the primary key that skips other rows is cheaper.
MAX_SEPARATE_WALKS = 16


@blueprint.record_once
def _follow_commits(state):
    state.app.extensions["tart_recent_events"] = RecentEvents(_committed)


@blueprint.get("/events")
@kept(PAGE_LIFETIME)
def recent_events():
    chosen = filters.query_filter(request.args)
    node_ids = None
    if chosen.node_id is not None:
        node_ids = matching_nodes(chosen.node_id)
    return page(node_ids, chosen)


@blueprint.get("/nodes/<node_id>/events")
@kept(PAGE_LIFETIME)
def node_events(node_id):
    node_id = filters.whole_node_id(node_id)
    types = filters.query_filter(request.args).event_types
    found = page([node_id], filters.Filter(node_id=node_id, event_types=types))
    if not (found.events if isinstance(found, LatestPage) else found["events"]):
        node_name_and_version(node_id)  # 404 for an unknown node
    return found


# Parameters that make a page something other than the newest events matching a filter.
NOT_LATEST = ("before_id", "since_id", "offset", "since", "until")


def page(node_ids, chosen: filters.Filter):
    """One page of events filtered by the request's query parameters, its `next` cursor and
    whether more follow it (`has_more`): a LatestPage when it is the newest events of `chosen`
    (whose `node_id` matches the `node_ids` given), else its JSON object."""
    types = chosen.event_types
    args = request.args
    since_time = filters.time(args["since"], "since") if "since" in args else None
    until_time = filters.time(args["until"], "until") if "until" in args else None
    before = args.get("before_id")
    since = args.get("since_id")
    query = EventQuery(
        node_ids=node_ids,
        types=None if types is None else sorted(types),
        before=None if before is None else filters.item_id(before, "before_id"),
        since=None if since is None else filters.item_id(since, "since_id"),
        limit=filters.limit(args.get("limit")),
        offset=filters.offset(args.get("offset")),
        received=(since_time, until_time),
    )
    if node_ids == []:
        rows = []
    elif query.custom_plan:
        rows = pool().query(*query.sql())
    else:
        rows = pool().prepared(*query.sql())
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if query.since is not None:
        # Forward paging: oldest first; `next` is where to continue, even when nothing came.
        following = rows[-1][0] if rows else query.since
    else:
        following = rows[-1][0] if len(rows) == query.limit else None
    found = [event_json.rest(row[:-2], *row[-2:]) for row in rows]
    if not any(name in args for name in NOT_LATEST):
        recent = current_app.extensions["tart_recent_events"]
        ids = [row[0] for row in rows]
        return LatestPage(list(zip(ids, found)), query.limit, more, chosen, recent)
    return {"events": found, "next": following, "has_more": more}


def _committed(low: int, high: int) -> list[Committed]:
    """The events committed with low < id <= high, oldest first (at most MAX_IDS)."""
    query = EventQuery(None, None, high + 1, low, MAX_IDS, 0, (None, None))
    return [
        Committed(row[0], row[1], row[3], event_json.rest(row[:-2], *row[-2:]))
        for row in pool().prepared(*query.sql())[:MAX_IDS]
    ]


class EventQuery:
    """The SQL of one page of events: a keyset walk down (node_id, id), (event_type, id),
    (node_id, event_type, id) or id.

    Most pages walk one index, or merge a few walks (one per type of one node, say), whatever
    the values: those statements are prepared and reused. A filter on top of a walk (several
    node ids with event types, or many of either) costs what the values make it cost, so it is
    planned for its values each time.

    Every row ends with the implementation name and version of the event's node: for one node,
    its known_nodes row is read once and added to each row, not looked up per row nor in a statement
    of its own.
    """

    def __init__(self, node_ids, types, before, since, limit, offset, received):
        self.node_ids = node_ids
        self.types = types
        self.before = before
        self.since = since
        self.limit = limit
        self.offset = offset
        # Received at or after the first time and before the second; None: no bound.
        self.received = received

    @property
    def custom_plan(self) -> bool:
        nodes = 0 if self.node_ids is None else len(self.node_ids)
        types = 0 if self.types is None else len(self.types)
        return bool(nodes > 1 and types) or nodes > MAX_SEPARATE_WALKS or types > MAX_SEPARATE_WALKS

    def sql(self) -> tuple[str, list | dict]:
        """The statement and its arguments: $1, $2, ... and a list when it is to be prepared,
        psycopg2's %(name)s and a dict when it is to be planned for its values."""
        custom = self.custom_plan
        args = {} if custom else []

        def arg(value, cast=""):
            if custom:
                name = f"a{len(args)}"
                args[name] = value
                return f"%({name})s{cast}"
            args.append(value)
            return f"${len(args)}{cast}"

        order = "ASC" if self.since is not None else "DESC"
        conditions = []
        if self.before is not None:
            conditions.append(f"id < {arg(self.before)}")
        if self.since is not None:
            conditions.append(f"id > {arg(self.since)}")
        earliest, latest = self.received
        if earliest is not None:
            conditions.append(f"created_at >= {arg(earliest)}")
        if latest is not None:
            conditions.append(f"created_at < {arg(latest)}")
        walks = one_node = None
        nodes, types = self.node_ids, self.types
        if nodes is not None and len(nodes) == 1:
            one_node = arg(nodes[0])
            conditions.append(f"node_id = {one_node}")
            nodes = None
        if nodes is not None and len(nodes) <= MAX_SEPARATE_WALKS:
            walks = f"unnest({arg(nodes, '::text[]')}) AS walk(node_id)"
            conditions.append("events.node_id = walk.node_id")
            nodes = None
        elif types is not None and len(types) <= MAX_SEPARATE_WALKS:
            walks = f"unnest({arg(types, '::smallint[]')}) AS walk(event_type)"
            conditions.append("events.event_type = walk.event_type")
            types = None
        if nodes is not None:
            conditions.append(f"node_id = ANY({arg(nodes, '::text[]')})")
        if types is not None:
            conditions.append(f"event_type = ANY({arg(types, '::smallint[]')})")
        # One row more than the page: whether it comes is `has_more`.
        limit = arg(self.limit + 1)
        skip = f" OFFSET {arg(self.offset)}" if self.offset else ""
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        # The page's rows are chosen first and only then written out as text: the walks of
        # the ~30 daily partitions are merged, and each partition's walk reads one row more
        # than it contributes, whose data would be written for nothing.
        if walks:
            each = arg(self.limit + 1 + self.offset) if self.offset else limit
            sql = (
                f"SELECT found.* FROM {walks} CROSS JOIN LATERAL "
                f"(SELECT * FROM events {where} ORDER BY id {order} LIMIT {each}) found "
                f"ORDER BY found.id {order} LIMIT {limit}{skip}"
            )
        else:
            sql = f"SELECT * FROM events {where} ORDER BY id {order} LIMIT {limit}{skip}"
        if one_node:
            node = (
                f"(SELECT implementation_name, implementation_version FROM known_nodes "
                f"WHERE node_id = {one_node}) node ON true"
            )
        else:
            node = "known_nodes node ON node.node_id = page.node_id"
        return (
            f"SELECT {event_json.columns('page')}, node.implementation_name, "
            f"node.implementation_version FROM ({sql}) page LEFT JOIN {node} "
            f"ORDER BY page.id {order}"
        ), args
