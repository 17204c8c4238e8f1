-- Which ingest process holds each open session, so that sessions left open by a process that
-- died (kill -9, power loss) can be closed by the others, and their nodes stop counting as
-- connected. A process is alive while it keeps updating its ingest_stats row.
ALTER TABLE sessions ADD COLUMN ingest_process text NULL;
CREATE INDEX sessions_open_by_process ON sessions (ingest_process) WHERE closed_at IS NULL;

-- Close the open sessions of ingest processes not heard from for `silence`; returns how many.
CREATE FUNCTION tart_close_orphaned_sessions(silence interval) RETURNS integer
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
        SELECT n.node_id FROM nodes n JOIN per_node p USING (node_id)
        ORDER BY n.node_id FOR UPDATE OF n
    ), nodes_updated AS (
        UPDATE nodes n
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
