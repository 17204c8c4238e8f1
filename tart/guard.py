"""Cleaning up after `tart run` if it is killed outright (kill -9, the OOM killer).

`tart run` starts this guard first, in a session of its own, and writes to its stdin the pid of
each child it starts. A `tart run` that stops normally stops its children and the database
itself, then writes "done". If instead the guard reads the end of its stdin without "done",
`tart run` is gone: the children have been sent SIGTERM by the kernel (PR_SET_PDEATHSIG), so
the guard waits for them to finish — ingest writes its queue while the database still runs —
kills what is left after stop_timeout(), and stops the embedded PostgreSQL. Nothing keeps the
ports or the data directory busy for the next `make run`.
"""

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from tart.config import Settings

# How long ingest and web get to exit beyond ingest's own TART_SHUTDOWN_TIMEOUT (its final
# reports) before they are killed, by `tart run` or by the guard.
STOP_MARGIN = 10


def stop_timeout(settings: Settings) -> float:
    return settings.shutdown_timeout + STOP_MARGIN


def main(argv: list[str]) -> None:
    # Whatever happens to the terminal that started `tart run`, the guard stays to the end.
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    data_dir = Path(argv[0]) if argv and argv[0] != "-" else None
    children, done = [], False
    for line in sys.stdin:
        word, _, value = line.strip().partition(" ")
        if word == "child":
            children.append(int(value))
        elif word == "done":
            done = True
    if done:
        return
    _stop(children, stop_timeout(Settings.from_env()))
    if data_dir is not None:
        from tart.db.embedded import EmbeddedPostgres

        EmbeddedPostgres(data_dir).stop()


def _stop(pids: list[int], timeout: float) -> None:
    for pid in pids:
        _signal(pid, signal.SIGTERM)  # the kernel has, unless they were started too late
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if _alive(pid):
            _signal(-pid, signal.SIGKILL)  # its process group: the child and what it started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone but for its parent's wait(); the guard is not its parent.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


if __name__ == "__main__":
    main(sys.argv[1:])
