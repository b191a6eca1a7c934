from __future__ import annotations

from imas.errors import NotAuthenticated


class InvalidWebhookSecret(NotAuthenticated):
    code = "invalid_webhook_secret"
    error = "Invalid webhook secret"


class JiraFailure(Exception):
    """JIRA refused a call (`status`: its HTTP status) or could not be reached (`status` 0)."""

    def __init__(self, message: str, status: int = 0) -> None:
        self.status = status
        super().__init__(message)

    @property
    def permanent(self) -> bool:
        """A 4xx other than 408/429: a bad token, project or field; retrying cannot help."""
        return 400 <= self.status < 500 and self.status not in (408, 429)
