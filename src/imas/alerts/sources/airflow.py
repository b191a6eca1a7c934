"""Apache Airflow failure callbacks: the body the seed's `on_failure_callback` posts, one task
instance per post (or a JSON array of them, a replay).

One alert per DAG run and task (`dag_id`, `run_id`, `task_id`): a retry that fails again is a
repeat of it, not a new ticket; the same body with `"state": "success"` (from an
`on_success_callback`) resolves it. Airflow states that are neither a failure nor a success
(running, queued, skipped...) make no alert. The DAG names the service unless the body names
one (`service`, or a `service:<name>` tag).

https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/callbacks.html
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from imas.alerts.classification import Classification
from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    bounded_fingerprint,
    links_of,
    one_or_many,
    real_time,
    title_of,
)
from imas.alerts.sources.datadog import tags_to_labels
from imas.alerts.sources.failures import ERROR_TEXT_MAX, FailureSource, Remedy, cut
from imas.incidents.models import Severity
from imas.types import UtcDateTime


def _state(value: Any) -> Any:
    """`failed`, also as `FAILED` or `TaskInstanceState.FAILED` (an enum's str())."""
    return value.strip().lower().rsplit(".", 1)[-1] if isinstance(value, str) else value


State = Annotated[
    Literal[
        "failed",
        "up_for_retry",
        "upstream_failed",
        "shutdown",
        "success",
        "skipped",
        "removed",
        "running",
        "queued",
        "scheduled",
        "restarting",
        "up_for_reschedule",
        "deferred",
        "none",
    ],
    BeforeValidator(_state),
]
FAILED_STATES = frozenset({"failed", "up_for_retry", "upstream_failed", "shutdown"})


class AirflowCallback(BaseModel):
    dag_id: str = Field(min_length=1, max_length=250)
    task_id: str | None = Field(default=None, max_length=250)
    run_id: str | None = Field(default=None, max_length=250)
    execution_date: UtcDateTime | None = None
    logical_date: UtcDateTime | None = None
    state: State | None = Field(default=None, description="The task instance's; failed if absent")
    try_number: int | None = Field(default=None, ge=0)
    max_tries: int | None = Field(default=None, ge=0)
    exception: str | None = None
    log_url: str | None = None
    operator: str | None = None
    reason: str | None = None
    owner: str | None = None
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None
    service: str | None = Field(default=None, max_length=100)
    severity: str | None = Field(default=None, max_length=50)
    tags: list[str] | str | None = None

    @model_validator(mode="after")
    def _identified(self) -> AirflowCallback:
        if not (self.run_id or self.execution_date or self.logical_date):
            raise ValueError("a callback needs the DAG run's run_id (or its execution_date)")
        return self

    @property
    def run(self) -> str:
        if self.run_id:
            return self.run_id
        when = self.logical_date or self.execution_date
        assert when is not None
        return when.isoformat().replace("+00:00", "Z")


class AirflowSource(FailureSource):
    kind = "airflow"
    title = "Apache Airflow"
    accepts_list = True
    payload_model: ClassVar[type[BaseModel]] = AirflowCallback
    severity_table = {  # for a body that adds a `severity` of its own
        "critical": Severity.SEV1_CRITICAL,
        "high": Severity.SEV2_HIGH,
        "error": Severity.SEV2_HIGH,
        "medium": Severity.SEV3_MEDIUM,
        "warning": Severity.SEV3_MEDIUM,
        "low": Severity.SEV4_LOW,
        "info": Severity.SEV4_LOW,
    }

    @classmethod
    def remedy(cls, labels: dict[str, str], found: Classification) -> Remedy | None:
        """A retryable failure of a task: clear it (Airflow runs it again)."""
        if found.action not in ("retry_task", "retry_with_backoff") or not labels.get("dag_id"):
            return None
        parameters = {"dag_id": labels["dag_id"]}
        for param, label in (("dag_run_id", "run_id"), ("task_id", "task_id")):
            if labels.get(label):
                parameters[param] = labels[label]
        return Remedy("airflow_clear_task", parameters)

    def parse(self, payload: Any) -> list[AlertIn]:
        events = one_or_many(self, payload)
        parsed = [self.validate(AirflowCallback, event) for event in events]
        return [
            alert
            for callback, raw in zip(parsed, events, strict=True)
            if (alert := self.normalize(callback, raw)) is not None
        ]

    def normalize(self, callback: AirflowCallback, raw: dict[str, Any]) -> AlertIn | None:
        state = callback.state or "failed"
        if state not in FAILED_STATES and state != "success":
            return None
        where = f"{callback.dag_id}.{callback.task_id}" if callback.task_id else callback.dag_id
        title = title_of(
            f"Airflow {'task' if callback.task_id else 'DAG'} {where} failed",
            fallback="Airflow failure",
        )
        fingerprint = bounded_fingerprint(
            "/".join(p for p in (callback.dag_id, callback.run, callback.task_id) if p)
        )
        links = links_of(callback.log_url)
        if state == "success":
            return AlertIn(
                fingerprint=fingerprint,
                status=AlertStatus.RESOLVED,
                title=title,
                labels={"run_id": callback.run},
                ends_at=real_time(callback.end_date),
                links=links,
                update_only=True,
                raw=raw,
            )
        labels = self.callback_labels(callback, state)
        error = callback.exception or ""
        annotations = {"exception": cut(error, ERROR_TEXT_MAX)} if error else {}
        if callback.log_url:
            annotations["log_url"] = callback.log_url
        found = self.classified(error, labels, annotations)
        return AlertIn(
            fingerprint=fingerprint,
            status=AlertStatus.FIRING,
            title=title,
            description=error,
            labels=labels,
            annotations=annotations,
            severity=self.severity_of(callback.severity, found),
            service_name=labels["service"],
            starts_at=real_time(callback.end_date),
            links=links,
            raw=raw,
        )

    def callback_labels(self, callback: AirflowCallback, state: str) -> dict[str, str]:
        labels = {k: v for k, v in tags_to_labels(callback.tags).items() if v}  # key:value tags
        when = callback.logical_date or callback.execution_date
        for key, value in (
            ("dag_id", callback.dag_id),
            ("task_id", callback.task_id),
            ("run_id", callback.run),
            ("execution_date", when.isoformat().replace("+00:00", "Z") if when else None),
            ("state", state),
            ("try_number", callback.try_number),
            ("max_tries", callback.max_tries),
            ("operator", callback.operator),
            ("owner", callback.owner),
            ("reason", callback.reason),
        ):
            if value is not None and value != "":
                labels[key] = str(value)
        labels["alertname"] = callback.dag_id
        labels["service"] = (
            callback.service or labels.get(self.config.service_label) or callback.dag_id
        )
        return labels
