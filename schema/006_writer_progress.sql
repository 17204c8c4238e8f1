-- Each ingest writer lane records, in the transaction of every commit it sends, the number of
-- that commit. When a connection is lost while a commit is on its way, the writer cannot know
-- from the error whether it went through; after the old server process is gone it reads its
-- row here, and sends the commit again only if it did not, so no event is stored twice.
CREATE TABLE writer_progress (
    writer bigint NOT NULL,     -- the writer's key, random per ingest process
    lane smallint NOT NULL,     -- which of its connections
    token bigint NOT NULL,      -- the lane's last commit
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (writer, lane)
) WITH (fillfactor = 50);
