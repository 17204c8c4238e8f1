"""What every benchmark says about its run: progress lines, and how and where it was run."""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path


def say(message):
    """A benchmark's progress, on stderr so that its report on stdout stays clean."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_facts():
    """The command line the results came from and when."""
    return {
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def machine():
    """The machine, with its load: a busy one (load average near its cpus) skews every figure."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }
