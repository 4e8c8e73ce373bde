"""Vulnerability matching from OSV data: version schemes, OSV records, the SQLite store, feeds."""
