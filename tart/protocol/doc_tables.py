"""What docs.py's tables say of a construct, read off the definition: the spec's text for its
type, its size in bytes, its fields as rows, and the Markdown that shows them.

Sizes are measured, not written down: a record's bytes always present, its per-core terms
(``C``, ``ceil(C/8)``) and whether a ``len++`` or ``Option`` makes it vary.
"""

import re
from collections.abc import Iterable, Iterator, Sequence

from construct import Construct, FormatField, Renamed

from tart.protocol import types
from tart.protocol.codec import PARAMETER_LAYOUTS
from tart.protocol.composites import Option, Record, Vec
from tart.protocol.primitives import (
    Bool,
    ByteEnum,
    CoreBitfield,
    HexBytes,
    IPv6Address,
    Natural,
    PerCore,
    SmallInt,
    String,
    encode_natural,
)

# What measure() says of a construct: bytes always present, per-core terms such as "C", and
# whether the size varies.
Measure = tuple[int, list[str], bool]


def base(con: Construct) -> Construct:
    """The construct under every name and meaning."""
    while isinstance(con, Renamed):
        con = con.subcon
    return con


def _field_type(field: Construct) -> Construct:
    """A field's type: the construct under the wrappers that give it its name and meaning."""
    con = field
    while isinstance(con, Renamed) and con.name in (field.name, None, ""):
        con = con.subcon
    return con


# The spec's named types, in its order; tables link to those that have a section of their own.
DOCUMENTED_TYPES = [value for value in vars(types).values() if isinstance(value, Renamed)]
# JAM Parameters in each layout that the node information may carry.
JAM_PARAMETERS = {
    layout: _field_type(record.params) for layout, record in PARAMETER_LAYOUTS.items()
}
_BY_NAME = {con.name: con for con in DOCUMENTED_TYPES + list(JAM_PARAMETERS.values())}


def is_section_type(con: Construct) -> bool:
    return isinstance(base(con), (Record, ByteEnum))


def type_text(con: Construct) -> tuple[str, str | None]:
    """The spec's text for a type, and the name of the documented type it should link to."""
    if isinstance(con, Renamed):
        if con.name in _BY_NAME:
            return con.name, con.name if is_section_type(con) else None
        return type_text(con.subcon)
    if isinstance(con, FormatField):
        return f"u{8 * con.length}", None
    if isinstance(con, Vec):
        text, link = type_text(con.subcon)
        return f"len++[{text}]", link
    if isinstance(con, Option):
        text, link = type_text(con.subcon)
        return f"Option<{text}>", link
    if isinstance(con, Record):
        parts = [type_text(_field_type(sc)) for sc in con.subcons]
        links = [link for _, link in parts if link]
        return " ++ ".join(text for text, _ in parts), links[0] if links else None
    simple = {
        String: lambda: f"String<{con.limit}>",
        HexBytes: lambda: f"[u8; {con.length}]",
        IPv6Address: lambda: "[u8; 16]",
        PerCore: lambda: "[u8; C]",
        CoreBitfield: lambda: "[u8; ceil(C/8)]",
        Bool: lambda: "u8",
        ByteEnum: lambda: "u8",
        SmallInt: lambda: f"u8 (0 … {con.maximum})",
        Natural: lambda: "natural",
    }
    return simple[type(con)](), None


def measure(con: Construct) -> Measure:
    """The construct's size, as a :data:`Measure`."""
    con = base(con)
    if isinstance(con, Record):
        low, terms, varies = 0, [], False
        for sc in con.subcons:
            sc_low, sc_terms, sc_varies = measure(sc)
            low, terms, varies = low + sc_low, terms + sc_terms, varies or sc_varies
        return low, terms, varies
    if isinstance(con, PerCore):
        return 0, ["C"], False
    if isinstance(con, CoreBitfield):
        return 0, ["ceil(C/8)"], False
    if isinstance(con, (Vec, Option, String, Natural)):
        return 1, [], True
    return con.sizeof(), [], False


def _size(measured: Measure, extra: int = 0) -> str:
    low, terms, varies = measured
    low += extra
    if varies:
        return f"{low}+"
    return " + ".join(([str(low)] if low or not terms else []) + terms)


def size_cell(con: Construct) -> str:
    """The size column: a number, a per-core expression, or how a variable size is made up."""
    con = base(con)
    if isinstance(con, Natural):
        return "1–9"
    if isinstance(con, String):
        return f"1–{len(encode_natural(con.limit)) + con.limit} (len++)"
    if isinstance(con, Vec):
        item = measure(con.subcon)
        return f"1+ (len++ × {_size(item)})" if not item[2] else "1+ (len++)"
    if isinstance(con, Option):
        inner = measure(con.subcon)
        return f"1 or {_size(inner, 1)}" if not inner[2] else "1+"
    return _size(measure(con))


def bytes_text(measured: Measure, extra: int = 0) -> str:
    """A size as "12 bytes", "≥ 3 bytes" when it varies; ``measured`` as :func:`measure` says."""
    text = _size(measured, extra).rstrip("+")
    return f"{'≥ ' if measured[2] else ''}{text} byte{'' if text == '1' else 's'}"


def size_line(measured: Measure, header: int | None = None) -> str:
    """The total size; for an event, of its fields and of the message with its ``header``."""
    line = (
        f"**Size:** {bytes_text(measured)}"
        if header is None
        else f"**Size:** fields {bytes_text(measured)}, message {bytes_text(measured, header)}"
    )
    return line + (" (variable)." if measured[2] else ".")


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def type_cell(text: str, link: str | None) -> str:
    code = f"`{text}`"
    return f"[{code}](#{anchor(link)})" if link else code


def _meaning(field: Construct, con: Construct) -> str:
    """The field's own meaning; one that merely repeats its type's is in the type's table."""
    named = _BY_NAME.get(con.name) if isinstance(con, Renamed) else None
    return "" if named is not None and field.docs == named.docs else field.docs or ""


def field_rows(record: Record, prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(field, type cell, size, meaning) for every field; inline records as dotted names."""
    for sc in record.subcons:
        con = _field_type(sc)
        name = prefix + sc.name
        yield (f"`{name}`", type_cell(*type_text(con)), size_cell(con), cell(_meaning(sc, con)))
        if isinstance(con, Record):
            yield from field_rows(con, name + ".")
        elif isinstance(con, Vec) and isinstance(con.subcon, Record):
            yield from field_rows(con.subcon, name + "[].")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


FIELD_HEADER = ("field", "type", "size (bytes)", "meaning")


def merged_rows(records: Iterable[Record]) -> Iterator[tuple[str, ...]]:
    """The rows of records that share their field names; where they differ, "a or b"."""
    for cells in zip(*(field_rows(record) for record in records)):
        yield tuple(" or ".join(dict.fromkeys(column)) for column in zip(*cells))
