"""The code base's shape that a reviewer would otherwise have to check by hand."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One concern per module: past this, a module is probably two.
LONGEST_MODULE = 400


def python_files(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_tests_import_helpers_only_from_tests_support():
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files("tests")
        for module in imported_modules(path)
        if module.split(".")[0] == "tests" and not module.startswith("tests.support")
    ]
    assert wrong == []


def test_no_module_is_longer_than_one_concern_needs():
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in python_files("tart", "tests", "bench")
        if (lines := len(path.read_text().splitlines())) > LONGEST_MODULE
    ]
    assert long == []
