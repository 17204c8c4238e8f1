-- /api/analytics/health counts the frames that did not decode in its window (the last few
-- minutes); without this index it would read the whole table for it.
CREATE INDEX decode_errors_received ON decode_errors (received_at);
