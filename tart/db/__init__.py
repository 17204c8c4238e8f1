"""PostgreSQL, TART's only shared state: connecting, the embedded server, migrations."""

# The channel on which the ingest writer announces each batch it commits ("<first id>,<last id>")
# and the web workers' live stream listens.
EVENTS_CHANNEL = "tart_events"
