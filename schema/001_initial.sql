-- TART's first schema: the nodes of a JAM network, their telemetry connections (sessions),
-- the events they send (partitioned by the day TART received them), the frames that could not
-- be decoded, and each ingest process's live counters.

-- One row per node, keyed by its Ed25519 peer id, holding its latest node information.
CREATE TABLE nodes (
    node_id text PRIMARY KEY CHECK (node_id ~ '^[0-9a-f]{64}$'),  -- peer id, lowercase hex, no 0x
    implementation_name text,
    implementation_version text,
    gp_version text,
    note text,
    flags bigint,
    genesis text,                       -- '0x…' hex
    params jsonb,                       -- JAM parameters, decoded
    peer_address jsonb,                 -- {"address": "...", "port": n}
    protocol_version smallint,
    first_seen timestamptz NOT NULL DEFAULT now(),
    connected_at timestamptz,
    disconnected_at timestamptz,
    last_seen_at timestamptz,
    -- A node may hold several connections at once; it is connected while any is open.
    active_sessions integer NOT NULL DEFAULT 0,
    is_connected boolean GENERATED ALWAYS AS (active_sessions > 0) STORED,
    event_count bigint NOT NULL DEFAULT 0,
    best_slot bigint,
    best_hash text,
    finalized_slot bigint,
    finalized_hash text
);

-- One row per telemetry TCP connection, with what happened to the events it carried.
CREATE TABLE sessions (
    id bigserial PRIMARY KEY,
    node_id text NULL REFERENCES nodes ON DELETE CASCADE,  -- NULL until node information is decoded
    remote_address text NOT NULL,
    protocol_version smallint,
    opened_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    close_reason text,
    events_received bigint NOT NULL DEFAULT 0,
    events_stored bigint NOT NULL DEFAULT 0,
    events_rate_limited bigint NOT NULL DEFAULT 0,
    events_undecodable bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_node_opened ON sessions (node_id, opened_at DESC);

-- Global event ids. CACHE 1 so ids follow the order in which the writer assigns them.
CREATE SEQUENCE events_id_seq CACHE 1;

-- Every stored event. Partitioned by day on received_at: node clocks are not trusted, and
-- retention drops whole days.
CREATE TABLE events (
    id bigint NOT NULL DEFAULT nextval('events_id_seq'),
    node_id text NOT NULL,
    session_id bigint NOT NULL,
    event_id numeric(20,0) NOT NULL,        -- JIP-3 event id (u64)
    event_type smallint NOT NULL,           -- JIP-3 discriminator
    node_timestamp numeric(20,0) NOT NULL,  -- µs since the JAM Common Era, as sent (u64)
    node_time timestamptz NULL,             -- the same as a time; NULL when out of range
    received_at timestamptz NOT NULL DEFAULT now(),
    data jsonb NOT NULL,                    -- e.g. {"BestBlockChanged": {"slot": 1, "hash": "0x…"}}
    PRIMARY KEY (id, received_at)           -- also serves "latest events overall"
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE events_id_seq OWNED BY events.id;

-- Created on the parent, so every partition gets them.
CREATE INDEX events_node_latest ON events (node_id, id DESC);
CREATE INDEX events_type_latest ON events (event_type, id DESC);
CREATE INDEX events_node_event_id ON events (node_id, event_id);

-- Daily partitions events_YYYYMMDD cover [day 00:00 UTC, next day 00:00 UTC). There is no
-- DEFAULT partition: rows in it would block creating the partition for their day later.
-- Instead the ingest's maintenance keeps partitions from yesterday (clock edges) to
-- `days_ahead` days ahead; this returns the names of the partitions it created.
CREATE FUNCTION tart_ensure_partitions(days_ahead int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    partition_day date;
    partition_name text;
BEGIN
    IF days_ahead < 0 THEN
        RAISE EXCEPTION 'days_ahead must not be negative, got %', days_ahead;
    END IF;
    -- Several ingest processes run this; the lock makes them take turns.
    PERFORM pg_advisory_xact_lock(7461727401);
    FOR offset_days IN -1 .. days_ahead LOOP
        partition_day := today + offset_days;
        partition_name := 'events_' || to_char(partition_day, 'YYYYMMDD');
        IF to_regclass(partition_name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           partition_name,
                           partition_day::timestamp AT TIME ZONE 'UTC',
                           (partition_day + 1)::timestamp AT TIME ZONE 'UTC');
            RETURN NEXT partition_name;
        END IF;
    END LOOP;
END
$$;

-- Drops the daily partitions whose whole day ended more than `retention_days` ago and
-- returns their names.
CREATE FUNCTION tart_drop_partitions(retention_days int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz := now() - make_interval(days => retention_days);
    partition_name text;
BEGIN
    IF retention_days < 1 THEN
        RAISE EXCEPTION 'retention_days must be at least 1, got %', retention_days;
    END IF;
    PERFORM pg_advisory_xact_lock(7461727401);
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

-- Frames that failed to decode, kept whole so a node's implementer can see what was wrong.
CREATE TABLE decode_errors (
    id bigserial PRIMARY KEY,
    node_id text NULL,
    session_id bigint NULL,
    event_id numeric(20,0) NULL,        -- the JIP-3 id the frame would have had, if an event
    discriminator smallint NULL,
    event_name text NULL,
    raw bytea NOT NULL,                 -- the frame's bytes as received
    field_path text NULL,               -- the field where decoding failed
    byte_offset integer NULL,
    reason text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decode_errors_node_latest ON decode_errors (node_id, id DESC);

-- Live counters each ingest process upserts about once a second; web processes read them for
-- /metrics, since ingest and web share nothing but the database.
CREATE TABLE ingest_stats (
    process_id text PRIMARY KEY,
    host text,
    pid integer,
    started_at timestamptz,
    updated_at timestamptz,
    counters jsonb NOT NULL DEFAULT '{}'
);

SELECT tart_ensure_partitions(3);
