"""`/api/v1/ci/repositories/`: admins configure repositories; the webhook secret is shown on
create and rotate only."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from imas.cicd.models import CiRepository
from tests.cicd.conftest import REPOSITORIES
from tests.factories import make_actor
from tests.helpers import assert_error


async def test_create_shows_the_secret_once_and_stores_it_encrypted(client, admin, db, add_service):
    service = await add_service(admin, "payments-api")
    response = await client.post(
        REPOSITORIES,
        json={
            "provider": "github",
            "full_name": "Acme/Payments",
            "service": service["id"],
            "deployment_workflows": ["Deploy*"],
            "change_window_minutes": 30,
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["webhook_secret"]
    assert len(secret) >= 40
    assert created["full_name"] == "acme/payments"
    assert created["service"] == {"id": service["id"], "name": "payments-api"}
    assert created["webhook_url"] == "/api/v1/ci/webhooks/github/"
    assert created["default_branch"] == "main"
    assert created["alert_on_default_branch_failure"] is True
    assert created["change_window_minutes"] == 30
    shown = await client.get(f"{REPOSITORIES}{created['id']}/", headers=admin.headers)
    assert shown.status_code == 200
    assert "webhook_secret" not in shown.json()
    listed = await client.get(REPOSITORIES, headers=admin.headers)
    assert listed.json()["count"] == 1
    assert "webhook_secret" not in listed.json()["results"][0]
    async with db.read_sessions() as session:
        stored = await session.scalar(select(CiRepository.secret_encrypted))
    assert stored
    assert secret not in stored


async def test_update_and_delete(client, admin, add_repo):
    repo = await add_repo()
    changed = await client.patch(
        f"{REPOSITORIES}{repo['id']}/",
        json={"default_branch": "trunk", "alert_on_default_branch_failure": False},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["default_branch"] == "trunk"
    assert changed.json()["alert_on_default_branch_failure"] is False
    deleted = await client.delete(f"{REPOSITORIES}{repo['id']}/", headers=admin.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{REPOSITORIES}{repo['id']}/", headers=admin.headers)
    assert_error(gone, 404)


async def test_the_same_repository_twice_is_409(client, admin, add_repo):
    await add_repo()
    again = await client.post(
        REPOSITORIES, json={"provider": "github", "full_name": "ACME/api"}, headers=admin.headers
    )
    assert_error(again, 409)


async def test_bad_input_is_400(client, admin):
    for body, field in (
        ({"provider": "bitbucket", "full_name": "acme/api"}, "provider"),
        ({"provider": "github", "full_name": "no-slash"}, "full_name"),
        ({"provider": "github", "full_name": "acme/api", "change_window_minutes": 0}, None),
        ({"provider": "github", "full_name": "acme/api", "service": str(uuid.uuid4())}, None),
        ({"provider": "github", "full_name": "acme/api", "secret": "mine"}, None),
    ):
        response = await client.post(REPOSITORIES, json=body, headers=admin.headers)
        error = assert_error(response, 400)
        if field:
            assert field in error["message"]


async def test_only_admins_configure_repositories(client, admin, db, add_repo):
    repo = await add_repo()
    responder = await make_actor(db, org=admin.org, role="responder")
    assert_error(await client.get(REPOSITORIES, headers=responder.headers), 403)
    body = {"provider": "github", "full_name": "acme/web"}
    assert_error(await client.post(REPOSITORIES, json=body, headers=responder.headers), 403)
    rotate = f"{REPOSITORIES}{repo['id']}/rotate-secret/"
    assert_error(await client.post(rotate, headers=responder.headers), 403)
    assert_error(await client.get(REPOSITORIES), 401)


async def test_another_organization_sees_nothing(client, admin, outsider, add_repo):
    repo = await add_repo()
    url = f"{REPOSITORIES}{repo['id']}/"
    assert_error(await client.get(url, headers=outsider.headers), 404)
    assert_error(await client.patch(url, json={}, headers=outsider.headers), 404)
    assert_error(await client.post(f"{url}rotate-secret/", headers=outsider.headers), 404)
    assert (await client.get(REPOSITORIES, headers=outsider.headers)).json()["count"] == 0
