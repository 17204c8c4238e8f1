-- The tracking triggers (016, 017, 030) look up the links, sightings, blocks and pipelines that
-- an event or a changed row names by their keys, rather than joining those tables with the
-- batch.
--
-- A trigger's statements are planned once per connection, when the tables are still small, and
-- the joins were planned as hash joins: every batch then read the whole of block_links,
-- work_package_links, work_package_pipelines and blocks, which grow for as long as the network
-- runs. In one 30 s run at 256 nodes, ~4,100 batches read 16 M rows of each. A LATERAL subquery
-- with LIMIT 1, or a scalar subquery, is never turned into a join, so it is planned as an index
-- lookup by primary key, and that plan holds at any size. In three alternating 30 s runs at
-- saturation (256 nodes, mix `all`), the writer's server processes spent 58-66 µs per event
-- against 76-91 µs before, and ingest stored 14,542-17,135 events/s against 11,537-14,175.
--
-- The UPDATE of links by Authored (42) keeps its join: it is planned for the one or two
-- Authored events of a batch, as a nested loop over the primary key.

CREATE OR REPLACE FUNCTION tart_track_blocks() RETURNS trigger
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
        LEFT JOIN LATERAL (
            SELECT l.header_hash, l.slot FROM block_links l
            WHERE e.event_type IN (42, 44, 46, 47)
              AND l.session_id = e.session_id
              AND l.event_id = coalesce(b->>'authoring_id', b->>'importing_id',
                                        b->>'authoring_or_importing_id')::numeric
            LIMIT 1) l ON true
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
        SELECT b.header_hash, b.node_id, s.node_id IS NOT NULL AS known, s.had_at
        FROM batch b LEFT JOIN LATERAL (
            SELECT s.node_id,
                   least(s.authored_at, s.received_at, s.importing_at, s.imported_at) AS had_at
            FROM block_sightings s
            WHERE s.header_hash = b.header_hash AND s.node_id = b.node_id
            LIMIT 1) s ON true
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

CREATE OR REPLACE FUNCTION tart_track_work_packages() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_events WHERE event_type BETWEEN 90 AND 109) THEN
        RETURN NULL;
    END IF;
    INSERT INTO work_package_links (session_id, event_id, submission_id, created_at)
    SELECT session_id, event_id, (data->'GuaranteeBuilt'->>'submission_id')::numeric, created_at
    FROM new_events WHERE event_type = 105
    ON CONFLICT DO NOTHING;
    INSERT INTO work_package_links (session_id, event_id, submission_id, created_at)
    SELECT e.session_id, e.event_id, l.submission_id, e.created_at
    FROM new_events e CROSS JOIN LATERAL (
        SELECT l.submission_id FROM work_package_links l
        WHERE l.session_id = e.session_id
          AND l.event_id = (e.data->'SendingGuarantee'->>'built_id')::numeric
        LIMIT 1) l
    WHERE e.event_type = 106
    ON CONFLICT DO NOTHING;

    WITH steps AS (
        SELECT e.session_id, e.node_id, e.event_type, e.created_at, e."timestamp" AS node_time,
               b, coalesce(CASE WHEN e.event_type IN (90, 91) THEN e.event_id END,
                           (b->>'submission_or_share_id')::numeric,
                           (b->>'submission_id')::numeric,
                           (b->>'share_id')::numeric,
                           (SELECT l.submission_id FROM work_package_links l
                            WHERE e.event_type IN (107, 108) AND l.session_id = e.session_id
                              AND l.event_id = (b->>'sending_id')::numeric)) AS submission_id
        FROM new_events e
        CROSS JOIN LATERAL jsonb_path_query_first(e.data, '$.*') AS b
        WHERE e.event_type IN (90, 91, 92, 93, 94, 95, 99, 101, 102, 103, 105, 107, 108, 109)
    ), failures AS (
        INSERT INTO work_package_failures
            (session_id, submission_id, node_id, event_type, reason, created_at, node_time)
        SELECT session_id, submission_id, node_id, event_type, b->>'reason', created_at, node_time
        FROM steps WHERE event_type IN (92, 99, 107) AND submission_id IS NOT NULL
    ), hashes AS (
        INSERT INTO work_packages AS w (work_package_hash, core, first_seen_at)
        SELECT coalesce(b->>'hash', b->'outline'->>'hash'), min((b->>'core')::integer),
               min(created_at)
        FROM steps WHERE event_type IN (93, 94)
        GROUP BY 1
        ON CONFLICT (work_package_hash) DO UPDATE SET
            first_seen_at = least(w.first_seen_at, excluded.first_seen_at)
    )
    INSERT INTO work_package_pipelines AS p (
        session_id, submission_id, node_id, shared, work_package_hash, core, created_at,
        submitted, received, authorized, refined, report_built, signature_sent, guarantee_built,
        guarantee_sent, distributed, failed, failure, duplicate, guarantees_sent)
    SELECT session_id, submission_id, min(node_id),
           bool_or(event_type = 91) FILTER (WHERE event_type IN (90, 91)),
           min(coalesce(b->>'hash', b->'outline'->>'hash')) FILTER (WHERE event_type IN (93, 94)),
           min((b->>'core')::integer) FILTER (WHERE event_type IN (93, 94)),
           min(created_at),
           min(node_time) FILTER (WHERE event_type IN (90, 91)),
           min(node_time) FILTER (WHERE event_type = 94),
           min(node_time) FILTER (WHERE event_type = 95),
           min(node_time) FILTER (WHERE event_type = 101),
           min(node_time) FILTER (WHERE event_type = 102),
           min(node_time) FILTER (WHERE event_type = 103),
           min(node_time) FILTER (WHERE event_type = 105),
           min(node_time) FILTER (WHERE event_type = 108),
           min(node_time) FILTER (WHERE event_type = 109),
           min(node_time) FILTER (WHERE event_type = 92),
           min(b->>'reason') FILTER (WHERE event_type = 92),
           bool_or(event_type = 93),
           count(*) FILTER (WHERE event_type = 108)
    FROM steps WHERE submission_id IS NOT NULL AND event_type NOT IN (99, 107)
    GROUP BY session_id, submission_id
    ON CONFLICT (session_id, submission_id) DO UPDATE SET
        shared = coalesce(p.shared, excluded.shared),
        work_package_hash = coalesce(p.work_package_hash, excluded.work_package_hash),
        core = coalesce(p.core, excluded.core),
        created_at = least(p.created_at, excluded.created_at),
        submitted = least(p.submitted, excluded.submitted),
        received = least(p.received, excluded.received),
        authorized = least(p.authorized, excluded.authorized),
        refined = least(p.refined, excluded.refined),
        report_built = least(p.report_built, excluded.report_built),
        signature_sent = least(p.signature_sent, excluded.signature_sent),
        guarantee_built = least(p.guarantee_built, excluded.guarantee_built),
        guarantee_sent = least(p.guarantee_sent, excluded.guarantee_sent),
        distributed = least(p.distributed, excluded.distributed),
        failed = least(p.failed, excluded.failed),
        failure = coalesce(p.failure, excluded.failure),
        duplicate = p.duplicate OR excluded.duplicate,
        guarantees_sent = p.guarantees_sent + excluded.guarantees_sent;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION tart_announce_sightings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT subject, ' ')
        FROM (SELECT DISTINCT header_hash FROM changed) c
        LEFT JOIN LATERAL (SELECT k.slot FROM blocks k
                           WHERE k.header_hash = c.header_hash LIMIT 1) k ON true,
        unnest(ARRAY['b' || c.header_hash, 's' || k.slot]) subject
        WHERE subject IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION tart_announce_work_package_failures() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT 'w' || p.work_package_hash, ' ')
        FROM changed f CROSS JOIN LATERAL (
            SELECT p.work_package_hash FROM work_package_pipelines p
            WHERE p.session_id = f.session_id AND p.submission_id = f.submission_id
            LIMIT 1) p
        WHERE p.work_package_hash IS NOT NULL));
    RETURN NULL;
END
$$;
