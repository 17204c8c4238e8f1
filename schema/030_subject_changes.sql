-- Which blocks and work-packages a commit changed, announced in the committing transaction on
-- the channel tart_changes (tart.db.CHANGES_CHANNEL), so that a web worker keeps a block's or a
-- work-package's page until a commit changes *it* rather than until any commit. The payload is
-- "<last event id> <subject> ...": the highest event id of the batch (to be ordered against
-- the writer's tart_events notification) and the subjects, b<header hash>, s<slot> and
-- w<work-package hash> (tart.web.live.changes), or "*" when too many for one notification.
--
-- Statement triggers on the tables that 016 and 017 keep, so they run only when a batch changes
-- them, once per statement, over its transition table. A transition table can serve one event
-- only: an INSERT ... ON CONFLICT DO UPDATE runs both the INSERT and the UPDATE trigger.
--
-- The batch's highest id: the writers hold their lock from their first id to their commit and
-- the sequence hands out ids one at a time (CACHE 1), so its last value is this batch's last id
-- (or a higher one taken by a tool that does not lock, which only makes a page render sooner).

CREATE FUNCTION tart_announce_changes(subjects text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
BEGIN
    IF subjects IS NULL THEN
        RETURN;  -- the statement changed no row
    END IF;
    last_id := pg_sequence_last_value('events_id_seq');
    IF last_id IS NULL THEN  -- no id taken from the sequence yet: rows with ids of their own
        SELECT coalesce(max(id), 0) INTO last_id FROM events;
    END IF;
    -- A payload must be shorter than 8000 bytes.
    PERFORM pg_notify('tart_changes', last_id || ' '
        || CASE WHEN octet_length(subjects) > 7900 THEN '*' ELSE subjects END);
END
$$;

-- A block's page by hash, and by slot: a slot's page shows every block of the slot.
CREATE FUNCTION tart_announce_blocks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT subject, ' ')
        FROM changed, unnest(ARRAY['b' || header_hash, 's' || slot]) subject
        WHERE subject IS NOT NULL));
    RETURN NULL;
END
$$;

-- A sighting changes its block's page, and the block's slot's: the one in `blocks`, which the
-- slot page reads (a node's sighting may not know the slot).
CREATE FUNCTION tart_announce_sightings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT subject, ' ')
        FROM (SELECT DISTINCT header_hash FROM changed) c
        LEFT JOIN blocks k USING (header_hash),
        unnest(ARRAY['b' || c.header_hash, 's' || k.slot]) subject
        WHERE subject IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE FUNCTION tart_announce_work_packages() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT 'w' || work_package_hash, ' ') FROM changed
        WHERE work_package_hash IS NOT NULL));
    RETURN NULL;
END
$$;

-- A failure is shown with its pipeline, once that pipeline knows its package.
CREATE FUNCTION tart_announce_work_package_failures() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tart_announce_changes((
        SELECT string_agg(DISTINCT 'w' || p.work_package_hash, ' ')
        FROM changed f JOIN work_package_pipelines p USING (session_id, submission_id)
        WHERE p.work_package_hash IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE TRIGGER blocks_inserted_announced AFTER INSERT ON blocks
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_blocks();
CREATE TRIGGER blocks_updated_announced AFTER UPDATE ON blocks
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_blocks();

CREATE TRIGGER block_sightings_inserted_announced AFTER INSERT ON block_sightings
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_sightings();
CREATE TRIGGER block_sightings_updated_announced AFTER UPDATE ON block_sightings
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_sightings();

CREATE TRIGGER work_packages_inserted_announced AFTER INSERT ON work_packages
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_work_packages();
CREATE TRIGGER work_packages_updated_announced AFTER UPDATE ON work_packages
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_work_packages();

CREATE TRIGGER work_package_pipelines_inserted_announced AFTER INSERT ON work_package_pipelines
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_work_packages();
CREATE TRIGGER work_package_pipelines_updated_announced AFTER UPDATE ON work_package_pipelines
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_work_packages();

CREATE TRIGGER work_package_failures_inserted_announced AFTER INSERT ON work_package_failures
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION tart_announce_work_package_failures();
