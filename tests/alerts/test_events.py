"""Incidents opened and mitigated by an integration emit their events like any other.

The integration acts as a system actor: a `User` that is never stored (no id), so the incident
gets no lead and no acknowledger (see `imas.alerts.service.intake.integration_actor`).
"""

from __future__ import annotations

from tests.alerts.helpers import incidents, post
from tests.alerts.payloads import alertmanager, am_alert, resolved


async def test_a_subscription_does_not_stop_the_intake(client, admin, am):
    subscribed = await client.post(
        "/api/v1/webhook-subscriptions/",
        headers=admin.headers,
        json={
            "name": "itsm",
            "url": "https://itsm.example.com/hooks/imas",
            "events": ["INCIDENT_CREATED", "INCIDENT_ACKNOWLEDGED", "INCIDENT_MITIGATED"],
        },
    )
    assert subscribed.status_code == 201, subscribed.text
    await post(client, am, alertmanager(am_alert()))
    await post(client, am, resolved(alertmanager(am_alert())))
    assert [i["status"] for i in await incidents(client, admin)] == ["MITIGATED"]
