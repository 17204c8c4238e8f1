"""The benchmarks' child processes: where the `tart` command is, and a free local port for one
to listen on and the wait until it does."""

import socket
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, what, log_path, timeout=30):
    """Until something listens on `port`; fails, with the end of `process`'s log, if it exits or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} did not listen on {port}; see {log_path}:\n"
                f"{Path(log_path).read_text()[-2000:]}"
            )
        time.sleep(0.1)
