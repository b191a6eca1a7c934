"""Azure Monitor alerts in the common alert schema, posted by an action group's webhook (with
"Enable the common alert schema" on): metric, log search, activity log and service health
alerts, one alert per post.

The essentials give the identity (`alertId`), the state (`monitorCondition` Fired/Resolved) and
the severity (Sev0-Sev4). A log search alert that embeds its results (the seed's Azure Data
Factory alert: `alertContext.SearchQuery` and `SearchResults`) and whose rows name runs (a
`RunId` column) becomes one alert per failed run, its fingerprint the run id, so the same run
reported again by a later evaluation is a duplicate, not a new ticket. Such alerts are
stateless in Azure (they never resolve); stateful ones (metric, Log Alerts V2) carry no rows and
are identified by `alertId`, which their Resolved notification repeats.

https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-payload-samples
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

from imas.alerts.classification import Classification
from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    bounded_fingerprint,
    links_of,
    real_time,
    stable_fingerprint,
    text_map,
    title_of,
)
from imas.alerts.sources.failures import ERROR_TEXT_MAX, FailureSource, Remedy, cut
from imas.incidents.models import Severity
from imas.types import UtcDateTime

PORTAL = "https://portal.azure.com/"
ROWS_CLASSIFIED = 20
"""Rows whose cells are read for the error text when no column names the error."""


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]


class Dimension(BaseModel):
    name: Text
    value: Text | None = None


class ConditionPart(BaseModel):
    """One criterion of `alertContext.condition.allOf` (metric and Log Alerts V2 rules)."""

    searchQuery: str | None = None
    metricName: str | None = None
    metricNamespace: str | None = None
    metricMeasureColumn: str | None = None
    operator: str | None = None
    threshold: Text | None = None
    timeAggregation: str | None = None
    dimensions: list[Dimension] = Field(default_factory=list)
    metricValue: float | None = None
    webTestName: str | None = None
    linkToSearchResultsUI: str | None = None
    linkToFilteredSearchResultsUI: str | None = None
    linkToSearchResultsAPI: str | None = None
    linkToFilteredSearchResultsAPI: str | None = None


class Condition(BaseModel):
    windowSize: str | None = None
    allOf: list[ConditionPart] = Field(default_factory=list)
    windowStartTime: UtcDateTime | None = None
    windowEndTime: UtcDateTime | None = None


class LogSearchColumn(BaseModel):
    name: Text
    type: str | None = None


class LogSearchTable(BaseModel):
    name: str | None = None
    columns: list[LogSearchColumn] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)


class LogSearchResults(BaseModel):
    tables: list[LogSearchTable] = Field(default_factory=list)
    dataSources: list[dict[str, Any]] = Field(default_factory=list)


class AlertContext(BaseModel):
    """The fields that depend on the kind of alert; the ones IMAS reads are typed, the others
    stay in the raw payload."""

    properties: dict[str, Any] | None = None
    conditionType: str | None = None
    condition: Condition | None = None
    # Log search alerts of the older API (monitoringService "Log Analytics" / "Application
    # Insights"), and the seed's Data Factory and Databricks alerts:
    SearchQuery: str | None = None
    SearchResults: LogSearchResults | None = None
    LinkToSearchResults: str | None = None
    LinkToFilteredSearchResultsUI: str | None = None
    Dimensions: list[Dimension] = Field(default_factory=list)
    AffectedConfigurationItems: list[str] = Field(default_factory=list)
    WorkspaceId: str | None = None


class Essentials(BaseModel):
    alertId: str | None = Field(default=None, min_length=1)
    alertRule: str = Field(min_length=1)
    severity: Literal["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"] | None = None
    signalType: str | None = None
    monitorCondition: Literal["Fired", "Resolved"] = "Fired"
    monitoringService: str | None = None
    alertTargetIDs: list[str] = Field(default_factory=list)
    configurationItems: list[str] = Field(default_factory=list)
    originAlertId: str | None = None
    firedDateTime: UtcDateTime | None = None
    resolvedDateTime: UtcDateTime | None = None
    description: str | None = None
    essentialsVersion: str | None = None
    alertContextVersion: str | None = None
    investigationLink: str | None = None


class AlertData(BaseModel):
    essentials: Essentials
    alertContext: AlertContext | None = None
    customProperties: dict[str, Any] | None = None


class AzureMonitorAlert(BaseModel):
    schemaId: Literal["azureMonitorCommonAlertSchema"]
    data: AlertData


# Column names of the embedded search results IMAS understands (compared without case and
# punctuation): ADFPipelineRun / ADFActivityRun for Data Factory, Databricks' diagnostic tables.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "run_id": ("runid", "pipelinerunid", "jobrunid"),
    "pipeline": ("pipelinename", "pipeline"),
    "activity": ("activityname", "activity"),
    "error_code": ("errorcode",),
    "error_message": (
        "errormessage",
        "error",
        "errordetails",
        "message",
        "statusmessage",
        "statemessage",
        "exception",
        "terminationreason",
        "terminationcode",
    ),
    "job_id": ("jobid",),
    "job_name": ("jobname",),
    "cluster_id": ("clusterid",),
    "cluster_name": ("clustername",),
    "cluster_state": ("clusterstate",),
    "service": ("service",),
    "time": ("timegenerated", "timestamp", "time", "eventtime"),
}
_BY_COLUMN = {alias: fact for fact, aliases in _COLUMNS.items() for alias in aliases}
_FACT_LABELS = (
    "run_id",
    "pipeline",
    "activity",
    "error_code",
    "job_id",
    "job_name",
    "cluster_id",
    "cluster_name",
    "cluster_state",
)
_TIME = TypeAdapter(UtcDateTime)

Row = dict[str, str]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return real_time(_TIME.validate_python(value))
    except ValidationError:
        return None


class AzureMonitorSource(FailureSource):
    kind = "azure-monitor"
    title = "Azure Monitor"
    payload_model: ClassVar[type[BaseModel]] = AzureMonitorAlert
    severity_table = {
        "sev0": Severity.SEV1_CRITICAL,
        "sev1": Severity.SEV2_HIGH,
        "sev2": Severity.SEV3_MEDIUM,
        "sev3": Severity.SEV3_MEDIUM,
        "sev4": Severity.SEV4_LOW,
    }
    service_facts: ClassVar[tuple[str, ...]] = ("pipeline",)
    """Facts of the search results that name the service when no label does, in order."""

    @classmethod
    def remedy(cls, labels: dict[str, str], found: Classification) -> Remedy | None:
        """A retryable Data Factory failure: rerun the pipeline from its failed run; a
        cluster that would not start: restart it."""
        if found.action == "restart_cluster" and labels.get("cluster_id"):
            return Remedy("databricks_restart_cluster", {"cluster_id": labels["cluster_id"]})
        if found.action in ("retry_task", "retry_with_backoff") and labels.get("pipeline"):
            parameters = {"pipeline_name": labels["pipeline"]}
            if labels.get("run_id"):
                parameters["run_id"] = labels["run_id"]
            return Remedy("adf_rerun_pipeline", parameters)
        return None

    def parse(self, payload: Any) -> list[AlertIn]:
        return self.from_alert(self.validate(AzureMonitorAlert, payload), payload)

    def from_alert(self, alert: AzureMonitorAlert, raw: dict[str, Any]) -> list[AlertIn]:
        """One alert per run the search results name, else one for the Azure alert."""
        table = _table(alert.data.alertContext)
        rows = [_facts(table, row) for row in table.rows] if table else []
        runs: dict[str, Row] = {}
        for row in rows:
            if row.get("run_id"):
                runs.setdefault(row["run_id"], row)
        if runs:
            return [self.normalize(alert, raw, row, [row]) for row in runs.values()]
        return [self.normalize(alert, raw, rows[0] if rows else {}, rows)]

    def normalize(
        self, alert: AzureMonitorAlert, raw: dict[str, Any], facts: Row, rows: list[Row]
    ) -> AlertIn:
        essentials, context = alert.data.essentials, alert.data.alertContext or AlertContext()
        labels = self.custom_labels(alert)
        service = labels.get(self.config.service_label) or next(
            (facts[f] for f in ("service", *self.service_facts) if facts.get(f)), None
        )
        service = service or _resource_name(essentials)
        labels.update({f: facts[f] for f in _FACT_LABELS if facts.get(f)})
        labels["alertname"] = essentials.alertRule
        for key, value in (
            ("severity", essentials.severity),
            ("signal_type", essentials.signalType),
            ("monitoring_service", essentials.monitoringService),
            ("resource", _resource_name(essentials)),
            ("service", service),
        ):
            if value:
                labels[key] = value
        error = " ".join(v for v in (facts.get("error_message"), facts.get("error_code")) if v)
        if not error:
            error = " ".join(v for row in rows[:ROWS_CLASSIFIED] for v in row.values() if v)
        annotations = {
            key: value
            for key, value in (
                ("description", essentials.description),
                ("search_query", _search_query(context)),
                ("error_message", cut(facts.get("error_message", ""), ERROR_TEXT_MAX)),
            )
            if value
        }
        found = self.classified(f"{essentials.description or ''} {error}", labels, annotations)
        resolved = essentials.monitorCondition == "Resolved"
        return AlertIn(
            fingerprint=self.fingerprint(alert, facts, rows),
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            title=self.title_for(essentials.alertRule, facts),
            description="\n\n".join(
                part for part in (essentials.description, facts.get("error_message")) if part
            ),
            labels=labels,
            annotations=annotations,
            severity=self.severity_of(essentials.severity, found),
            service_name=service,
            starts_at=(_time(facts.get("time")) if facts.get("run_id") else None)
            or real_time(essentials.firedDateTime),
            ends_at=real_time(essentials.resolvedDateTime) if resolved else None,
            links=links_of(*_links(essentials, context)),
            raw=raw,
        )

    def custom_labels(self, alert: AzureMonitorAlert) -> dict[str, str]:
        """The rule's custom properties and the alert's dimensions."""
        context = alert.data.alertContext or AlertContext()
        labels = text_map(alert.data.customProperties)
        labels.update(text_map(context.properties))
        for dimension in _dimensions(context):
            if dimension.value:
                labels.setdefault(dimension.name, dimension.value)
        return labels

    @staticmethod
    def fingerprint(alert: AzureMonitorAlert, facts: Row, rows: list[Row]) -> str:
        """The run's id, else Azure's alert id, else the rule, its targets and its rows."""
        if facts.get("run_id"):
            return bounded_fingerprint(facts["run_id"])
        essentials = alert.data.essentials
        if essentials.alertId and essentials.alertId.strip():
            return bounded_fingerprint(essentials.alertId)
        return stable_fingerprint(
            {"rule": essentials.alertRule, "targets": essentials.alertTargetIDs, "rows": rows}
        )

    @staticmethod
    def title_for(rule: str, facts: Row) -> str:
        """The rule's name; for a run, also what failed."""
        run = facts.get("run_id")
        if not run:
            return title_of(rule, fallback="Azure Monitor alert")
        subject = facts.get("pipeline") or facts.get("job_name")
        what = f"{subject} failed (run {run})" if subject else f"run {run} failed"
        return title_of(f"{rule}: {what}", fallback=rule)


def _table(context: AlertContext | None) -> LogSearchTable | None:
    if context is None or context.SearchResults is None:
        return None
    return next((t for t in context.SearchResults.tables if t.rows), None)


def _facts(table: LogSearchTable, row: list[Any]) -> Row:
    """A result row as IMAS's facts (`run_id`, `pipeline`, ...) where its columns are named,
    every cell by its column's name (or position) otherwise."""
    names = [c.name for c in table.columns]
    out: Row = {}
    for index, value in enumerate(row):
        text = _cell(value)
        name = names[index] if index < len(names) else f"column_{index}"
        fact = _BY_COLUMN.get(re.sub(r"[^a-z0-9]", "", name.lower()))
        if fact is not None and fact not in out and text:
            out[fact] = text
        elif fact is None:
            out.setdefault(f"cell:{name}", text)
    return out


def _dimensions(context: AlertContext) -> Iterator[Dimension]:
    yield from context.Dimensions
    if context.condition is not None:
        for part in context.condition.allOf:
            yield from part.dimensions


def _search_query(context: AlertContext) -> str | None:
    if context.SearchQuery:
        return context.SearchQuery
    if context.condition is not None:
        queries = [p.searchQuery for p in context.condition.allOf if p.searchQuery]
        return "\n".join(queries) or None
    return None


def _resource_name(essentials: Essentials) -> str | None:
    """The first affected resource's name (`configurationItems`, else its id's last part)."""
    for item in essentials.configurationItems:
        if item.strip():
            return item.strip().rstrip("/").rsplit("/", 1)[-1]
    for target in essentials.alertTargetIDs:
        name = target.strip().rstrip("/").rsplit("/", 1)[-1]
        if name and name not in ("...", "subscriptions"):
            return name
    return None


def _links(essentials: Essentials, context: AlertContext) -> Iterator[str | None]:
    """The alert and its resources in the Azure portal, then the log search results."""
    if essentials.alertId and essentials.alertId.lower().startswith("/subscriptions/"):
        yield (
            f"{PORTAL}#blade/Microsoft_Azure_Monitoring_Alerts/AlertDetailsTemplateBlade/"
            f"alertId/{quote(essentials.alertId, safe='')}"
        )
    yield essentials.investigationLink
    for target in essentials.alertTargetIDs:
        if target.lower().startswith("/subscriptions/") and not target.endswith("..."):
            yield f"{PORTAL}#resource{quote(target, safe='/')}"
    yield context.LinkToFilteredSearchResultsUI
    yield context.LinkToSearchResults
    if context.condition is not None:
        for part in context.condition.allOf:
            yield part.linkToFilteredSearchResultsUI
            yield part.linkToSearchResultsUI
