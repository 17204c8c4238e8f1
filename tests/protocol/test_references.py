"""Which earlier events an event's Event ID fields may name is read off the definitions."""

import re

import pytest

from tart.protocol import EVENTS_BY_VERSION, REFERENCES_BY_VERSION


def test_references_name_the_kinds_the_spec_quotes():
    v0, v1 = REFERENCES_BY_VERSION[0], REFERENCES_BY_VERSION[1]
    assert v0[22] == {"connecting_id": {21}}
    assert v0[26] == {"connecting_id": {24}}
    assert v0[47] == {"authoring_or_importing_id": {40, 43}}
    assert v0[92] == {"submission_or_share_id": {90, 91}}
    assert v0[106] == {"built_id": {105}}
    # Version 1's event 61 names the stream by the event that opened it; version 0's by peer.
    assert 61 not in v0
    assert v1[61] == {"opened_id": {60}}
    # "TODO, should reference auditing event": no kind to check against yet.
    assert 140 not in v0 and 146 not in v0
    assert v0[142] == {"request_id": {140, 141}}


@pytest.mark.parametrize("version", [0, 1])
def test_every_field_documented_as_a_reference_is_one(version):
    table = EVENTS_BY_VERSION[version]
    by_heading = {event.title.lower(): d for d, event in table.items()}
    documented = {}
    for discriminator, event in table.items():
        for field in event.subcons:
            doc = field.docs or ""
            if doc.startswith("ID of the corresponding"):
                kinds = {by_heading[title] for title in re.findall(r'"([^"]+)"', doc)}
                documented.setdefault(discriminator, {})[field.name] = kinds
    assert REFERENCES_BY_VERSION[version] == documented
    assert sum(len(fields) for fields in documented.values()) == 72 + version
