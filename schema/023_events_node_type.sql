-- A node's latest events of some types (/api/events?node_id=…&event_type=…): without it the
-- walk down events_node_latest reads every event of the node until enough of a rare type
-- turn up (~590 ms for a type of 1 in 80 on 10 M events). Its ingest cost is measured in
-- docs/PERFORMANCE.md.
CREATE INDEX events_node_type_latest ON events (node_id, event_type, id DESC);
