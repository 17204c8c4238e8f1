"""`tart loadgen` for a benchmark: the nodes of a network, on the benchmark's own machine."""

import contextlib
import os
import subprocess

from _procs import BIN

# The loadgen's CPU priority (nice): below ingest's and PostgreSQL's (0).
LOADGEN_NICE = 10


@contextlib.contextmanager
def loadgen(ingest, nodes, rate, seconds, ramp_up, mix, summary_path, log):
    """`tart loadgen` running at the ingest, stopped on leaving if it has not finished; its
    summary will be in summary_path.

    The loadgen stands in for nodes on other machines, so it takes only the CPU that ingest
    and PostgreSQL leave (see _yield_cpu); each step checks that it still sent its offered rate.
    It has its own session, which Ctrl-C does not reach: hence the stop here.
    """
    command = [
        str(BIN / "tart"),
        "loadgen",
        "--telemetry",
        f"127.0.0.1:{ingest.port}",
        "--nodes",
        str(nodes),
        "--rate",
        f"{rate:g}",
        "--duration",
        f"{seconds:g}",
        "--ramp-up",
        f"{ramp_up:g}",
        "--mix",
        mix,
        "--summary-json",
        str(summary_path),
    ]
    generator = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_yield_cpu
    )
    try:
        yield generator
    finally:
        if generator.poll() is None:
            generator.terminate()
        generator.wait()


def _yield_cpu():
    """Lowest claim on the CPU for this process: nice, and, where the kernel groups processes
    by session for scheduling (autogroup), its own session's group too, since a process's nice
    counts only within its group."""
    os.nice(LOADGEN_NICE)
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(LOADGEN_NICE))
    except OSError:
        pass  # no autogroup scheduling: nice alone applies
