"""A worker killed with SIGKILL in the middle of a load: the run is not lost, the killed attempt
is marked `unknown`, the next attempt (on another worker, once the lease has expired) loads
everything again, and the upsert on the key leaves no row twice."""

from __future__ import annotations

import asyncio

from tests.notify.test_crash import WorkerProcess, wait_for
from tests.pipelines.helpers import add_connector, add_pipeline, execute, extract_step, wait_run

ROWS = 3000
SLOW = """CREATE OR REPLACE FUNCTION slowly(i integer) RETURNS integer AS $$
BEGIN PERFORM pg_sleep(0.002); RETURN i; END $$ LANGUAGE plpgsql VOLATILE"""


async def test_a_run_killed_mid_load_is_retried_without_duplicates(
    client, admin, settings, database_url, pg_source, pg_target, table_name, tmp_path
):
    await pg_source.execute(SLOW)
    source = await add_connector(client, admin, pg_source, name="src")
    target = await add_connector(client, admin, pg_target, name="dst")
    query = f"SELECT slowly(i) AS id, 'row ' || i AS name FROM generate_series(1, {ROWS}) AS i"
    pipeline = await add_pipeline(
        client,
        admin,
        [
            extract_step(source, query),
            {
                "name": "Load",
                "step_type": "load",
                "order_index": 2,
                "config": {"connector_id": target, "table": table_name, "key": ["id"]},
            },
        ],
        config={"retry_count": 1},
    )
    env = {"IMAS_PIPELINE_BATCH_ROWS": "100", "IMAS_PIPELINE_RETRY_SECONDS": "0.1"}
    workers: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(database_url, settings.secret_key, tmp_path, name, **env)
        workers.append(worker)
        return worker

    async def loaded() -> int:
        found = await pg_target.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = :t",
            {"t": table_name},
        )
        return int(await pg_target.scalar(f"SELECT count(*) FROM {table_name}")) if found else 0

    try:
        doomed = start("doomed")
        run_id = await execute(client, admin, pipeline["id"])

        async def midway() -> bool:
            assert doomed.alive(), doomed.log.read_text()
            return await loaded() >= 500

        await wait_for(midway, 60, "the first attempt to load some rows")
        await doomed.kill()
        assert await loaded() < ROWS  # killed mid-load
        start("survivor")
        run = await wait_run(client, admin, run_id, seconds=90)
    finally:
        for worker in workers:
            await worker.stop()
        await asyncio.sleep(0)

    assert run["status"] == "success", run
    assert run["attempt"] == 2
    first = [t for t in run["task_runs"] if t["attempt"] == 1]
    assert {t["status"] for t in first} == {"unknown"}
    assert await loaded() == ROWS
    distinct = await pg_target.scalar(f"SELECT count(DISTINCT id) FROM {table_name}")
    assert distinct == ROWS
    assert await pg_target.scalar(f"SELECT name FROM {table_name} WHERE id = 1234") == "row 1234"
