-- A day's partition of `events` takes rows only on its day, in id order across all nodes, so the
-- indexes on (node_id, …) get each node's next entry in the middle of the index, where a full
-- page splits in halves: they stay about half full (~185 bytes per event each with 64-character
-- node ids; bench/storage.py, docs/PERFORMANCE.md). After its day nothing is inserted any more,
-- so ingest's maintenance rebuilds the indexes of each past day once, with full pages
-- (tart/ingest/compaction.py; REINDEX CONCURRENTLY: readers are not held up), and they stay
-- compact for the rest of the retention. This table records which partitions have been rebuilt.
CREATE TABLE compacted_partitions (
    partition_name text PRIMARY KEY,
    compacted_at timestamptz NOT NULL DEFAULT now()
);

-- The partitions of days that ended more than an hour ago (the writer's queue may still hold
-- events received before midnight) and were not rebuilt yet, newest first: after an upgrade
-- the days that will be kept longest are rebuilt first.
CREATE FUNCTION tart_partitions_to_compact() RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
      AND (to_date(substr(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
          <= now() - interval '1 hour'
      AND NOT EXISTS (SELECT 1 FROM compacted_partitions p WHERE p.partition_name = c.relname)
    ORDER BY c.relname DESC
$$;
