"""Driving terminal programs in tests: a textual app under its Pilot, or a real program in a
real terminal (tmux), reading what is on the screen."""

import asyncio
import itertools
import os
import shlex
import subprocess
import tempfile
import time

_sessions = itertools.count(1)


async def until(pilot, condition, timeout: float = 30.0, what: str = "the condition"):
    """Let the app run until `condition()` is true; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come true within {timeout} s")
        await pilot.pause(0.1)


def plain(widget) -> str:
    """The text a Static or Label widget shows, without its styles."""
    return str(widget.content)


class Tmux:
    """`command` running in a tmux terminal of its own (a private tmux server), `width` ×
    `height` characters. When the program exits, what it last showed stays on the screen."""

    def __init__(self, command: list[str], width: int = 80, height: int = 24, env=None):
        self.socket = f"tart-test-{os.getpid()}-{next(_sessions)}"
        self._config = tempfile.NamedTemporaryFile("w", prefix="tart-test-tmux-", suffix=".conf")
        self._config.write("set -g remain-on-exit on\n")
        self._config.flush()
        environ = dict(os.environ, **(env or {}))
        self._tmux(
            "new-session", "-d", "-s", "main", "-x", str(width), "-y", str(height),
            shlex.join(map(str, command)),
            env=environ,
        )  # fmt: skip

    def screen(self) -> str:
        """What the terminal shows now, a line per row."""
        return self._tmux("capture-pane", "-p", "-t", "main").stdout

    def keys(self, *keys: str) -> None:
        """Type `keys`, each a tmux key name (Tab, Enter, Down, BTab) or literal text."""
        for key in keys:
            self._tmux("send-keys", "-t", "main", key)

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "main", "-x", str(width), "-y", str(height))

    def wait_for(self, condition, timeout: float = 20.0, what: str = "the screen") -> str:
        """Wait until `condition(screen)` is true; return that screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not show within {timeout} s:\n{screen}")
            time.sleep(0.2)

    def running(self) -> bool:
        """Whether the program still runs."""
        return self._tmux("display", "-p", "-t", "main", "#{pane_dead}").stdout.strip() == "0"

    def close(self) -> None:
        self._tmux("kill-server", check=False)
        self._config.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _tmux(self, *args: str, check: bool = True, env=None):
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", self._config.name, *args],
            capture_output=True,
            text=True,
            check=check,
            env=env,
        )


def run(scenario):
    """Run an async test scenario to its end (the tests are plain functions)."""
    return asyncio.run(scenario)
