"""Who may do what to incidents, and another organization's incidents are never there."""

from __future__ import annotations

import pytest

from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_incident, make_service


@pytest.fixture
async def theirs(db, outsider):
    service = await make_service(db, outsider.org, "their-db")
    return await make_incident(
        db, outsider.org, outsider.user, service, title="Their outage", tags=["x"]
    )


ROUTES = [
    ("GET", "/"),
    ("PATCH", "/"),
    ("PUT", "/"),
    ("DELETE", "/"),
    ("POST", "/acknowledge/"),
    ("POST", "/mitigate/"),
    ("POST", "/resolve/"),
    ("POST", "/reopen/"),
    ("GET", "/comments/"),
    ("POST", "/comments/"),
    ("POST", "/tags/"),
    ("DELETE", "/tags/x/"),
]
BODIES = {"/comments/": {"content": "hi"}, "/tags/": {"tags": ["y"]}}


class TestTenancy:
    @pytest.mark.parametrize(("method", "suffix"), ROUTES)
    async def test_another_orgs_incident_is_404_on_every_route(
        self, client, admin, theirs, method, suffix
    ):
        for ref in (str(theirs.id), theirs.short_id):
            response = await client.request(
                method,
                f"/api/v1/incidents/{ref}{suffix}",
                headers=admin.headers,
                json=BODIES.get(
                    suffix, {"title": "hijack"} if method in ("PATCH", "PUT") else None
                ),
            )
            assert_error(response, 404, "not_found")

    async def test_their_incident_is_untouched(self, client, admin, outsider, theirs):
        for method, suffix in ROUTES:
            await client.request(
                method,
                f"/api/v1/incidents/{theirs.id}{suffix}",
                headers=admin.headers,
                json=BODIES.get(suffix),
            )
        body = (
            await client.get(f"/api/v1/incidents/{theirs.id}/", headers=outsider.headers)
        ).json()
        assert body["status"] == "TRIGGERED"
        assert body["title"] == "Their outage"
        assert body["tags"] == ["x"]
        assert len(body["timeline"]) == 1

    async def test_lists_show_only_your_incidents(self, client, admin, theirs):
        body = (await client.get("/api/v1/incidents/", headers=admin.headers)).json()
        assert body["count"] == 0


class TestScopes:
    async def test_no_credential_is_401(self, client, redis):
        assert_error(await client.get("/api/v1/incidents/"), 401, "not_authenticated")

    async def test_viewer_reads_but_cannot_write(self, client, db, admin, redis):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        incident = await make_incident(db, admin.org, admin.user, redis)
        assert (
            await client.get(f"/api/v1/incidents/{incident.id}/", headers=viewer.headers)
        ).status_code == 200
        response = await client.post(
            "/api/v1/incidents/",
            headers=viewer.headers,
            json={"title": "x", "service": str(redis.id)},
        )
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "incident:write"}
        assert_error(
            await client.post(
                f"/api/v1/incidents/{incident.id}/acknowledge/", headers=viewer.headers
            ),
            403,
            "permission_denied",
        )

    async def test_responder_works_incidents_but_cannot_delete(self, client, db, admin, redis):
        responder = await make_actor(db, org=admin.org, role="responder")
        created = await client.post(
            "/api/v1/incidents/",
            headers=responder.headers,
            json={"title": "x", "service": str(redis.id)},
        )
        assert created.status_code == 201
        url = f"/api/v1/incidents/{created.json()['id']}/"
        assert (
            await client.post(f"{url}acknowledge/", headers=responder.headers)
        ).status_code == 200
        body = assert_error(
            await client.delete(url, headers=responder.headers), 403, "permission_denied"
        )
        assert body["details"] == {"required_scope": "incident:delete"}
        assert (await client.delete(url, headers=admin.headers)).status_code == 200

    async def test_a_read_only_token_of_an_admin_cannot_write(self, client, db, admin, redis):
        reader = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])
        response = await client.post(
            "/api/v1/incidents/",
            headers=reader.headers,
            json={"title": "x", "service": str(redis.id)},
        )
        assert_error(response, 403, "permission_denied")

    async def test_jwt_works_too(self, client, admin, redis):
        login = await client.post(
            "/api/auth/login/", json={"username": admin.user.username, "password": admin.password}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        response = await client.post(
            "/api/v1/incidents/",
            headers=headers,
            json={"title": "via jwt", "service": str(redis.id)},
        )
        assert response.status_code == 201
