"""docs/PROTOCOL.md: the JIP-3 reference, generated from the construct definitions.

Nothing here describes the protocol a second time. Every table is read off the definitions in
``types.py``, ``node_information.py`` and ``events/`` (names, spec type names, meanings, sizes),
and the JSON examples are what the decoder returns for bytes the encoder built. ``doc_tables.py``
reads a definition as table cells; this module puts the sections together. ``tart spec`` prints
the result; a test fails when the checked-in copy is stale.
"""

import json
from datetime import UTC, datetime

from tart.protocol.codec import (
    JAM_COMMON_ERA,
    PARAMETER_LAYOUTS,
    EventDecoder,
    encode_event,
    jam_timestamp,
)
from tart.protocol.doc_tables import (
    DOCUMENTED_TYPES,
    FIELD_HEADER,
    JAM_PARAMETERS,
    anchor,
    base,
    bytes_text,
    cell,
    field_rows,
    is_section_type,
    markdown_table,
    measure,
    merged_rows,
    size_cell,
    size_line,
    type_cell,
    type_text,
)
from tart.protocol.events import CATEGORIES, EVENT_HEADER_SIZE, EVENTS_BY_VERSION
from tart.protocol.primitives import ByteEnum, encode_natural
from tart.protocol.readers import NUL_SYMBOL


def _encoding_notes():
    naturals = ", ".join(
        f"{value} → `{encode_natural(value).hex(' ')}`" for value in (127, 128, 200, 512, 16384)
    )
    era = JAM_COMMON_ERA.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"""## Encoding

- **Framing.** Every message is its size as a little-endian `u32`, then the message. The first
  message of a connection is the [node information](#node-information-message); every other
  message is an [event](#event-messages).
- **Integers** `u8`, `u16`, `u32`, `u64` are fixed-width little-endian. Sizes below are in bytes.
- **`len++`** lengths (of `len++[T]` sequences and `String<N>`) are GP general natural numbers,
  1 to 9 bytes, **not LEB128**; the two agree only below 128. A non-canonical encoding (such as
  LEB128's `80 01` for 128) is an error. Examples:
  {naturals}.
- **`bool`** and the tag of **`Option<T>`** are one byte, 0 or 1; any other byte is an error.
- **`String<N>`** is at most N bytes of valid UTF-8. In the decoded JSON a NUL character shows
  as `{NUL_SYMBOL}` (U+2400 SYMBOL FOR NULL), because PostgreSQL's JSONB cannot store U+0000;
  encoding turns U+2400 back into NUL.
- **Byte arrays** (hashes, peer IDs, VRF outputs, bitfields) decode to `0x` lowercase hex strings.
- **Peer Address** decodes to `{{"address": "<IPv6 text>", "port": n}}`; an IPv4-mapped address
  (`::ffff:a.b.c.d`) shows as plain IPv4 `a.b.c.d`, and encodes back to the mapped form.
- **Enumerations** decode to the names in their tables below; numbers are JSON numbers (a `u64`
  exactly); `[u8; C]` is a list of numbers.
- **C** is the core count from the connection's JAM Parameters (`core_count`); it sizes event
  10's `[u8; C]` and event 126's `[u8; ceil(C/8)]`.
- **Timestamps** are microseconds since the JAM Common Era, {era}.
- **Exactness.** A message must be consumed exactly: leftover bytes are an error."""


def _types_section():
    simple = [con for con in DOCUMENTED_TYPES if not is_section_type(con)]
    rows = [
        (f"`{con.name}`", type_cell(*type_text(con.subcon)), size_cell(con), cell(con.docs))
        for con in simple
    ]
    parts = [
        "## Types",
        "The spec's named types; compound types and enumerations follow.",
        markdown_table(("type", "definition", "size (bytes)", "meaning"), rows),
    ]
    for con in DOCUMENTED_TYPES:
        if is_section_type(con):
            parts.append(_type_section(con))
    return "\n\n".join(parts)


def _type_section(con):
    definition = base(con)
    heading = f"### {con.name}"
    if isinstance(definition, ByteEnum):
        rows = [(str(value), f"`{name}`") for value, name in sorted(definition.names.items())]
        return "\n\n".join([heading, "A single byte:", markdown_table(("value", "name"), rows)])
    return "\n\n".join(
        [heading, size_line(measure(con)), markdown_table(FIELD_HEADER, field_rows(definition))]
    )


def _node_information_section():
    records = list(PARAMETER_LAYOUTS.values())
    sizes = ", ".join(
        f"{bytes_text(measure(record))} with GP {layout} parameters"
        for layout, record in PARAMETER_LAYOUTS.items()
    )
    parts = [
        "## Node information message",
        "The first message on every connection. JAM Parameters carry no length and two layouts "
        "are in use; the decoder takes the layout that leaves a valid message, and where both "
        "do, the one that `gp_version` names (below 0.8: the GP 0.7 layout).",
        f"**Size:** {sizes} (variable).",
        markdown_table(FIELD_HEADER, merged_rows(records)),
    ]
    for layout in JAM_PARAMETERS.values():
        parts += [
            f"### {layout.name}",
            size_line(measure(layout)),
            markdown_table(FIELD_HEADER, field_rows(base(layout))),
        ]
    return "\n\n".join(parts)


def _event_heading(discriminator, event, version=None):
    shown = f" (protocol version {version})" if version is not None else ""
    return f"{discriminator}: {event.title}{shown} — `{event.event_name}`"


def _event_definitions():
    """(discriminator, protocol version or None, event), with both shapes of a changed event."""
    for discriminator, event in EVENTS_BY_VERSION[0].items():
        shapes = {version: table[discriminator] for version, table in EVENTS_BY_VERSION.items()}
        if all(shape is event for shape in shapes.values()):
            yield discriminator, None, event
        else:
            for version, shape in shapes.items():
                yield discriminator, version, shape


# Events shown as bytes and as the JSON the decoder makes of them.
_EXAMPLE_TIME = jam_timestamp(datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC))
_EXAMPLES = [
    {"BestBlockChanged": {"slot": 1234, "hash": "0x" + "ab" * 32}},
    {
        "Disconnected": {
            "peer_id": "0x" + "3b" * 32,
            "terminator": "Remote",
            "reason": "stream reset\x00",
        }
    },
    {
        "WorkPackageReceived": {
            "submission_or_share_id": 41,
            "core": 3,
            "outline": {
                "size": 2048,
                "hash": "0x" + "77" * 32,
                "anchor": "0x" + "a1" * 32,
                "lookup_anchor_slot": 1230,
                "prerequisites": [],
                "items": [
                    {
                        "service": 7,
                        "payload_size": 96,
                        "refine_gas_limit": 5_000_000,
                        "accumulate_gas_limit": 100_000,
                        "extrinsics_size": 0,
                        "imports": [{"root": "0x" + "5e" * 32, "export_index": 2}],
                        "num_exports": 1,
                    }
                ],
            },
        }
    },
]
_EXAMPLE_CORES = 2


def _events_intro():
    header = [
        ("`timestamp`", "`Timestamp`", "8", "Time of the event"),
        ("`discriminator`", "`u8`", "1", "Which event follows"),
    ]
    parts = [
        "## Event messages",
        "Every event message is a Timestamp and a one-byte discriminator, then the event's "
        f"fields. Each table below lists the fields; the message size includes these "
        f"{EVENT_HEADER_SIZE} bytes.",
        markdown_table(FIELD_HEADER, header),
        "Events are numbered implicitly: the first event of a connection is ID 0; the event after "
        "a Dropped event carrying N has that event's ID + N, any other + 1. A message that does "
        "not decode still takes an ID. Protocol version 1 differs from version 0 only in event 61.",
        "### JSON examples",
        f"The decoder returns `{{name: fields}}`. Decoded from the messages shown "
        f"(C = {_EXAMPLE_CORES}):",
    ]
    for data in _EXAMPLES:
        message = encode_event(data, _EXAMPLE_TIME, 0, _EXAMPLE_CORES)
        decoded = EventDecoder(0, _EXAMPLE_CORES).decode(message)
        hex_lines = [message[i : i + 32].hex(" ") for i in range(0, len(message), 32)]
        parts.append(f"`{decoded.name}`, a {len(message)}-byte message:")
        parts.append("```\n" + "\n".join(hex_lines) + "\n```")
        parts.append("```json\n" + json.dumps(decoded.data, indent=2, ensure_ascii=False) + "\n```")
    return "\n\n".join(parts)


def _event_section(discriminator, version, event):
    size = measure(event)
    return "\n\n".join(
        [
            f"### {_event_heading(discriminator, event, version)}",
            event.emitted,
            size_line(size, EVENT_HEADER_SIZE),
            markdown_table(FIELD_HEADER, field_rows(event)),
            *([f"**Note.** {event.note}"] if event.note else []),
        ]
    )


def _contents():
    lines = [
        "## Contents",
        "",
        "- [Encoding](#encoding) · [Types](#types) · "
        "[Node information message](#node-information-message) · "
        "[Event messages](#event-messages)",
    ]
    definitions = list(_event_definitions())
    for category in CATEGORIES:
        links = [
            f"[{d}{'' if v is None else f' (v{v})'} {e.event_name}]"
            f"(#{anchor(_event_heading(d, e, v))})"
            for d, v, e in definitions
            if d in category.discriminators
        ]
        heading = category.heading
        lines.append(f"- [{heading}](#{anchor(heading)}): " + (", ".join(links) or "none yet"))
    return "\n".join(lines)


def render() -> str:
    """The whole of docs/PROTOCOL.md."""
    parts = [
        "# JIP-3 protocol reference",
        "Every JIP-3 message as TART decodes it, generated by `tart spec` from the construct "
        "definitions in `tart/protocol/` (`types.py`, `node_information.py`, `events/`). "
        "Do not edit by hand: run `tart spec > docs/PROTOCOL.md`.",
        _contents(),
        _encoding_notes(),
        _types_section(),
        _node_information_section(),
        _events_intro(),
    ]
    definitions = list(_event_definitions())
    for category in CATEGORIES:
        parts.append(f"## {category.heading}")
        events = [_event_section(*d) for d in definitions if d[0] in category.discriminators]
        parts += events or ["TODO in the spec: no events defined yet."]
    return "\n\n".join(parts) + "\n"
