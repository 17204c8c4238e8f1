-- Event counts per (bucket, node, event type), by minute and by hour, kept much longer than the
-- raw events (which retention drops by the day; at stress rates raw rows grow by terabytes a
-- day). event_stats_hourly is the seed README's table: its query runs on it as written.
--
-- Buckets are of created_at, TART's receive time: node clocks are not trusted (a node whose
-- clock is off would put its counts in the wrong hour), events are partitioned and dropped by
-- created_at, so a bucket's raw rows go together, and a bucket that has passed receives only
-- what the writer still holds in its queue, so the API can read buckets as settled.
--
-- A statement trigger keeps them, in the transaction that inserts the events, whoever inserts
-- them: a batch that rolls back takes its counts with it, one the writer sends again (after a
-- lost connection, only if it did not commit: writer_progress) adds them once. Deleting or
-- dropping raw rows leaves the counts alone: they count what was received.
CREATE TABLE event_stats_minute (
    minute timestamptz NOT NULL,        -- the minute (UTC) TART received the events in
    node_id text NOT NULL,
    event_type smallint NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (minute, node_id, event_type)
) WITH (fillfactor = 70);  -- room for in-place (HOT) updates of event_count

CREATE TABLE event_stats_hourly (
    hour timestamptz NOT NULL,          -- the hour (UTC) TART received the events in
    node_id text NOT NULL,
    event_type smallint NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (hour, node_id, event_type)
) WITH (fillfactor = 70);

CREATE FUNCTION tart_count_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Rows in key order: two transactions adding to the same counts lock them in one order.
    WITH counted AS MATERIALIZED (
        SELECT date_trunc('minute', created_at, 'UTC') AS minute, node_id, event_type,
               count(*) AS n
        FROM inserted_events GROUP BY 1, 2, 3
    ), minutes AS (
        INSERT INTO event_stats_minute AS s (minute, node_id, event_type, event_count)
        SELECT minute, node_id, event_type, n FROM counted ORDER BY 1, 2, 3
        ON CONFLICT (minute, node_id, event_type)
        DO UPDATE SET event_count = s.event_count + excluded.event_count
    )
    INSERT INTO event_stats_hourly AS s (hour, node_id, event_type, event_count)
    SELECT date_trunc('hour', minute, 'UTC'), node_id, event_type, sum(n)
    FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (hour, node_id, event_type)
    DO UPDATE SET event_count = s.event_count + excluded.event_count;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_counted AFTER INSERT ON events
REFERENCING NEW TABLE AS inserted_events
FOR EACH STATEMENT EXECUTE FUNCTION tart_count_events();

-- The counts of events already stored.
INSERT INTO event_stats_minute (minute, node_id, event_type, event_count)
SELECT date_trunc('minute', created_at, 'UTC'), node_id, event_type, count(*)
FROM events GROUP BY 1, 2, 3;
INSERT INTO event_stats_hourly (hour, node_id, event_type, event_count)
SELECT date_trunc('hour', created_at, 'UTC'), node_id, event_type, count(*)
FROM events GROUP BY 1, 2, 3;
