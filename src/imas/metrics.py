"""IMAS's own Prometheus metrics, exposed at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "imas_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "imas_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_PROGRESS = Gauge("imas_http_requests_in_progress", "HTTP requests being answered")
RATE_LIMITED = Counter("imas_rate_limited_total", "Requests refused with 429", ["bucket"])
JOBS_FINISHED = Counter(
    "imas_jobs_finished_total", "Job attempts finished, by kind and outcome", ["kind", "outcome"]
)
JOB_DURATION = Histogram(
    "imas_job_duration_seconds",
    "Time a handler ran",
    ["kind"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
JOB_LAG = Histogram(
    "imas_job_lag_seconds",
    "Time from a job being due to a worker starting it",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0),
)
