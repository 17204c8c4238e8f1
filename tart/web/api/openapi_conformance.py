"""The conformance endpoints in the OpenAPI document (tart.web.api.openapi): their parameters
and the JSON they answer."""

from tart.check.tallies import TOP_ERRORS
from tart.web.api.openapi_schemas import nullable, ref, shape

IMPLEMENTATION_PATH = [
    {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The implementation {name} of the nodes' node information (URL-encoded).",
        "schema": {"type": "string"},
    }
    for name in ("name", "version")
]
CONFORMANCE = (
    "Read from counts kept as events and decode errors are stored, so it outlives retention; "
    "valid events are counted about a second late. A node's counts go with its latest node "
    "information. `totals` and `kinds` are those of `tart check --json`."
)

_COUNTS = ("events", "valid", "invalid", "kinds_seen", "kinds_invalid")
SCHEMAS = {
    "Implementation": shape(
        {
            "implementation_name": nullable("string"),
            "implementation_version": nullable("string"),
            "nodes": {"type": "integer", "description": "Nodes that report this version."},
            "events": {"type": "integer", "description": "Events stored (frames that decoded)."},
            "decode_errors": {"type": "integer", "description": "Event frames that did not."},
            "kinds_seen": {"type": "integer", "description": "Discriminators of either."},
            "kinds_with_errors": {"type": "integer"},
        }
    ),
    "Conformance": shape(
        {
            "totals": shape({name: {"type": "integer"} for name in _COUNTS}),
            "kinds": {
                "type": "array",
                "description": "By discriminator; null (frames too short for one) last.",
                "items": shape(
                    {
                        "discriminator": nullable("integer"),
                        "name": nullable("string", description="null: not a JIP-3 event"),
                        "frames": {"type": "integer"},
                        "valid": {"type": "integer"},
                        "invalid": {"type": "integer"},
                        "errors": {
                            "type": "array",
                            "description": f"The {TOP_ERRORS} most frequent distinct failures "
                            f"(field, offset, reason); of equally frequent ones, the first seen "
                            f"first.",
                            "items": shape(
                                {
                                    "field_path": nullable("string"),
                                    "byte_offset": nullable("integer"),
                                    "reason": {"type": "string"},
                                    "count": {"type": "integer"},
                                    "first_error_id": {"type": "integer"},
                                    "first_error": {
                                        **ref("DecodeError"),
                                        "nullable": True,
                                        "description": "The first such frame; null once the "
                                        "decode error is deleted.",
                                    },
                                }
                            ),
                        },
                        "distinct_errors": {"type": "integer"},
                    }
                ),
            },
        }
    ),
    "NodeConformance": {
        "allOf": [
            shape(
                {
                    "node_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "implementation_name": nullable("string"),
                    "implementation_version": nullable("string"),
                }
            ),
            ref("Conformance"),
        ]
    },
    "ImplementationConformance": {
        "allOf": [
            shape(
                {
                    "implementation_name": {"type": "string"},
                    "implementation_version": {"type": "string"},
                    "nodes": {"type": "integer"},
                }
            ),
            ref("Conformance"),
        ]
    },
}
