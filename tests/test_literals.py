"""The SQL literals ingest writes itself read back from PostgreSQL as the values they quote."""

import pytest

from tart.db import literals
from tests.support.ingest import query

AWKWARD = ["", "plain", "it's", "''", "back\\slash", "\\'", "$$", "%s %(x)s", "żółć 🦀", "a\nb"]


def test_text_literals_read_back_as_their_strings(database_url):
    (row,) = query(
        database_url,
        "SET standard_conforming_strings = on; SELECT "
        + ", ".join(literals.text(value) for value in AWKWARD).replace("%", "%%"),
    )
    assert list(row) == AWKWARD


def test_numbers_nulls_arrays_and_rows(database_url):
    numbers = [0, -1, 2**63 - 1, 2**64 - 1, 0.1, 1764790000.123456, None]
    (row,) = query(database_url, "SELECT " + ", ".join(literals.number(value) for value in numbers))
    assert [None if value is None else float(value) for value in row] == [
        None if value is None else float(value) for value in numbers
    ]
    assert query(
        database_url,
        "SELECT * FROM (VALUES "
        + literals.rows([[literals.number(1), literals.text("a")], ["2", literals.text(None)]])
        + ") AS v (n, t) WHERE n = ANY("
        + literals.array([1, 2], "bigint")
        + ")",
    ) == [(1, "a"), (2, None)]
    assert query(database_url, "SELECT " + literals.array(["ab", "cd"], "text")) == [
        (["ab", "cd"],)
    ]


def test_what_cannot_be_a_literal_is_refused():
    with pytest.raises(ValueError, match="NUL"):
        literals.text("a\x00b")
    with pytest.raises(TypeError):
        literals.number("1; DROP TABLE events")
    with pytest.raises(TypeError):
        literals.number(True)
