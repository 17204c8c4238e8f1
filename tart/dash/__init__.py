"""`tart dash`: the terminal dashboard, a client of TART's public API (tart.client)."""
