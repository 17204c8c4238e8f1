"""PostgreSQL, TART's only shared state: connecting, the embedded server, migrations."""

# The channel on which the ingest writer announces each batch it commits ("<first id>,<last id>")
# and the web workers' live stream listens.
EVENTS_CHANNEL = "tart_events"
# The channel on which PostgreSQL announces, in the committing transaction, which blocks and
# work-packages a batch changed (schema/030_subject_changes.sql, tart.web.live.changes), for the
# web workers' page caches.
CHANGES_CHANNEL = "tart_changes"
