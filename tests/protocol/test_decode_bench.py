"""bench/decode.py measures decoding of what it encoded; checked for correctness, never timing."""

import importlib.util

from tart.protocol import EventDecoder
from tests.support.procs import REPO


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_decode", REPO / "bench" / "decode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_frame_of_the_mix_decodes_to_what_was_encoded():
    bench = load_bench()
    mix = bench.build_mix(slots=1)
    assert set(mix) == set(bench.SLOT_MIX)
    decoder = EventDecoder(bench.PROTOCOL_VERSION, bench.CORE_COUNT)
    for name, frames in mix.items():
        assert len(frames) == bench.SLOT_MIX[name]
        for data, message in frames:
            decoded = decoder.decode(message)
            assert decoded.name == name
            assert decoded.data == data
    status = mix["Status"][0][0]["Status"]
    assert len(status["num_guarantees"]) == 341
    received = mix["WorkPackageReceived"][0][0]["WorkPackageReceived"]["outline"]
    assert len(received["items"]) == 2 and all(item["imports"] for item in received["items"])


def test_a_short_run_counts_every_kind_in_its_share():
    bench = load_bench()
    mix = bench.build_mix(slots=1)
    bench.check(mix)
    result = bench.measure(mix, seconds=0.2)
    per_slot = sum(bench.SLOT_MIX.values())
    assert result["events"] > 0 and result["events"] % per_slot == 0
    for kind in result["mix"]:
        assert kind["share"] == bench.SLOT_MIX[kind["event"]] / per_slot
    assert "events/s per core; target ≥ 150,000" in bench.report(result)
