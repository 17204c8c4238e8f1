-- The ingest writer updates every streaming node's row and session's row in each batch, about
-- once per 2,000 events. With full pages every update moved the row and left a dead version:
-- 1,024 nodes grew to 140 MB of dead tuples in a minute and the writer slowed to half. Free
-- space in each page lets PostgreSQL update in place (HOT) and prune old versions as it goes.
ALTER TABLE nodes SET (fillfactor = 30, autovacuum_vacuum_scale_factor = 0,
                       autovacuum_vacuum_threshold = 10000);
ALTER TABLE sessions SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
                          autovacuum_vacuum_threshold = 10000);
