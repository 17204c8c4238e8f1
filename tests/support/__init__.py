"""Helpers for TART's tests: a real PostgreSQL (db) and real processes (procs)."""
