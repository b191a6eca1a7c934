"""Payloads in the exact shapes the tools document (and the seed shows)."""

from __future__ import annotations

import copy
from typing import Any

STARTS = "2026-02-05T18:00:00Z"


def am_alert(
    alertname: str = "HighLatency",
    service: str | None = "api-gateway",
    *,
    status: str = "firing",
    severity: str = "critical",
    starts_at: str = STARTS,
    ends_at: str = "0001-01-01T00:00:00Z",
    fingerprint: str | None = None,
    summary: str | None = "High latency on API Gateway",
    **labels: str,
) -> dict[str, Any]:
    """One alert of Alertmanager's webhook payload (version 4)."""
    alert: dict[str, Any] = {
        "status": status,
        "labels": {
            "alertname": alertname,
            "severity": severity,
            "namespace": "production",
            **({"service": service} if service else {}),
            **labels,
        },
        "annotations": {"description": "P99 latency > 500ms for 5 minutes"},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=latency",
    }
    if summary:
        alert["annotations"]["summary"] = summary
    if fingerprint:
        alert["fingerprint"] = fingerprint
    return alert


def alertmanager(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's webhook body around `alerts` (the seed's example when none are given)."""
    alerts = alerts or (am_alert(),)
    firing = any(a["status"] == "firing" for a in alerts)
    first = alerts[0]["labels"]
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{first.get("alertname", "")}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "imas",
        "groupLabels": {"alertname": first.get("alertname", "")},
        "commonLabels": {"alertname": first.get("alertname", "")},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


SEED_ALERTMANAGER = {
    "version": "4",
    "groupKey": '{}:{alertname="HighLatency"}',
    "status": "firing",
    "receiver": "imas",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighLatency",
                "severity": "critical",
                "service": "api-gateway",
                "namespace": "production",
            },
            "annotations": {
                "summary": "High latency on API Gateway",
                "description": "P99 latency > 500ms for 5 minutes",
            },
            "startsAt": "2026-02-05T18:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
        }
    ],
}

# Grafana's documented webhook example (two alerts of one notification).
GRAFANA = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        },
        {
            "status": "firing",
            "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
            "annotations": {
                "description": "The system has high CPU usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone eu-1",
            },
            "startsAt": "2021-10-12T09:56:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
            "fingerprint": "bc97ff14869b13e3",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "https://play.grafana.org/d/z9fD2yvnk",
            "panelURL": "https://play.grafana.org/d/z9fD2yvnk?viewPanel=2",
            "values": {"B": 44.23943737541908, "C": 1},
        },
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n...",
}

# The seed's Grafana example.
SEED_GRAFANA = {
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighMemory", "service": "database"},
            "annotations": {
                "summary": "Memory usage high",
                "description": "Memory > 90% on database server",
            },
        }
    ],
}

# The seed's Datadog example.
SEED_DATADOG = {
    "id": "1234567890",
    "title": "High CPU on web-server-01",
    "alert_status": "Triggered",
    "alert_type": "error",
    "tags": "service:web-app,env:production",
    "body": "CPU usage exceeded 90% for 10 minutes",
    "alert_metric": "system.cpu.user",
    "last_updated": "1707152400",
}


def datadog(
    *,
    event_id: str = "7064829436429640331",
    transition: str = "Triggered",
    alert_type: str = "error",
    title: str | None = None,
    aggreg_key: str = "c2b3a1e0ff",
    tags: str = "service:web-app,env:production,host:web-server-01",
) -> dict[str, Any]:
    """The seed's fields plus the template variables README recommends."""
    return {
        "id": event_id,
        "title": title or f"[{transition}] High CPU on web-server-01",
        "alert_status": transition,
        "alert_transition": transition,
        "alert_type": alert_type,
        "tags": tags,
        "body": "CPU usage exceeded 90% for 10 minutes",
        "alert_metric": "system.cpu.user",
        "alert_id": "12345",
        "alert_scope": "host:web-server-01",
        "aggreg_key": aggreg_key,
        "link": "https://app.datadoghq.com/event/event?id=" + event_id,
        "last_updated": "1707152400000",
    }


# The seed's generic example.
SEED_GENERIC = {
    "title": "Custom Alert",
    "description": "Something happened",
    "severity": "high",
    "service": "my-service",
    "source": "custom-monitor",
    "labels": {"environment": "production"},
}

# PagerDuty's documented trigger example (Events API v2).
PAGERDUTY_TRIGGER = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "routing_key": "e93facc04764012d7bfb002500d5d1a6",
    "dedup_key": "srv01/mysql",
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.service.com",
    "links": [{"href": "http://acme.pagerduty.com", "text": "An Example Link"}],
    "images": [
        {
            "src": "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,8,2,1",
            "href": "https://google.com",
            "alt": "An example link with an image",
        }
    ],
}


def pagerduty(action: str, dedup_key: str = "srv01/mysql", **changes: Any) -> dict[str, Any]:
    if action == "trigger":
        event = copy.deepcopy(PAGERDUTY_TRIGGER)
        event["dedup_key"] = dedup_key
        event["payload"].update(changes)
        return event
    # PagerDuty's documented acknowledge / resolve body.
    return {
        "routing_key": "e93facc04764012d7bfb002500d5d1a6",
        "dedup_key": dedup_key,
        "event_action": action,
    }


def resolved(payload: dict[str, Any], ends_at: str = "2026-02-05T18:30:00Z") -> dict[str, Any]:
    """The same Alertmanager notification, resolved."""
    out = copy.deepcopy(payload)
    out["status"] = "resolved"
    for alert in out["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = ends_at
    return out
