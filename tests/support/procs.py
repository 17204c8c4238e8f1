"""Running TART's real processes (tart ingest, gunicorn, ...) in tests and waiting for them."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
# The virtualenv's bin directory, where `tart` and `gunicorn` are installed.
BIN = Path(sys.executable).parent


def tart(*args: str) -> list[str]:
    """The command line for `tart ARGS...`."""
    return [str(BIN / "tart"), *args]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, timeout: float, interval: float = 0.25):
    """Poll `check()` every `interval` seconds until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(interval)


def wait_for_port(host: str, port: int, timeout: float = 15.0, process=None) -> None:
    """Wait until something accepts TCP connections on host:port.

    Gives up early, with its output, if `process` exits meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            pass
        _give_up_if(process, deadline, f"nothing listens on {host}:{port}")
        time.sleep(0.05)


def wait_for_http(url: str, timeout: float = 15.0, process=None) -> requests.Response:
    """Wait until `url` answers 200 and return that response."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a first answer slower than a busy machine allows
        _give_up_if(process, deadline, f"{url} does not answer 200")
        time.sleep(0.05)


class Process(subprocess.Popen):
    """A started process whose stdout and stderr go to a file that output() reads."""

    def __init__(self, cmd, env, cwd):
        fd, self.output_path = tempfile.mkstemp(prefix="tart-test-output-")
        try:
            # Its own process group, so that stopping it also reaches what it started.
            super().__init__(
                cmd,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(fd)

    def output(self) -> str:
        return Path(self.output_path).read_text(errors="replace")

    def stop(self, timeout: float) -> None:
        """SIGTERM, then SIGKILL to the whole group if it has not exited after `timeout`."""
        if self.poll() is None:
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # stragglers: workers, children
        self.wait()


@contextlib.contextmanager
def running(
    cmd: list[str], env: dict | None = None, *, cwd: Path = REPO, stop_timeout: float = 30.0
):
    """Run `cmd` for the duration of the with-block; yield its Process.

    `env` is added to this process's environment; a value of None removes that variable.
    Afterwards the process is sent SIGTERM (then SIGKILL after `stop_timeout`); if the block
    failed, the process's output is printed so that pytest shows it with the failure.
    """
    environ = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    process = Process([str(part) for part in cmd], environ, cwd)
    try:
        yield process
    except BaseException:
        process.stop(stop_timeout)
        print(f"--- output of {' '.join(map(str, cmd))} (exit {process.returncode}) ---")
        print(process.output())
        raise
    else:
        process.stop(stop_timeout)
    finally:
        os.unlink(process.output_path)


def _give_up_if(process, deadline: float, waiting_for: str) -> None:
    if process is not None and process.poll() is not None:
        raise RuntimeError(
            f"{waiting_for}: the process exited with {process.returncode}:\n{process.output()}"
        )
    if time.monotonic() > deadline:
        raise TimeoutError(f"{waiting_for} in time")
