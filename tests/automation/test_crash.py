"""A worker killed with SIGKILL while a remediation's action runs: the run is not lost and no
attempt is executed twice. The killed attempt's outcome is unknown (the service may or may not
have restarted), so it is never run again: it is marked `unknown`, counts as a failed attempt,
and the next attempt runs on another worker once the killed one's lease has expired."""

from __future__ import annotations

import asyncio

from tests.automation.fake_service import FakeService
from tests.automation.helpers import SEED_BODY, add_executor, open_incident, until
from tests.incidents.factories import make_service
from tests.notify.test_crash import WorkerProcess, wait_for


async def test_a_killed_worker_never_runs_an_attempt_twice(
    client, db, database_url, settings, admin, tmp_path
):
    svc = FakeService()
    await svc.start()
    workers: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(
            database_url, settings.secret_key, tmp_path, name, IMAS_AUTOMATION_RETRY_SECONDS="0.1"
        )
        workers.append(worker)
        return worker

    try:
        service = await make_service(db, admin.org, name="api-service")
        await add_executor(client, admin, svc, service)
        short_id = await open_incident(client, admin, service)
        svc.hang = 60  # the first restart call never comes back in time
        doomed = start("doomed")
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/?wait=false",
            headers=admin.headers,
            json=SEED_BODY,
        )
        run_url = response.json()["run_url"]

        async def restarting() -> bool:
            assert doomed.alive(), doomed.log.read_text()
            return len(svc.restarts) == 1

        await wait_for(restarting, 60, "the worker to call the restart endpoint")
        await doomed.kill()
        svc.hang = 0
        start("survivor")
        try:
            run = await until(client, admin, run_url, lambda r: r["status"] == "succeeded", 60)
        except TimeoutError:
            print((await client.get(run_url, headers=admin.headers)).json())  # what went wrong
            print(workers[-1].log.read_text()[-3000:])
            raise

        assert [t["status"] for t in run["tasks"]] == ["unknown", "succeeded"]
        assert [t["attempt"] for t in run["tasks"]] == [1, 2]
        assert "not run again" in run["tasks"][0]["error"]
        keys = [r["idempotency_key"] for r in svc.restarts]
        assert keys == [f"{run['id']}:1", f"{run['id']}:2"]  # each attempt exactly once
        incident = (
            await client.get(f"/api/v1/incidents/{short_id}/", headers=admin.headers)
        ).json()
        assert incident["remediation_status"] == "succeeded"
        assert incident["remediation_attempts"] == 2
    finally:
        for worker in workers:
            await worker.stop()
        await svc.stop()
        await asyncio.sleep(0)
