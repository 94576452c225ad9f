"""HTTP API v1 of the collections app (DESIGN section 5)."""
