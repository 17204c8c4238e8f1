"""What the deployment files (docker compose, Kubernetes, nginx) are checked against: the
settings TART reads and the commands it has."""

import dataclasses
import re

from tart.cli import main
from tart.config import Settings, parse_bind

# Every environment variable TART reads (tart/config.py).
SETTINGS = {setting.metadata["env"] for setting in dataclasses.fields(Settings)}
DEFAULTS = Settings()
API_PORT = parse_bind(DEFAULTS.api_bind)[1]
TELEMETRY_PORT = parse_bind(DEFAULTS.telemetry_bind)[1]


def check_command(command: list[str]) -> None:
    """`command` is a `tart` subcommand that exists."""
    assert command[0] == "tart", command
    assert command[1] in main.commands, command


_VARIABLE = re.compile(r"\$\{(\w+)(?::-((?:[^{}]|\$\{[^{}]*\})*))?\}")


def interpolate(text: str, environ: dict) -> str:
    """`text` with docker compose's ${VAR} and ${VAR:-default} (defaults may hold ${...})
    replaced as compose replaces them from `environ`."""

    def replace(match):
        value = environ.get(match.group(1), "")
        if value == "" and match.group(2) is not None:
            return interpolate(match.group(2), environ)
        return value

    return _VARIABLE.sub(replace, text)
