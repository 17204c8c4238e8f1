-- Per-node counts for /metrics/nodes: events stored by type ({"11": 1234, ...}, keyed by JIP-3
-- discriminator) and frames that did not decode. The ingest writer adds to them with the other
-- node counters, about once a second. Both start at the upgrade: counting the stored events by
-- type would read the whole events table here. Adding columns with a constant default rewrites
-- no row.
ALTER TABLE nodes ADD COLUMN events_by_type jsonb NOT NULL DEFAULT '{}',
                  ADD COLUMN events_undecodable bigint NOT NULL DEFAULT 0;

-- The sum of two such count objects, key by key.
CREATE FUNCTION tart_add_counts(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, total), '{}')
    FROM (SELECT key, sum(value::bigint) AS total
          FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS counts
          GROUP BY key) AS sums
$$;
