"""Error classification: every row of the table, the order that settles overlaps, the default."""

from __future__ import annotations

import dataclasses

import pytest

from imas.alerts.classification import RULES, UNKNOWN, Classification, by_error_type, classify

# Real error texts, at least one per rule of the table.
EXAMPLES = [
    (
        "QuotaExceeded: Operation could not be completed as it results in exceeding approved "
        "standardDSv2Family Cores quota",
        "QuotaExceededError",
    ),
    ("Disk quota exceeded", "QuotaExceededError"),
    ("HTTP 429 Too Many Requests: retry after 30s", "ThrottlingError"),
    (
        "azure.core.exceptions.HttpResponseError: (TooManyRequests) The request is being throttled",
        "ThrottlingError",
    ),
    ("Rate limit exceeded for Jobs API", "ThrottlingError"),
    ("Cluster terminated. Reason: CLOUD_PROVIDER_LAUNCH_FAILURE", "DatabricksClusterStartFailure"),
    (
        "DatabricksClusterStartFailure: cluster 0123-456789-abcde failed to start",
        "DatabricksClusterStartFailure",
    ),
    (
        "Unexpected failure while waiting for the cluster to be ready: Cluster 0123-456789-abcd "
        "is in unexpected state Terminated: INIT_SCRIPT_FAILURE",
        "DatabricksClusterStartFailure",
    ),
    ("java.lang.OutOfMemoryError: Java heap space", "OutOfMemoryError"),
    ("MemoryError", "OutOfMemoryError"),
    ("Container killed by YARN for exceeding memory limits", "OutOfMemoryError"),
    ("Task exited with return code Negsignal.SIGKILL (OOMKilled)", "OutOfMemoryError"),
    ("OSError: [Errno 28] No space left on device", "DiskFullError"),
    ("There is not enough space on the disk", "DiskFullError"),
    (
        'psycopg2.OperationalError: FATAL: password authentication failed for user "etl"',
        "AuthenticationError",
    ),
    (
        "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url",
        "AuthenticationError",
    ),
    ("AADSTS7000215: Invalid client secret provided.", "AuthenticationError"),
    ("PermissionError: [Errno 13] Permission denied: '/data/out.csv'", "PermissionError"),
    (
        "This request is not authorized to perform this operation using this permission. "
        "ErrorCode: AuthorizationPermissionMismatch",
        "PermissionError",
    ),
    ("403 Forbidden", "PermissionError"),
    ("ModuleNotFoundError: No module named 'pandas'", "DependencyError"),
    ("java.lang.ClassNotFoundException: com.example.Udf", "DependencyError"),
    ("pyspark.sql.utils.AnalysisException: Table or view not found: sales.orders", "SchemaError"),
    (
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `amount` cannot be resolved",
        "SchemaError",
    ),
    ("KeyError: 'customer_id'", "SchemaError"),
    ("TypeError: unsupported operand type(s) for +: 'int' and 'str'", "SchemaError"),
    (
        "FileNotFoundError: [Errno 2] No such file or directory: '/mnt/raw/2025-12-12.csv'",
        "FileNotFoundError",
    ),
    ("Source blob not found", "FileNotFoundError"),
    ("ErrorCode=UserErrorSourceBlobNotExists,The required Blob is missing", "FileNotFoundError"),
    ("Path does not exist: dbfs:/mnt/landing/orders", "FileNotFoundError"),
    ("airflow.exceptions.AirflowTaskTimeout: Timeout, PID: 1234", "TimeoutError"),
    ("Connection timed out after 30000 ms", "TimeoutError"),
    ("504 Gateway Time-out", "TimeoutError"),
    (
        "psycopg2.OperationalError: could not connect to server: Connection refused",
        "ConnectionError",
    ),
    (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api', port=443)",
        "ConnectionError",
    ),
    ("socket.gaierror: [Errno -2] Name or service not known", "ConnectionError"),
    ("503 Service Unavailable", "ConnectionError"),
]


class TestTheTable:
    @pytest.mark.parametrize(("text", "error_type"), EXAMPLES)
    def test_each_example_gets_its_rows_classification(self, text, error_type):
        assert classify(text).error_type == error_type

    def test_every_row_has_an_example(self):
        """A row added to the table without an example here fails this test."""
        assert {r.classification.error_type for r in RULES} == {t for _, t in EXAMPLES}

    def test_error_types_are_unique_so_they_can_be_looked_up(self):
        types = [r.classification.error_type for r in RULES]
        assert len(types) == len(set(types))
        for rule in RULES:
            assert by_error_type(rule.classification.error_type) is rule.classification
        assert by_error_type("UnknownError") is UNKNOWN
        assert by_error_type("NoSuchError") is None
        assert by_error_type(None) is None

    def test_every_row_says_what_to_do(self):
        for rule in RULES:
            found = rule.classification
            assert found.suggested_action
            assert found.category
            # Automation acts only on what it may fix, and knows how often to try.
            assert (found.action is not None) == found.is_remediable
            assert (found.max_retries > 0) == found.is_remediable


class TestOrder:
    """The first matching row wins, so the specific rows come first."""

    @pytest.mark.parametrize(
        ("text", "error_type"),
        [
            # AnalysisException's "not found" is a schema problem, not a missing file.
            ("AnalysisException: Table or view not found: raw.events", "SchemaError"),
            # psycopg2 raises OperationalError for a bad password too.
            ("OperationalError: password authentication failed", "AuthenticationError"),
            # A cluster that cannot start for lack of quota needs quota, not a restart.
            ("CLOUD_PROVIDER_LAUNCH_FAILURE: QuotaExceeded for cores", "QuotaExceededError"),
            ("Connection timed out", "TimeoutError"),
            ("BOOTSTRAP_TIMEOUT", "DatabricksClusterStartFailure"),
            ("No module named 'missing_file'", "DependencyError"),
        ],
    )
    def test_overlaps(self, text, error_type):
        assert classify(text).error_type == error_type

    @pytest.mark.parametrize("text", ["run-4011 failed", "job 1403-x", "id 429abc"])
    def test_a_status_code_inside_an_identifier_is_not_one(self, text):
        assert classify(text) is UNKNOWN


class TestDefault:
    @pytest.mark.parametrize("text", ["", "   ", None, "Task exited with return code 1"])
    def test_unknown_text_is_an_unknown_error(self, text):
        found = classify(text)
        assert found is UNKNOWN
        assert found.error_type == "UnknownError"
        assert found.severity == "SEV3_MEDIUM"
        assert not found.is_remediable
        assert found.action is None

    def test_matching_ignores_case(self):
        assert classify("CONNECTION REFUSED").error_type == "ConnectionError"
        assert classify("out of memory").error_type == "OutOfMemoryError"


def test_the_seeds_connection_error():
    """The seed's Airflow example: a ConnectionError, NetworkError, Medium, retry the task
    three times."""
    found = classify("psycopg2.OperationalError: could not connect to server: Connection refused")
    assert found.as_dict() == {
        "error_type": "ConnectionError",
        "category": "NetworkError",
        "severity": "SEV3_MEDIUM",
        "is_remediable": True,
        "action": "retry_task",
        "max_retries": 3,
        "suggested_action": found.suggested_action,
    }


def test_the_seeds_cluster_start_failure():
    found = classify("CLOUD_PROVIDER_LAUNCH_FAILURE")
    assert (found.error_type, found.is_remediable, found.action) == (
        "DatabricksClusterStartFailure",
        True,
        "restart_cluster",
    )


def test_a_classification_cannot_be_changed():
    found = classify("KeyError: 'x'")
    assert isinstance(found, Classification)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.severity = "SEV1_CRITICAL"  # type: ignore[misc]
