"""A pipeline's `notifications`: an e-mail (real SMTP server, aiosmtpd) on failure and a Slack
message (a local server speaking Slack's Web API) on success, each sent by a durable job once
the run's end is recorded."""

from __future__ import annotations

import asyncio

import pytest

from imas.jobs.worker import Worker
from tests.integrations.slack.fake_slack import FakeSlack
from tests.notify.channels.smtp import smtp_server
from tests.pipelines.helpers import add_connector, add_pipeline, execute, extract_step, wait_run


@pytest.fixture(scope="session")
def settings(make_settings):
    """The fake Slack listens on loopback: allowed, as by IMAS_WEBHOOK_ALLOW_PRIVATE."""
    return make_settings(webhook_allow_private=True)


@pytest.fixture
async def slack():
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


def succeeded(slack):
    """The run's notification (the failure's incident has its own Slack message)."""
    return [c for c in slack.called("chat.postMessage") if "succeeded" in str(c.args.get("text"))]


async def test_email_on_failure_and_slack_on_success(
    client, admin, db, settings, pg_source, slack, table_name
):
    connected = await client.put(
        "/api/v1/integrations/slack/",
        headers=admin.headers,
        json={
            "bot_token": slack.token,
            "signing_secret": "8f742231b10e8888abcd99yyyzzz85a5",
            "default_channel": "C0DATA001",
            "api_base_url": slack.api_url,
        },
    )
    assert connected.status_code == 201, connected.text
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [extract_step(source, f"SELECT * FROM {table_name}")],
        config={"notifications": {"on_success": ["slack"], "on_failure": ["email", "webhook"]}},
    )
    with smtp_server() as inbox:
        quick = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": inbox.port,
                "smtp_from": "etl@example.com",
            }
        )
        worker = Worker(db, quick, concurrency=4, poll_interval=0.05)
        running = asyncio.create_task(worker.run())
        try:
            failed = await wait_run(client, admin, await execute(client, admin, pipeline["id"]))
            async with asyncio.timeout(10):
                while not inbox.envelopes:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await pg_source.execute(f"CREATE TABLE {table_name} (id integer)")
            await wait_run(client, admin, await execute(client, admin, pipeline["id"]))
            async with asyncio.timeout(10):
                while not succeeded(slack):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        finally:
            worker.stop()
            await running

    assert failed["status"] == "failed"
    [(sender, recipients, message)] = inbox.envelopes
    assert sender == "etl@example.com"
    assert recipients == [admin.user.email]
    assert "Customer Data Pipeline" in message["Subject"]
    assert "failed" in message["Subject"]
    assert message["X-IMAS-Pipeline-Run"] == failed["id"]
    [posted] = succeeded(slack)
    assert posted.args["channel"] == "C0DATA001"
    assert "Customer Data Pipeline" in posted.args["text"]
