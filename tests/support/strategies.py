"""Hypothesis strategies made from the construct definitions themselves, so every field of every
message is covered without a second description of the protocol."""

import ipaddress

from construct import FormatField, Renamed
from hypothesis import strategies as st

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
)

CORE_COUNTS = (1, 2, 341, 1023)

# NUL decodes as U+2400 (see primitives.NUL_SYMBOL), so neither is round-trip material here.
_TEXT = st.characters(blacklist_characters="\x00\u2400", blacklist_categories=("Cs",))


def strings(limit):
    """Valid UTF-8 of at most ``limit`` bytes, often exactly ``limit``."""
    exact = st.sampled_from(
        ["a" * limit, "é" * (limit // 2), "€" * (limit // 3) + "x" * (limit % 3)]
    )
    short = st.text(_TEXT, max_size=limit // 4)
    return st.one_of(exact, short)


def ip_addresses():
    mapped = ipaddress.IPv6Network("::ffff:0:0/96")
    v6 = st.ip_addresses(v=6).filter(lambda a: a not in mapped)
    return st.one_of(st.ip_addresses(v=4), v6).map(str)


def values(con, cores):
    """A strategy for values that ``con`` builds, with core count ``cores``."""
    while isinstance(con, Renamed):
        con = con.subcon
    if isinstance(con, FormatField):
        bits = 8 * con.length
        return st.one_of(
            st.integers(0, (1 << bits) - 1),
            st.just((1 << bits) - 1),
            st.integers(1 << (bits - 1), (1 << bits) - 1),
        )
    if isinstance(con, Record):
        return st.fixed_dictionaries({sc.name: values(sc, cores) for sc in con.subcons})
    if isinstance(con, Vec):
        item = values(con.subcon, cores)
        # Past 127 items the length takes two bytes of the general natural encoding.
        return st.one_of(st.lists(item, max_size=3), st.lists(item, min_size=128, max_size=130))
    if isinstance(con, Bool):
        return st.booleans()
    if isinstance(con, Option):
        return st.one_of(st.none(), values(con.subcon, cores))
    if isinstance(con, String):
        return strings(con.limit)
    if isinstance(con, HexBytes):
        return st.binary(min_size=con.length, max_size=con.length).map(lambda b: "0x" + b.hex())
    if isinstance(con, ByteEnum):
        return st.sampled_from(sorted(con.values))
    if isinstance(con, SmallInt):
        return st.integers(0, con.maximum)
    if isinstance(con, IPv6Address):
        return ip_addresses()
    if isinstance(con, PerCore):
        return st.lists(st.integers(0, 255), min_size=cores, max_size=cores)
    if isinstance(con, CoreBitfield):
        size = (cores + 7) // 8
        return st.binary(min_size=size, max_size=size).map(lambda b: "0x" + b.hex())
    if isinstance(con, Natural):
        return st.integers(0, (1 << 64) - 1)
    raise TypeError(f"no strategy for {con!r}")
