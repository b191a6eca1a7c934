"""Run actions: one module per action kind (see `base`)."""
