-- Event counts (schema/012) folded in from the stored events, instead of added to by every
-- insert. Upserting each batch's (minute, node, event type) groups cost PostgreSQL about 200
-- count rows for a batch of 100 events from many nodes, about as much server CPU as the insert
-- itself (bench/counts_cost.py), and halved what ingest stored. Whatever the statement, the
-- cost is the count rows touched, so the counts are now added up over many batches at a time,
-- when a count row takes many events at once.
--
-- Each insert into events notes the id ranges of its rows in event_count_ranges, in its own
-- transaction (a statement trigger, whoever inserts: ingest, a tool, a test), at the cost of
-- one small row. tart_fold_event_counts() takes the noted ranges, counts their rows by minute
-- and by hour and adds them to both tables, in one transaction: every committed event is
-- counted once, a rolled-back one never, and nothing lives outside PostgreSQL, so a restart
-- of ingest or of PostgreSQL leaves the counts exact. Ingest folds about once a second when
-- quiet, every 30 s under load, and when it stops: the counts trail the events by that much.
--
-- Dropping a partition folds first, so dropping raw rows leaves the counts alone. Deleting raw
-- rows before they are folded does take them out of the counts.
DROP TRIGGER events_counted ON events;
DROP FUNCTION tart_count_events();

CREATE TABLE event_count_ranges (
    first_id bigint NOT NULL,
    last_id bigint NOT NULL,
    received_from timestamptz NOT NULL  -- the rows' first created_at: prunes partitions
);

CREATE FUNCTION tart_note_event_ranges() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Runs of consecutive ids: the writer's batch is one (it takes its ids under the writers'
    -- lock), another inserter's rows may be interleaved with concurrent inserts.
    INSERT INTO event_count_ranges (first_id, last_id, received_from)
    SELECT min(id), max(id), min(created_at)
    FROM (SELECT id, created_at, id - row_number() OVER (ORDER BY id) AS run
          FROM inserted_events) r
    GROUP BY run;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_noted AFTER INSERT ON events
REFERENCING NEW TABLE AS inserted_events
FOR EACH STATEMENT EXECUTE FUNCTION tart_note_event_ranges();

-- The number of events folded into the counts. The planner cannot tell how many events the
-- ranges hold (they are variables here), guesses a handful and groups them by sorting; hashing
-- them costs a quarter of the CPU (100,000 events of the status mix: 0.10-0.16 s against 0.42 s).
CREATE FUNCTION tart_fold_event_counts() RETURNS bigint
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
    )
    INSERT INTO event_stats_hourly AS s (hour, node_id, event_type, event_count)
    SELECT date_trunc('hour', minute, 'UTC'), node_id, event_type, sum(n)
    FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (hour, node_id, event_type)
    DO UPDATE SET event_count = s.event_count + excluded.event_count;
    RETURN folded;
END
$$;

-- As in 001_initial.sql, after folding what the dropped partitions may still hold.
CREATE OR REPLACE FUNCTION tart_drop_partitions(retention_days int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz := now() - make_interval(days => retention_days);
    partition_name text;
BEGIN
    IF retention_days < 1 THEN
        RAISE EXCEPTION 'retention_days must be at least 1, got %', retention_days;
    END IF;
    PERFORM pg_advisory_xact_lock(7461727401);
    PERFORM tart_fold_event_counts();
    FOR partition_name IN
        SELECT c.relname
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
        ORDER BY c.relname
    LOOP
        IF (to_date(substr(partition_name, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
           <= cutoff THEN
            EXECUTE format('DROP TABLE %I', partition_name);
            RETURN NEXT partition_name;
        END IF;
    END LOOP;
END
$$;
