"""Custom metrics (seed 002's `/metrics`, Prometheus text too) and alert rules evaluated on them."""
