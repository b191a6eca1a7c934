"""Who may call each catalog route: the same four checks for every noun.

A test module subclasses `AccessChecks` (as `TestAccess`) with the noun's path, a valid body
and a factory; pytest collects the inherited tests for each route.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx
import pytest

from imas.auth.scopes import ADMIN, INCIDENT_READ, PIPELINE_READ
from imas.db import Database
from imas.orgs.models import Organization
from tests.factories import Actor, make_actor
from tests.helpers import assert_error

READS = ("list", "get")
WRITES = ("create", "patch", "put", "delete")
ITEM_ROUTES = ("get", "patch", "put", "delete")


async def call(
    client: httpx.AsyncClient,
    route: str,
    path: str,
    ident: uuid.UUID,
    body: dict[str, Any],
    headers: dict[str, str],
) -> httpx.Response:
    item = f"{path}{ident}/"
    if route == "list":
        return await client.get(path, headers=headers)
    if route == "get":
        return await client.get(item, headers=headers)
    if route == "create":
        return await client.post(path, json=body, headers=headers)
    if route == "patch":
        return await client.patch(item, json=body, headers=headers)
    if route == "put":
        return await client.put(item, json=body, headers=headers)
    assert route == "delete"
    return await client.delete(item, headers=headers)


class AccessChecks:
    path: ClassVar[str]

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        """An object of `org`; its id."""
        raise NotImplementedError

    def body(self) -> dict[str, Any]:
        """A valid body for POST, PUT and PATCH."""
        raise NotImplementedError

    async def state(self, client: httpx.AsyncClient, actor: Actor, ident: uuid.UUID) -> Any:
        """What `actor` sees of the object and of the list, to show nothing was written."""
        item = await client.get(f"{self.path}{ident}/", headers=actor.headers)
        listed = await client.get(self.path, headers=actor.headers)
        assert item.status_code == 200, item.text
        return item.json(), listed.json()

    @pytest.mark.parametrize("route", READS + WRITES)
    async def test_without_a_credential_is_401(
        self, client: httpx.AsyncClient, db: Database, admin: Actor, route: str
    ) -> None:
        ident = await self.make(db, admin.org)
        before = await self.state(client, admin, ident)
        response = await call(client, route, self.path, ident, self.body(), {})
        assert_error(response, 401, "not_authenticated")
        assert await self.state(client, admin, ident) == before

    @pytest.mark.parametrize("route", WRITES)
    async def test_a_viewer_writing_is_403(
        self, client: httpx.AsyncClient, db: Database, admin: Actor, viewer: Actor, route: str
    ) -> None:
        ident = await self.make(db, admin.org)
        before = await self.state(client, admin, ident)
        response = await call(client, route, self.path, ident, self.body(), viewer.headers)
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": ADMIN}
        assert await self.state(client, admin, ident) == before

    @pytest.mark.parametrize("route", READS + WRITES)
    async def test_a_token_limited_to_another_scope_is_403(
        self, client: httpx.AsyncClient, db: Database, admin: Actor, route: str
    ) -> None:
        limited = await make_actor(db, org=admin.org, role="admin", scopes=[PIPELINE_READ])
        ident = await self.make(db, admin.org)
        before = await self.state(client, admin, ident)
        response = await call(client, route, self.path, ident, self.body(), limited.headers)
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": INCIDENT_READ if route in READS else ADMIN}
        assert await self.state(client, admin, ident) == before

    @pytest.mark.parametrize("route", ITEM_ROUTES)
    async def test_another_organizations_object_is_404(
        self, client: httpx.AsyncClient, db: Database, admin: Actor, outsider: Actor, route: str
    ) -> None:
        ident = await self.make(db, outsider.org)
        before = await self.state(client, outsider, ident)
        response = await call(client, route, self.path, ident, self.body(), admin.headers)
        body = assert_error(response, 404, "not_found")
        assert body["details"]["id"] == str(ident)
        assert await self.state(client, outsider, ident) == before

    @pytest.mark.parametrize("route", READS)
    async def test_a_viewer_reads(
        self, client: httpx.AsyncClient, db: Database, admin: Actor, viewer: Actor, route: str
    ) -> None:
        ident = await self.make(db, admin.org)
        response = await call(client, route, self.path, ident, {}, viewer.headers)
        assert response.status_code == 200, response.text
        assert str(ident) in response.text
