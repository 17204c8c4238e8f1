"""Plausible values for any message, made from its definition: for tests, the load generator
and benchmarks, so none of them needs a second description of the protocol."""

import random

from construct import Construct, FormatField, Renamed

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


def sample(
    con: Construct, cores: int, rng: random.Random | None = None, list_size: int = 2
) -> object:
    """A value ``con`` can build (``cores`` sizes per-core arrays); ``rng`` varies it."""
    rng = rng or random.Random(0)
    while isinstance(con, Renamed):
        con = con.subcon
    if isinstance(con, Record):
        return {sc.name: sample(sc, cores, rng, list_size) for sc in con.subcons}
    if isinstance(con, FormatField):
        return rng.randrange(min(1 << (8 * con.length), 1 << 32))
    if isinstance(con, Vec):
        return [sample(con.subcon, cores, rng, list_size) for _ in range(list_size)]
    if isinstance(con, Bool):
        return rng.random() < 0.5
    if isinstance(con, Option):
        return sample(con.subcon, cores, rng, list_size) if rng.random() < 0.5 else None
    if isinstance(con, String):
        return rng.choice(("timeout", "peer went away", "invalid signature", ""))[: con.limit]
    if isinstance(con, HexBytes):
        return "0x" + rng.randbytes(con.length).hex()
    if isinstance(con, ByteEnum):
        return rng.choice(sorted(con.values))
    if isinstance(con, SmallInt):
        return rng.randint(0, con.maximum)
    if isinstance(con, IPv6Address):
        return f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if isinstance(con, PerCore):
        return [rng.randrange(4) for _ in range(cores)]
    if isinstance(con, CoreBitfield):
        return "0x" + rng.randbytes((cores + 7) // 8).hex()
    if isinstance(con, Natural):
        return rng.randrange(1 << 16)
    raise TypeError(f"no sample for {con!r}")
