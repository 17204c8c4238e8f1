"""`tart loadgen`: simulated JAM nodes streaming JIP-3 telemetry at a TART ingest, for tests
and benchmarks. ``nodes`` is who they are, ``mixes`` what they say, ``frames`` the bytes they
send, ``runner`` how they send them, ``command`` the command line."""
