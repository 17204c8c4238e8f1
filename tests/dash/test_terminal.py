"""The real `tart-dash` in a real terminal (tmux), read off the screen; and its options."""

import re
import subprocess

from tests.support.procs import BIN, tart
from tests.support.terminal import Tmux


def test_tart_dash_in_a_terminal_of_80_by_24(network):
    command = [BIN / "tart-dash", "--host", "127.0.0.1", "--port", network.web_port]
    with Tmux([*command, "--refresh-ms", "200"], width=80, height=24) as terminal:
        screen = terminal.wait_for(
            lambda s: "● LIVE" in s and s.count("tart-loadgen") >= 10, what="the nodes, live"
        )
        lines = screen.splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        # Narrow: the panels side by side above the tabs, the blocks within the network's.
        assert "Network" in lines[1] and "Health" in lines[1] and "Events/s" in lines[1]
        online, total = re.search(r"Online +(\d+)/(\d+)", screen).groups()
        assert int(total) >= int(online) >= network.nodes  # other tests add nodes, some gone
        assert f"Nodes ({total})" in screen and screen.count("● online") >= 10
        assert "Best" in screen and "● healthy" in screen
        assert "Traceback" not in screen

        terminal.keys("Tab")
        screen = terminal.wait_for(
            lambda s: "Time (UTC)" in s and "BestBlockChanged" in s, what="the events"
        )

        # Wide and tall enough: the panels in a column, the blocks in a panel of their own.
        terminal.resize(130, 40)
        screen = terminal.wait_for(lambda s: "Blocks" in s and "Unfinalized" in s, what="wide")
        assert "Events" in screen.splitlines()[1]  # the tabs beside the panels

        # Esc on the main screen quits too (q does under Pilot: tests/dash/test_dashboard.py).
        terminal.keys("Escape")
        terminal.wait_for(lambda _: not terminal.running(), timeout=10, what="the end")


def test_the_options_are_checked():
    for option, value, complaint in (
        ("--refresh-ms", "50", "50 is not in the range 100<=x<=10000"),
        ("--url", "ftp://tart.example", "is not an http:// or https:// URL"),
        ("--port", "0", "0 is not in the range 1<=x<=65535"),
    ):
        result = subprocess.run(
            tart("dash", option, value), capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 2 and complaint in result.stderr, result.stderr
    usage = subprocess.run([BIN / "tart-dash", "--help"], capture_output=True, text=True)
    assert usage.returncode == 0
    for option in ("--host", "--port", "--url", "--refresh-ms"):
        assert option in usage.stdout
