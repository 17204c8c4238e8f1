"""The conformance counts the ingest writer keeps, against the rows they count."""

import time

from tests.support.ingest import Poll

# Valid events by node and kind, from the counts and from the events.
COUNTED_VALID = (
    "SELECT node_id, k.key::int, k.value::bigint"
    " FROM known_nodes, jsonb_each_text(events_by_type) k"
)
STORED_VALID = "SELECT node_id, event_type, count(*) FROM events GROUP BY 1, 2"
# Decode errors by node, kind and failure, and the first one's id.
COUNTED_ERRORS = (
    "SELECT node_id, discriminator, field_path, byte_offset, reason, count, first_error_id"
    " FROM conformance_errors"
)
STORED_ERRORS = (
    "SELECT node_id, discriminator, field_path, byte_offset, reason, count(*), min(id)"
    " FROM decode_errors WHERE node_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
)


def wait_until_counted(url, timeout=30.0):
    """Poll until the counts equal the rows (node counters trail events by about a second);
    return (valid, errors) rows as sets, or fail showing the difference."""
    deadline = time.monotonic() + timeout
    with Poll(url) as poll:
        while True:
            valid, stored_valid, errors, stored_errors = (
                set(poll.query(sql))
                for sql in (COUNTED_VALID, STORED_VALID, COUNTED_ERRORS, STORED_ERRORS)
            )
            if valid == stored_valid and errors == stored_errors:
                return valid, errors
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"valid counted, not stored: {sorted(valid - stored_valid)[:5]}; "
                    f"stored, not counted: {sorted(stored_valid - valid)[:5]}; "
                    f"errors counted, not stored: {sorted(errors - stored_errors)[:5]}; "
                    f"stored, not counted: {sorted(stored_errors - errors)[:5]}"
                )
            time.sleep(0.1)
