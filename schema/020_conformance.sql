-- Conformance reports (GET /api/nodes/<id>/conformance, /api/implementations/…): each node's
-- frames that did not decode, counted by kind and failure, as `tart check` lists them. The
-- ingest writer adds to them in the statement that stores the decode errors, so they are exact
-- (a batch is never committed twice) and the API reads a few rows instead of decode_errors.
-- A node's valid events by kind are nodes.events_by_type (010_node_event_counts.sql). Retention
-- does not drop either.
--
-- A NULL discriminator is a frame too short to carry one; field_path and byte_offset are NULL
-- for an event PostgreSQL refused. Frames of a connection whose node information did not
-- decode belong to no node and are not counted.
CREATE TABLE conformance_errors (
    node_id text NOT NULL,
    discriminator smallint,
    field_path text,
    byte_offset integer,
    reason text NOT NULL,           -- its first 500 characters: an index key has a size limit
    count bigint NOT NULL,
    first_error_id bigint NOT NULL, -- the decode_errors row of the first such frame
    UNIQUE NULLS NOT DISTINCT (node_id, discriminator, field_path, byte_offset, reason)
);

-- What was stored before this migration.
INSERT INTO conformance_errors (node_id, discriminator, field_path, byte_offset, reason, count,
                                first_error_id)
SELECT node_id, discriminator, field_path, byte_offset, left(reason, 500), count(*), min(id)
FROM decode_errors WHERE node_id IS NOT NULL
GROUP BY node_id, discriminator, field_path, byte_offset, left(reason, 500);
