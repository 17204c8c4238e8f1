"""This worker's one LISTEN connection: new events, fetched once, to every subscription.

The ingest writer commits a batch of events and, in the same transaction, runs
`NOTIFY tart_events, '<first_id>,<last_id>'`. Writers commit in id order, so when a notification
for `last_id` arrives every event up to `last_id` is stored. The listener keeps `delivered_id`,
the id up to which it has handed every event to its subscriptions; on a notification it fetches
`delivered_id < id <= last_id` (several notifications that arrived meanwhile in one query) and
dispatches the rows in id order. Only while nobody subscribes does it skip fetching, and just
moves `delivered_id` on.

If its connection drops, it reconnects and fetches everything after `delivered_id`, so a
subscriber misses nothing; new subscribers wait until it is connected again.

`committed_id` also tells the worker's page cache (tart.web.api.page_cache) when a page of
events may have changed, and `changes` (tart.web.live.changes), heard on CHANGES_CHANNEL, which
blocks and work-packages each commit changed. PostgreSQL sends every notification of one commit
at once, its changes after its tart_events; so after the notifications that arrived, one round
trip to the server brings the rest of their commits', and the changes are taken in before
`committed_id` moves on. Once reconnected, the listener knows nothing of what was committed
meanwhile: `changes` then says that everything up to then may have changed.
"""

import logging

import gevent
import gevent.event
import gevent.socket

from tart.db import CHANGES_CHANNEL, EVENTS_CHANNEL
from tart.db.connect import connect
from tart.supervision import Supervisor
from tart.web.live.changes import Changes
from tart.web.live.messages import EVENT_COLUMNS, live_events

log = logging.getLogger(__name__)

# Rows per fetch; a long outage is caught up in pages of this many.
FETCH_PAGE = 5000
# How long a new subscriber waits for the listener to be connected before giving up.
READY_TIMEOUT = 10.0
RECONNECT_DELAY = 1.0


class LiveUnavailable(Exception):
    """The listener cannot reach the database, so there is no live stream to join."""


class Listener:
    def __init__(self, database_url: str | None, supervisor: Supervisor):
        self._url = database_url
        self._supervisor = supervisor
        self._groups = {}  # Filter -> set of Subscriptions following it
        self._ready = gevent.event.Event()
        self._greenlet = None
        self._conn = None
        self.delivered_id = None
        self.changes = Changes()

    @property
    def committed_id(self) -> int | None:
        """The id up to which this worker has heard of every committed event (the last
        notification's, once dispatched); None while the listener is not connected, when it
        cannot know."""
        return self.delivered_id if self._ready.is_set() else None

    def start(self) -> None:
        """Connect and follow notifications from now on, unless already doing so."""
        if self._greenlet is None:
            self._greenlet = self._supervisor.loop(
                "live stream listener", self._follow, RECONNECT_DELAY, RECONNECT_DELAY
            )

    @property
    def subscriptions(self) -> int:
        return sum(len(group) for group in self._groups.values())

    def add(self, subscription) -> int:
        """Start handing events to `subscription`; return the id after which it gets them.

        Every event stored with a higher id will be delivered to it, in id order, exactly once.
        """
        self.start()
        if not self._ready.wait(READY_TIMEOUT):
            raise LiveUnavailable("the live stream cannot reach the database")
        # No yield between these two lines: the id returned is exactly where delivery starts.
        self._groups.setdefault(subscription.filter, set()).add(subscription)
        return self.delivered_id

    def remove(self, subscription) -> None:
        group = self._groups.get(subscription.filter)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._groups[subscription.filter]

    def _follow(self):
        """Connect, then dispatch notifications until the connection fails (which the
        supervisor logs, and then runs this again)."""
        try:
            self._connect()
            self._listen()
        finally:
            self._ready.clear()
            if self._conn is not None:
                self._conn.close()

    def _connect(self):
        # Prepared with a generic plan: planning over the daily partitions of `events` would
        # cost more than the fetch itself.
        self._conn = connect(
            self._url,
            application_name="tart web live",
            options="-c plan_cache_mode=force_generic_plan",
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute(f"LISTEN {EVENTS_CHANNEL}")
            cur.execute(f"LISTEN {CHANGES_CHANNEL}")
            fetch = f"SELECT {EVENT_COLUMNS} FROM events WHERE id > $1"
            cur.execute(f"PREPARE live_after (bigint) AS {fetch} ORDER BY id LIMIT {FETCH_PAGE}")
            cur.execute(
                f"PREPARE live_between (bigint, bigint) AS {fetch} AND id <= $2"
                f" ORDER BY id LIMIT {FETCH_PAGE}"
            )
            if self.delivered_id is not None and self._groups:
                # Back after an outage: everything committed meanwhile is still to be delivered.
                self._fetch(upper=None)
            else:
                # Nobody waits for older events: start with what is stored from now on.
                cur.execute("SELECT coalesce(max(id), 0) FROM events")
                self.delivered_id = cur.fetchone()[0]
        self.changes.forget(self.delivered_id)
        self._ready.set()

    def _listen(self):
        conn = self._conn
        while True:
            if not conn.notifies:
                gevent.socket.wait_read(conn.fileno())
                conn.poll()
            last = self._hear(keep_events=False)
            if last is not None:
                # The rest of these commits' notifications arrive before the answer.
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                self._hear(keep_events=True)
                self._advance(last)

    def _hear(self, keep_events: bool) -> int | None:
        """Take in the changes that arrived; return the last id of the commits announced
        (None if none was), or with `keep_events` leave their notifications for later."""
        notifies = self._conn.notifies
        last, events = None, []
        for notify in notifies:
            if notify.channel == CHANGES_CHANNEL:
                self.changes.heard(notify.payload)
            elif keep_events:
                events.append(notify)
            else:
                last = max(last or 0, _last_id(notify.payload))
        notifies[:] = events
        return last

    def _advance(self, last: int):
        if not self._groups:
            self.delivered_id = max(self.delivered_id, last)
        elif last > self.delivered_id:
            self._fetch(upper=last)

    def _fetch(self, upper: int | None):
        """Fetch and dispatch every event after delivered_id (up to `upper`, if given)."""
        with self._conn.cursor() as cur:
            while True:
                if upper is None:
                    cur.execute("EXECUTE live_after (%s)", (self.delivered_id,))
                else:
                    cur.execute("EXECUTE live_between (%s, %s)", (self.delivered_id, upper))
                rows = cur.fetchall()
                if rows:
                    self._dispatch(rows)
                if len(rows) < FETCH_PAGE:
                    break
        if upper is not None:
            # Ids up to `upper` that were not fetched were never committed (rolled back).
            self.delivered_id = max(self.delivered_id, upper)

    def _dispatch(self, rows):
        """Hand `rows` to the subscriptions that want them. Never yields to another greenlet,
        so a subscription added meanwhile gets exactly the events after delivered_id."""
        events = live_events(rows)
        for filter, group in list(self._groups.items()):
            matching = events if filter.everything else [e for e in events if filter.matches(e)]
            if matching:
                frames_by_kind = {}
                for subscription in list(group):
                    subscription.deliver(matching, frames_by_kind)
        self.delivered_id = events[-1].id


def _last_id(payload: str) -> int:
    """The last id of a notification '<first_id>,<last_id>'."""
    try:
        return int(payload.rpartition(",")[2])
    except ValueError:
        log.warning("live stream: ignoring notification %r, which is not '<first>,<last>'", payload)
        return 0
