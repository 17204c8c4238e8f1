"""SQL literals TART writes itself, for statements ingest sends as text in one round trip.

psycopg2's adaptation of parameters costs about 20 µs a row, most of the writer's CPU at
tens of thousands of events a second; the values ingest writes are integers, floats, hex
strings, JSON text and NULLs, whose literals are simple. Every connection these statements go
to sets standard_conforming_strings = on, under which doubling ``'`` is the whole of quoting a
string. Nothing else in TART builds SQL from values.
"""

from collections.abc import Iterable


def text(value: str | None) -> str:
    """A string literal; NUL, which PostgreSQL text cannot hold, is refused (ValueError)."""
    if value is None:
        return "NULL"
    if "\x00" in value:
        raise ValueError("a string literal cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"


def number(value: int | float | None) -> str:
    """An integer or floating-point literal (float digits exact: repr)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return repr(value)


def array(values: Iterable[int | str], of: str) -> str:
    """An array literal of `of` ("bigint", "text"); the values must need no quoting inside it
    (integers, hex strings)."""
    return "'{" + ",".join(map(str, values)) + "}'::" + of + "[]"


def rows(tuples: Iterable[Iterable[str]]) -> str:
    """``(…),(…)`` of rows whose values are literals already."""
    return ",".join("(" + ",".join(row) + ")" for row in tuples)
