"""Failures of GitHub sign-in, each with its HTTP status and code (see `imas.errors`)."""

from __future__ import annotations

from imas.errors import IMASError, NotAuthenticated, PermissionDenied


class GitHubNotConfigured(IMASError):
    """This IMAS offers no GitHub sign-in (404, like any address that leads nowhere: a 5xx would
    page whoever watches IMAS for what is a setting, not an outage)."""

    status_code = 404
    code = "github_not_configured"
    error = "GitHub sign-in is not configured"


class GitHubAppRejected(GitHubNotConfigured):
    """GitHub refused IMAS's OAuth app (client id, secret or callback URL): IMAS is configured,
    wrongly, and no user can sign in until an administrator fixes it."""

    status_code = 503


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
