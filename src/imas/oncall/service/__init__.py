"""The on-call rules, one module per use case."""
