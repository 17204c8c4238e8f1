-- The seed README's "node connection history" query, as written:
--     SELECT node_id, implementation_name, COUNT(*) as connection_count,
--            SUM(event_count) as total_events, MAX(last_seen_at) as last_active
--     FROM nodes GROUP BY node_id, implementation_name ORDER BY total_events DESC;
-- reads `nodes` as one row per connection. So `nodes` is a view of the sessions whose node
-- information was decoded, with the seed's node columns per connection: COUNT(*) counts a
-- node's connections, SUM(event_count) its stored events, MAX(last_seen_at) its last activity.
-- The table of one row per node is known_nodes (027_known_nodes.sql).
--
-- A session keeps the implementation name and version its node reported on it: a node that
-- reconnects after an upgrade that renamed its implementation has a row under each name, its
-- connections, events and last activity under each; known_nodes holds only the latest.
-- last_seen_at is, as for the node, its handshake or its latest stored event, whichever is
-- later: set at the handshake, then moved on by the writer in the statement that adds the
-- session's events_stored, beside the node's.
ALTER TABLE sessions ADD COLUMN implementation_name text,
                     ADD COLUMN implementation_version text,
                     ADD COLUMN last_seen_at timestamptz;

-- Sessions before this migration: the only name and version known is the node's latest, and
-- their last activity no later than their close nor the node's last activity (so that the
-- node's latest connection gets the node's last_seen_at). Their events_stored has always been
-- written with the node's event_count.
UPDATE sessions s
SET implementation_name = n.implementation_name,
    implementation_version = n.implementation_version,
    last_seen_at = CASE WHEN s.closed_at IS NULL OR s.closed_at > n.last_seen_at
                        THEN n.last_seen_at ELSE s.closed_at END
FROM known_nodes n WHERE s.node_id = n.node_id;

CREATE VIEW nodes AS
SELECT node_id,
       id AS session_id,
       implementation_name,
       implementation_version,
       remote_address,
       opened_at AS connected_at,
       closed_at AS disconnected_at,
       closed_at IS NULL AS is_connected,
       close_reason,
       events_stored AS event_count,
       last_seen_at
FROM sessions
WHERE node_id IS NOT NULL;  -- a connection whose node never identified is no node's
COMMENT ON VIEW nodes IS
    'One row per connection of a node, for the seed README''s queries; one row per node: known_nodes';

-- PostgreSQL would write through a one-table view into sessions: a statement meant for the
-- table of nodes (an older script, say) would change a connection's counts instead of failing.
CREATE FUNCTION tart_nodes_is_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'nodes is a read-only view of connections; the table of nodes is known_nodes';
END
$$;
CREATE TRIGGER nodes_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON nodes
FOR EACH ROW EXECUTE FUNCTION tart_nodes_is_read_only();
