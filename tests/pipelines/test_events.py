"""A run's `pipeline.execution.*` events reach outbound webhook subscriptions in the envelope
seed 003's receiver reads (`type`, `data`), signed so that the seed's own verification
(`X-ETL-Signature` = hex HMAC-SHA256 of the body) passes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest

from imas.api.app import create_app
from imas.jobs.worker import Worker
from tests.conftest import client_for
from tests.notify.receivers import Receiver
from tests.pipelines.helpers import add_connector, add_pipeline, execute, extract_step, wait_run


@pytest.fixture
def app(make_settings, settings, db):
    return create_app(make_settings(webhook_allow_private=True, secret_key=settings.secret_key), db)


async def test_completed_and_failed_runs_are_delivered_signed(app, db, admin, pg_source):
    receiver = await Receiver().start()
    settings = app.state.settings.model_copy(update={"pipeline_retry_seconds": 0.05})
    worker = Worker(db, settings, concurrency=4, poll_interval=0.05)
    running = asyncio.create_task(worker.run())
    try:
        async with client_for(app) as client:
            created = await client.post(
                "/api/v1/webhook-subscriptions/",
                headers=admin.headers,
                json={
                    "name": "etl notifications",
                    "url": receiver.url,
                    "events": ["pipeline.execution.completed", "pipeline.execution.failed"],
                },
            )
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            source = await add_connector(client, admin, pg_source)
            good = await add_pipeline(
                client, admin, [extract_step(source, "SELECT 1 AS one")], name="good"
            )
            bad = await add_pipeline(
                client, admin, [extract_step(source, "SELECT * FROM missing")], name="bad"
            )
            ok = await wait_run(client, admin, await execute(client, admin, good["id"]))
            failed = await wait_run(client, admin, await execute(client, admin, bad["id"]))
            async with asyncio.timeout(10):
                while len(receiver.received) < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
        await receiver.stop()

    events = {}
    for received in receiver.received:
        expected = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(received.headers["x-etl-signature"], expected)
        event = json.loads(received.body)
        events[event["type"]] = event
    completed = events["pipeline.execution.completed"]["data"]
    assert completed["pipeline"] == {"id": good["id"], "name": "good"}
    assert completed["run"]["id"] == ok["id"]
    assert completed["run"]["status"] == "success"
    assert completed["run"]["metrics"]["total_rows_processed"] == 1
    failure = events["pipeline.execution.failed"]["data"]
    assert failure["run"]["id"] == failed["id"]
    assert failure["run"]["status"] == "failed"
    assert "missing" in failure["run"]["error"]
