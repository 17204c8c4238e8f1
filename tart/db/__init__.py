"""PostgreSQL, TART's only shared state: connecting, the embedded server, migrations."""
