"""docs/PROTOCOL.md: current, complete, and saying what the definitions say."""

import difflib
import importlib
import re
import subprocess

import pytest
from construct import Renamed

from tart.protocol import EVENTS, EVENTS_BY_VERSION
from tart.protocol.composites import Record, Vec
from tart.protocol.doc_tables import DOCUMENTED_TYPES, JAM_PARAMETERS
from tart.protocol.docs import render
from tart.protocol.events import CATEGORIES, Event
from tart.protocol.primitives import ByteEnum
from tests.support.procs import REPO, tart

CHECKED_IN = REPO / "docs" / "PROTOCOL.md"


@pytest.fixture(scope="module")
def doc():
    return render()


@pytest.fixture(scope="module")
def sections(doc):
    """Heading text → the lines under it, up to the next heading."""
    found, body = {}, None
    for line in doc.splitlines():
        if line.startswith("#"):
            body = found.setdefault(line.lstrip("#").strip(), [])
        elif body is not None:
            body.append(line)
    return {heading: "\n".join(lines) for heading, lines in found.items()}


def test_checked_in_docs_are_what_tart_spec_prints():
    result = subprocess.run(tart("spec"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    checked_in = CHECKED_IN.read_text()
    if result.stdout != checked_in:
        diff = difflib.unified_diff(
            checked_in.splitlines(True),
            result.stdout.splitlines(True),
            "docs/PROTOCOL.md",
            "tart spec",
        )
        pytest.fail(
            "docs/PROTOCOL.md is stale: run `tart spec > docs/PROTOCOL.md`\n"
            + "".join(list(diff)[:30]),
            pytrace=False,
        )


def test_sections_cover_every_event_once_in_spec_order():
    listed = [d for category in CATEGORIES for d in category.discriminators]
    assert listed == sorted(EVENTS)


def test_each_event_is_in_the_category_of_the_module_defining_it():
    for category in CATEGORIES:
        if not category.discriminators:  # a section the spec has not written yet
            continue
        module = importlib.import_module(f"tart.protocol.events.{category.key}")
        defined = [value for value in vars(module).values() if isinstance(value, Event)]
        assert {event.category for event in defined} == {category}
    for events in EVENTS_BY_VERSION.values():
        assert all(d in event.category.discriminators for d, event in events.items())


def field_rows(record, prefix=""):
    """The field names the docs must list for a record, inline records as dotted names."""
    for sc in record.subcons:
        name = prefix + sc.name
        yield name
        con = sc
        while isinstance(con, Renamed) and con.name == sc.name:
            con = con.subcon
        if isinstance(con, Vec) and isinstance(con.subcon, Record):
            yield from field_rows(con.subcon, name + "[].")


def event_heading(discriminator, event, version):
    shown = f" (protocol version {version})" if version is not None else ""
    return f"{discriminator}: {event.title}{shown} — `{event.event_name}`"


def event_cases():
    for discriminator, event in EVENTS.items():
        shapes = {version: table[discriminator] for version, table in EVENTS_BY_VERSION.items()}
        if all(shape is event for shape in shapes.values()):
            yield discriminator, None, event
        else:
            yield from ((discriminator, version, shape) for version, shape in shapes.items())


def test_every_event_has_a_heading_and_a_row_per_field(sections):
    cases = list(event_cases())
    assert len(cases) == 116  # 115 events, event 61 twice
    for discriminator, version, event in cases:
        body = sections[event_heading(discriminator, event, version)]
        for name in field_rows(event):
            assert f"\n| `{name}` |" in body, (event.event_name, name)


def test_event_61_is_shown_in_both_protocol_versions(sections):
    v0 = sections[
        "61: Block announcement stream closed (protocol version 0) — "
        "`BlockAnnouncementStreamClosed`"
    ]
    v1 = sections[
        "61: Block announcement stream closed (protocol version 1) — "
        "`BlockAnnouncementStreamClosed`"
    ]
    assert "| `peer_id` |" in v0 and "| `opened_id` |" not in v0
    assert "| `opened_id` |" in v1 and "| `peer_id` |" not in v1


def test_every_type_has_its_fields_or_values(sections):
    for con in DOCUMENTED_TYPES + list(JAM_PARAMETERS.values()):
        base = con
        while isinstance(base, Renamed):
            base = base.subcon
        if isinstance(base, Record):
            for name in field_rows(base):
                assert f"\n| `{name}` |" in sections[con.name], (con.name, name)
        elif isinstance(base, ByteEnum):
            for value, name in base.names.items():
                assert f"\n| {value} | `{name}` |" in sections[con.name], (con.name, name)
        else:
            assert f"\n| `{con.name}` |" in sections["Types"], con.name


def test_stated_sizes_agree_with_construct(sections):
    for discriminator, version, event in event_cases():
        body = sections[event_heading(discriminator, event, version)]
        size_line = next(line for line in body.splitlines() if line.startswith("**Size:**"))
        if "≥" in size_line:
            continue
        fields = re.search(r"fields (\d+)( \+ C| \+ ceil\(C/8\))? bytes?", size_line)
        assert fields, size_line
        cores = 341
        per_core = {None: 0, " + C": cores, " + ceil(C/8)": (cores + 7) // 8}[fields[2]]
        expected = int(fields[1]) + per_core
        assert event.sizeof(C=cores) == expected, (event.event_name, size_line)
    status = sections["10: Status — `Status`"]
    assert "**Size:** fields 32 + C bytes, message 41 + C bytes." in status
    assert "**Size:** 134 bytes." in sections["JAM Parameters (GP 0.7, 134 bytes)"]
    assert "**Size:** 122 bytes." in sections["JAM Parameters (GP 0.8, 122 bytes)"]


def test_tables_have_four_cells_and_links_reach_headings(doc, sections):
    for line in doc.splitlines():
        if line.startswith("| `") and not re.match(r"\| \d+ \|", line):
            assert len(re.split(r"(?<!\\)\|", line)) == 6, line  # 4 cells between 5 bars
    anchors = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in sections}
    links = set(re.findall(r"\]\(#([^)]+)\)", doc))
    assert links and links <= anchors, links - anchors


def test_encoding_notes_and_json_examples(sections):
    notes = sections["Encoding"]
    assert "`80 80`" in notes and "not LEB128" in notes
    assert "U+2400" in notes and "IPv4-mapped" in notes
    examples = sections["JSON examples"]
    assert '"BestBlockChanged": {\n    "slot": 1234,' in examples
    assert '"reason": "stream reset\u2400"' in examples


def test_every_event_says_when_it_is_emitted_and_the_docs_tell_it():
    docs = CHECKED_IN.read_text()
    for events in EVENTS_BY_VERSION.values():
        for discriminator, event in events.items():
            assert event.number == discriminator
            assert event.emitted.endswith((".", ":")) and len(event.emitted) > 20, event.title
            assert event.emitted in docs
            if event.note:
                assert f"**Note.** {event.note}" in docs
