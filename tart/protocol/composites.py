"""The composite building blocks of JIP-3 messages: named types, records (``A ++ B ++ …``),
``len++`` sequences and options, made of the leaf pieces in ``primitives.py``.

- ``parse``/``build``: when a field or item fails to decode, :class:`Record` and :class:`Vec` add
  its name or index to the :class:`FieldError` on the way out, so the whole path is known.
- ``compile()``: a :class:`Record` compiles to a dict literal (no construct ``Container`` or
  context per record), which is what makes decoding fast.
"""

from construct import Construct, Container, Renamed, StreamError, Struct
from construct.core import stream_write

from tart.protocol.errors import FieldError
from tart.protocol.primitives import natural, read_exactly


def Type(name: str, subcon: Construct, meaning: str | None = None) -> Renamed:
    """A named JIP-3 type (``Slot = u32``): same bytes as ``subcon``, named for the docs."""
    return Renamed(subcon, newname=name, newdocs=meaning)


def _remaining(stream, offset=None):
    return len(stream.getvalue()) - (stream.tell() if offset is None else offset)


class Record(Struct):
    """``A ++ B ++ …``: named fields in spec order, decoded into a plain dict.

    Unlike construct's Struct, fields cannot refer to earlier fields (JIP-3 has no such field), so
    the compiled form is a single dict literal.
    """

    def _parse(self, stream, context, path):
        context = Container(
            _=context,
            _params=context._params,
            _parsing=True,
            _building=False,
            _sizing=False,
            _io=stream,
            _index=context.get("_index"),
        )
        obj = {}
        for sc in self.subcons:
            offset = stream.tell()
            try:
                value = sc._parsereport(stream, context, path)
            except FieldError as e:
                e.path.insert(0, sc.name)
                raise
            except StreamError:
                error = FieldError(
                    f"truncated: {_describe(sc)} needs {sc.sizeof()} bytes, "
                    f"{_remaining(stream, offset)} left",
                    offset,
                )
                error.path.insert(0, sc.name)
                raise error from None
            obj[sc.name] = context[sc.name] = value
        return obj

    def _emitparse(self, code):
        fname = f"parse_record_{code.allocateId()}"
        fields = "".join(f"{sc.name!r}: {sc._compileparse(code)}, " for sc in self.subcons)
        code.append(f"def {fname}(io, this):\n    return {{{fields}}}")
        return f"{fname}(io, this)"


class Vec(Construct):
    """``len++[T]``: a general-natural count, then that many ``T``."""

    def __init__(self, subcon: Construct):
        super().__init__()
        self.subcon = subcon

    def _parse(self, stream, context, path):
        count = self._count(stream, context)
        items = []
        for index in range(count):
            offset = stream.tell()
            try:
                items.append(self.subcon._parsereport(stream, context, path))
            except FieldError as e:
                e.path.insert(0, index)
                raise
            except StreamError:
                error = FieldError(
                    f"truncated: {_describe(self.subcon)} needs "
                    f"{self.subcon.sizeof()} bytes, {_remaining(stream, offset)} "
                    f"left",
                    offset,
                )
                error.path.insert(0, index)
                raise error from None
        return items

    def _count(self, stream, context):
        offset = stream.tell()
        count = natural._parse(stream, context, None)
        if count > _remaining(stream):
            raise FieldError(f"len++ {count} exceeds the {_remaining(stream)} bytes left", offset)
        return count

    def _build(self, obj, stream, context, path):
        natural._build(len(obj), stream, context, path)
        for item in obj:
            self.subcon._build(item, stream, context, path)
        return obj

    def _emitparse(self, code):
        fname = f"parse_vec_{code.allocateId()}"
        code.append("from tart.protocol.readers import read_natural")
        code.append(
            f"def {fname}(io, this):\n"
            f"    return [{self.subcon._compileparse(code)} for _ in range(read_natural(io))]"
        )
        return f"{fname}(io, this)"


class Option(Construct):
    """``Option<T> = 0 OR (1 ++ T)``; decodes to None or the value."""

    def __init__(self, subcon: Construct):
        super().__init__()
        self.subcon = subcon

    def _parse(self, stream, context, path):
        offset = stream.tell()
        tag = read_exactly(stream, 1, "Option tag")[0]
        if tag == 0:
            return None
        if tag != 1:
            raise FieldError(f"Option tag must be 0 or 1, got 0x{tag:02x}", offset)
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            stream_write(stream, b"\x00", 1, path)
            return obj
        stream_write(stream, b"\x01", 1, path)
        return self.subcon._build(obj, stream, context, path)

    def _emitparse(self, code):
        fname = f"parse_option_{code.allocateId()}"
        code.append(
            f"def {fname}(io, this):\n"
            f"    tag = io.read(1)\n"
            f"    if tag == b'\\x00':\n"
            f"        return None\n"
            f"    if tag != b'\\x01':\n"
            f"        raise ValueError('bad Option tag')\n"
            f"    return {self.subcon._compileparse(code)}"
        )
        return f"{fname}(io, this)"


def _describe(con):
    """A short name for a piece, for error messages."""
    while isinstance(con, Renamed):
        if con.name and con.name[0].isupper():
            return con.name
        con = con.subcon
    if hasattr(con, "fmtstr"):
        return f"u{8 * con.length}"
    return type(con).__name__


__all__ = ["Option", "Record", "Type", "Vec"]
