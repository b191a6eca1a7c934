"""The CI/CD domain's errors, in IMAS's one error shape."""

from __future__ import annotations

from imas.errors import Conflict, IMASError, NotAuthenticated


class InvalidSignature(NotAuthenticated):
    """The webhook is not signed with the secret of a repository IMAS knows (or names none):
    one answer for both, so the receiver is no oracle of configured repositories."""

    code = "invalid_signature"
    error = "Invalid signature"


class InvalidWebhook(IMASError):
    status_code = 400
    code = "invalid_payload"
    error = "Invalid payload"


class RepositoryExists(Conflict):
    error = "Repository already configured"
