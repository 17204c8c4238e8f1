"""Batches of events committed while bench/api.py measures, as a live network's ingest would.

Each commit inserts `batch` events copied from the newest stored ones (so spread over the
nodes as they are) and announces them with the ingest writer's NOTIFY, so that the web
workers' kept pages go stale as often as they would under ingest. It commits only while
`active`. On stop the events it added are deleted again, leaving the database as it was for
the next run.
"""

import threading
import time

from psycopg2.extras import execute_values

from tart.db import EVENTS_CHANNEL
from tart.db.connect import connect

COLUMNS = "node_id, session_id, event_id, event_type, node_timestamp, timestamp, data"
TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s::jsonb)"


class Committer:
    def __init__(self, url, per_second: float, batch: int):
        self.interval = 1.0 / per_second
        self.commits = 0
        self.active = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._conn = connect(url)
        self.backend_pid = self._conn.get_backend_pid()
        with self._conn, self._conn.cursor() as cur:
            cur.execute("SELECT max(id) FROM events")
            (self.first_id,) = cur.fetchone()
            cur.execute(
                f"SELECT {COLUMNS.replace('data', 'data::text')} FROM events"
                f" ORDER BY id DESC LIMIT %s",
                (batch,),
            )
            self._rows = cur.fetchall()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute("DELETE FROM events WHERE id > %s", (self.first_id,))
            cur.execute("VACUUM events")
        self._conn.close()

    def _run(self):
        due = time.monotonic()
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            due += self.interval
            if not self.active:
                continue
            with self._conn, self._conn.cursor() as cur:
                ids = execute_values(
                    cur,
                    f"INSERT INTO events ({COLUMNS}) VALUES %s RETURNING id",
                    self._rows,
                    template=TEMPLATE,
                    fetch=True,
                )
                cur.execute(
                    "SELECT pg_notify(%s, %s)", (EVENTS_CHANNEL, f"{min(ids)[0]},{max(ids)[0]}")
                )
            self.commits += 1
