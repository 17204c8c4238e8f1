"""Running the real `tart check` on captures, and the reports it should give."""

import json
import subprocess

from tart.protocol import EVENTS_BY_VERSION
from tests.support.captures import PEER
from tests.support.procs import tart


def check(path_or_dash, *options, stdin=None):
    """`tart check CAPTURE OPTIONS…`: (exit status, stdout)."""
    result = subprocess.run(
        tart("check", str(path_or_dash), *options),
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert not result.stderr, result.stderr.decode()
    return result.returncode, result.stdout.decode()


def check_json(path):
    """`tart check CAPTURE --json`: (exit status, report)."""
    status, output = check(path, "--json")
    return status, json.loads(output)


def node_information_entry(capture, **changes):
    """The report's node information for a capture made by tests.support.captures.Capture."""
    info = capture.info
    layout = "0.7" if "validator_count" in info["params"] else "0.8"
    return {
        "valid": True,
        "capture_offset": 0,
        "size": len(capture.messages[0]),
        "protocol_version": capture.protocol_version,
        "params_layout": layout,
        "params_bytes": {"0.7": 134, "0.8": 122}[layout],
        "fitting_layouts": [layout],
        "core_count": capture.core_count,
        "implementation_name": "tartnode",
        "implementation_version": "0.1.0",
        "gp_version": info["gp_version"],
        "peer_id": PEER,
        "peer_address": {"address": "127.0.0.1", "port": 30333},
        "flags": 1,
        "note": "",
        "warnings": [],
        **changes,
    }


def kind(discriminator, frames, invalid=0, errors=(), first_error=None, version=0):
    """A report's entry for one kind; ``errors`` as (field, offset, reason, hint, count, first
    frame)."""
    return {
        "discriminator": discriminator,
        "name": EVENTS_BY_VERSION[version][discriminator].event_name
        if discriminator in EVENTS_BY_VERSION[version]
        else None,
        "frames": frames,
        "valid": frames - invalid,
        "invalid": invalid,
        "errors": [
            {
                "field_path": field_path,
                "byte_offset": byte_offset,
                "reason": reason,
                "hint": hint,
                "count": count,
                "first_frame": first_frame,
            }
            for field_path, byte_offset, reason, hint, count, first_frame in errors
        ],
        "distinct_errors": len(errors),
        "first_error": first_error,
    }


def first_error(capture, frame, event_id, field_path, byte_offset, reason, hint=None):
    return {
        "frame": frame,
        "event_id": event_id,
        "capture_offset": sum(4 + len(message) for message in capture.messages[:frame]),
        "field_path": field_path,
        "byte_offset": byte_offset,
        "reason": reason,
        "hint": hint,
        "raw": "0x" + capture.messages[frame].hex(),
    }


def report(capture, path, ok, kinds, references=(), numbering=None, **changes):
    """The whole report of a capture whose node information is valid."""
    seen = {entry["discriminator"] for entry in kinds}
    references = list(references)
    return {
        "source": str(path),
        "ok": ok,
        "frames": len(capture.messages),
        "node_information": node_information_entry(capture),
        "unchecked_frames": 0,
        "framing": None,
        "totals": {
            "events": sum(entry["frames"] for entry in kinds),
            "valid": sum(entry["valid"] for entry in kinds),
            "invalid": sum(entry["invalid"] for entry in kinds),
            "kinds_seen": len(kinds),
            "kinds_invalid": sum(1 for entry in kinds if entry["invalid"]),
        },
        "kinds": kinds,
        "kinds_not_seen": sorted(set(EVENTS_BY_VERSION[capture.protocol_version]) - seen),
        "numbering": numbering
        or {
            "next_id": len(capture.messages) - 1,
            "dropped_events": 0,
            "ids_dropped": 0,
            "dropped": [],
            "problems": [],
        },
        "references": {
            "checked": sum(entry["checked"] for entry in references),
            "right": sum(entry["right"] for entry in references),
            "wrong": sum(entry["wrong"] for entry in references),
            "unresolvable": sum(entry["unresolvable"] for entry in references),
            "fields": references,
        },
        **changes,
    }


def reference(
    discriminator, field, expected, checked, right=0, wrong=0, unresolvable=0, first=None
):
    names = {d: event.event_name for d, event in EVENTS_BY_VERSION[0].items()}
    return {
        "discriminator": discriminator,
        "name": names[discriminator],
        "field": field,
        "expected": [{"discriminator": d, "name": names[d]} for d in expected],
        "checked": checked,
        "right": right,
        "wrong": wrong,
        "unresolvable": unresolvable,
        "first_wrong": first,
    }
