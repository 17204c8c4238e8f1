"""The README's configuration table is tart/config.py's: the same variables, the same defaults."""

import dataclasses
import re

from tart.config import Settings
from tests.support.procs import REPO


def configuration_table() -> dict[str, str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (.*?) \|", section, re.M)
    return {variable: default for variable, default in rows}


def test_every_setting_is_in_the_table_with_its_default():
    table = configuration_table()
    settings = {field.metadata["env"]: field for field in dataclasses.fields(Settings)}
    assert list(table) == list(settings)
    for env, setting in settings.items():
        if setting.default is None:
            assert table[env].startswith("*(unset"), env
            continue
        literal = re.fullmatch(r"`([^`]*)`", table[env])
        assert literal, f"{env}: the default should be a literal, got {table[env]}"
        # Read by the setting's own parser, as the variable would be.
        assert setting.metadata["parse"](literal[1]) == setting.default, env
