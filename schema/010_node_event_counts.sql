-- Per-node counts for /metrics/nodes: events stored by type ({"11": 1234, ...}, keyed by JIP-3
-- discriminator) and frames that did not decode. The ingest writer adds to them with the other
-- node counters, about once a second. Both start at the upgrade: counting the stored events by
-- type would read the whole events table here. Adding columns with a constant default rewrites
-- no row.
ALTER TABLE nodes ADD COLUMN events_by_type jsonb NOT NULL DEFAULT '{}',
                  ADD COLUMN events_undecodable bigint NOT NULL DEFAULT 0;

