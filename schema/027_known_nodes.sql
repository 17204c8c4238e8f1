-- The table of one row per node (its latest node information, connection state and counters)
-- is known_nodes: the name `nodes` goes to the seed README's view of one row per connection
-- (028_nodes_per_connection.sql), so that its "node connection history" query means what it
-- says. Renaming is a catalogue change only: no row is rewritten, and the foreign key of
-- sessions, the indexes and the storage settings follow the table.
ALTER TABLE nodes RENAME TO known_nodes;
ALTER INDEX nodes_pkey RENAME TO known_nodes_pkey;
ALTER TABLE known_nodes RENAME CONSTRAINT nodes_node_id_check TO known_nodes_node_id_check;

-- Function bodies name tables as text, looked up when they run: this one names the new table.
CREATE OR REPLACE FUNCTION tart_close_orphaned_sessions(silence interval) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    closed integer;
BEGIN
    WITH orphaned AS (
        UPDATE sessions s
        SET closed_at = now(), close_reason = 'ingest process stopped without closing'
        WHERE s.closed_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM ingest_stats p
            WHERE p.process_id = s.ingest_process AND p.updated_at > now() - silence)
        RETURNING s.node_id
    ), per_node AS (
        SELECT node_id, count(*) AS sessions FROM orphaned WHERE node_id IS NOT NULL
        GROUP BY node_id
    ), locked AS (
        -- In key order, as the ingest writer locks nodes, so the two cannot deadlock.
        SELECT n.node_id FROM known_nodes n JOIN per_node p USING (node_id)
        ORDER BY n.node_id FOR UPDATE OF n
    ), nodes_updated AS (
        UPDATE known_nodes n
        SET active_sessions = greatest(n.active_sessions - p.sessions, 0),
            disconnected_at = CASE WHEN n.active_sessions <= p.sessions THEN now()
                                   ELSE n.disconnected_at END
        FROM per_node p JOIN locked l USING (node_id) WHERE n.node_id = p.node_id
        RETURNING 1
    )
    SELECT count(*) INTO closed FROM orphaned;
    RETURN closed;
END
$$;
