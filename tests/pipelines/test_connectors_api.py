"""`/api/v1/connectors/` as a data engineer uses it: save a connector (its credentials never
come back), test it for real, read its schema; bad input and other organizations."""

from __future__ import annotations

from sqlalchemy import select, text

from imas.audit.models import AuditEvent
from imas.db import acting_in
from imas.pipelines.models import Connector
from tests.factories import make_actor
from tests.helpers import assert_error

URL = "/api/v1/connectors/"


def pg_body(source, name="Warehouse", **credentials):
    return {
        "name": name,
        "connector_type": "postgresql",
        "config": source.config,
        "credentials": {**source.credentials, **credentials},
    }


async def create(client, actor, body):
    response = await client.post(URL, headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestCreate:
    async def test_credentials_are_stored_encrypted_and_never_returned(
        self, client, admin, db, pg_source
    ):
        created = await create(client, admin, pg_body(pg_source, password="s3cret-pw"))

        assert created["connector_type"] == "postgresql"
        assert created["config"]["database"] == pg_source.database
        assert created["has_credentials"] is True
        assert "credentials" not in created
        assert "s3cret-pw" not in (await client.get(URL, headers=admin.headers)).text
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                row = await session.scalar(select(Connector))
                assert row is not None
                assert "s3cret-pw" not in (row.credentials_encrypted or "")
                trail = (await session.scalars(select(AuditEvent))).all()
                assert trail
                assert any(e.object_type == "connector" for e in trail)
                sealed = row.credentials_encrypted or ""
                assert all(sealed not in str([e.before, e.after]) for e in trail)

    async def test_an_unknown_type_is_a_400_naming_the_known_ones(self, client, admin):
        response = await client.post(
            URL, headers=admin.headers, json={"name": "x", "connector_type": "oracle"}
        )

        body = assert_error(response, 400, "validation_error")
        assert "postgresql" in body["message"]
        assert "s3" in body["details"]["allowed_values"]

    async def test_a_config_its_type_refuses_is_a_400(self, client, admin):
        response = await client.post(
            URL,
            headers=admin.headers,
            json={"name": "x", "connector_type": "postgresql", "config": {"port": "many"}},
        )

        assert_error(response, 400, "validation_error")
        assert (await client.get(URL, headers=admin.headers)).json()["count"] == 0

    async def test_a_taken_name_is_a_409(self, client, admin, pg_source):
        await create(client, admin, pg_body(pg_source))

        assert_error(await client.post(URL, headers=admin.headers, json=pg_body(pg_source)), 409)


class TestList:
    async def test_filters_by_type_activity_and_name(self, client, admin, pg_source, mariadb):
        await create(client, admin, pg_body(pg_source, name="Production Database"))
        other = await create(
            client,
            admin,
            {
                "name": "Orders (MariaDB)",
                "connector_type": "mysql",
                "config": mariadb.config,
                "credentials": mariadb.credentials,
                "is_active": False,
            },
        )

        def names(response):
            assert response.status_code == 200, response.text
            return [c["name"] for c in response.json()["results"]]

        assert names(await client.get(URL + "?connector_type=mysql", headers=admin.headers)) == [
            "Orders (MariaDB)"
        ]
        assert names(await client.get(URL + "?is_active=true", headers=admin.headers)) == [
            "Production Database"
        ]
        assert names(await client.get(URL + "?search=produc", headers=admin.headers)) == [
            "Production Database"
        ]
        assert other["is_active"] is False


class TestConnectionTest:
    async def test_a_reachable_database_answers_success_with_its_time(
        self, client, admin, pg_source
    ):
        created = await create(client, admin, pg_body(pg_source))

        response = await client.post(f"{URL}{created['id']}/test/", headers=admin.headers)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["message"] == "Connection successful"
        assert isinstance(body["response_time_ms"], int)

    async def test_a_wrong_password_is_success_false_with_the_reason(self, client, admin, mariadb):
        created = await create(
            client,
            admin,
            {
                "name": "maria",
                "connector_type": "mysql",
                "config": mariadb.config,
                "credentials": {"username": "root", "password": "not-the-password"},
            },
        )

        response = await client.post(f"{URL}{created['id']}/test/", headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["success"] is False
        assert "denied" in body["message"].lower()
        assert "not-the-password" not in body["message"]

    async def test_an_unreachable_port_is_success_false(self, client, admin, closed_port):
        created = await create(
            client,
            admin,
            {
                "name": "nowhere",
                "connector_type": "postgresql",
                "config": {"host": "127.0.0.1", "port": closed_port, "database": "x"},
                "credentials": {"username": "u", "password": "p"},
            },
        )

        body = (await client.post(f"{URL}{created['id']}/test/", headers=admin.headers)).json()

        assert body["success"] is False
        assert body["message"]


class TestSchema:
    async def test_tables_columns_and_types_come_from_the_database(self, client, admin, pg_source):
        await pg_source.execute(
            "CREATE TABLE IF NOT EXISTS users_schema_test "
            "(id integer PRIMARY KEY, name varchar(50) NOT NULL, email varchar(100))"
        )
        created = await create(client, admin, pg_body(pg_source))

        response = await client.get(f"{URL}{created['id']}/schema/", headers=admin.headers)

        assert response.status_code == 200, response.text
        body = response.json()
        assert "users_schema_test" in body["tables"]
        assert body["columns"]["users_schema_test"] == ["id", "name", "email"]
        types = body["data_types"]["users_schema_test"]
        assert types["id"] == {"type": "integer", "nullable": False}
        assert types["name"] == {"type": "varchar", "nullable": False}
        assert types["email"]["nullable"] is True

    async def test_an_unreachable_source_is_a_400_with_the_reason(self, client, admin, closed_port):
        created = await create(
            client,
            admin,
            {
                "name": "nowhere",
                "connector_type": "postgresql",
                "config": {"host": "127.0.0.1", "port": closed_port, "database": "x"},
                "credentials": {"username": "u", "password": "p"},
            },
        )

        response = await client.get(f"{URL}{created['id']}/schema/", headers=admin.headers)

        assert_error(response, 400, "CONNECTOR_CONNECTION_FAILED")


class TestTenancyAndPermissions:
    async def test_another_organizations_connector_is_a_404(
        self, client, admin, outsider, pg_source
    ):
        created = await create(client, admin, pg_body(pg_source))

        for method, path in (
            ("GET", ""),
            ("PATCH", ""),
            ("DELETE", ""),
            ("POST", "test/"),
            ("GET", "schema/"),
        ):
            response = await client.request(
                method, f"{URL}{created['id']}/{path}", headers=outsider.headers, json={}
            )
            assert_error(response, 404)
        assert (await client.get(URL, headers=outsider.headers)).json()["count"] == 0

    async def test_a_viewer_reads_but_cannot_create(self, client, admin, db, pg_source):
        viewer = await make_actor(db, admin.org, role="viewer")

        assert (await client.get(URL, headers=viewer.headers)).status_code == 200
        assert_error(await client.post(URL, headers=viewer.headers, json=pg_body(pg_source)), 403)
        assert_error(await client.get(URL), 401)


class TestChangeAndDelete:
    async def test_new_credentials_replace_the_old_ones(self, client, admin, pg_source):
        created = await create(client, admin, pg_body(pg_source, password="wrong"))

        response = await client.patch(
            f"{URL}{created['id']}/",
            headers=admin.headers,
            json={"credentials": pg_source.credentials, "description": "fixed"},
        )

        assert response.status_code == 200, response.text
        assert response.json()["description"] == "fixed"
        tested = await client.post(f"{URL}{created['id']}/test/", headers=admin.headers)
        assert tested.json()["success"] is True

    async def test_a_connector_a_pipeline_uses_cannot_be_deleted(
        self, client, admin, pg_source, db
    ):
        created = await create(client, admin, pg_body(pg_source))
        pipeline = await client.post(
            "/api/v1/pipelines/",
            headers=admin.headers,
            json={
                "name": "p",
                "steps": [
                    {
                        "name": "Extract",
                        "step_type": "extract",
                        "order_index": 1,
                        "config": {"connector_id": created["id"], "query": "SELECT 1 AS one"},
                    }
                ],
            },
        )
        assert pipeline.status_code == 201, pipeline.text

        body = assert_error(
            await client.delete(f"{URL}{created['id']}/", headers=admin.headers), 409
        )

        assert body["details"]["pipelines"] == ["p"]
        await client.delete(f"/api/v1/pipelines/{pipeline.json()['id']}/", headers=admin.headers)
        response = await client.delete(f"{URL}{created['id']}/", headers=admin.headers)
        assert response.status_code == 204
        async with db.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM pipeline_connectors")) == 0
