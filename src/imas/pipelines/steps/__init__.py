"""Step types: one module per type, found by `registry`."""
