"""`/api/v1/alerts/`: list with filters, detail with the raw payload, acknowledge, resolve."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from imas.auth.scopes import INCIDENT_READ, INCIDENT_WRITE, PIPELINE_READ
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, incident, post
from tests.alerts.payloads import SEED_GENERIC, alertmanager, am_alert
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_service

PATH = "/api/v1/alerts/"


@pytest.fixture
async def mixed(client, db, admin, am):
    """Two firing Alertmanager alerts (critical, warning), one resolved, one generic alert."""
    await make_service(db, admin.org, "my-service")
    generic = await make_integration(db, admin.org, "generic", name="scripts")
    payload = alertmanager(
        am_alert("A", summary="A"),
        am_alert("B", summary="B", severity="warning"),
        am_alert("C", summary="C", service=None),
    )
    await post(client, am, payload)
    done = alertmanager(am_alert("A", summary="A", status="resolved"))
    await post(client, am, done)
    await post(client, generic, SEED_GENERIC)
    return {a["title"]: a for a in await alerts(client, admin)}


def titles(rows):
    return sorted(r["title"] for r in rows)


class TestList:
    async def test_every_alert_newest_first(self, client, admin, mixed):
        rows = await alerts(client, admin)
        assert titles(rows) == ["A", "B", "C", "Custom Alert"]
        assert rows[0]["title"] == "Custom Alert"
        assert "raw_payload" not in rows[0]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status": "firing"}, ["B", "C", "Custom Alert"]),
            ({"status": "resolved"}, ["A"]),
            ({"status": "firing,resolved"}, ["A", "B", "C", "Custom Alert"]),
            ({"severity": "SEV2_HIGH"}, ["B", "Custom Alert"]),
            ({"severity": "critical"}, ["A", "C"]),
            ({"source": "generic"}, ["Custom Alert"]),
            ({"service": "api-gateway"}, ["A", "B"]),
            ({"is_resolved": "true"}, ["A"]),
            ({"is_resolved": "false"}, ["B", "C", "Custom Alert"]),
            ({"created_at__gte": "2000-01-01T00:00:00Z"}, ["A", "B", "C", "Custom Alert"]),
            ({"created_at__gte": "2999-01-01T00:00:00"}, []),
            ({"search": "custom"}, ["Custom Alert"]),
        ],
    )
    async def test_filters(self, client, admin, mixed, params, expected):
        assert titles(await alerts(client, admin, **params)) == expected

    async def test_by_incident_id_or_short_id(self, client, admin, mixed):
        short_id = mixed["A"]["incident"]["short_id"]
        incident_id = mixed["A"]["incident"]["id"]
        assert titles(await alerts(client, admin, incident=short_id)) == ["A"]
        assert titles(await alerts(client, admin, incident=incident_id)) == ["A"]
        assert titles(await alerts(client, admin, service=mixed["B"]["service"]["id"])) == [
            "A",
            "B",
        ]

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "burning"},
            {"severity": "SEV9"},
            {"incident": "not-an-id"},
            {"ordering": "password"},
            {"created_at__gte": "yesterday"},
        ],
    )
    async def test_bad_filters_are_400(self, client, admin, mixed, params):
        response = await client.get(PATH, headers=admin.headers, params=params)
        assert_error(response, 400, "validation_error")

    async def test_pages(self, client, admin, mixed):
        response = await client.get(PATH, headers=admin.headers, params={"page_size": 3})
        body = response.json()
        assert body["count"] == 4
        assert len(body["results"]) == 3
        assert body["next"] is not None


class TestDetail:
    async def test_with_raw_payload_and_everything_normalized(self, client, admin, mixed):
        detail = await alert_detail(client, admin, mixed["Custom Alert"]["id"])
        assert detail["raw_payload"] == SEED_GENERIC
        assert detail["labels"]["environment"] == "production"
        assert detail["service"]["name"] == "my-service"
        assert detail["integration"]["kind"] == "generic"
        assert detail["incident"]["status"] == "TRIGGERED"
        assert detail["intake_note"] is None

    async def test_an_unknown_id_is_404(self, client, admin):
        response = await client.get(f"{PATH}{uuid.uuid4()}/", headers=admin.headers)
        assert_error(response, 404, "not_found")


class TestAcknowledge:
    async def test_as_the_seed_answers(self, client, admin, responder, mixed):
        alert_id = mixed["B"]["id"]
        response = await client.post(f"{PATH}{alert_id}/acknowledge/", headers=responder.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"] == "Alert acknowledged successfully"
        assert body["acknowledged_at"].endswith("Z")
        assert body["acknowledged_by"]["id"] == str(responder.user.id)
        detail = await alert_detail(client, admin, alert_id)
        assert detail["acknowledged_at"] == body["acknowledged_at"]
        assert detail["acknowledged_by"]["username"] == responder.user.username
        # The incident is the responders' to acknowledge, separately.
        assert (await incident(client, admin, detail["incident"]["id"]))["status"] == "TRIGGERED"

    async def test_twice_is_409(self, client, admin, mixed):
        url = f"{PATH}{mixed['B']['id']}/acknowledge/"
        assert (await client.post(url, headers=admin.headers)).status_code == 200
        assert_error(await client.post(url, headers=admin.headers), 409, "already_acknowledged")

    async def test_simultaneous_acknowledgements_leave_one(self, client, db, admin, mixed):
        people = [await make_actor(db, org=admin.org, role="responder") for _ in range(4)]
        url = f"{PATH}{mixed['B']['id']}/acknowledge/"
        responses = await asyncio.gather(*(client.post(url, headers=p.headers) for p in people))
        assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]


class TestResolve:
    async def test_as_the_seed_sends_it(self, client, admin, responder, mixed):
        alert_id = mixed["B"]["id"]
        response = await client.patch(
            f"{PATH}{alert_id}/",
            headers=responder.headers,
            json={
                "is_resolved": True,
                "resolution_note": "Connection issue fixed by restarting database service",
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["is_resolved"] is True
        assert body["status"] == "firing"  # what the source says
        assert body["resolution_note"] == "Connection issue fixed by restarting database service"
        assert body["resolved_by"]["id"] == str(responder.user.id)
        assert body["resolved_at"] is not None

    async def test_resolving_the_last_alert_mitigates_its_incident(
        self, client, admin, responder, mixed
    ):
        # A's incident: A resolved at the source; B (same service, other name) is its own.
        short_id = mixed["B"]["incident"]["short_id"]
        await client.patch(
            f"{PATH}{mixed['B']['id']}/", headers=responder.headers, json={"is_resolved": True}
        )
        detail = await incident(client, admin, short_id)
        assert detail["status"] == "MITIGATED"
        assert detail["acknowledged_by"]["id"] == str(responder.user.id)

    async def test_taking_a_resolution_back(self, client, admin, mixed):
        url = f"{PATH}{mixed['B']['id']}/"
        await client.patch(url, headers=admin.headers, json={"is_resolved": True})
        response = await client.patch(url, headers=admin.headers, json={"is_resolved": False})
        assert response.status_code == 200
        assert response.json()["is_resolved"] is False
        assert response.json()["resolved_by"] is None

    async def test_a_resolution_by_the_source_cannot_be_taken_back(self, client, admin, mixed):
        response = await client.patch(
            f"{PATH}{mixed['A']['id']}/", headers=admin.headers, json={"is_resolved": False}
        )
        assert_error(response, 409, "resolved_at_source")

    async def test_only_the_note(self, client, admin, mixed):
        response = await client.patch(
            f"{PATH}{mixed['C']['id']}/", headers=admin.headers, json={"resolution_note": "noise"}
        )
        assert response.status_code == 200
        assert response.json()["resolution_note"] == "noise"
        assert response.json()["is_resolved"] is False

    async def test_bad_bodies_are_400(self, client, admin, mixed):
        url = f"{PATH}{mixed['C']['id']}/"
        for body in ({"is_resolved": "maybe"}, {"is_resolved": None}, {"resolution_note": 5}):
            assert_error(
                await client.patch(url, headers=admin.headers, json=body), 400, "validation_error"
            )


class TestAccess:
    async def test_without_a_credential_is_401(self, client, mixed):
        alert_id = mixed["B"]["id"]
        for method, path in [
            ("GET", PATH),
            ("GET", f"{PATH}{alert_id}/"),
            ("POST", f"{PATH}{alert_id}/acknowledge/"),
            ("PATCH", f"{PATH}{alert_id}/"),
        ]:
            response = await client.request(method, path, json={})
            assert_error(response, 401, "not_authenticated")

    async def test_viewers_read_and_cannot_act(self, client, admin, viewer, mixed):
        alert_id = mixed["B"]["id"]
        assert (await client.get(PATH, headers=viewer.headers)).status_code == 200
        assert (await client.get(f"{PATH}{alert_id}/", headers=viewer.headers)).status_code == 200
        for method, path in [
            ("POST", f"{PATH}{alert_id}/acknowledge/"),
            ("PATCH", f"{PATH}{alert_id}/"),
        ]:
            response = await client.request(
                method, path, headers=viewer.headers, json={"is_resolved": True}
            )
            body = assert_error(response, 403, "permission_denied")
            assert body["details"] == {"required_scope": INCIDENT_WRITE}
        assert (await alert_detail(client, admin, alert_id))["is_resolved"] is False

    async def test_a_token_without_the_scope_is_403(self, client, db, admin, mixed):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=[PIPELINE_READ])
        body = assert_error(
            await client.get(PATH, headers=limited.headers), 403, "permission_denied"
        )
        assert body["details"] == {"required_scope": INCIDENT_READ}

    async def test_another_organizations_alerts_are_invisible(self, client, admin, outsider, mixed):
        assert await alerts(client, outsider) == []
        alert_id = mixed["B"]["id"]
        for method, path in [
            ("GET", f"{PATH}{alert_id}/"),
            ("POST", f"{PATH}{alert_id}/acknowledge/"),
            ("PATCH", f"{PATH}{alert_id}/"),
        ]:
            response = await client.request(
                method, path, headers=outsider.headers, json={"is_resolved": True}
            )
            assert_error(response, 404, "not_found")
        detail = await alert_detail(client, admin, alert_id)
        assert detail["is_resolved"] is False
        assert detail["acknowledged_at"] is None
