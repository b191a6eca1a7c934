"""The GitHub client on its own: the health probe and who may sign in with which role."""

from __future__ import annotations

from imas.auth.github.client import GitHubAccount, GitHubApp, github_status
from imas.auth.github.service import role_for
from imas.orgs.models import Role


def account(orgs=(), teams=()) -> GitHubAccount:
    return GitHubAccount(
        id=1,
        login="mona",
        name="Mona",
        avatar_url=None,
        emails=(),
        orgs=frozenset(orgs),
        teams=frozenset(teams),
    )


class TestGitHubStatus:
    async def test_a_reachable_api_is_available_with_its_response_time(
        self, github_settings, github
    ):
        status, elapsed = await github_status(github_settings(), timeout=5)

        assert status == "available"
        assert elapsed is not None
        assert elapsed >= 0

    async def test_an_unreachable_api_is_unavailable(self, github_settings):
        settings = github_settings(github_api_url="http://127.0.0.1:9")

        assert await github_status(settings, timeout=2) == ("unavailable", None)

    async def test_without_an_oauth_app_it_is_not_configured(self, settings):
        assert await github_status(settings, timeout=2) == ("not_configured", None)


class TestRoleFor:
    def app(self, github_settings, **overrides) -> GitHubApp:
        return GitHubApp.from_settings(github_settings(**overrides))

    def test_an_allowed_org_member_in_no_mapped_team_gets_the_default_role(self, github_settings):
        app = self.app(github_settings, github_default_role="responder")

        assert role_for(app, account(orgs=["acme"])) == Role.RESPONDER

    def test_org_names_are_compared_without_case(self, github_settings):
        app = self.app(github_settings, github_allowed_orgs=["ACME"])

        assert role_for(app, account(orgs=["acme"])) == Role.VIEWER

    def test_nobody_outside_allowed_orgs_and_mapped_teams(self, github_settings):
        app = self.app(github_settings)

        assert role_for(app, account(orgs=["other"], teams=["other/sre"])) is None

    def test_a_mapped_team_wins_over_the_default_role(self, github_settings):
        app = self.app(github_settings)

        assert role_for(app, account(orgs=["acme"], teams=["acme/sre"])) == Role.ADMIN
