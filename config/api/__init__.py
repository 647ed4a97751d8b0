"""Shared REST API helpers: one error body format, permissions mirroring the web UI's roles."""
