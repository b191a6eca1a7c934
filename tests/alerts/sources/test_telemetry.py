"""IMAS's metric alert rules as an alert source (`telemetry`)."""

from __future__ import annotations

from imas.alerts.sources import registry


def parse(payload):
    return registry.configured("telemetry", {}).parse(payload)


FIRING = {
    "rule": {"id": "r-1", "name": "CPU high"},
    "status": "firing",
    "labels": {"host": "web-01", "service": "frontend", "metric": "cpu_usage"},
    "annotations": {"summary": "CPU above 90% on web-01"},
    "severity": "critical",
    "value": 97.5,
    "condition": "avg(cpu_usage[60s]) > 90",
    "occurred_at": "2026-01-01T00:00:00Z",
}


class TestParse:
    def test_a_firing_series(self):
        [alert] = parse(FIRING)
        assert alert.status == "firing"
        assert alert.title == "CPU above 90% on web-01"
        assert alert.severity == "SEV1_CRITICAL"
        assert alert.service_name == "frontend"
        assert alert.labels == {**FIRING["labels"], "alertname": "CPU high", "rule_id": "r-1"}
        assert alert.annotations["condition"] == "avg(cpu_usage[60s]) > 90"
        assert alert.starts_at is not None
        assert alert.ends_at is None

    def test_the_fingerprint_is_the_rule_and_labels(self):
        [firing] = parse(FIRING)
        [resolved] = parse({**FIRING, "status": "resolved", "value": 10})
        [renamed] = parse({**FIRING, "rule": {"id": "r-1", "name": "CPU very high"}})
        [other] = parse({**FIRING, "labels": {**FIRING["labels"], "host": "web-02"}})
        assert firing.fingerprint == resolved.fingerprint == renamed.fingerprint
        assert other.fingerprint != firing.fingerprint
        assert firing.fingerprint.startswith("telemetry:r-1:")
        assert resolved.status == "resolved"
        assert resolved.ends_at is not None

    def test_without_summary_the_title_names_the_rule_and_value(self):
        [alert] = parse({**FIRING, "annotations": {}})
        assert alert.title == "CPU high (value 97.5)"

    def test_it_is_registered(self):
        assert "telemetry" in registry.kinds()
