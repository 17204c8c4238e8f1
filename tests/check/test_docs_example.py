"""The README's worked example is true: the committed capture is what its script writes, and
the output shown is what `tart check` prints for it."""

import importlib.util
import os
import re
import subprocess

from tart.protocol import frame
from tests.support.procs import REPO, tart

EXAMPLE = REPO / "docs" / "examples" / "mistakes.bin"


def test_the_capture_is_what_its_script_writes():
    spec = importlib.util.spec_from_file_location("mistakes", EXAMPLE.with_suffix(".py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = b"".join(frame(message) for message in script.messages())
    assert EXAMPLE.read_bytes() == written, "run: .venv/bin/python docs/examples/mistakes.py"


def test_the_readme_shows_what_tart_check_says():
    readme = (REPO / "README.md").read_text()
    (shown,) = re.findall(r"```\n\$ tart check docs/examples/mistakes.bin\n(.*?)```", readme, re.S)
    result = subprocess.run(
        tart("check", "docs/examples/mistakes.bin"),
        cwd=REPO,
        env=dict(os.environ, COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    printed = "".join(line.rstrip() + "\n" for line in result.stdout.splitlines())
    assert shown == printed
