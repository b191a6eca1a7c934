"""The pipelines domain's errors, with the seed's business codes (`PIPELINE_VALIDATION_ERROR`,
`CONNECTOR_CONNECTION_FAILED`) in IMAS's one error shape."""

from __future__ import annotations

from imas.errors import Conflict, IMASError


class PipelineInvalid(IMASError):
    """`details` is the seed's `{"field", "issue"}`."""

    status_code = 400
    code = "PIPELINE_VALIDATION_ERROR"
    error = "Pipeline configuration is invalid"

    def __init__(self, field: str, issue: str) -> None:
        super().__init__(f"{field}: {issue}", details={"field": field, "issue": issue})


class ConnectorInvalid(IMASError):
    status_code = 400
    code = "validation_error"
    error = "Validation failed"

    def __init__(self, field: str, issue: str) -> None:
        super().__init__(f"{field}: {issue}", details={"field": field, "issue": issue})


class ConnectionFailed(IMASError):
    """The connector's source could not be reached or refused us (schema reads)."""

    status_code = 400
    code = "CONNECTOR_CONNECTION_FAILED"
    error = "Connection failed"


class ConnectorInUse(Conflict):
    error = "Connector in use"


class RunNotStoppable(Conflict):
    error = "Run not stoppable"
