"""Incident analytics: the summary, weekly trends and per-service figures of `/api/v1/metrics/`,
each computed by the database in one aggregate query."""
