"""GitHub sign-in as a user meets it: a browser goes to GitHub and comes back signed in."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, update

from imas.auth.github.models import GitHubIdentity, GitHubLoginState
from imas.auth.scopes import ROLE_SCOPES
from imas.db import utcnow
from imas.orgs.models import Membership, Role, User
from tests.auth.github.conftest import browser_for, sign_in
from tests.auth.github.fake_github import CLIENT_SECRET, GitHubUser
from tests.factories import PASSWORD, make_actor, make_org
from tests.helpers import assert_error


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def acme_member(**extra) -> GitHubUser:
    values = {
        "id": 583231,
        "login": "octocat",
        "name": "The Octocat",
        "public_email": "octocat@github.example",
        "emails": [{"email": "octocat@github.example", "primary": True, "verified": True}],
        "orgs": ["acme"],
    }
    values.update(extra)
    return GitHubUser(**values)


async def count(db, model) -> int:
    async with db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestStart:
    async def test_answers_the_github_url_and_state_and_sets_an_httponly_cookie(
        self, browser, github
    ):
        response = await browser.get("/api/auth/github/")

        assert response.status_code == 200
        body = response.json()
        url = urlsplit(body["auth_url"])
        assert (
            f"{url.scheme}://{url.netloc}{url.path}" == f"{github.base_url}/login/oauth/authorize"
        )
        query = parse_qs(url.query)
        assert query["state"] == [body["state"]]
        assert query["redirect_uri"] == ["http://testserver/api/auth/github/callback/"]
        assert query["scope"] == ["read:user user:email read:org"]
        assert query["code_challenge_method"] == ["S256"]
        assert CLIENT_SECRET not in body["auth_url"]
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert body["state"] in cookie

    async def test_each_start_has_its_own_state(self, browser):
        first = (await browser.get("/api/auth/github/")).json()["state"]
        second = (await browser.get("/api/auth/github/")).json()["state"]

        assert first != second
        assert len(first) >= 32

    async def test_a_redirect_elsewhere_than_imas_is_refused(self, browser):
        response = await browser.get(
            "/api/auth/github/", params={"redirect_uri": "https://evil.example/steal"}
        )

        assert_error(response, 400, "validation_error")

    async def test_a_redirect_within_imas_comes_back_with_the_tokens(self, browser, github):
        github.user = acme_member()

        response = await sign_in(browser, redirect_uri="/incidents/")

        assert response.status_code == 200, response.text
        assert response.json()["redirect_to"] == "/incidents/"


class TestSignIn:
    async def test_a_member_of_the_allowed_org_signs_in_end_to_end(self, browser, github):
        github.user = acme_member()

        response = await sign_in(browser)

        assert response.status_code == 200, response.text
        assert str(response.url).startswith("http://testserver/api/auth/github/callback/?code=")
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        assert body["access_token"].count(".") == 2
        assert body["refresh_token"].count(".") == 2
        assert body["user"]["login"] == "octocat"
        assert body["user"]["name"] == "The Octocat"
        assert body["user"]["email"] == "octocat@github.example"
        assert body["user"]["avatar_url"] == "https://avatars.githubusercontent.com/u/583231"
        assert body["user"]["github_id"] == 583231
        assert body["role"] == "viewer"
        assert response.headers["cache-control"] == "no-store"
        assert "imas_github_state" not in browser.cookies

        me = await browser.get("/api/v1/users/me/", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        profile = me.json()
        assert profile["id"] == body["user"]["id"]
        assert profile["login"] == "octocat"
        assert profile["avatar_url"] == "https://avatars.githubusercontent.com/u/583231"
        assert profile["permissions"] == sorted(ROLE_SCOPES[Role.VIEWER])
        assert profile["organization"]["slug"] == body["organization"]

    async def test_the_code_is_exchanged_with_the_secret_and_the_pkce_verifier(
        self, browser, github
    ):
        github.user = acme_member()

        await sign_in(browser)

        [exchange] = github.token_requests
        assert exchange["client_secret"] == CLIENT_SECRET
        assert exchange["grant_type"] == "authorization_code"
        assert exchange["code_verifier"]
        assert exchange["redirect_uri"] == "http://testserver/api/auth/github/callback/"

    async def test_the_tokens_refresh_and_log_out_like_a_password_login(self, browser, github):
        github.user = acme_member()
        tokens = (await sign_in(browser)).json()

        refreshed = await browser.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        access = refreshed.json()["access_token"]
        assert (await browser.get("/api/v1/users/me/", headers=bearer(access))).status_code == 200

        out = await browser.post("/api/auth/logout/", headers=bearer(access))
        assert out.json() == {"message": "Successfully logged out"}
        after = await browser.get("/api/v1/users/me/", headers=bearer(tokens["access_token"]))
        assert_error(after, 401)

    async def test_the_email_is_found_in_user_emails_when_the_profile_hides_it(
        self, browser, github
    ):
        github.user = acme_member(
            public_email=None,
            emails=[
                {"email": "old@github.example", "primary": False, "verified": True},
                {"email": "Private@Github.Example", "primary": True, "verified": True},
            ],
        )

        response = await sign_in(browser)

        assert response.status_code == 200, response.text
        assert response.json()["user"]["email"] == "private@github.example"
        assert "/user/emails" in github.api_calls

    async def test_signing_in_again_is_the_same_user(self, browser, github, db):
        github.user = acme_member()
        first = (await sign_in(browser)).json()

        github.user = acme_member(login="octocat-renamed")
        second = (await sign_in(browser)).json()

        assert second["user"]["id"] == first["user"]["id"]
        assert second["user"]["login"] == "octocat-renamed"
        assert await count(db, GitHubIdentity) == 1

    async def test_a_login_taken_by_another_imas_user_gets_a_suffixed_username(
        self, browser, github, db, landing
    ):
        await make_actor(db, org=landing, role="viewer", username="octocat")
        github.user = acme_member()

        body = (await sign_in(browser)).json()

        assert body["user"]["login"] == "octocat"
        assert body["user"]["username"] == "octocat-github"


class TestState:
    async def test_a_callback_from_a_sign_in_another_browser_started_is_refused(
        self, browser, imas, github, db
    ):
        """Login CSRF: an attacker starts a sign-in and sends the victim the callback URL."""
        github.user = acme_member()
        async with browser_for(imas) as attacker:
            start = await attacker.get("/api/auth/github/")
            to_github = await attacker.get(start.json()["auth_url"], follow_redirects=False)
            callback_url = to_github.headers["location"]
        await browser.get("/api/auth/github/")  # the victim has a state of their own

        response = await browser.get(callback_url)

        body = assert_error(response, 400, "invalid_state", error="Invalid state")
        assert body["details"]["reason"] == "mismatch"
        assert await count(db, User) == 0

    async def test_a_callback_without_the_browser_cookie_is_refused(self, browser, imas, github):
        github.user = acme_member()
        start = await browser.get("/api/auth/github/")
        to_github = await browser.get(start.json()["auth_url"], follow_redirects=False)

        async with browser_for(imas) as cookieless:
            response = await cookieless.get(to_github.headers["location"])

        body = assert_error(response, 400, "invalid_state")
        assert body["details"]["reason"] == "no_browser_state"

    async def test_a_callback_without_state_is_refused(self, browser):
        await browser.get("/api/auth/github/")

        response = await browser.get("/api/auth/github/callback/", params={"code": "abc"})

        assert_error(response, 400, "invalid_state")

    async def test_a_state_cannot_be_used_twice(self, browser, github):
        github.user = acme_member()
        start = await browser.get("/api/auth/github/")
        state = start.json()["state"]
        first = await browser.get(start.json()["auth_url"])
        assert first.status_code == 200

        replay = await browser.get(str(first.url), headers={"Cookie": f"imas_github_state={state}"})

        body = assert_error(replay, 400, "invalid_state")
        assert body["details"]["reason"] == "reused"

    async def test_an_expired_state_is_refused(self, browser, github, db):
        github.user = acme_member()
        start = await browser.get("/api/auth/github/")
        async with db.transaction() as session:
            await session.execute(
                update(GitHubLoginState).values(expires_at=utcnow() - timedelta(seconds=1))
            )

        response = await browser.get(start.json()["auth_url"])

        body = assert_error(response, 400, "invalid_state")
        assert body["details"]["reason"] == "expired"

    async def test_an_unknown_state_is_refused_even_with_a_matching_cookie(self, browser):
        response = await browser.get(
            "/api/auth/github/callback/",
            params={"code": "abc", "state": "made-up-state"},
            headers={"Cookie": "imas_github_state=made-up-state"},
        )

        body = assert_error(response, 400, "invalid_state")
        assert body["details"]["reason"] == "unknown"

    async def test_only_the_hash_of_the_state_is_stored(self, browser, db):
        state = (await browser.get("/api/auth/github/")).json()["state"]

        async with db.read_sessions() as session:
            stored = await session.scalar(select(GitHubLoginState.state_hash))
        assert stored is not None
        assert state not in stored


class TestConsent:
    async def test_denying_consent_on_github_signs_nobody_in(self, browser, github, db):
        github.user = acme_member()
        github.deny = True

        response = await sign_in(browser)

        body = assert_error(response, 401, "github_access_denied", error="GitHub access denied")
        assert "cancelled" in body["message"]
        assert github.token_requests == []
        assert await count(db, User) == 0

    async def test_a_forged_code_is_refused_by_github(self, browser, github):
        start = await browser.get("/api/auth/github/")
        state = start.json()["state"]

        response = await browser.get(
            "/api/auth/github/callback/", params={"code": "forged", "state": state}
        )

        body = assert_error(response, 401, "github_code_rejected")
        assert body["details"]["github_error"] == "bad_verification_code"

    async def test_an_unreachable_github_is_a_502(self, github_settings, make_app, github):
        app = make_app(github_settings(github_token_url="http://127.0.0.1:9/token"))
        github.user = acme_member()
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        assert_error(response, 502, "github_unavailable")


class TestAllowedOrganizationsAndTeams:
    async def test_a_user_outside_the_allowed_organization_is_refused_and_nothing_is_created(
        self, browser, github, db
    ):
        github.user = acme_member(orgs=["some-other-org"])

        response = await sign_in(browser)

        body = assert_error(response, 403, "github_not_allowed")
        assert "octocat" in body["message"]
        assert await count(db, User) == 0
        assert await count(db, GitHubIdentity) == 0

    async def test_an_oncall_team_member_becomes_a_responder(self, browser, github):
        github.user = acme_member(teams=["acme/oncall"])

        body = (await sign_in(browser)).json()

        assert body["role"] == "responder"
        me = await browser.get("/api/v1/users/me/", headers=bearer(body["access_token"]))
        assert me.json()["role"] == "responder"
        assert "incident:write" in me.json()["permissions"]

    async def test_the_highest_role_of_the_users_teams_wins(self, browser, github):
        github.user = acme_member(teams=["acme/oncall", "Acme/SRE"])

        body = (await sign_in(browser)).json()

        assert body["role"] == "admin"

    async def test_a_mapped_team_lets_in_a_member_of_an_unlisted_org(
        self, github_settings, make_app, github
    ):
        app = make_app(github_settings(github_team_roles={"partner/ops": "responder"}))
        github.user = acme_member(orgs=["partner"], teams=["partner/ops"])
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        assert response.status_code == 200, response.text
        assert response.json()["role"] == "responder"

    async def test_an_unmapped_team_of_an_unlisted_org_is_not_enough(
        self, github_settings, make_app, github
    ):
        app = make_app(github_settings(github_allowed_orgs=[]))
        github.user = acme_member(teams=["acme/marketing"])
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        assert_error(response, 403, "github_not_allowed")

    async def test_the_role_follows_the_teams_at_the_next_sign_in(self, browser, github):
        github.user = acme_member()
        assert (await sign_in(browser)).json()["role"] == "viewer"

        github.user = acme_member(teams=["acme/sre"])

        assert (await sign_in(browser)).json()["role"] == "admin"


class TestLinkingExistingUsers:
    async def test_a_verified_primary_email_links_the_existing_user(
        self, browser, github, db, landing
    ):
        existing = await make_actor(db, org=landing, role="responder")
        github.user = acme_member(
            emails=[{"email": existing.user.email.upper(), "primary": True, "verified": True}]
        )

        body = (await sign_in(browser)).json()

        assert body["user"]["id"] == str(existing.user.id)
        assert body["user"]["username"] == existing.user.username
        assert body["user"]["login"] == "octocat"
        assert await count(db, User) == 1
        me = await browser.get("/api/v1/users/me/", headers=bearer(body["access_token"]))
        assert me.json()["login"] == "octocat"
        assert me.json()["username"] == existing.user.username
        password_login = await browser.post(
            "/api/auth/login/", json={"username": existing.user.username, "password": PASSWORD}
        )
        assert password_login.status_code == 200

    async def test_an_unverified_email_does_not_link_the_existing_user(
        self, browser, github, db, landing
    ):
        existing = await make_actor(db, org=landing, role="admin")
        github.user = acme_member(
            public_email=existing.user.email,
            emails=[{"email": existing.user.email, "primary": True, "verified": False}],
        )

        body = (await sign_in(browser)).json()

        assert body["user"]["id"] != str(existing.user.id)
        assert body["user"]["email"] is None
        assert body["role"] == "viewer"
        assert await count(db, User) == 2

    async def test_a_verified_secondary_email_does_not_link(self, browser, github, db, landing):
        existing = await make_actor(db, org=landing, role="admin")
        github.user = acme_member(
            emails=[
                {"email": "octocat@github.example", "primary": True, "verified": True},
                {"email": existing.user.email, "primary": False, "verified": True},
            ]
        )

        body = (await sign_in(browser)).json()

        assert body["user"]["id"] != str(existing.user.id)

    async def test_a_user_of_another_organization_joins_the_github_organization(
        self, browser, github, db, landing
    ):
        elsewhere = await make_actor(db, org=await make_org(db), role="admin")
        github.user = acme_member(
            emails=[{"email": elsewhere.user.email, "primary": True, "verified": True}]
        )

        body = (await sign_in(browser)).json()

        assert body["user"]["id"] == str(elsewhere.user.id)
        assert body["organization"] == landing.slug
        assert body["role"] == "viewer"
        async with db.read_sessions() as session:
            orgs = await session.scalars(
                select(Membership.organization_id)
                .where(Membership.user_id == elsewhere.user.id)
                .execution_options(all_orgs=True)
            )
            assert set(orgs.all()) == {landing.id, elsewhere.org.id}

    async def test_a_user_linked_to_another_github_account_is_not_taken_over(
        self, browser, github, db, landing
    ):
        existing = await make_actor(db, org=landing, role="viewer")
        emails = [{"email": existing.user.email, "primary": True, "verified": True}]
        github.user = acme_member(emails=emails)
        assert (await sign_in(browser)).status_code == 200

        github.user = acme_member(id=999, login="impostor", emails=emails)
        response = await sign_in(browser)

        assert_error(response, 409, "github_already_linked")

    async def test_a_disabled_user_cannot_sign_in_with_github(self, browser, github, db, landing):
        admin = await make_actor(db, org=landing, role="admin")
        existing = await make_actor(db, org=landing, role="viewer")
        await browser.patch(
            f"/api/v1/users/{existing.user.id}/", json={"is_active": False}, headers=admin.headers
        )
        github.user = acme_member(
            emails=[{"email": existing.user.email, "primary": True, "verified": True}]
        )

        response = await sign_in(browser)

        assert_error(response, 401, "account_disabled")


class TestProfile:
    async def test_a_password_only_user_has_no_avatar_and_their_username_as_login(
        self, browser, db, landing
    ):
        actor = await make_actor(db, org=landing, role="responder")

        me = (await browser.get("/api/v1/users/me/", headers=actor.headers)).json()

        assert me["login"] == actor.user.username
        assert me["avatar_url"] is None
        assert me["permissions"] == sorted(ROLE_SCOPES[Role.RESPONDER])

    async def test_an_avatar_the_user_sets_is_kept_over_githubs(self, browser, github):
        github.user = acme_member()
        tokens = (await sign_in(browser)).json()
        own = "https://example.com/me.png"

        updated = await browser.put(
            "/api/v1/users/me/",
            json={"name": "Mona", "avatar_url": own},
            headers=bearer(tokens["access_token"]),
        )
        assert updated.status_code == 200
        assert updated.json()["login"] == "octocat"
        assert updated.json()["name"] == "Mona"
        again = (await sign_in(browser)).json()

        assert again["user"]["avatar_url"] == own


class TestNotConfigured:
    async def test_without_a_github_app_sign_in_is_unavailable(self, client):
        response = await client.get("/api/auth/github/")

        body = assert_error(response, 404, "github_not_configured")
        assert "IMAS_GITHUB_CLIENT_ID" in body["details"]["missing"]
        callback = await client.get(
            "/api/auth/github/callback/", params={"code": "x", "state": "y"}
        )
        assert_error(callback, 404, "github_not_configured")

    async def test_without_allowed_orgs_or_teams_nobody_could_sign_in(
        self, github_settings, make_app
    ):
        app = make_app(github_settings(github_allowed_orgs=[], github_team_roles={}))
        async with browser_for(app) as browser:
            response = await browser.get("/api/auth/github/")
        await app.state.intake.close()

        body = assert_error(response, 404, "github_not_configured")
        assert body["details"]["missing"] == ["IMAS_GITHUB_ALLOWED_ORGS or IMAS_GITHUB_TEAM_ROLES"]

    async def test_an_unknown_imas_organization_is_reported(
        self, github_settings, make_app, github
    ):
        app = make_app(github_settings(github_imas_organization="no-such-org"))
        github.user = acme_member()
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        body = assert_error(response, 404, "github_not_configured")
        assert "no-such-org" in body["message"]


class TestRolesManagedInImas:
    async def test_without_mapped_teams_a_linked_admin_keeps_their_role(
        self, github_settings, make_app, github, db, landing
    ):
        await make_actor(db, org=landing, role="admin")  # not the last admin
        existing = await make_actor(db, org=landing, role="admin")
        app = make_app(github_settings(github_team_roles={}))
        github.user = acme_member(
            emails=[{"email": existing.user.email, "primary": True, "verified": True}]
        )
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        assert response.json()["role"] == "admin"

    async def test_a_wrong_client_secret_is_a_configuration_error_not_the_users(
        self, github_settings, make_app, github
    ):
        app = make_app(github_settings(github_client_secret="not-the-secret"))
        github.user = acme_member()
        async with browser_for(app) as browser:
            response = await sign_in(browser)
        await app.state.intake.close()

        body = assert_error(response, 503, "github_not_configured")
        assert "not-the-secret" not in response.text
        assert body["details"]["github_error"] == "incorrect_client_credentials"
