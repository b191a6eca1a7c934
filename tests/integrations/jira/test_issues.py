"""IMAS -> JIRA: an issue for each incident of the configured severities, moved along with it."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database, acting_in
from imas.incidents import service as incidents
from imas.incidents.models import TimelineEntry, TimelineType
from imas.integrations.jira.outbox import CREATE_JOB, PUSH_JOB
from imas.jobs.models import JobStatus
from imas.jobs.queue import enqueue
from tests.incidents.factories import make_incident
from tests.integrations.conftest import jobs_of, settle
from tests.integrations.jira.conftest import (
    JiraOrg,
    config_body,
    incident_row,
    issue_row,
    ticketed,
)
from tests.integrations.jira.fake_jira import PROJECT


class TestCreate:
    async def test_a_sev1_gets_an_issue_whose_key_is_its_itsm_ticket_id(
        self, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)
        assert key == f"{PROJECT}-1"
        issue = connected.jira.issues[key]
        assert issue.fields["project"] == {"key": PROJECT}
        assert issue.fields["issuetype"] == {"name": "Bug"}
        assert issue.fields["summary"] == f"[{incident.short_id}] {incident.title}"
        assert incident.short_id.lower() in issue.fields["labels"]
        async with db.read_sessions() as session:
            with acting_in(session, connected.admin.org.id):
                entries = (
                    await session.scalars(
                        select(TimelineEntry.message).where(
                            TimelineEntry.incident_id == incident.id,
                            TimelineEntry.type == TimelineType.FIELD_CHANGE,
                        )
                    )
                ).all()
        assert list(entries) == [f"JIRA issue {key} created"]
        link = await issue_row(db, connected.admin.org.id, incident.id)
        assert link is not None
        assert link.issue_key == key

    async def test_a_sev3_gets_none(self, connected: JiraOrg, db: Database, settings: Settings):
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service, severity="SEV3_MEDIUM"
        )
        assert await jobs_of(db, "jira.") == []
        assert (await incident_row(db, connected.admin.org.id, incident.id)).itsm_ticket_id is None
        assert connected.jira.issues == {}

    async def test_the_create_job_run_twice_makes_one_issue(
        self, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)

        async with db.transaction() as session:
            with acting_in(session, connected.admin.org.id):
                await enqueue(session, CREATE_JOB, {"incident_id": str(incident.id)})
        jobs = await settle(db, settings, "jira.")
        assert [j.status for j in jobs] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
        assert list(connected.jira.issues) == [key]

    async def test_a_refused_project_kills_the_job_without_retrying(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):

        await client.put(
            "/api/v1/integrations/jira/",
            headers=connected.admin.headers,
            json=config_body(connected.jira, project_key="NOPE", api_token=None),
        )
        await make_incident(
            db,
            connected.admin.org,
            connected.admin.user,
            connected.service,
            severity="SEV1_CRITICAL",
        )
        [job] = await settle(db, settings, "jira.")
        assert job.status == JobStatus.DEAD
        assert job.attempts == 1
        assert "400" in (job.last_error or "")


class TestPush:
    async def test_acknowledge_then_resolve_move_the_issue_with_comments(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)
        headers = connected.admin.headers
        await client.post(f"/api/v1/incidents/{incident.id}/acknowledge/", headers=headers)
        await settle(db, settings, "jira.")
        issue = connected.jira.issues[key]
        assert issue.status == "In Progress"
        assert (
            f"{incident.short_id} acknowledged by {connected.admin.user.username}"
            in issue.comments[-1]
        )
        link = await issue_row(db, connected.admin.org.id, incident.id)
        assert link is not None
        assert link.pushed_status == "In Progress"

        await client.post(f"/api/v1/incidents/{incident.id}/resolve/", headers=headers)
        await settle(db, settings, "jira.")
        assert issue.transitions == ["In Progress", "Done"]
        assert len(issue.comments) == 2

    async def test_a_push_run_twice_moves_and_comments_once(
        self, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)

        async with db.transaction() as session:
            with acting_in(session, connected.admin.org.id):
                await incidents.resolve(session, incident.id, connected.admin.user)
                await enqueue(session, PUSH_JOB, {"incident_id": str(incident.id)})
        await settle(db, settings, "jira.")
        issue = connected.jira.issues[key]
        assert issue.transitions == ["Done"]
        assert len(issue.comments) == 1

    async def test_an_incident_that_moved_before_its_issue_existed_is_pushed_after(
        self, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service, severity="SEV2_HIGH"
        )
        async with db.transaction() as session:
            with acting_in(session, connected.admin.org.id):
                await incidents.acknowledge(session, incident.id, connected.admin.user)
        await settle(db, settings, "jira.")
        key = (await incident_row(db, connected.admin.org.id, incident.id)).itsm_ticket_id
        assert key is not None
        assert connected.jira.issues[key].status == "In Progress"
