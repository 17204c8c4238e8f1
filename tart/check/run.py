"""Running a check on a capture or a live connection, and printing its report."""

import json
import signal
import sys
import time

from rich.console import Console

from tart.check.capture import FramingError, frames
from tart.check.conformance import Checker
from tart.check.listen import accept_one
from tart.check.render import render_finding, render_report

# While a node is connected, a line of figures at most this often (seconds).
PROGRESS_EVERY = 5.0


def check_capture(capture, max_frame, as_json):
    """Check a capture file's frames; print the report; whether they all conform."""
    checker = Checker(getattr(capture, "name", "<stdin>"))
    try:
        for offset, message in frames(capture, max_frame):
            checker.feed(offset, message)
    except FramingError as error:
        checker.framing_error(error)
    _print_report(checker, as_json)
    return checker.ok


def check_connection(host, port, max_frame, as_json):
    """Accept one node's connection and check its frames as they arrive, telling what is new;
    at Ctrl-C (or SIGTERM) or when the node closes, print the report."""
    # Live lines go where they do not mix with the JSON report.
    live = _console(sys.stderr if as_json else sys.stdout)
    # SIGINT too: a shell that starts it in the background leaves SIGINT ignored.
    stops = (signal.SIGINT, signal.SIGTERM)
    before = {signum: signal.signal(signum, _interrupt) for signum in stops}
    checker = None
    try:
        connection, remote = accept_one(host, port, lambda bound: _listening(live, bound))
        with connection:
            checker = Checker(f"{remote[0]}:{remote[1]}")
            live.print(f"node connected from {checker.source}", highlight=False)
            _follow(checker, connection.makefile("rb"), max_frame, live)
            live.print("the node closed the connection", highlight=False)
    except KeyboardInterrupt:
        live.print("stopped", highlight=False)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    if checker is None:
        live.print("no node connected", highlight=False)
        return False
    live.print()
    _print_report(checker, as_json)
    return checker.ok


def _follow(checker, stream, max_frame, live):
    reported = time.monotonic()
    try:
        for offset, message in frames(stream, max_frame):
            for finding in checker.feed(offset, message):
                render_finding(finding, live)
            if time.monotonic() - reported >= PROGRESS_EVERY:
                reported = time.monotonic()
                _progress(checker, live)
    except FramingError as error:
        for finding in checker.framing_error(error):
            render_finding(finding, live)
    except ConnectionError as error:
        live.print(f"connection lost: {error.strerror or error}", highlight=False)


def _progress(checker, live):
    totals = checker.report()["totals"]
    live.print(
        f"… {totals['events']} events of {totals['kinds_seen']} kinds, {totals['invalid']} invalid",
        style="dim",
        highlight=False,
    )


def _listening(live, bound):
    host, port = bound
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    live.print(
        f"listening on {shown}: start one node with --telemetry {shown} (Ctrl-C for the summary)",
        highlight=False,
    )


def _print_report(checker, as_json):
    report = checker.report()
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        render_report(report, _console(sys.stdout))


def _console(file):
    # soft_wrap: a long line stays one line, for grep and CI logs.
    return Console(file=file, highlight=False, soft_wrap=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
