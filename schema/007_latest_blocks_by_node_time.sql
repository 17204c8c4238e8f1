-- The node time (JIP-3 µs) of the event that set a node's best and finalized block: a block
-- event that arrives later but was timed earlier by the node (from its previous connection)
-- must not replace a newer one.
ALTER TABLE nodes ADD COLUMN best_timestamp numeric(20,0), ADD COLUMN finalized_timestamp numeric(20,0);
