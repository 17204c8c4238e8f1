"""The worked example is true: the committed capture is what its script writes, and the output
docs/CONFORMANCE.md shows (and the README's excerpt of it) is what `tart check` prints for it."""

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


def printed_by_tart_check() -> str:
    result = subprocess.run(
        tart("check", "docs/examples/mistakes.bin"),
        cwd=REPO,
        env=dict(os.environ, COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    return "".join(line.rstrip() + "\n" for line in result.stdout.splitlines())


def shown_in(document: str) -> str:
    text = (REPO / document).read_text()
    (shown,) = re.findall(r"```\n\$ tart check docs/examples/mistakes.bin\n(.*?)```", text, re.S)
    return shown


def test_the_docs_show_what_tart_check_says():
    assert shown_in("docs/CONFORMANCE.md") == printed_by_tart_check()


def test_the_readme_shows_the_start_and_the_verdict_of_it():
    head, tail = shown_in("README.md").split("…\n")
    printed = printed_by_tart_check()
    assert head.count("\n") > 10 and printed.startswith(head)
    assert tail.startswith("✗ does not conform") and printed.endswith(tail)
