-- No query reads events by (node_id, event_id): pages walk (node_id, id) and (event_type, id),
-- and a JIP-3 event id is only unique within one connection anyway. The index cost every
-- inserted row a third secondary-index insertion with a 64-character key.
DROP INDEX events_node_event_id;
