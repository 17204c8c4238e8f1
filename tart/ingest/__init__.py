"""The ingest process: JAM nodes connect over TCP and stream JIP-3; every event is decoded,
numbered, rate limited, queued and written to PostgreSQL in batches by the writer.

socket → :mod:`connection` (frames, decode, numbering, rate limit) → queue → :mod:`writer`
(batches, NOTIFY) → PostgreSQL. :mod:`server` accepts and shuts down; :mod:`stats` counts.
"""
