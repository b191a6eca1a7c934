"""`POST /api/v1/remediation/callback/` (seed 004's Auto-Remediation Callback): a Logic App
reports how its remediation attempt ended. IMAS closes the ticket, retries (triggering the
Logic App again), or escalates when every attempt failed; a repeated report changes nothing.

The Logic App is the local fake (`fake`); the `worker` executes the runs beside the test."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from imas.api.app import create_app
from imas.automation.models import Run
from imas.config import Settings
from imas.db import Database
from imas.jobs.models import Job
from tests.automation import fake_remotes as fr
from tests.automation.fake_remotes import FakeRemotes
from tests.helpers import assert_error
from tests.incidents.factories import make_service

CALLBACK = "/api/v1/remediation/callback/"
INCIDENTS = "/api/v1/incidents/"
RUNS = "/api/v1/automation/runs/"
PAYLOAD = {
    "pipeline_name": fr.PIPELINE_NAME,
    "original_run_id": "run-id-12345",
    "error_type": "GatewayTimeout",
}


async def until(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def report(ticket: str, status: str, attempt: int = 1, **fields: Any) -> dict[str, Any]:
    """The seed's callback body."""
    return {
        "ticket_id": ticket,
        "original_run_id": "run-id-12345",
        "remediation_run_id": f"run-id-6789{attempt}",
        "status": status,
        "pipeline_name": fr.PIPELINE_NAME,
        "error_type": "GatewayTimeout",
        "started_at": "2025-12-12T10:05:00Z",
        "completed_at": "2025-12-12T10:10:00Z",
        "attempt_number": attempt,
        **fields,
    }


def signed(secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Signature-256": f"sha256={digest}"}


async def integration_key(client, actor, name: str = "adf-monitor") -> str:
    response = await client.post(
        "/api/v1/integrations/",
        headers=actor.headers,
        json={"kind": "alertmanager", "name": name},
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


@pytest.fixture
async def key(client, admin) -> str:
    return await integration_key(client, admin)


@pytest.fixture
async def sales_etl(db, admin):
    return await make_service(db, admin.org, "sales-etl")


@pytest.fixture
async def incident(client, admin, sales_etl) -> dict[str, Any]:
    response = await client.post(
        INCIDENTS,
        headers=admin.headers,
        json={
            "title": "pl_ingest_sales failed: GatewayTimeout",
            "service": str(sales_etl.id),
            "severity": "SEV2_HIGH",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def logic_app(client, admin, fake: FakeRemotes) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/automation/executors/",
        headers=admin.headers,
        json={
            "name": "remediate-adf",
            "kind": "logic_app",
            "credentials": {
                "trigger_url": f"{fake.base_url}{fr.LOGIC_APP_PATH}?sig={fr.LOGIC_APP_SIG}"
            },
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def incident_of(client, actor, ticket: str) -> dict[str, Any]:
    response = await client.get(f"{INCIDENTS}{ticket}/", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def run_of(client, actor, run_id: str) -> dict[str, Any]:
    response = await client.get(f"{RUNS}{run_id}/", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def log_count(client, actor, run_id: str) -> int:
    response = await client.get(f"{RUNS}{run_id}/logs/", headers=actor.headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


async def stored_callbacks(db: Database, run_id: str) -> dict[str, Any]:
    async with db.transaction(write=False) as session:
        found = await session.scalar(
            select(Run.callbacks)
            .where(Run.id == uuid.UUID(run_id))
            .execution_options(all_orgs=True)
        )
    return dict(found or {})


async def wait_for_attempt(client, actor, run_id: str, attempt: int) -> dict[str, Any]:
    """The run once its attempt `attempt` has triggered the Logic App and waits for its call."""

    async def waiting() -> dict[str, Any] | None:
        run = await run_of(client, actor, run_id)
        ready = run["status"] == "waiting" and run["attempt"] == attempt
        return run if ready else None

    run: dict[str, Any] = await until(waiting, f"attempt {attempt} to wait for its callback")
    assert run["waiting_for"] == "callback"
    return run


def triggers(fake: FakeRemotes) -> list[dict[str, Any]]:
    """What the Logic App received, oldest first."""
    return [seen.body for seen in fake.of(fr.LOGIC_APP_PATH)]


async def remediate(client, actor, incident, executor, fake) -> tuple[str, dict[str, Any]]:
    """Start the Logic App remediation of `incident`; the run id and what the Logic App got."""
    response = await client.post(
        f"{INCIDENTS}{incident['short_id']}/remediate/",
        headers=actor.headers,
        json={
            "action": "logic_app_trigger",
            "executor": executor["name"],
            "parameters": {"payload": PAYLOAD},
            "max_retries": 3,
        },
    )
    assert response.status_code == 202, response.text  # the run waits for the callback
    accepted = response.json()
    assert accepted["run_url"] == f"{RUNS}{accepted['run_id']}/"
    run_id: str = accepted["run_id"]
    run = await wait_for_attempt(client, actor, run_id, 1)
    assert run["max_retries"] == 3
    [sent] = triggers(fake)
    return run_id, sent


class TestARunImasStarted:
    async def test_the_logic_app_gets_what_it_needs_to_answer(
        self, client, settings, admin, incident, logic_app, fake, worker
    ):
        run_id, sent = await remediate(client, admin, incident, logic_app, fake)
        assert sent["callback_url"] == f"{settings.public_url}/api/v1/remediation/callback/"
        assert len(sent["callback_secret"]) >= 32
        assert sent["run_id"] == run_id
        assert sent["attempt"] == 1
        assert sent["ticket_id"] == incident["short_id"]
        assert {k: sent[k] for k in PAYLOAD} == PAYLOAD

        shown = await incident_of(client, admin, incident["short_id"])
        assert shown["remediation_status"] == "in_progress"
        assert shown["remediation_attempts"] == 1
        assert sent["callback_secret"] not in json.dumps(await run_of(client, admin, run_id))
        logs = await client.get(f"{RUNS}{run_id}/logs/", headers=admin.headers)
        assert sent["callback_secret"] not in logs.text
        assert fr.LOGIC_APP_SIG not in logs.text

    async def test_succeeded_with_the_integration_key_closes_the_ticket(
        self, client, admin, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "succeeded")
        )

        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "ticket_closed"
        assert answer["ticket_id"] == ticket
        assert isinstance(answer["mttr_minutes"], float)
        assert answer["mttr_minutes"] >= 0
        assert answer["jira_updated"] is False  # no JIRA issue, no Slack message for it
        assert answer["slack_updated"] is False
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] == "RESOLVED"
        assert shown["remediation_status"] == "succeeded"
        assert shown["remediation_attempts"] == 1
        run = await run_of(client, admin, run_id)
        assert run["status"] == "succeeded"
        assert run["finished_at"] is not None
        assert [t["status"] for t in run["tasks"]] == ["succeeded"]
        assert len(triggers(fake)) == 1

    async def test_the_key_may_be_a_query_parameter(
        self, client, admin, key, incident, logic_app, fake, worker
    ):
        await remediate(client, admin, incident, logic_app, fake)
        response = await client.post(
            CALLBACK, params={"token": key}, json=report(incident["short_id"], "succeeded")
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ticket_closed"

    async def test_a_signed_callback_closes_the_ticket(
        self, client, admin, incident, logic_app, fake, worker
    ):
        run_id, sent = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        raw, headers = signed(sent["callback_secret"], report(ticket, "succeeded", run_id=run_id))

        response = await client.post(CALLBACK, content=raw, headers=headers)

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ticket_closed"
        assert response.json()["ticket_id"] == ticket
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] == "RESOLVED"
        assert shown["remediation_status"] == "succeeded"
        assert shown["remediation_attempts"] == 1
        assert (await run_of(client, admin, run_id))["status"] == "succeeded"

    @pytest.mark.parametrize(
        "signature",
        [
            "sha256=" + "0" * 64,
            "sha256=",
            "not-a-signature",
            "with-the-wrong-secret",
            "of-another-body",
        ],
    )
    async def test_a_wrong_signature_is_401_and_changes_nothing(
        self, client, db, admin, incident, logic_app, fake, worker, signature
    ):
        run_id, sent = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        before = await incident_of(client, admin, ticket)
        logs_before = await log_count(client, admin, run_id)
        body = report(ticket, "succeeded", run_id=run_id)
        raw, headers = signed(sent["callback_secret"], body)
        if signature == "with-the-wrong-secret":
            _, wrong = signed("another-secret", body)
            headers["X-Signature-256"] = wrong["X-Signature-256"]
        elif signature == "of-another-body":
            _, other = signed(sent["callback_secret"], report(ticket, "failed", run_id=run_id))
            headers["X-Signature-256"] = other["X-Signature-256"]
        else:
            headers["X-Signature-256"] = signature

        response = await client.post(CALLBACK, content=raw, headers=headers)

        assert_error(response, 401, "invalid_signature")
        assert await incident_of(client, admin, ticket) == before
        run = await run_of(client, admin, run_id)
        assert run["status"] == "waiting"
        assert await log_count(client, admin, run_id) == logs_before
        assert await stored_callbacks(db, run_id) == {}

    async def test_in_progress_changes_nothing(
        self, client, admin, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        before = await incident_of(client, admin, ticket)

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "in_progress")
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "in_progress"
        assert response.json()["ticket_id"] == ticket
        assert await incident_of(client, admin, ticket) == before
        run = await run_of(client, admin, run_id)
        assert (run["status"], run["attempt"]) == ("waiting", 1)
        assert [t["status"] for t in run["tasks"]] == ["waiting"]
        # ... and the remediation still ends when its result comes
        done = await client.post(CALLBACK, headers=bearer(key), json=report(ticket, "succeeded"))
        assert done.json()["status"] == "ticket_closed"

    async def test_the_same_callback_twice_acts_once(
        self, client, db, admin, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        body = report(ticket, "succeeded")
        first = await client.post(CALLBACK, headers=bearer(key), json=body)
        assert first.status_code == 200, first.text
        after_first = await incident_of(client, admin, ticket)
        run_after_first = await run_of(client, admin, run_id)
        logs_after_first = await log_count(client, admin, run_id)
        callbacks_after_first = await stored_callbacks(db, run_id)

        again = await client.post(CALLBACK, headers=bearer(key), json=body)

        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        after = await incident_of(client, admin, ticket)
        assert len(after["timeline"]) == len(after_first["timeline"])
        assert after == after_first
        assert await run_of(client, admin, run_id) == run_after_first
        assert await log_count(client, admin, run_id) == logs_after_first
        assert await stored_callbacks(db, run_id) == callbacks_after_first
        assert len(callbacks_after_first) == 1

    async def test_a_repeated_failure_schedules_one_retry(
        self, client, db, admin, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        body = report(ticket, "failed")
        first = await client.post(CALLBACK, headers=bearer(key), json=body)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "retrying"
        after_first = await incident_of(client, admin, ticket)
        logs_after_first = await log_count(client, admin, run_id)

        again = await client.post(CALLBACK, headers=bearer(key), json=body)

        assert again.json() == first.json()
        assert await incident_of(client, admin, ticket) == after_first
        assert await log_count(client, admin, run_id) == logs_after_first
        async with db.transaction(write=False) as session:
            jobs = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == "automation.run")
                .execution_options(all_orgs=True)
            )
        assert jobs == 2  # attempt 1, and one attempt 2 (in a minute: the default backoff)
        run = await run_of(client, admin, run_id)
        assert (run["status"], run["attempt"]) == ("retrying", 1)

    @pytest.mark.parametrize(
        ("attempt", "explains"),
        [(0, "between 1 and 3"), (7, "between 1 and 3"), (2, "at attempt 1"), (-1, "between")],
    )
    async def test_an_impossible_attempt_number_is_400(
        self, client, admin, key, incident, logic_app, fake, worker, attempt, explains
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        before = await incident_of(client, admin, ticket)

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "succeeded", attempt)
        )

        body = assert_error(response, 400, "validation_error")
        assert "attempt_number" in body["details"]
        assert explains in body["message"]
        assert await incident_of(client, admin, ticket) == before
        assert (await run_of(client, admin, run_id))["status"] == "waiting"

    async def test_a_callback_naming_a_run_of_no_such_incident_is_404(
        self, client, db, admin, outsider, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]
        before = await incident_of(client, admin, ticket)
        for wrong in (str(uuid.uuid4()), run_id):
            other = report(ticket, "succeeded", run_id=wrong)
            if wrong == run_id:  # the right run, named for another incident
                other["ticket_id"] = (
                    await client.post(
                        INCIDENTS,
                        headers=admin.headers,
                        json={"title": "Another one", "service": incident["service"]["id"]},
                    )
                ).json()["short_id"]
            response = await client.post(CALLBACK, headers=bearer(key), json=other)
            assert_error(response, 404, "not_found")
        assert await incident_of(client, admin, ticket) == before
        runs = await client.get(RUNS, headers=admin.headers)
        assert [r["id"] for r in runs.json()["results"]] == [run_id]
        assert (await run_of(client, admin, run_id))["status"] == "waiting"


class TestRetries:
    @pytest.fixture
    def app(self, settings: Settings, db: Database) -> FastAPI:
        """A backoff of 0.05 s before the next attempt, as the worker's."""
        fast = settings.model_copy(update={"automation_retry_seconds": 0.05})
        return create_app(fast, db)

    async def test_failures_retry_then_escalate(
        self, client, admin, key, incident, logic_app, fake, worker
    ):
        run_id, _ = await remediate(client, admin, incident, logic_app, fake)
        ticket = incident["short_id"]

        for attempt in (1, 2):
            response = await client.post(
                CALLBACK, headers=bearer(key), json=report(ticket, "failed", attempt)
            )
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["status"] == "retrying"
            assert answer["ticket_id"] == ticket
            assert answer["attempt_number"] == attempt + 1
            assert answer["max_retries"] == 3
            assert isinstance(answer["next_retry_in_seconds"], int)
            assert answer["next_retry_in_seconds"] >= 0
            # the worker triggers the Logic App again for the next attempt
            await wait_for_attempt(client, admin, run_id, attempt + 1)
            sent = triggers(fake)
            assert [s["attempt"] for s in sent] == list(range(1, attempt + 2))
            assert {s["run_id"] for s in sent} == {run_id}
            assert len({s["callback_secret"] for s in sent}) == 1
            shown = await incident_of(client, admin, ticket)
            assert shown["remediation_status"] == "in_progress"
            assert shown["remediation_attempts"] == attempt + 1

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "failed", 3)
        )

        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "escalated"
        assert answer["ticket_id"] == ticket
        assert answer["attempts"] == 3
        assert answer["remediation_status"] == "applied_not_solved"
        assert answer["message"] == "All retry attempts exhausted, manual intervention required"
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] != "RESOLVED"
        assert shown["resolved_at"] is None
        assert shown["remediation_status"] == "applied_not_solved"
        assert shown["remediation_attempts"] == 3
        run = await run_of(client, admin, run_id)
        assert run["status"] == "failed"
        assert [t["status"] for t in run["tasks"]] == ["failed", "failed", "failed"]
        listed = await client.get(
            INCIDENTS, headers=admin.headers, params={"remediation_status": "applied_not_solved"}
        )
        assert [i["short_id"] for i in listed.json()["results"]] == [ticket]
        await asyncio.sleep(0.3)  # no fourth attempt
        assert len(triggers(fake)) == 3


class TestRefused:
    async def test_an_unknown_ticket_is_404(self, client, key, incident):
        for ticket in ("INC-ZZZZZZ", str(uuid.uuid4())):
            response = await client.post(
                CALLBACK, headers=bearer(key), json=report(ticket, "succeeded")
            )
            assert_error(response, 404, "not_found")

    async def test_another_organizations_key_is_404(self, client, admin, outsider, incident):
        theirs = await integration_key(client, outsider)
        ticket = incident["short_id"]
        before = await incident_of(client, admin, ticket)
        response = await client.post(
            CALLBACK, headers=bearer(theirs), json=report(ticket, "succeeded")
        )
        assert_error(response, 404, "not_found")
        assert await incident_of(client, admin, ticket) == before

    async def test_no_credential_is_401(self, client, admin, incident):
        ticket = incident["short_id"]
        response = await client.post(CALLBACK, json=report(ticket, "succeeded"))
        assert_error(response, 401, "not_authenticated")
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] == "TRIGGERED"
        assert shown["remediation_status"] is None

    async def test_an_unknown_key_is_401(self, client, incident):
        response = await client.post(
            CALLBACK, headers=bearer("imas_nope"), json=report(incident["short_id"], "succeeded")
        )
        assert_error(response, 401, "not_authenticated")

    async def test_a_user_token_is_not_an_integration_key(self, client, admin, incident):
        response = await client.post(
            CALLBACK,
            headers={"Authorization": f"Bearer {admin.token}"},
            json=report(incident["short_id"], "succeeded"),
        )
        assert_error(response, 401)

    async def test_a_signed_callback_for_an_incident_without_a_run_is_401(
        self, client, admin, incident
    ):
        raw, headers = signed("guessed", report(incident["short_id"], "succeeded"))
        response = await client.post(CALLBACK, content=raw, headers=headers)
        assert_error(response, 401, "invalid_signature")

    async def test_malformed_json_is_400(self, client, key, incident):
        response = await client.post(
            CALLBACK,
            content=b'{"ticket_id": "' + incident["short_id"].encode() + b'", "status": ',
            headers={**bearer(key), "Content-Type": "application/json"},
        )
        assert_error(response, 400, "malformed_json")

    @pytest.mark.parametrize(
        "body",
        [
            {"status": "succeeded", "attempt_number": 1},
            {"ticket_id": "INC-ZZZZZZ", "attempt_number": 1},
            {"ticket_id": "INC-ZZZZZZ", "status": "done", "attempt_number": 1},
            {"ticket_id": "INC-ZZZZZZ", "status": "failed"},
            [],
        ],
    )
    async def test_an_invalid_body_is_400(self, client, key, body):
        response = await client.post(CALLBACK, headers=bearer(key), json=body)
        assert_error(response, 400, "validation_error")


class TestARemediationImasDidNotStart:
    async def test_failed_then_succeeded_closes_the_ticket(
        self, client, db, admin, key, incident, fake, worker
    ):
        ticket = incident["short_id"]

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "failed", 1)
        )

        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "retrying"
        assert answer["ticket_id"] == ticket
        assert answer["attempt_number"] == 2
        assert answer["max_retries"] == 3
        assert answer["next_retry_in_seconds"] == 60  # the default backoff
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] == "TRIGGERED"
        assert shown["remediation_status"] == "in_progress"
        assert shown["remediation_attempts"] == 1
        runs = await client.get(RUNS, headers=admin.headers, params={"incident": ticket})
        [run] = runs.json()["results"]
        assert run["trigger"] == "external"
        assert run["action"] == "logic_app_trigger"
        assert run["status"] == "retrying"
        async with db.transaction(write=False) as session:
            jobs = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == "automation.run")
                .execution_options(all_orgs=True)
            )
        assert jobs == 0  # retrying is the Logic App's own business

        response = await client.post(
            CALLBACK, headers=bearer(key), json=report(ticket, "succeeded", 2)
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ticket_closed"
        assert response.json()["ticket_id"] == ticket
        shown = await incident_of(client, admin, ticket)
        assert shown["status"] == "RESOLVED"
        assert shown["remediation_status"] == "succeeded"
        assert shown["remediation_attempts"] == 2
        run = await run_of(client, admin, run["id"])
        assert (run["status"], run["attempt"], run["trigger"]) == ("succeeded", 2, "external")
        assert triggers(fake) == []
