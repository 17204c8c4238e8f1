-- The work-package pipeline, kept as events are written. JIP-3 guaranteeing events name the
-- "work-package submission" (90) or "work-package being shared" (91) event they belong to by
-- its event ID, which is unique only within one connection; only "work-package received" (94)
-- and "duplicate work-package" (93) carry the work-package hash. So each node's handling of a
-- work-package is one pipeline row keyed by (session, that event's ID), its stages filled in as
-- their events arrive and its hash once 93/94 names it. Guarantees sent (108) and their
-- failures (107) name "sending guarantee" (106), which names "guarantee built" (105), which
-- names the submission: work_package_links resolves those two steps.
--
-- Stage times are the node's own timestamps: a pipeline is one node's, timed by one clock, and
-- TART's receive times of its events are bunched by the node's send buffer.

CREATE TABLE work_package_pipelines (
    session_id bigint NOT NULL,
    submission_id numeric(20,0) NOT NULL,  -- JIP-3 ID of its event 90 or 91 in the session
    node_id text NOT NULL,
    shared boolean,                -- false: from a builder (90); true: from a primary (91)
    work_package_hash text COLLATE "C",  -- '0x…', from 93/94; hex compares bytewise
    core integer,
    created_at timestamptz NOT NULL,  -- TART's receive time of its first event
    submitted timestamptz,         -- 90/91
    received timestamptz,          -- 94
    authorized timestamptz,        -- 95
    refined timestamptz,           -- 101
    report_built timestamptz,      -- 102
    signature_sent timestamptz,    -- 103, a secondary's last step
    guarantee_built timestamptz,   -- 105
    guarantee_sent timestamptz,    -- first 108
    distributed timestamptz,       -- 109, a primary's last step
    failed timestamptz,            -- 92
    failure text,                  -- its reason
    duplicate boolean NOT NULL DEFAULT false,    -- 93
    guarantees_sent integer NOT NULL DEFAULT 0,  -- 108s
    PRIMARY KEY (session_id, submission_id)
) WITH (fillfactor = 70);
CREATE INDEX work_package_pipelines_hash ON work_package_pipelines (work_package_hash)
    WHERE work_package_hash IS NOT NULL;
CREATE INDEX work_package_pipelines_created ON work_package_pipelines (created_at);

-- One row per work-package hash, for "the latest work-packages".
CREATE TABLE work_packages (
    work_package_hash text COLLATE "C" PRIMARY KEY,
    core integer,
    first_seen_at timestamptz NOT NULL
);
CREATE INDEX work_packages_first_seen ON work_packages (first_seen_at DESC);

-- Every failure on the way, with its reason: 92 work-package failed, 99 sharing with a
-- secondary failed, 107 sending a guarantee failed.
CREATE TABLE work_package_failures (
    session_id bigint NOT NULL,
    submission_id numeric(20,0) NOT NULL,
    node_id text NOT NULL,
    event_type smallint NOT NULL,
    reason text NOT NULL,
    created_at timestamptz NOT NULL,
    node_time timestamptz
);
CREATE INDEX work_package_failures_pipeline ON work_package_failures (session_id, submission_id);
CREATE INDEX work_package_failures_created ON work_package_failures (created_at);

-- "Guarantee built" (105) and "sending guarantee" (106) events by their JIP-3 ids within a
-- session → the submission they belong to.
CREATE TABLE work_package_links (
    session_id bigint NOT NULL,
    event_id numeric(20,0) NOT NULL,
    submission_id numeric(20,0) NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (session_id, event_id)
);
CREATE INDEX work_package_links_created ON work_package_links USING brin (created_at);

CREATE FUNCTION tart_track_work_packages() RETURNS trigger
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
    FROM new_events e JOIN work_package_links l ON l.session_id = e.session_id
        AND l.event_id = (e.data->'SendingGuarantee'->>'built_id')::numeric
    WHERE e.event_type = 106
    ON CONFLICT DO NOTHING;

    WITH steps AS (
        SELECT e.session_id, e.node_id, e.event_type, e.created_at, e."timestamp" AS node_time,
               b, coalesce(CASE WHEN e.event_type IN (90, 91) THEN e.event_id END,
                           (b->>'submission_or_share_id')::numeric,
                           (b->>'submission_id')::numeric,
                           (b->>'share_id')::numeric,
                           l.submission_id) AS submission_id
        FROM new_events e
        CROSS JOIN LATERAL jsonb_path_query_first(e.data, '$.*') AS b
        LEFT JOIN work_package_links l ON e.event_type IN (107, 108)
            AND l.session_id = e.session_id AND l.event_id = (b->>'sending_id')::numeric
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

CREATE TRIGGER events_track_work_packages AFTER INSERT ON events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION tart_track_work_packages();

-- Links are needed only while their pipelines and imports run; the tables derived from them
-- are kept as long as the caller says.
CREATE FUNCTION tart_prune_propagation(keep_days int) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM block_links WHERE created_at < now() - interval '1 day';
    DELETE FROM work_package_links WHERE created_at < now() - interval '1 day';
    DELETE FROM block_sightings s USING blocks k
        WHERE k.header_hash = s.header_hash
          AND k.first_seen_at < now() - make_interval(days => keep_days);
    DELETE FROM blocks WHERE first_seen_at < now() - make_interval(days => keep_days);
    DELETE FROM work_package_pipelines WHERE created_at < now() - make_interval(days => keep_days);
    DELETE FROM work_package_failures WHERE created_at < now() - make_interval(days => keep_days);
    DELETE FROM work_packages WHERE first_seen_at < now() - make_interval(days => keep_days);
$$;
