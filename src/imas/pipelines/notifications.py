"""A pipeline's `notifications` (`on_success`, `on_failure`): when a run ends, one durable job
per channel, enqueued in the transaction that records the end (so a notification is sent iff
the outcome is recorded, and retried until it is):

- `email`: to the pipeline's creator and the person who started the run (their account
  e-mail), through the SMTP server of `IMAS_SMTP_*`;
- `slack`: to the organization's Slack default channel (`/api/v1/integrations/slack/`);
- `webhook`: nothing more to send here: the run's `pipeline.execution.*` event goes to the
  organization's webhook subscriptions like every event.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.models import Run, RunStatus
from imas.config import Settings
from imas.integrations.slack import client as slack_client
from imas.integrations.slack import repository as slack_repository
from imas.integrations.slack.exceptions import SlackError
from imas.jobs.queue import enqueue
from imas.jobs.registry import PermanentFailure
from imas.notify.channels.base import ChannelError
from imas.notify.channels.email import deliver
from imas.orgs.models import User
from imas.pipelines.models import Pipeline

NOTIFY_JOB = "pipelines.notify"
SENT_HERE = ("email", "slack")


async def enqueue_for(session: AsyncSession, pipeline: Pipeline, run: Run) -> None:
    wanted = (pipeline.config.get("notifications") or {}).get(
        "on_success" if run.status == RunStatus.SUCCEEDED else "on_failure"
    ) or []
    for channel in dict.fromkeys(wanted):
        if channel in SENT_HERE:
            await enqueue(session, NOTIFY_JOB, {"run_id": str(run.id), "channel": channel})


def summary(pipeline: Pipeline, run: Run) -> str:
    if run.status == RunStatus.SUCCEEDED:
        rows = (run.result or {}).get("total_rows_processed", 0)
        took = (run.result or {}).get("duration_seconds", 0)
        return f"Pipeline '{pipeline.name}' succeeded: {rows} rows in {took:g} s"
    return (
        f"Pipeline '{pipeline.name}' {run.status} after {run.attempt} attempt(s): "
        f"{run.error or 'no reason given'}"
    )


async def send(session: AsyncSession, settings: Settings, run_id: uuid.UUID, channel: str) -> None:
    run = await session.get(Run, run_id)
    pipeline = await session.get(Pipeline, run.pipeline_id) if run and run.pipeline_id else None
    if run is None or pipeline is None:
        return  # deleted since: nothing to tell
    text = summary(pipeline, run)
    link = f"{settings.public_url.rstrip('/')}/api/v1/pipeline-runs/{run.id}/"
    try:
        if channel == "email":
            await _email(session, settings, pipeline, run, text, link)
        elif channel == "slack":
            await _slack(session, settings, text, link)
    except (ChannelError, SlackError) as exc:
        raise RuntimeError(f"{channel}: {exc}") from exc  # the job retries


async def _email(
    session: AsyncSession, settings: Settings, pipeline: Pipeline, run: Run, text: str, link: str
) -> None:
    ids = {i for i in (pipeline.created_by_id, run.requested_by_id) if i is not None}
    found = list(await session.scalars(select(User.email).where(User.id.in_(ids)))) if ids else []
    recipients = sorted({e for e in found if e})
    if not recipients:
        raise PermanentFailure("nobody to e-mail: the pipeline's creator has no e-mail address")
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = f"[IMAS] {text}"[:250]
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    msg["X-IMAS-Pipeline-Run"] = str(run.id)
    msg.set_content(f"{text}\n\n{link}\n")
    await deliver(settings, msg)


async def _slack(session: AsyncSession, settings: Settings, text: str, link: str) -> None:
    config = await slack_repository.active_config(session)
    if config is None:
        raise PermanentFailure("Slack is not configured (or is disabled) for this organization")
    web = await slack_client.client_for(config, settings)
    await slack_client.call(
        web, "chat.postMessage", channel=config.default_channel, text=f"{text} <{link}|run>"
    )
