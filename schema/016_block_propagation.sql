-- Block propagation, kept as events are written: per block (header hash) its slot, author and
-- first sighting, and per (block, node) when the node authored, heard of, received, began
-- importing and finished importing it, on TART's receive clock (*_at) and on the node's own
-- (*_time). /api/blocks reads at most one row per node of a block instead of scanning events.
--
-- A statement trigger on `events` fills them from each insert's transition table, so every
-- insert path (the writer's batches, its retries, tools) keeps them, at one pass over a batch
-- of its block events. Batch inserts run one at a time under the writers' advisory lock, so
-- these upserts never contend with each other.

CREATE TABLE blocks (
    header_hash text COLLATE "C" PRIMARY KEY,  -- '0x…'; hex compares bytewise
    slot bigint,
    author_node_id text,                   -- the node that sent "Authored" for it
    first_seen_at timestamptz NOT NULL,    -- TART's receive time of its first event
    reporting_nodes integer NOT NULL DEFAULT 0,  -- nodes with a sighting
    -- When each node that had it first had it, on each clock (same order): the spreads of the
    -- latest blocks are read from one row each instead of a row per node.
    had_at timestamptz[] NOT NULL DEFAULT '{}',
    had_time timestamptz[] NOT NULL DEFAULT '{}'
);
CREATE INDEX blocks_slot ON blocks (slot DESC NULLS LAST, header_hash);
CREATE INDEX blocks_first_seen ON blocks (first_seen_at);

CREATE TABLE block_sightings (
    header_hash text COLLATE "C" NOT NULL,
    node_id text NOT NULL,
    slot bigint,
    authored_at timestamptz, authored_time timestamptz,    -- 42 Authored
    announced_at timestamptz, announced_time timestamptz,  -- 62 Block announced (either side)
    received_at timestamptz, received_time timestamptz,    -- 68 Block transferred
    importing_at timestamptz, importing_time timestamptz,  -- 43 Importing
    imported_at timestamptz, imported_time timestamptz,    -- 47 Block executed
    failure text,                          -- reason of 44 verification / 46 execution failed
    PRIMARY KEY (header_hash, node_id)
) WITH (fillfactor = 70);                  -- a row is updated as its events arrive (HOT)

-- Authoring (40) and Importing (43) events by their JIP-3 ids within a session, so the events
-- that name them (42, 44-47) find their block. Authoring learns its hash from Authored.
CREATE TABLE block_links (
    session_id bigint NOT NULL,
    event_id numeric(20,0) NOT NULL,
    slot bigint,
    header_hash text COLLATE "C",
    created_at timestamptz NOT NULL,
    PRIMARY KEY (session_id, event_id)
);
CREATE INDEX block_links_created ON block_links USING brin (created_at);

CREATE FUNCTION tart_track_blocks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_events
                   WHERE event_type IN (40, 42, 43, 44, 46, 47, 62, 68)) THEN
        RETURN NULL;
    END IF;
    -- jsonb_path_query_first(data, '$.*') is an event's fields, whatever its name.
    -- Links first, in event order within the batch: an Authored or Block executed may name an
    -- event of the same batch.
    INSERT INTO block_links (session_id, event_id, slot, header_hash, created_at)
    SELECT session_id, event_id, (jsonb_path_query_first(data, '$.*')->>'slot')::bigint,
           jsonb_path_query_first(data, '$.*')->'outline'->>'hash', created_at
    FROM new_events WHERE event_type IN (40, 43)
    ON CONFLICT DO NOTHING;
    UPDATE block_links l SET header_hash = a.hash
    FROM (SELECT session_id, (data->'Authored'->>'authoring_id')::numeric AS ref,
                 data->'Authored'->'outline'->>'hash' AS hash
          FROM new_events WHERE event_type = 42) a
    WHERE l.session_id = a.session_id AND l.event_id = a.ref;

    WITH seen AS (
        SELECT e.event_type, e.node_id, e.created_at, e."timestamp" AS node_time,
               coalesce(b->>'hash', b->'outline'->>'hash', l.header_hash) AS header_hash,
               coalesce((b->>'slot')::bigint, l.slot) AS slot,
               b->>'reason' AS reason
        FROM new_events e
        CROSS JOIN LATERAL jsonb_path_query_first(e.data, '$.*') AS b
        LEFT JOIN block_links l ON e.event_type IN (42, 44, 46, 47)
            AND l.session_id = e.session_id
            AND l.event_id = coalesce(b->>'authoring_id', b->>'importing_id',
                                      b->>'authoring_or_importing_id')::numeric
        WHERE e.event_type IN (42, 43, 44, 46, 47, 62, 68)
    ), batch AS (
        SELECT header_hash, node_id, max(slot) AS slot, min(created_at) AS first_at,
               min(created_at) FILTER (WHERE event_type = 42) AS authored_at,
               min(node_time) FILTER (WHERE event_type = 42) AS authored_time,
               min(created_at) FILTER (WHERE event_type = 62) AS announced_at,
               min(node_time) FILTER (WHERE event_type = 62) AS announced_time,
               min(created_at) FILTER (WHERE event_type = 68) AS received_at,
               min(node_time) FILTER (WHERE event_type = 68) AS received_time,
               min(created_at) FILTER (WHERE event_type = 43) AS importing_at,
               min(node_time) FILTER (WHERE event_type = 43) AS importing_time,
               min(created_at) FILTER (WHERE event_type = 47) AS imported_at,
               min(node_time) FILTER (WHERE event_type = 47) AS imported_time,
               min(reason) FILTER (WHERE event_type IN (44, 46)) AS failure
        FROM seen WHERE header_hash IS NOT NULL
        GROUP BY header_hash, node_id
    ), before AS (
        -- Every part of the statement sees the sightings as they were before it.
        SELECT b.header_hash, b.node_id, s.node_id IS NOT NULL AS known,
               least(s.authored_at, s.received_at, s.importing_at, s.imported_at) AS had_at
        FROM batch b LEFT JOIN block_sightings s USING (header_hash, node_id)
    ), per_node AS (
        INSERT INTO block_sightings AS s (
            header_hash, node_id, slot, authored_at, authored_time, announced_at,
            announced_time, received_at, received_time, importing_at, importing_time,
            imported_at, imported_time, failure)
        SELECT header_hash, node_id, slot, authored_at, authored_time, announced_at,
               announced_time, received_at, received_time, importing_at, importing_time,
               imported_at, imported_time, failure
        FROM batch
        ON CONFLICT (header_hash, node_id) DO UPDATE SET
            slot = coalesce(s.slot, excluded.slot),
            authored_at = least(s.authored_at, excluded.authored_at),
            authored_time = least(s.authored_time, excluded.authored_time),
            announced_at = least(s.announced_at, excluded.announced_at),
            announced_time = least(s.announced_time, excluded.announced_time),
            received_at = least(s.received_at, excluded.received_at),
            received_time = least(s.received_time, excluded.received_time),
            importing_at = least(s.importing_at, excluded.importing_at),
            importing_time = least(s.importing_time, excluded.importing_time),
            imported_at = least(s.imported_at, excluded.imported_at),
            imported_time = least(s.imported_time, excluded.imported_time),
            failure = coalesce(s.failure, excluded.failure)
        -- Rewritten only when something is new: a node's later events about a block it has
        -- (announcements to its peers) would otherwise leave a dead row version each time.
        WHERE (s.slot IS NULL AND excluded.slot IS NOT NULL)
            OR (s.failure IS NULL AND excluded.failure IS NOT NULL)
            OR least(s.authored_at, excluded.authored_at) IS DISTINCT FROM s.authored_at
            OR least(s.authored_time, excluded.authored_time) IS DISTINCT FROM s.authored_time
            OR least(s.announced_at, excluded.announced_at) IS DISTINCT FROM s.announced_at
            OR least(s.announced_time, excluded.announced_time) IS DISTINCT FROM s.announced_time
            OR least(s.received_at, excluded.received_at) IS DISTINCT FROM s.received_at
            OR least(s.received_time, excluded.received_time) IS DISTINCT FROM s.received_time
            OR least(s.importing_at, excluded.importing_at) IS DISTINCT FROM s.importing_at
            OR least(s.importing_time, excluded.importing_time) IS DISTINCT FROM s.importing_time
            OR least(s.imported_at, excluded.imported_at) IS DISTINCT FROM s.imported_at
            OR least(s.imported_time, excluded.imported_time) IS DISTINCT FROM s.imported_time
    )
    -- A node's first sign of having the block goes into the block's arrays once.
    INSERT INTO blocks AS k (header_hash, slot, author_node_id, first_seen_at, reporting_nodes,
                             had_at, had_time)
    SELECT b.header_hash, max(b.slot), min(b.node_id) FILTER (WHERE b.authored_at IS NOT NULL),
           min(b.first_at), count(*) FILTER (WHERE NOT o.known),
           coalesce(array_agg(least(b.authored_at, b.received_at, b.importing_at, b.imported_at)) FILTER (WHERE o.had_at IS NULL
                                                   AND least(b.authored_at, b.received_at, b.importing_at, b.imported_at) IS NOT NULL), '{}'),
           coalesce(array_agg(least(b.authored_time, b.received_time, b.importing_time, b.imported_time)) FILTER (WHERE o.had_at IS NULL
                                                   AND least(b.authored_at, b.received_at, b.importing_at, b.imported_at) IS NOT NULL), '{}')
    FROM batch b JOIN before o USING (header_hash, node_id)
    GROUP BY b.header_hash
    ON CONFLICT (header_hash) DO UPDATE SET
        slot = coalesce(k.slot, excluded.slot),
        author_node_id = coalesce(k.author_node_id, excluded.author_node_id),
        first_seen_at = least(k.first_seen_at, excluded.first_seen_at),
        reporting_nodes = k.reporting_nodes + excluded.reporting_nodes,
        had_at = k.had_at || excluded.had_at,
        had_time = k.had_time || excluded.had_time
    -- As above; here each needless rewrite would copy the block's arrays too.
    WHERE excluded.reporting_nodes > 0 OR cardinality(excluded.had_at) > 0
        OR (k.slot IS NULL AND excluded.slot IS NOT NULL)
        OR (k.author_node_id IS NULL AND excluded.author_node_id IS NOT NULL)
        OR excluded.first_seen_at < k.first_seen_at;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_track_blocks AFTER INSERT ON events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION tart_track_blocks();
