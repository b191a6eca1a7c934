"""Error classification: the text of a failure (an exception, a job's error message, a log
line) -> what kind of error it is, how bad, and whether retrying can fix it.

The rules are data: an ordered table of regular expressions, the first rule with a matching
pattern wins, and text no rule knows is an `UnknownError`. The Azure Monitor, Databricks and
Airflow sources put the result on their alerts; root-cause analysis reuses `classify`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from imas.incidents.models import Severity

TEXT_MAX = 20_000
"""Only the start of a very long text (a whole stack trace) is searched."""


@dataclass(frozen=True, slots=True)
class Classification:
    error_type: str
    category: str
    severity: Severity
    is_remediable: bool = False
    action: str | None = None
    """What automation may do about it (`retry_task`, `restart_cluster`...), if anything."""
    max_retries: int = 0
    suggested_action: str = ""
    """What a person should do first."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Rule:
    classification: Classification
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


def _rule(classification: Classification, *patterns: str) -> Rule:
    return Rule(classification, tuple(re.compile(p, re.IGNORECASE) for p in patterns))


def _status(code: int) -> str:
    """An HTTP status as a word of its own (not a digit run inside an id like run-4011)."""
    return rf"(?<![\w-]){code}(?![\w-])"


UNKNOWN = Classification(
    error_type="UnknownError",
    category="Unknown",
    severity=Severity.SEV3_MEDIUM,
    suggested_action="No known error pattern: read the error message and the task's log.",
)

# Order matters: the first rule that matches wins, so the specific ones come before the broad
# ones (a cluster's QuotaExceeded is a quota problem, "Table or view not found" a schema one,
# psycopg2's "OperationalError: password authentication failed" an authentication one).
RULES: tuple[Rule, ...] = (
    _rule(
        Classification(
            error_type="QuotaExceededError",
            category="CapacityError",
            severity=Severity.SEV2_HIGH,
            suggested_action="Request a quota increase or free capacity (cores, IPs, storage) "
            "in the subscription or workspace, then rerun.",
        ),
        r"quota\s*exceeded",
        r"exceed(s|ed)?\s+(the\s+|your\s+)?(\w+\s+)?quota",
        r"(insufficient|out\s+of)\s+quota",
    ),
    _rule(
        Classification(
            error_type="ThrottlingError",
            category="CapacityError",
            severity=Severity.SEV3_MEDIUM,
            is_remediable=True,
            action="retry_with_backoff",
            max_retries=5,
            suggested_action="The service is rate limiting the caller: retry with backoff and "
            "spread the load (fewer parallel tasks).",
        ),
        _status(429),
        r"too\s*many\s*requests",
        r"rate[\s_-]?limit",
        r"throttl",
        r"request\s+limit\s+(exceeded|reached)",
        r"\bSlowDown\b",
    ),
    _rule(
        Classification(
            error_type="DatabricksClusterStartFailure",
            category="InfrastructureError",
            severity=Severity.SEV2_HIGH,
            is_remediable=True,
            action="restart_cluster",
            max_retries=2,
            suggested_action="Restart the cluster; if it fails again, check the cloud "
            "provider's capacity, the instance pool and the init scripts.",
        ),
        r"DatabricksClusterStartFailure",
        r"CLOUD_PROVIDER_(LAUNCH_FAILURE|RESOURCE_STOCKOUT|SHUTDOWN)",
        r"INSTANCE_POOL_CLUSTER_FAILURE",
        r"BOOTSTRAP_TIMEOUT",
        r"SPARK_STARTUP_FAILURE",
        r"INIT_SCRIPT_FAILURE",
        r"DRIVER_UNREACHABLE",
        r"(failed|unable)\s+to\s+(start|launch)\s+(the\s+)?cluster",
        r"cluster\b.{0,80}\b(failed\s+to\s+start|could\s+not\s+be\s+(started|launched)|"
        r"terminated\s+unexpectedly)",
    ),
    _rule(
        Classification(
            error_type="OutOfMemoryError",
            category="ResourceError",
            severity=Severity.SEV2_HIGH,
            suggested_action="Give the driver/executors (or the container) more memory, or "
            "process less at once (more partitions, smaller batches).",
        ),
        r"OutOfMemory",
        r"\bMemoryError\b",
        r"out\s+of\s+memory",
        r"\bOOM(Killed)?\b",
        r"GC\s+overhead\s+limit\s+exceeded",
        r"Java\s+heap\s+space",
        r"exceeding\s+memory\s+limits",
        r"exit\s+code\s+137",
    ),
    _rule(
        Classification(
            error_type="DiskFullError",
            category="ResourceError",
            severity=Severity.SEV2_HIGH,
            suggested_action="Free disk space (temporary files, old logs, shuffle data) or "
            "attach a bigger volume, then rerun.",
        ),
        r"no\s+space\s+left\s+on\s+device",
        r"disk\s+(is\s+)?full",
        r"\bENOSPC\b",
        r"(insufficient|not\s+enough)\s+(disk\s+|storage\s+)?space",
        r"DiskFull",
    ),
    _rule(
        Classification(
            error_type="AuthenticationError",
            category="AccessError",
            severity=Severity.SEV2_HIGH,
            suggested_action="Check the credentials the job uses (expired secret, token or "
            "password; rotated key) and update the connection.",
        ),
        r"AuthenticationError",
        r"Unauthori[sz]ed",
        _status(401),
        r"authentication\s+(failed|failure|error)",
        r"invalid\s+(credentials|token|password|api\s+key|client\s+secret)",
        r"(token|credentials?|secret|password)\s+(has\s+|have\s+)?expired",
        r"login\s+failed",
        r"\bAADSTS\d+",
    ),
    _rule(
        Classification(
            error_type="PermissionError",
            category="AccessError",
            severity=Severity.SEV2_HIGH,
            suggested_action="Grant the job's identity the missing permission on the "
            "resource (role assignment, ACL, grant).",
        ),
        r"PermissionError",
        r"\bForbidden\b",
        _status(403),
        r"permission\s+denied",
        r"access\s+(is\s+)?denied",
        r"AccessDenied",
        r"AuthorizationFailed",
        r"AuthorizationPermissionMismatch",
        r"not\s+authori[sz]ed",
        r"insufficient\s+(privileges|permissions)",
    ),
    _rule(
        Classification(
            error_type="DependencyError",
            category="ConfigurationError",
            severity=Severity.SEV3_MEDIUM,
            suggested_action="Install the missing library (cluster libraries, requirements, "
            "image) or fix its version.",
        ),
        r"ModuleNotFoundError",
        r"No\s+module\s+named",
        r"\bImportError\b",
        r"ClassNotFoundException",
        r"NoClassDefFoundError",
        r"library\s+installation\s+failed",
    ),
    _rule(
        Classification(
            error_type="SchemaError",
            category="DataError",
            severity=Severity.SEV3_MEDIUM,
            suggested_action="The data no longer matches what the job expects: compare the "
            "source's schema (columns, types, keys) with the job's and update one of them.",
        ),
        r"AnalysisException",
        r"cannot\s+resolve",
        r"Table\s+or\s+view\s+not\s+found",
        r"TABLE_OR_VIEW_NOT_FOUND",
        r"UNRESOLVED_COLUMN",
        r"DATATYPE_MISMATCH",
        r"CAST_INVALID_INPUT",
        r"schema\s*mismatch",
        r"Failed\s+to\s+merge\s+fields",
        r"column\s+\S+\s+(does\s+not\s+exist|not\s+found)",
        r"UndefinedColumn",
        r"\bKeyError\b",
        r"\bTypeError\b",
        r"type\s+mismatch",
        r"cannot\s+cast",
        r"incompatible\s+(data\s+)?types?",
    ),
    _rule(
        Classification(
            error_type="FileNotFoundError",
            category="DataError",
            severity=Severity.SEV3_MEDIUM,
            suggested_action="Check that the upstream data has landed and that the path is "
            "configured correctly, then rerun.",
        ),
        r"FileNotFound",
        r"No\s+such\s+file\s+or\s+directory",
        r"PathNotFound",
        r"BlobNotFound",
        r"SourceBlobNotExists",
        r"NoSuchKey",
        r"\bENOENT\b",
        r"\b(file|blob|path|directory|folder|container|object)\b.{0,80}"
        r"(not\s+found|does\s+not\s+exist|doesn't\s+exist)",
    ),
    _rule(
        Classification(
            error_type="TimeoutError",
            category="NetworkError",
            severity=Severity.SEV3_MEDIUM,
            is_remediable=True,
            action="retry_task",
            max_retries=3,
            suggested_action="Retry; if it keeps timing out, check the remote system's load "
            "and raise the timeout.",
        ),
        r"Timeout",
        r"timed\s+out",
        r"deadline\s+exceeded",
        _status(504),
    ),
    _rule(
        Classification(
            error_type="ConnectionError",
            category="NetworkError",
            severity=Severity.SEV3_MEDIUM,
            is_remediable=True,
            action="retry_task",
            max_retries=3,
            suggested_action="Retry; if it keeps failing, check that the remote host is up and "
            "reachable (DNS, firewall, credentials of the connection).",
        ),
        r"ConnectionError",
        r"Connection(Refused|Reset|Aborted)",
        r"connection\s+(refused|reset|aborted|closed|lost)",
        r"(could\s+not|unable\s+to|failed\s+to)\s+connect",
        r"network\s+is\s+unreachable",
        r"(no\s+route\s+to|unreachable)\s+host",
        r"Name\s+or\s+service\s+not\s+known",
        r"temporary\s+failure\s+in\s+name\s+resolution",
        r"getaddrinfo\s+failed",
        r"broken\s+pipe",
        r"OperationalError",
        r"Service\s+Unavailable",
        r"Bad\s+Gateway",
        _status(502),
        _status(503),
    ),
)

_BY_TYPE = {rule.classification.error_type: rule.classification for rule in RULES}
_BY_TYPE[UNKNOWN.error_type] = UNKNOWN


def classify(text: str | None) -> Classification:
    """The classification of the first rule whose pattern occurs in `text`, else UnknownError."""
    text = (text or "")[:TEXT_MAX]
    if text.strip():
        for rule in RULES:
            if rule.matches(text):
                return rule.classification
    return UNKNOWN


def by_error_type(error_type: str | None) -> Classification | None:
    """The classification named `error_type` (as `classify` returns it), if there is one."""
    return _BY_TYPE.get(error_type or "")
