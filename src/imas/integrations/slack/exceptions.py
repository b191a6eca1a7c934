from __future__ import annotations

from imas.errors import Conflict, NotAuthenticated


class InvalidSlackSignature(NotAuthenticated):
    code = "invalid_signature"
    error = "Invalid signature"


class WorkspaceTaken(Conflict):
    code = "slack_workspace_taken"
    error = "Slack workspace already connected"


class SlackError(Exception):
    """Slack answered `ok: false` (`error` is its code) or could not be reached."""

    def __init__(self, error: str, method: str = "") -> None:
        self.error = error
        self.method = method
        super().__init__(f"Slack {method}: {error}" if method else f"Slack: {error}")

    @property
    def permanent(self) -> bool:
        """Retrying cannot help (a revoked token, a channel that does not exist)."""
        return self.error in PERMANENT_ERRORS


PERMANENT_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "user_not_found",
        "users_not_found",
    }
)
