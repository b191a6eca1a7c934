"""Analyzers behind one interface: `builtin` (offline, always there) and `llm` (optional)."""
