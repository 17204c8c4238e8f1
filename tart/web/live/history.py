"""Stored events a live client asks for: the replay that resumes a stream, and recent events.

Resuming after `since_id` without a gap or a duplicate:

1. The subscription is added to the listener *first*, holding live events back (`pending`).
   The listener says where live delivery starts: `live_from`, every event above it will be
   delivered, and every event up to it is committed.
2. Stored matching events after `since_id` are queried (so the query sees all of them up to
   `live_from`) and sent in pages, each once the client has taken the previous one.
3. The held live events with ids above the last replayed one are queued, then live goes on.
   The replay may have read events this worker's listener has not dispatched yet; those come
   from the listener later and are skipped, up to the last replayed id.

At most REPLAY_LIMIT events are replayed. If more remain and the last one replayed is below
`live_from`, the events in between (`last_id` < id <= `live_from`) are not sent: the client is
told to read them from the REST API (`GET /api/events?since_id=`), while live continues.
"""

from dataclasses import dataclass

from tart.web.live.messages import EVENT_COLUMNS, live_events

REPLAY_LIMIT = 10_000
REPLAY_PAGE = 1000


@dataclass
class Replay:
    since_id: int
    events: int  # how many were replayed
    last_id: int  # the last replayed, or since_id if none
    live_from: int
    complete: bool  # False: ids last_id < id <= live_from are left to the REST API


def replay(conn, pool, subscription, since_id: int, live_from: int) -> Replay:
    """Queue `subscription`'s stored events after `since_id` to `conn`, page by page."""
    sql, values = _matching(subscription.filter)
    cursor, sent, more = since_id, 0, False
    while sent < REPLAY_LIMIT and not conn.closing:
        page = min(REPLAY_PAGE, REPLAY_LIMIT - sent)
        rows = pool.prepared(sql, (cursor, page + 1, *values))
        more = len(rows) > page
        if rows:
            events = live_events(rows[:page])
            conn.outbox.put_events(subscription.frames(events), len(events), limited=False)
            sent += len(events)
            cursor = events[-1].id
        if not more:
            break
        conn.wait_drained()
    # Before going live, so that live events alone count against the client's queue limit.
    conn.wait_drained()
    return Replay(since_id, sent, cursor, live_from, complete=not more or cursor >= live_from)


def recent(pool, limit: int) -> list:
    """The `limit` most recent events, oldest first, as LiveEvents."""
    return live_events(
        pool.prepared(
            f"SELECT {EVENT_COLUMNS} FROM (SELECT * FROM events ORDER BY id DESC LIMIT $1) events"
            " ORDER BY id",
            (limit,),
        )
    )


def _matching(filter) -> tuple[str, tuple]:
    """The replay query of `filter` (arguments: after id, limit, then the filter's) and the
    filter's arguments."""
    conditions, values = ["id > $1"], []
    if filter.one_node:
        values.append(filter.node_id)
        conditions.append(f"node_id = ${len(values) + 2}")
    elif filter.node_id is not None:
        # The beginning of node ids: the nodes it names, then their events.
        values.append(filter.node_id)
        conditions.append(
            f"node_id = ANY(ARRAY(SELECT node_id FROM known_nodes"
            f" WHERE starts_with(node_id, ${len(values) + 2})))"
        )
    if filter.event_types is not None:
        values.append(sorted(filter.event_types))
        conditions.append(f"event_type = ANY(${len(values) + 2}::smallint[])")
    return (
        f"SELECT {EVENT_COLUMNS} FROM events WHERE {' AND '.join(conditions)} ORDER BY id LIMIT $2"
    ), tuple(values)
