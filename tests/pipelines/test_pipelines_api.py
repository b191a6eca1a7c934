"""`/api/v1/pipelines/` as seed 003 shows it: create with steps, list with its filters and
ordering, change, delete; every bad input a clear 4xx that leaves nothing half-written."""

from __future__ import annotations

from tests.helpers import assert_error
from tests.pipelines.helpers import add_connector, add_pipeline

URL = "/api/v1/pipelines/"


def extract(connector_id, query="SELECT * FROM customers", order=1):
    return {
        "name": "Extract Customer Data",
        "step_type": "extract",
        "order_index": order,
        "config": {"connector_id": connector_id, "query": query},
    }


RENAME = {
    "name": "Transform Data",
    "step_type": "transform",
    "order_index": 2,
    "config": {
        "transformations": [
            {"type": "rename_columns", "mapping": {"customer_id": "id", "customer_name": "name"}}
        ]
    },
}


async def count(client, actor):
    return (await client.get(URL, headers=actor.headers)).json()["count"]


class TestCreate:
    async def test_the_seeds_example_is_saved_with_its_step_types(self, client, admin, pg_source):
        source = await add_connector(client, admin, pg_source)

        created = await add_pipeline(
            client,
            admin,
            [
                extract(source, "SELECT * FROM customers WHERE updated_at > '{{ last_run_date }}'"),
                RENAME,
            ],
            description="Pipeline pour traiter les données clients",
            config={
                "schedule": "0 3 * * *",
                "timeout": 1800,
                "retry_count": 2,
                "notifications": {"on_success": ["email"], "on_failure": ["email", "slack"]},
            },
        )

        assert created["steps_count"] == 2
        assert [(s["step_type"], s["kind"]) for s in created["steps"]] == [
            ("extract", "sql_extract"),
            ("transform", "transform"),
        ]
        assert created["config"]["schedule"] == "0 3 * * *"
        assert created["config"]["retry_count"] == 2
        assert created["last_run"] is None
        assert created["next_run_at"] is not None  # active with a schedule: armed

    async def test_an_invalid_cron_is_the_seeds_validation_error(self, client, admin):
        response = await client.post(
            URL, headers=admin.headers, json={"name": "p", "config": {"schedule": "61 * * *"}}
        )

        body = assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")
        assert body["details"] == {"field": "config.schedule", "issue": "Invalid cron expression"}
        assert body["error"] == "Pipeline configuration is invalid"
        assert await count(client, admin) == 0

    async def test_an_unknown_time_zone_is_refused(self, client, admin):
        response = await client.post(
            URL, headers=admin.headers, json={"name": "p", "config": {"timezone": "Mars/Olympus"}}
        )

        assert assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")["details"]["field"] == (
            "config.timezone"
        )

    async def test_an_unknown_step_type_is_refused(self, client, admin):
        response = await client.post(
            URL,
            headers=admin.headers,
            json={
                "name": "p",
                "steps": [{"name": "x", "step_type": "teleport", "order_index": 1, "config": {}}],
            },
        )

        body = assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")
        assert body["details"]["field"] == "steps[0].step_type"
        assert "sql_extract" in body["details"]["issue"]

    async def test_a_step_using_another_organizations_connector_is_a_404(
        self, client, admin, outsider, pg_source
    ):
        theirs = await add_connector(client, outsider, pg_source)

        response = await client.post(
            URL, headers=admin.headers, json={"name": "p", "steps": [extract(theirs)]}
        )

        assert_error(response, 404)
        assert await count(client, admin) == 0

    async def test_a_step_config_its_type_refuses_is_refused(self, client, admin, pg_source):
        source = await add_connector(client, admin, pg_source)
        bad = extract(source)
        del bad["config"]["query"]

        response = await client.post(URL, headers=admin.headers, json={"name": "p", "steps": [bad]})

        body = assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")
        assert body["details"]["field"] == "steps[0].config.query"

    async def test_the_first_step_must_extract(self, client, admin):
        response = await client.post(
            URL, headers=admin.headers, json={"name": "p", "steps": [RENAME]}
        )

        assert assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")["details"]["issue"] == (
            "the first step must be an extract step"
        )

    async def test_a_load_into_an_s3_bucket_needs_an_s3_connector(self, client, admin, pg_source):
        source = await add_connector(client, admin, pg_source)
        load = {
            "name": "Load",
            "step_type": "s3_load",
            "order_index": 3,
            "config": {"connector_id": source, "prefix": "out"},
        }

        response = await client.post(
            URL, headers=admin.headers, json={"name": "p", "steps": [extract(source), load]}
        )

        body = assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")
        assert "s3" in body["details"]["issue"]

    async def test_a_taken_name_is_a_409(self, client, admin):
        await add_pipeline(client, admin, [], name="same")

        assert_error(await client.post(URL, headers=admin.headers, json={"name": "same"}), 409)


class TestList:
    async def test_status_search_and_ordering(self, client, admin):
        await add_pipeline(client, admin, [], name="b-nightly", status="active")
        await add_pipeline(client, admin, [], name="a-hourly", status="paused")
        await add_pipeline(
            client, admin, [], name="c-orders", status="draft", description="Nightly"
        )

        async def names(query):
            response = await client.get(URL + query, headers=admin.headers)
            assert response.status_code == 200, response.text
            return [p["name"] for p in response.json()["results"]]

        assert await names("?ordering=name") == ["a-hourly", "b-nightly", "c-orders"]
        assert await names("?ordering=-name") == ["c-orders", "b-nightly", "a-hourly"]
        assert await names("?status=paused") == ["a-hourly"]
        assert await names("?search=nightly&ordering=name") == ["b-nightly", "c-orders"]
        assert await names("?status__in=active,draft&ordering=name") == ["b-nightly", "c-orders"]
        assert await names(f"?organization={admin.org.id}&status=paused") == ["a-hourly"]
        assert await names("?organization=someone-else") == []
        assert_error(await client.get(URL + "?ordering=secret", headers=admin.headers), 400)

    async def test_another_organization_sees_none(self, client, admin, outsider):
        created = await add_pipeline(client, admin, [])

        assert await count(client, outsider) == 0
        assert_error(await client.get(f"{URL}{created['id']}/", headers=outsider.headers), 404)


class TestChange:
    async def test_steps_are_replaced_and_a_bad_change_leaves_the_pipeline_as_it_was(
        self, client, admin, pg_source
    ):
        source = await add_connector(client, admin, pg_source)
        created = await add_pipeline(client, admin, [extract(source), RENAME])
        url = f"{URL}{created['id']}/"

        bad = await client.patch(
            url, headers=admin.headers, json={"steps": [RENAME], "description": "changed"}
        )
        assert_error(bad, 400, "PIPELINE_VALIDATION_ERROR")
        unchanged = (await client.get(url, headers=admin.headers)).json()
        assert unchanged["steps_count"] == 2
        assert unchanged["description"] == ""

        response = await client.patch(
            url, headers=admin.headers, json={"steps": [extract(source)], "status": "paused"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["steps_count"] == 1
        assert response.json()["status"] == "paused"

    async def test_pausing_disarms_the_schedule(self, client, admin):
        created = await add_pipeline(client, admin, [], config={"schedule": "*/5 * * * *"})
        assert created["next_run_at"] is not None

        response = await client.patch(
            f"{URL}{created['id']}/", headers=admin.headers, json={"status": "paused"}
        )

        assert response.json()["next_run_at"] is None

    async def test_delete(self, client, admin, db):
        created = await add_pipeline(client, admin, [])

        response = await client.delete(f"{URL}{created['id']}/", headers=admin.headers)

        assert response.status_code == 204
        assert await count(client, admin) == 0
