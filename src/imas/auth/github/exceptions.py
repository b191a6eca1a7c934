"""Failures of GitHub sign-in, each with its HTTP status and code (see `imas.errors`)."""

from __future__ import annotations

from imas.errors import IMASError, NotAuthenticated, PermissionDenied


class GitHubNotConfigured(IMASError):
    status_code = 503
    code = "github_not_configured"
    error = "GitHub sign-in is not configured"


class InvalidLoginState(IMASError):
    """The callback's `state` is missing, not this browser's, unknown, expired or used."""

    status_code = 400
    code = "invalid_state"
    error = "Invalid state"


class GitHubAccessDenied(NotAuthenticated):
    code = "github_access_denied"
    error = "GitHub access denied"


class GitHubCodeRejected(NotAuthenticated):
    code = "github_code_rejected"
    error = "GitHub authorization failed"


class GitHubUnavailable(IMASError):
    status_code = 502
    code = "github_unavailable"
    error = "GitHub unavailable"


class GitHubNotAllowed(PermissionDenied):
    code = "github_not_allowed"
    error = "GitHub account not allowed"
