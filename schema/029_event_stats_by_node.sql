-- Event counts per (bucket, node) of all event types together, beside those per (bucket, node,
-- event type) of schema/012: time series by node or by implementation read one row per node
-- and bucket instead of one per event type too. Over 30 days of 100 nodes that is 72,000 hourly
-- rows instead of 1.2 million, which took PostgreSQL most of a second to read each time a web
-- worker renewed the page (tart.web.api.analytics_series).
--
-- Folded in with the others, in the same statement (tart_fold_event_counts, as in
-- schema/021, with two more inserts), so they are as exact, and kept as long as the counts of
-- their bucket size. A fold touches one of these rows per node and bucket, a fraction of the
-- rows it touches already.

CREATE TABLE event_stats_node_minute (
    minute timestamptz NOT NULL,
    node_id text NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (minute, node_id)
) WITH (fillfactor = 70);  -- room for in-place (HOT) updates of event_count

CREATE TABLE event_stats_node_hourly (
    hour timestamptz NOT NULL,
    node_id text NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (hour, node_id)
) WITH (fillfactor = 70);

-- No fold may run between the copy and the new function: it would add to the old tables only.
-- Copied in time order, the order ingest adds them in: a range of buckets is a range of pages.
SELECT pg_advisory_xact_lock(7461727402);

INSERT INTO event_stats_node_minute (minute, node_id, event_count)
SELECT minute, node_id, sum(event_count) FROM event_stats_minute GROUP BY 1, 2 ORDER BY 1, 2;

INSERT INTO event_stats_node_hourly (hour, node_id, event_count)
SELECT hour, node_id, sum(event_count) FROM event_stats_hourly GROUP BY 1, 2 ORDER BY 1, 2;

CREATE OR REPLACE FUNCTION tart_fold_event_counts() RETURNS bigint
LANGUAGE plpgsql SET enable_sort = off AS $$
DECLARE
    ranges int8multirange;
    lowest bigint;
    highest bigint;
    since timestamptz;
    folded bigint;
BEGIN
    -- One folder at a time; a second one (another ingest process) then folds what is left.
    PERFORM pg_advisory_xact_lock(7461727402);
    WITH taken AS (DELETE FROM event_count_ranges RETURNING *)
    SELECT range_agg(int8range(first_id, last_id, '[]')), min(first_id), max(last_id),
           min(received_from), sum(last_id - first_id + 1)
    INTO ranges, lowest, highest, since, folded
    FROM taken;
    IF ranges IS NULL THEN
        RETURN 0;
    END IF;
    -- Rows in key order: two transactions adding to the same counts lock them in one order.
    WITH counted AS MATERIALIZED (
        SELECT date_trunc('minute', created_at, 'UTC') AS minute, node_id, event_type,
               count(*) AS n
        FROM events
        WHERE id BETWEEN lowest AND highest AND created_at >= since AND id <@ ranges
        GROUP BY 1, 2, 3
    ), minutes AS (
        INSERT INTO event_stats_minute AS s (minute, node_id, event_type, event_count)
        SELECT minute, node_id, event_type, n FROM counted ORDER BY 1, 2, 3
        ON CONFLICT (minute, node_id, event_type)
        DO UPDATE SET event_count = s.event_count + excluded.event_count
    ), hours AS (
        INSERT INTO event_stats_hourly AS s (hour, node_id, event_type, event_count)
        SELECT date_trunc('hour', minute, 'UTC'), node_id, event_type, sum(n)
        FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (hour, node_id, event_type)
        DO UPDATE SET event_count = s.event_count + excluded.event_count
    ), node_minutes AS (
        INSERT INTO event_stats_node_minute AS s (minute, node_id, event_count)
        SELECT minute, node_id, sum(n) FROM counted GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (minute, node_id)
        DO UPDATE SET event_count = s.event_count + excluded.event_count
    )
    INSERT INTO event_stats_node_hourly AS s (hour, node_id, event_count)
    SELECT date_trunc('hour', minute, 'UTC'), node_id, sum(n)
    FROM counted GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, node_id)
    DO UPDATE SET event_count = s.event_count + excluded.event_count;
    RETURN folded;
END
$$;
