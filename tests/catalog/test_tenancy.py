"""Another organization's catalog is invisible: its lists are empty, its ids are 404, its objects
cannot be referenced, and the repository's statements never return its rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Select

from imas.catalog import repository
from imas.catalog.models import ImpactScope, Runbook, Service, Tag, Team
from imas.db import Database
from tests.catalog.factories import (
    acting_for,
    make_impact_scope,
    make_runbook,
    make_service,
    make_tag,
    make_team,
)
from tests.factories import Actor
from tests.helpers import assert_error

PATHS = ("teams", "services", "impact-scopes", "tags", "runbooks")


@dataclass
class Catalog:
    team: Team
    service: Service
    scope: ImpactScope
    tag: Tag
    runbook: Runbook

    def ids(self) -> dict[str, str]:
        return {
            "teams": str(self.team.id),
            "services": str(self.service.id),
            "impact-scopes": str(self.scope.id),
            "tags": str(self.tag.id),
            "runbooks": str(self.runbook.id),
        }


async def make_catalog(db: Database, actor: Actor) -> Catalog:
    """One of everything, with the same names in every organization."""
    team = await make_team(db, actor.org, "SRE Core", members=[actor.user], on_call=actor.user)
    service = await make_service(db, actor.org, "redis-prod", team)
    return Catalog(
        team=team,
        service=service,
        scope=await make_impact_scope(db, actor.org, "Data Loss Risk"),
        tag=await make_tag(db, actor.org, "postmortem-required"),
        runbook=await make_runbook(db, actor.org, "Redis Cluster Recovery", service),
    )


@pytest.fixture
async def theirs(db: Database, outsider: Actor) -> Catalog:
    return await make_catalog(db, outsider)


class TestAnotherOrganizationSeesNothing:
    @pytest.mark.parametrize("path", PATHS)
    async def test_lists_are_empty(self, client, admin, theirs, path):
        for params in ({}, {"search": "r"}):
            response = await client.get(f"/api/v1/{path}/", params=params, headers=admin.headers)
            assert response.status_code == 200
            assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}

    @pytest.mark.parametrize("path", PATHS)
    async def test_their_ids_are_404_like_ids_that_never_existed(self, client, admin, theirs, path):
        ident = theirs.ids()[path]
        body = assert_error(
            await client.get(f"/api/v1/{path}/{ident}/", headers=admin.headers), 404, "not_found"
        )
        assert body["details"]["id"] == ident

    async def test_filters_naming_their_objects_find_nothing(self, client, admin, theirs):
        for path, params in (
            ("services", {"owner_team": str(theirs.team.id)}),
            ("runbooks", {"service": str(theirs.service.id)}),
            ("teams", {"member": str(theirs.team.on_call_user_id)}),
        ):
            response = await client.get(f"/api/v1/{path}/", params=params, headers=admin.headers)
            assert response.json()["count"] == 0

    async def test_their_objects_cannot_be_referenced(self, client, admin, outsider, theirs):
        for path, body, field in (
            ("services", {"name": "a", "owner_team": str(theirs.team.id)}, "owner_team"),
            ("runbooks", {"title": "a", "service": str(theirs.service.id)}, "service"),
            ("teams", {"name": "a", "members": [str(outsider.user.id)]}, "members"),
            ("teams", {"name": "a", "current_on_call": str(outsider.user.id)}, "current_on_call"),
        ):
            response = await client.post(f"/api/v1/{path}/", json=body, headers=admin.headers)
            assert set(assert_error(response, 400, "validation_error")["details"]) == {field}

    async def test_the_same_names_live_side_by_side(self, client, admin, outsider, theirs):
        response = await client.post(
            "/api/v1/services/", json={"name": "redis-prod"}, headers=admin.headers
        )
        assert response.status_code == 201
        listed = await client.get("/api/v1/services/", headers=outsider.headers)
        assert [s["id"] for s in listed.json()["results"]] == [str(theirs.service.id)]


class TestRepositoryStatements:
    @pytest.mark.parametrize(
        "stmt",
        [
            repository.teams(),
            repository.services(),
            repository.impact_scopes(),
            repository.tags(),
            repository.runbooks(),
        ],
        ids=["teams", "services", "impact_scopes", "tags", "runbooks"],
    )
    async def test_a_session_of_one_organization_gets_only_its_rows(
        self, db, admin, outsider, theirs, stmt: Select[Any]
    ):
        mine = await make_catalog(db, admin)

        async with acting_for(db, admin.org) as session:
            rows = (await session.scalars(stmt)).all()

        assert len(rows) == 1
        assert rows[0].organization_id == admin.org.id
        assert str(rows[0].id) in mine.ids().values()

    async def test_org_users_ignores_users_of_other_organizations(self, db, admin, outsider):
        async with acting_for(db, admin.org) as session:
            found = await repository.org_users(session, [admin.user.id, outsider.user.id])
        assert [u.id for u in found] == [admin.user.id]
