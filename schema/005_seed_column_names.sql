-- The seed README's SQL (and the Rust TART's users' queries) read events.timestamp and
-- events.created_at. Renaming is a catalogue change only: no row is rewritten.
ALTER TABLE events RENAME COLUMN node_time TO "timestamp";  -- the node's time of the event
ALTER TABLE events RENAME COLUMN received_at TO created_at;  -- when TART received it
