"""The rules of the telemetry domain, one module per use case."""
