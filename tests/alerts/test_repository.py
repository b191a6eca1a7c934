"""Every query of the alert domain sees the session's organization only."""

from __future__ import annotations

import uuid

from imas.alerts import repository
from imas.alerts.service import rows
from imas.alerts.service.integrations import hash_key
from imas.db import acting_in, utcnow
from tests.alerts.factories import make_integration, make_silence
from tests.alerts.helpers import alerts, post
from tests.alerts.payloads import alertmanager, am_alert


async def test_another_organization_sees_nothing(client, db, admin, outsider, am, api_gateway):
    [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
    await make_silence(db, admin.org, admin.user, [{"name": "x", "value": "y"}])
    [row] = await alerts(client, admin)
    incident_id = uuid.UUID(row["incident"]["id"])

    for org, sees in ((admin.org, True), (outsider.org, False)):
        async with db.transaction(write=False) as session:
            with acting_in(session, org.id):
                found = [
                    (
                        await rows.current_alerts(
                            session, am.integration.id, [fired["fingerprint"]]
                        )
                    ).get(fired["fingerprint"]),
                    await repository.open_incident_of_group(
                        session, am.integration.id, (await _group(session, fired["id"]))
                    ),
                ]
                assert all(f is not None for f in found) is sees
                assert all(f is None for f in found) is not sees
                listed = [
                    (await session.scalars(repository.alerts())).all(),
                    (await session.scalars(repository.integrations())).all(),
                    (await session.scalars(repository.silences())).all(),
                    await repository.active_silences(session, utcnow()),
                ]
                assert all(bool(rows) is sees for rows in listed)
                assert bool(await repository.services_named(session, ["api-gateway"])) is sees
                assert bool(await repository.short_ids(session, [incident_id])) is sees
                assert (await repository.has_unresolved_alerts(session, incident_id)) is sees


async def _group(session, alert_id) -> str:
    found = await repository.alert(session, uuid.UUID(alert_id))
    return found.group_key if found else ""


async def test_a_key_finds_its_integration_whatever_the_sessions_organization(db, admin, outsider):
    hook = await make_integration(db, admin.org)
    async with db.transaction(write=False) as session:
        with acting_in(session, outsider.org.id):
            found = await repository.integration_by_key_hash(session, hash_key(hook.key))
    assert found is not None
    assert found.id == hook.integration.id
