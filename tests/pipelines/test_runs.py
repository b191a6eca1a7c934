"""Running pipelines end to end on real databases and a real S3 (moto): PostgreSQL -> rename ->
MariaDB and S3, incremental runs, stop, failures that become incidents, the run's tasks, logs
and filters."""

from __future__ import annotations

import asyncio
import io
import time

import polars as pl

from tests.helpers import assert_error
from tests.pipelines.helpers import add_connector, add_pipeline, execute, extract_step, wait_run

CUSTOMERS = """CREATE TABLE {t} (customer_id integer PRIMARY KEY, customer_name text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now())"""


async def seed_customers(pg, table, first, last, at="now()"):
    await pg.execute(
        f"INSERT INTO {table} (customer_id, customer_name, updated_at) "
        f"SELECT i, 'customer ' || i, {at} FROM generate_series({first}, {last}) AS i"
    )


def copy_steps(source, table, maria, maria_table, bucket, incremental=True):
    where = " WHERE updated_at > '{{ last_run_date }}'" if incremental else ""
    return [
        {
            "name": "Extract Customer Data",
            "step_type": "extract",
            "order_index": 1,
            "config": {
                "connector_id": source,
                "query": f"SELECT customer_id, customer_name FROM {table}{where} "
                "ORDER BY customer_id",
            },
        },
        {
            "name": "Transform Data",
            "step_type": "transform",
            "order_index": 2,
            "config": {
                "transformations": [
                    {
                        "type": "rename_columns",
                        "mapping": {"customer_id": "id", "customer_name": "name"},
                    }
                ]
            },
        },
        {
            "name": "Load MariaDB",
            "step_type": "load",
            "order_index": 3,
            "config": {"connector_id": maria, "table": maria_table, "key": ["id"]},
        },
        {
            "name": "Load S3",
            "step_type": "load",
            "order_index": 4,
            "config": {"connector_id": bucket, "prefix": "customers", "format": "parquet"},
        },
    ]


def s3_rows(s3) -> pl.DataFrame:
    listed = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix="customers/")
    frames = []
    for item in listed.get("Contents", []):
        body = s3.client.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read()
        frames.append(pl.read_parquet(io.BytesIO(body)))
    return pl.concat(frames) if frames else pl.DataFrame()


async def test_postgresql_to_mariadb_and_s3_then_only_the_new_rows(
    client, admin, worker, pg_source, mariadb, s3, table_name
):
    await pg_source.execute(CUSTOMERS.format(t=table_name))
    await seed_customers(pg_source, table_name, 1, 250, at="now() - interval '1 hour'")
    source = await add_connector(client, admin, pg_source, name="pg")
    maria = await add_connector(client, admin, mariadb, name="maria")
    bucket = await add_connector(client, admin, s3, name="lake")
    pipeline = await add_pipeline(
        client, admin, copy_steps(source, table_name, maria, f"m_{table_name}", bucket)
    )

    first = await wait_run(client, admin, await execute(client, admin, pipeline["id"]))

    assert first["status"] == "success", first
    assert first["metrics"]["total_rows_processed"] == 250
    assert await mariadb.scalar(f"SELECT count(*) FROM m_{table_name}") == 250
    assert await mariadb.scalar(f"SELECT name FROM m_{table_name} WHERE id = 7") == "customer 7"
    lake = s3_rows(s3)
    assert lake.height == 250
    assert lake.columns == ["id", "name"]
    tasks = {t["step_name"]: t for t in first["task_runs"]}
    assert tasks["Extract Customer Data"]["metrics"]["rows_extracted"] == 250
    assert tasks["Load MariaDB"]["metrics"]["rows_loaded"] == 250
    assert all(t["status"] == "success" for t in first["task_runs"])
    assert first["trigger_type"] == "manual"
    assert first["triggered_by"] == admin.user.username

    await seed_customers(pg_source, table_name, 251, 260)  # updated after the first run
    second = await wait_run(client, admin, await execute(client, admin, pipeline["id"]))

    assert second["status"] == "success", second
    assert second["metrics"]["total_rows_processed"] == 10
    assert await mariadb.scalar(f"SELECT count(*) FROM m_{table_name}") == 260
    assert s3_rows(s3).height == 260
    listed = await client.get(f"/api/v1/pipelines/{pipeline['id']}/", headers=admin.headers)
    assert listed.json()["last_run"]["id"] == second["id"]


async def test_runs_list_filters_and_cursor_pages(client, admin, worker, pg_source):
    source = await add_connector(client, admin, pg_source)
    step = extract_step(source, "SELECT 1 AS one")
    good = await add_pipeline(client, admin, [step], name="good")
    bad_step = {**step, "config": {**step["config"], "query": "SELECT * FROM no_such_table"}}
    bad = await add_pipeline(client, admin, [bad_step], name="bad")
    ran = [
        await wait_run(client, admin, await execute(client, admin, good["id"])) for _ in range(3)
    ]
    failed = await wait_run(client, admin, await execute(client, admin, bad["id"]))
    assert failed["status"] == "failed"
    assert "no_such_table" in failed["error"]

    async def ids(query):
        response = await client.get("/api/v1/pipeline-runs/" + query, headers=admin.headers)
        assert response.status_code == 200, response.text
        return response.json()

    page = await ids(f"?pipeline={good['id']}&limit=2")
    assert page["count"] == 3
    assert [r["id"] for r in page["results"]] == [ran[2]["id"], ran[1]["id"]]
    rest = await client.get(page["next"], headers=admin.headers)
    assert [r["id"] for r in rest.json()["results"]] == [ran[0]["id"]]
    assert rest.json()["next"] is None
    assert [r["id"] for r in (await ids("?status=failed"))["results"]] == [failed["id"]]
    both = await ids("?status__in=success,failed&search=bad")
    assert [r["id"] for r in both["results"]] == [failed["id"]]
    since = ran[1]["started_at"]
    later = await ids(f"?pipeline={good['id']}&started_at__gte={since.replace('+', '%2B')}")
    assert {r["id"] for r in later["results"]} == {ran[1]["id"], ran[2]["id"]}
    assert_error(
        await client.get("/api/v1/pipeline-runs/?status=weird", headers=admin.headers), 400
    )
    assert_error(await client.get("/api/v1/pipeline-runs/?cursor=zzz", headers=admin.headers), 400)

    logs = await client.get(
        f"/api/v1/pipeline-runs/{failed['id']}/logs/?level=ERROR", headers=admin.headers
    )
    assert logs.status_code == 200
    assert logs.json()["results"]
    assert {line["level"] for line in logs.json()["results"]} == {"ERROR"}
    everything = await client.get(
        f"/api/v1/pipeline-runs/{ran[0]['id']}/logs/?limit=1", headers=admin.headers
    )
    assert everything.json()["count"] >= 2
    assert everything.json()["results"][0]["message"].startswith("Starting pipeline")
    second = await client.get(everything.json()["next"], headers=admin.headers)
    assert second.json()["results"][0]["message"] != everything.json()["results"][0]["message"]


async def test_stop_cancels_a_long_query_within_two_seconds(client, admin, worker, pg_source):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [extract_step(source, "SELECT pg_sleep(60) AS slept", name="Slow")],
    )
    run_id = await execute(client, admin, pipeline["id"])
    await wait_run(client, admin, run_id, states=("running",))
    await asyncio.sleep(0.3)  # the query is under way

    started = time.monotonic()
    response = await client.post(
        f"/api/v1/pipelines/{pipeline['id']}/stop/",
        headers=admin.headers,
        json={"run_id": run_id, "reason": "Manual stop by user"},
    )
    assert response.status_code == 200, response.text
    run = await wait_run(client, admin, run_id, seconds=10)
    elapsed = time.monotonic() - started

    assert run["status"] == "cancelled"
    assert elapsed < 2.0
    assert "Manual stop by user" in run["error"]
    sleeping = await pg_source.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' "
        "AND state = 'active'"
    )
    assert sleeping == 0
    again = await client.post(
        f"/api/v1/pipelines/{pipeline['id']}/stop/", headers=admin.headers, json={"run_id": run_id}
    )
    assert_error(again, 409)


async def test_a_transform_of_an_unknown_column_is_refused_before_the_run(client, admin, pg_source):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [
            extract_step(source, "SELECT 1 AS customer_id"),
            {
                "name": "Rename",
                "step_type": "transform",
                "order_index": 2,
                "config": {
                    "transformations": [{"type": "rename_columns", "mapping": {"nope": "id"}}]
                },
            },
        ],
    )

    response = await client.post(
        f"/api/v1/pipelines/{pipeline['id']}/execute/", headers=admin.headers, json={}
    )

    body = assert_error(response, 400, "PIPELINE_VALIDATION_ERROR")
    assert "nope" in body["message"]
    runs = await client.get("/api/v1/pipeline-runs/", headers=admin.headers)
    assert runs.json()["count"] == 0


async def test_a_failing_pipeline_opens_one_incident_and_its_next_success_resolves_it(
    client, admin, worker, pg_source, table_name
):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [
            {
                "name": "Extract",
                "step_type": "extract",
                "order_index": 1,
                "config": {"connector_id": source, "query": f"SELECT * FROM {table_name}"},
            }
        ],
        config={"retry_count": 1},
        severity="SEV2_HIGH",
    )

    failed = []
    for _ in range(2):  # the table does not exist yet: each run fails after its retry
        run = await wait_run(client, admin, await execute(client, admin, pipeline["id"]))
        assert run["status"] == "failed"
        assert run["attempt"] == 2
        failed.append(run["id"])

    incidents = (await client.get("/api/v1/incidents/", headers=admin.headers)).json()
    assert incidents["count"] == 1
    incident = incidents["results"][0]
    assert incident["severity"] == "SEV2_HIGH"
    assert "Customer Data Pipeline" in incident["title"]
    alerts = (await client.get("/api/v1/alerts/", headers=admin.headers)).json()
    assert alerts["count"] == 1
    alert = alerts["results"][0]
    assert alert["occurrence_count"] == 2
    assert alert["labels"]["error_code"] == "PIPELINE_EXECUTION_FAILED"
    assert alert["labels"]["pipeline_run"] == failed[1]  # the latest failure
    assert alert["pipeline_run"] == failed[1]
    assert alert["level"] == "error"
    assert alert["alert_type"] == "pipeline_failed"
    assert alert["metadata"] == {"error_code": "PIPELINE_EXECUTION_FAILED", "retry_count": 1}

    await pg_source.execute(f"CREATE TABLE {table_name} (id integer)")
    fixed = await wait_run(client, admin, await execute(client, admin, pipeline["id"]))

    assert fixed["status"] == "success"
    alert = (await client.get("/api/v1/alerts/", headers=admin.headers)).json()["results"][0]
    assert alert["is_resolved"] is True
    incident = (
        await client.get(f"/api/v1/incidents/{incident['short_id']}/", headers=admin.headers)
    ).json()
    assert incident["status"] in ("MITIGATED", "RESOLVED")


async def test_another_organization_cannot_see_or_run_it(
    client, admin, outsider, pg_source, worker
):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [extract_step(source, "SELECT 1 AS one")],
    )
    run_id = await execute(client, admin, pipeline["id"])
    await wait_run(client, admin, run_id)

    assert_error(
        await client.post(f"/api/v1/pipelines/{pipeline['id']}/execute/", headers=outsider.headers),
        404,
    )
    assert_error(
        await client.get(f"/api/v1/pipeline-runs/{run_id}/", headers=outsider.headers), 404
    )
    assert_error(
        await client.get(f"/api/v1/pipeline-runs/{run_id}/logs/", headers=outsider.headers), 404
    )
    listed = await client.get("/api/v1/pipeline-runs/", headers=outsider.headers)
    assert listed.json()["count"] == 0
