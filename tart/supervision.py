"""Long-lived greenlets that never die silently.

Every background greenlet of a TART process — the ingest writer, ingest's housekeeping loops, a
web worker's LISTEN loop — is started by the process's one Supervisor, in one of two ways:

- ``loop(name, step, interval)``: ``step()`` runs again and again, ``interval`` seconds apart.
  When it raises, the failure is logged and counted, and the step runs again after a pause that
  doubles with each failure in a row (up to MAX_BACKOFF) and resets after a success. A loop's
  work is safe to retry later: a heartbeat, a sweep, a LISTEN connection. A database that is
  away is an expected state, logged in one line; any other failure with its traceback.
- ``essential(name, run)``: ``run()`` handles its own errors and ends only when told to (the
  writer, which retries the database for ever). If it raises nonetheless, the process can no
  longer keep its promise — events would be accepted and never stored — so the failure is
  logged and ``on_fatal`` is called: ingest exits non-zero, for systemd, compose or `tart run`
  to restart it, rather than live on as a zombie that accepts and discards.

Failures are watched with ``link_exception``, as locust does; nothing relies on a try/except
written into each loop.
"""

import logging
import os
import sys
from collections import Counter
from collections.abc import Callable

import gevent

from tart.db.connect import first_line
from tart.db.errors import DATABASE_ERRORS, is_row_error

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# How long kill_all waits for the greenlets to end.
KILL_WAIT = 1.0


class Backoff:
    """Pauses that double after each failure in a row, from `first` up to `longest`."""

    def __init__(self, first: float, longest: float = MAX_BACKOFF):
        self.first = first
        self.longest = longest
        self.failures = 0

    def failed(self) -> float:
        """Count a failure; the pause before the next attempt."""
        self.failures += 1
        return min(self.longest, self.first * 2 ** (self.failures - 1))

    def succeeded(self) -> None:
        self.failures = 0


def exit_process(name: str, error: BaseException) -> None:
    """The usual on_fatal: end the process at once with status 70 (EX_SOFTWARE)."""
    log.critical("%s cannot go on; exiting so that the process is restarted", name)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(70)


class Supervisor:
    def __init__(self, on_fatal: Callable[[str, BaseException], None] = exit_process):
        self.on_fatal = on_fatal
        self.failures = Counter()  # greenlet name → failures so far
        self.greenlets = {}  # name → greenlet
        self.stopped = False

    def loop(
        self, name: str, step: Callable[[], object], interval: float, first_backoff: float = 1.0
    ) -> gevent.Greenlet:
        """Run ``step()`` every ``interval`` seconds, for ever, retrying it after a failure."""

        def run():
            backoff = Backoff(first_backoff)
            while not self.stopped:
                try:
                    step()
                except Exception as error:
                    if self.stopped:
                        # A kill that reached a green psycopg2 connect may come out as an
                        # error of another kind, or only when the connect gives up.
                        return
                    pause = backoff.failed()
                    self.failures[name] += 1
                    if isinstance(error, DATABASE_ERRORS) and not is_row_error(error):
                        log.warning(
                            "%s waits for the database (%d in a row); again in %g s: %s",
                            name,
                            backoff.failures,
                            pause,
                            first_line(error),
                        )
                    else:
                        log.exception(
                            "%s failed (%d in a row); again in %g s", name, backoff.failures, pause
                        )
                    gevent.sleep(pause)
                    continue
                backoff.succeeded()
                gevent.sleep(interval)

        return self._start(name, run)

    def essential(self, name: str, run: Callable[[], object]) -> gevent.Greenlet:
        """Run ``run()``, which must not fail; if it does, the process cannot go on."""
        greenlet = self._start(name, run)
        greenlet.link_exception(lambda dead: self._fatal(name, dead.exception))
        return greenlet

    def kill_all(self) -> None:
        """Stop every greenlet, waiting for them at most KILL_WAIT."""
        self.stopped = True
        greenlets = list(self.greenlets.values())
        gevent.killall(greenlets, block=False)
        gevent.joinall(greenlets, timeout=KILL_WAIT)
        self.greenlets.clear()

    def _start(self, name: str, run) -> gevent.Greenlet:
        greenlet = gevent.spawn(run)
        greenlet.name = name
        self.greenlets[name] = greenlet
        return greenlet

    def _fatal(self, name: str, error: BaseException) -> None:
        self.failures[name] += 1
        log.critical("%s died", name, exc_info=(type(error), error, error.__traceback__))
        self.on_fatal(name, error)
