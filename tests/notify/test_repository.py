"""The delivery worker's own read: by (organization, delivery), another organization's id never
reaches a delivery."""

from __future__ import annotations

from imas.notify import repository
from tests.incidents.factories import make_incident, make_service
from tests.notify.conftest import deliveries


async def test_deliveries_are_found_only_with_their_own_organization(
    db, admin, outsider, receiver, subscribe
):
    await subscribe(receiver.url)
    service = await make_service(db, admin.org, "api")
    for _ in range(2):
        await make_incident(db, admin.org, admin.user, service)
    first, second = await deliveries(db, admin.org.id)
    wanted = [(admin.org.id, first.id), (outsider.org.id, second.id)]
    async with db.engine.connect() as conn:
        found = await repository.many_to_send(conn, wanted)
    assert list(found) == [(admin.org.id, first.id)]
    sendable = found[(admin.org.id, first.id)]
    assert (sendable.delivery.id, sendable.delivery.event_id) == (first.id, first.event_id)
    assert sendable.subscription.url == receiver.url
