"""How one connection's frames conform to JIP-3, and the report that says so.

A :class:`Checker` is fed the frames of one connection in order: the node information, then
events. It decodes them with the codec the service uses (so it fails exactly the frames the
service would keep in ``decode_errors``), numbers them as JIP-3 says, and checks that every
"ID of the corresponding … event" names an earlier event of a kind the spec allows.
"""

from tart.check.tallies import Kind, KindsById, References, totals
from tart.protocol import (
    DEFINED_FLAGS,
    EVENTS_BY_VERSION,
    REFERENCES_BY_VERSION,
    DecodeError,
    EventDecoder,
    EventNumbering,
    decode_node_information,
)
from tart.protocol.codec import PARAMETER_LAYOUTS, layout_of_gp_version
from tart.protocol.diagnosis import diagnose_event, diagnose_node_information

# Distinct failures tracked (and diagnosed) per kind; beyond this a long live run only counts
# frames as invalid.
_MAX_FAILURES = 256
# Dropped events listed by the report (all are counted).
_DROPPED_LISTED = 10
# The kind recorded for an ID whose frame did not decode.
_UNDECODED = -1


class Checker:
    """The conformance of one connection, frame by frame; :meth:`report` sums it up."""

    def __init__(self, source):
        self.source = source
        self.frames = 0
        self.node_information = None
        self.framing = None
        self.unchecked = 0  # frames after a node information that did not decode
        self._decoder = None
        self._names = {}
        self._references = {}
        self._numbering = EventNumbering()
        self._kinds_by_id = KindsById()
        self._kinds = {}
        self._reference_tallies = {}
        self._dropped = []
        self._dropped_events = 0
        self._ids_dropped = 0
        self._numbering_problems = []

    # -----------------------------------------------------------------------------------------
    # Feeding
    # -----------------------------------------------------------------------------------------
    def feed(self, offset, message):
        """Check the next frame (``offset``: where its size starts in the capture). Returns what
        is new and worth saying at once: findings for a live report."""
        index = self.frames
        self.frames += 1
        if index == 0:
            return [self._node_information(offset, message)]
        if self._decoder is None:
            self.unchecked += 1
            return []
        return self._event(index, offset, message)

    def framing_error(self, error):
        """The stream could not be split into frames after the last one fed."""
        self.framing = {"capture_offset": error.offset, "reason": error.reason}
        return [{"type": "framing", **self.framing}]

    def _node_information(self, offset, message):
        try:
            info = decode_node_information(message)
        except DecodeError as error:
            self.node_information = {
                "valid": False,
                "capture_offset": offset,
                "size": len(message),
                "error": _error(
                    error, message, 0, offset, None, diagnose_node_information(message)
                ),
            }
            return {"type": "node_information", **self.node_information}
        fields = info.fields
        version = info.protocol_version
        self._decoder = EventDecoder(version, info.core_count)
        self._names = {d: event.event_name for d, event in EVENTS_BY_VERSION[version].items()}
        self._references = REFERENCES_BY_VERSION[version]
        self.node_information = {
            "valid": True,
            "capture_offset": offset,
            "size": len(message),
            "protocol_version": version,
            "params_layout": info.params_layout,
            "params_bytes": PARAMETER_LAYOUTS[info.params_layout].params.sizeof(),
            "fitting_layouts": list(info.fitting_layouts),
            "core_count": info.core_count,
            "implementation_name": fields["implementation_name"],
            "implementation_version": fields["implementation_version"],
            "gp_version": fields["gp_version"],
            "peer_id": fields["peer_id"],
            "peer_address": fields["peer_address"],
            "flags": fields["flags"],
            "note": fields["note"],
            "warnings": _node_warnings(info),
        }
        return {"type": "node_information", **self.node_information}

    def _event(self, index, offset, message):
        try:
            event = self._decoder.decode(message)
        except DecodeError as error:
            event_id = self._numbering.assign()
            self._kinds_by_id.add(event_id, _UNDECODED)
            return self._invalid(error.discriminator, error, message, index, offset, event_id)
        event_id = self._numbering.assign(event.dropped)
        kind = event.discriminator
        self._kinds_by_id.add(event_id, kind)
        self._kind(kind).valid += 1
        findings = []
        if event.dropped is not None:
            findings += self._dropped_event(index, event_id, event.dropped)
        for field, expected in self._references.get(kind, {}).items():
            finding = self._check_reference(
                kind, field, expected, event.fields[field], index, event_id
            )
            if finding:
                findings.append(finding)
        return findings

    def _invalid(self, kind, error, message, index, offset, event_id):
        tally = self._kind(kind)
        tally.invalid += 1
        key = (error.field_path, error.offset, error.reason)
        failure = tally.failures.get(key)
        if failure is not None:
            failure[0] += 1
            return []
        if len(tally.failures) == _MAX_FAILURES:
            return []
        decoder = self._decoder
        hint = diagnose_event(message, decoder.protocol_version, decoder.core_count)
        tally.failures[key] = [1, index, hint]
        found = _error(error, message, index, offset, event_id, hint)
        if tally.first_error is None:
            tally.first_error = found
        return [{"type": "invalid", "discriminator": kind, "name": tally.name, **found}]

    def _dropped_event(self, index, event_id, count):
        self._dropped_events += 1
        self._ids_dropped += count
        if len(self._dropped) < _DROPPED_LISTED:
            self._dropped.append({"frame": index, "event_id": event_id, "count": count})
        if count:
            return []
        problem = {
            "frame": index,
            "event_id": event_id,
            "reason": f"Dropped event with count 0: the next event takes the same ID {event_id}",
        }
        self._numbering_problems.append(problem)
        return [{"type": "numbering", **problem}]

    def _check_reference(self, kind, field, expected, target, index, event_id):
        tally = self._reference_tallies.get((kind, field))
        if tally is None:
            tally = self._reference_tallies[(kind, field)] = References(expected)
        tally.checked += 1
        if target >= event_id:
            found, reason = None, f"names ID {target}, which is not earlier than its own ID"
        else:
            found = self._kinds_by_id.get(target)
            if found is None or found == _UNDECODED:
                # Inside a Dropped event's IDs, or a frame that did not decode: what it was
                # cannot be told (its failure is reported already).
                tally.unresolvable += 1
                return None
            if found in expected:
                tally.right += 1
                return None
            reason = f"names ID {target}, {_a(self._name(found))} ({found})"
        tally.wrong += 1
        if tally.first_wrong is not None:
            return None
        tally.first_wrong = {
            "frame": index,
            "event_id": event_id,
            "refers_to": target,
            "found": None if found is None else {"discriminator": found, "name": self._name(found)},
            "reason": reason,
        }
        return {"type": "reference", **self._reference_entry(kind, field, tally)}

    def _kind(self, discriminator):
        tally = self._kinds.get(discriminator)
        if tally is None:
            tally = self._kinds[discriminator] = Kind(discriminator, self._name(discriminator))
        return tally

    def _name(self, discriminator):
        return self._names.get(discriminator)

    # -----------------------------------------------------------------------------------------
    # The report
    # -----------------------------------------------------------------------------------------
    @property
    def ok(self):
        return (
            self.node_information is not None
            and self.node_information["valid"]
            and self.framing is None
            and not self._numbering_problems
            and all(tally.invalid == 0 for tally in self._kinds.values())
            and all(tally.wrong == 0 for tally in self._reference_tallies.values())
        )

    def report(self):
        """Everything found, JSON-ready (what ``tart check --json`` prints)."""
        kinds = [
            self._kinds[d].entry() for d in sorted(self._kinds, key=lambda d: (d is None, d or 0))
        ]
        references = [
            self._reference_entry(kind, field, tally)
            for (kind, field), tally in sorted(self._reference_tallies.items())
        ]
        protocol = (
            EVENTS_BY_VERSION[self.node_information["protocol_version"]]
            if self._decoder is not None
            else {}
        )
        return {
            "source": self.source,
            "ok": self.ok,
            "frames": self.frames,
            "node_information": self.node_information,
            "unchecked_frames": self.unchecked,
            "framing": self.framing,
            "totals": totals(kinds),
            "kinds": kinds,
            "kinds_not_seen": sorted(set(protocol) - set(self._kinds)),
            "numbering": {
                "next_id": self._numbering.next_id,
                "dropped_events": self._dropped_events,
                "ids_dropped": self._ids_dropped,
                "dropped": self._dropped,
                "problems": self._numbering_problems,
            },
            "references": {
                "checked": sum(entry["checked"] for entry in references),
                "right": sum(entry["right"] for entry in references),
                "wrong": sum(entry["wrong"] for entry in references),
                "unresolvable": sum(entry["unresolvable"] for entry in references),
                "fields": references,
            },
        }

    def _reference_entry(self, kind, field, tally):
        return {
            "discriminator": kind,
            "name": self._name(kind),
            "field": field,
            "expected": [
                {"discriminator": d, "name": self._name(d)} for d in sorted(tally.expected)
            ],
            "checked": tally.checked,
            "right": tally.right,
            "wrong": tally.wrong,
            "unresolvable": tally.unresolvable,
            "first_wrong": tally.first_wrong,
        }


def _error(error, message, index, offset, event_id, hint):
    return {
        "frame": index,
        "event_id": event_id,
        "capture_offset": offset,
        "field_path": error.field_path,
        "byte_offset": error.offset,
        "reason": error.reason,
        "hint": hint,
        "raw": "0x" + message.hex(),
    }


def _node_warnings(info):
    fields = info.fields
    warnings = []
    if len(info.fitting_layouts) > 1:
        warnings.append(
            f"the message is valid with JAM Parameters in either layout; TART reads the GP "
            f"{info.params_layout} layout because gp_version is {fields['gp_version']!r}"
        )
    elif layout_of_gp_version(fields["gp_version"]) != info.params_layout:
        warnings.append(
            f"JAM Parameters are in the GP {info.params_layout} layout, but gp_version is "
            f"{fields['gp_version']!r}"
        )
    if fields["flags"] & ~DEFINED_FLAGS:
        warnings.append(
            f"node flags 0x{fields['flags']:08x} set bits other than bit 0, which should be 0"
        )
    if info.core_count == 0:
        warnings.append("the core count C is 0, so per-core arrays are empty")
    return warnings


def _a(name):
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"
