"""build → parse → equal, for every message of both protocol versions."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tart.protocol import (
    EVENTS_BY_VERSION,
    EventDecoder,
    decode_node_information,
    encode_event,
    encode_node_information,
)
from tart.protocol.codec import PARAMETER_LAYOUTS
from tests.support.strategies import CORE_COUNTS, values

EVENT_CASES = [
    (version, discriminator)
    for version, table in EVENTS_BY_VERSION.items()
    for discriminator in table
]
SLOW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_event_of_the_spec_is_defined():
    expected = [
        0,
        *range(10, 14),
        *range(20, 29),
        *range(40, 48),
        *range(60, 69),
        *range(80, 85),
        *range(90, 114),
        *range(120, 132),
        *range(140, 154),
        *range(160, 179),
        *range(190, 200),
    ]
    assert len(expected) == 115
    for table in EVENTS_BY_VERSION.values():
        assert sorted(table) == expected
    assert len({event.event_name for event in EVENTS_BY_VERSION[0].values()}) == 115


@pytest.mark.parametrize("version,discriminator", EVENT_CASES)
@SLOW
@given(data=st.data(), cores=st.sampled_from(CORE_COUNTS), timestamp=st.integers(0, (1 << 64) - 1))
def test_event_round_trip(version, discriminator, data, cores, timestamp):
    event = EVENTS_BY_VERSION[version][discriminator]
    fields = data.draw(values(event, cores))
    message = encode_event({event.event_name: fields}, timestamp, version, cores)
    decoded = EventDecoder(version, cores).decode(message)
    # The interpreter (used to explain bad frames) must agree with the compiled parser.
    assert event.parse(message[9:], C=cores) == fields
    assert decoded.discriminator == discriminator
    assert decoded.name == event.event_name
    assert decoded.timestamp == timestamp
    assert decoded.data == {event.event_name: fields}


@pytest.mark.parametrize("layout", sorted(PARAMETER_LAYOUTS))
@SLOW
@given(data=st.data())
def test_node_information_round_trip(layout, data):
    fields = data.draw(values(PARAMETER_LAYOUTS[layout], 1))
    # The GP version string decides only where both layouts fit; make it agree with the layout.
    fields["gp_version"] = {"0.7": "0.7.2", "0.8": "0.8.0"}[layout]
    decoded = decode_node_information(encode_node_information(fields, layout))
    assert decoded.params_layout == layout
    assert decoded.fields == fields
    assert decoded.core_count == fields["params"]["core_count"]
