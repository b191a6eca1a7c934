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


# Azure Monitor (common alert schema) --------------------------------------------------------

# The seed's Azure Data Factory alert; its `"columns": [...]` (an elision, not JSON) spelled
# out as the columns of its rows (ADFPipelineRun joined with ADFActivityRun).
ADF_COLUMNS = [
    {"name": "TimeGenerated", "type": "datetime"},
    {"name": "PipelineName", "type": "string"},
    {"name": "RunId", "type": "string"},
    {"name": "ActivityName", "type": "string"},
    {"name": "ErrorCode", "type": "string"},
    {"name": "ErrorMessage", "type": "string"},
]
SEED_AZURE_MONITOR: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertRule": "adf-pipeline-failure-alert",
            "severity": "Sev3",
            "signalType": "Log",
            "monitoringService": "Log Analytics",
            "alertTargetIDs": ["/subscriptions/..."],
        },
        "alertContext": {
            "SearchQuery": "ADFPipelineRun | where Status == 'Failed'",
            "SearchResults": {
                "tables": [
                    {
                        "name": "PrimaryResult",
                        "columns": ADF_COLUMNS,
                        "rows": [
                            [
                                "2025-12-12T10:00:00Z",
                                "pipeline-name",
                                "run-id-12345",
                                "Copy Activity",
                                "2200",
                                "Source blob not found",
                            ]
                        ],
                    }
                ]
            },
        },
    },
}


def adf_rows(*rows: list[str]) -> dict[str, Any]:
    """The seed's Data Factory alert with other result rows."""
    payload = copy.deepcopy(SEED_AZURE_MONITOR)
    payload["data"]["alertContext"]["SearchResults"]["tables"][0]["rows"] = [*rows]
    return payload


def adf_row(run_id: str, message: str, pipeline: str = "pipeline-name") -> list[str]:
    return ["2025-12-12T10:00:00Z", pipeline, run_id, "Copy Activity", "2200", message]


# Microsoft's sample alert payload (a metric alert, resolved).
AZURE_METRIC_RESOLVED: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/"
            "alerts/b9569717-bc32-442f-add5-83a997729330",
            "alertRule": "WCUS-R2-Gen2",
            "severity": "Sev3",
            "signalType": "Metric",
            "monitorCondition": "Resolved",
            "monitoringService": "Platform",
            "alertTargetIDs": [
                "/subscriptions/<subscription ID>/resourcegroups/pipelinealertrg/providers/"
                "microsoft.compute/virtualmachines/wcus-r2-gen2"
            ],
            "configurationItems": ["wcus-r2-gen2"],
            "originAlertId": "3f2d4487-b0fc-4125-8bd5-7ad17384221e_PipeLineAlertRG_"
            "microsoft.insights_metricAlerts_WCUS-R2-Gen2_-117781227",
            "firedDateTime": "2019-03-22T13:58:24.3713213Z",
            "resolvedDateTime": "2019-03-22T14:03:16.2246313Z",
            "description": "",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
        },
        "alertContext": {
            "properties": None,
            "conditionType": "SingleResourceMultipleMetricCriteria",
            "condition": {
                "windowSize": "PT5M",
                "allOf": [
                    {
                        "metricName": "Percentage CPU",
                        "metricNamespace": "Microsoft.Compute/virtualMachines",
                        "operator": "GreaterThan",
                        "threshold": "25",
                        "timeAggregation": "Average",
                        "dimensions": [
                            {"name": "ResourceId", "value": "3efad9dc-3d50-4eac-9c87-8b3fd6f97e4e"}
                        ],
                        "metricValue": 7.727,
                    }
                ],
            },
        },
    },
}


def azure_fired(
    payload: dict[str, Any] = AZURE_METRIC_RESOLVED, **essentials: Any
) -> dict[str, Any]:
    """The same alert when it fired (no resolvedDateTime yet)."""
    out = copy.deepcopy(payload)
    out["data"]["essentials"]["monitorCondition"] = "Fired"
    out["data"]["essentials"].pop("resolvedDateTime", None)
    out["data"]["essentials"].update(essentials)
    return out


# Microsoft's sample of a log search alert of the Log Analytics API (results embedded).
AZURE_LOG_ANALYTICS: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/12345a-1234b-123c-123d-12345678e/providers/"
            "Microsoft.AlertsManagement/alerts/12345a-1234b-123c-123d-12345678e",
            "alertRule": "Perf-Processor-Time",
            "severity": "Sev2",
            "signalType": "Log",
            "monitorCondition": "Fired",
            "monitoringService": "Log Analytics",
            "alertTargetIDs": [
                "/subscriptions/12345a-1234b-123c-123d-12345678e/resourcegroups/test/"
                "providers/microsoft.operationalinsights/workspaces/test"
            ],
            "originAlertId": "12345a-1234b-123c-123d-12345678e_PipeLineAlertRG",
            "firedDateTime": "2019-03-22T13:51:31.4373218Z",
            "description": "Processor time above threshold",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.1",
        },
        "alertContext": {
            "SearchQuery": 'Perf | where ObjectName == "Processor" and CounterName == '
            '"% Processor Time" | summarize AggregatedValue = avg(CounterValue) by '
            "bin(TimeGenerated, 5m), Computer",
            "SearchIntervalStartTimeUtc": "3/22/2019 1:36:31 PM",
            "SearchIntervalEndtimeUtc": "3/22/2019 1:51:31 PM",
            "ResultCount": 2,
            "LinkToSearchResults": "https://portal.azure.com/#Analyticsblade/search/index?"
            "_timeInterval.intervalEnd=2018-03-26T09%3a10%3a40.0000000Z"
            "&_timeInterval.intervalDuration=3600&q=Usage",
            "LinkToFilteredSearchResultsUI": "https://portal.azure.com/#Analyticsblade/search/"
            "index?_timeInterval.intervalEnd=2018-03-26T09%3a10%3a40.0000000Z"
            "&_timeInterval.intervalDuration=3600&q=Usage",
            "LinkToSearchResultsAPI": "https://api.loganalytics.io/v1/workspaces/workspaceID/"
            "query?query=Heartbeat&timespan=2020-05-07T18%3a11%3a51.0000000Z%2f"
            "2020-05-07T18%3a16%3a51.0000000Z",
            "SeverityDescription": "Warning",
            "WorkspaceId": "12345a-1234b-123c-123d-12345678e",
            "SearchIntervalDurationMin": "15",
            "AffectedConfigurationItems": ["INC-Gen2Alert"],
            "SearchIntervalInMinutes": "15",
            "Threshold": 10000,
            "Operator": "Less Than",
            "Dimensions": [{"name": "Computer", "value": "INC-Gen2Alert"}],
            "SearchResults": {
                "tables": [
                    {
                        "name": "PrimaryResult",
                        "columns": [
                            {"name": "$table", "type": "string"},
                            {"name": "Computer", "type": "string"},
                            {"name": "TimeGenerated", "type": "datetime"},
                        ],
                        "rows": [
                            ["Fabrikam", "33446677a", "2018-02-02T15:03:12.18Z"],
                            ["Contoso", "33445566b", "2018-02-02T15:16:53.932Z"],
                        ],
                    }
                ],
                "dataSources": [
                    {
                        "resourceId": "/subscriptions/a5ea55e2-7482-49ba-90b3-60e7496dd873/"
                        "resourcegroups/test/providers/microsoft.operationalinsights/"
                        "workspaces/test",
                        "tables": ["Heartbeat"],
                    }
                ],
            },
            "IncludedSearchResults": "True",
            "AlertType": "Metric measurement",
        },
    },
}

# Microsoft's sample of a log search alert of the current API (monitoringService "Log Alerts
# V2": no embedded results; the rule's custom properties in alertContext.properties).
AZURE_LOG_V2: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/12345a-1234b-123c-123d-12345678e/providers/"
            "Microsoft.AlertsManagement/alerts/12345a-1234b-123c-123d-12345678e",
            "alertRule": "AcmeRule",
            "severity": "Sev4",
            "signalType": "Log",
            "monitorCondition": "Fired",
            "monitoringService": "Log Alerts V2",
            "alertTargetIDs": [
                "/subscriptions/12345a-1234b-123c-123d-12345678e/resourcegroups/ai-engineering/"
                "providers/microsoft.compute/virtualmachines/testvm"
            ],
            "originAlertId": "123c123d-1a23-1bf3-ba1d-dd1234ff5a67",
            "firedDateTime": "2020-07-09T14:04:49.99645Z",
            "description": "log alert rule V2",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
        },
        "alertContext": {
            "properties": {"name1": "value1", "name2": "value2"},
            "conditionType": "LogQueryCriteria",
            "condition": {
                "windowSize": "PT10M",
                "allOf": [
                    {
                        "searchQuery": "Heartbeat",
                        "metricMeasureColumn": "CounterValue",
                        "targetResourceTypes": "['Microsoft.Compute/virtualMachines']",
                        "operator": "LowerThan",
                        "threshold": "1",
                        "timeAggregation": "Count",
                        "dimensions": [{"name": "Computer", "value": "TestComputer"}],
                        "metricValue": 0.0,
                        "failingPeriods": {
                            "numberOfEvaluationPeriods": 1,
                            "minFailingPeriodsToAlert": 1,
                        },
                        "linkToSearchResultsUI": "https://portal.azure.com#@12345a-1234b-123c-"
                        "123d-12345678e/blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/q/"
                        "Heartbeat",
                        "linkToFilteredSearchResultsUI": "https://portal.azure.com#@12345a-"
                        "1234b-123c-123d-12345678e/blade/Microsoft_Azure_Monitoring_Logs/"
                        "LogsBlade/q/Heartbeat/filtered",
                        "linkToSearchResultsAPI": "https://api.loganalytics.io/v1/subscriptions/"
                        "12345a-1234b-123c-123d-12345678e/query?query=Heartbeat",
                        "linkToFilteredSearchResultsAPI": "https://api.loganalytics.io/v1/"
                        "subscriptions/12345a-1234b-123c-123d-12345678e/query?query=Heartbeat",
                    }
                ],
                "windowStartTime": "2020-07-07T13:54:34Z",
                "windowEndTime": "2020-07-09T13:54:34Z",
            },
        },
    },
}


# Databricks ---------------------------------------------------------------------------------

# The seed's Databricks alert (Azure Monitor about the workspace's clusters), verbatim.
SEED_DATABRICKS: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {"alertRule": "databricks-cluster-failure", "severity": "Sev2"},
        "alertContext": {
            "SearchQuery": "DatabricksClusters | where clusterState == 'Error'",
            "SearchResults": {
                "tables": [
                    {
                        "rows": [
                            [
                                "2025-12-12T10:00:00Z",
                                "cluster-id-123",
                                "production-cluster",
                                "Error",
                                "CLOUD_PROVIDER_LAUNCH_FAILURE",
                            ]
                        ]
                    }
                ]
            },
        },
    },
}


def databricks_job(
    event_type: str = "jobs.on_failure",
    run_id: str = "123456789",
    *,
    task_key: str | None = None,
    parent_run_id: str | None = None,
    name: str = "nightly-etl",
    **extra: Any,
) -> dict[str, Any]:
    """A job's webhook notification as Databricks documents it (plus a sender's `extra`)."""
    event: dict[str, Any] = {
        "event_type": event_type,
        "workspace_id": "1234567890123456",
        "run": {"run_id": run_id},
        "job": {"job_id": "516892700102118", "name": name},
    }
    if task_key:
        event["task"] = {"task_key": task_key}
    if parent_run_id:
        event["run"]["parent_run_id"] = parent_run_id
    return {**event, **extra}


# Airflow ------------------------------------------------------------------------------------

# The seed's Airflow failure callback body, verbatim.
SEED_AIRFLOW: dict[str, Any] = {
    "dag_id": "prod_etl_pipeline",
    "task_id": "extract_from_database",
    "execution_date": "2025-12-12T10:00:00",
    "run_id": "manual__2025-12-12T10:00:00",
    "state": "failed",
    "try_number": 1,
    "max_tries": 3,
    "exception": "psycopg2.OperationalError: could not connect to server: Connection refused",
    "log_url": "http://airflow:8080/dags/prod_etl_pipeline/grid?dag_run_id=manual__2025-12-12T10:00:00",
    "operator": "PostgresOperator",
}


def airflow(**changes: Any) -> dict[str, Any]:
    """The seed's callback body with `changes` (a key set to None is left out)."""
    body = {**SEED_AIRFLOW, **changes}
    return {k: v for k, v in body.items() if v is not None}
