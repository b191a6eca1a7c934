"""Domain events: what happened, told inside the transaction that made it happen.

A service calls `emit(session, EventType.X, data)` once its change is flushed. Each sink (today
the outbound webhooks of `imas.notify`) turns the event into rows of that same transaction -
delivery rows and jobs - so an event and everything it causes commit with the change or not at
all (the transactional outbox). Nothing leaves the process from here: workers send after the
commit, and retry until it worked.

The names are the catalogue's (`EventType`, listed at `/api/v1/webhook-subscriptions/events/`);
`imas.events.incidents` builds the incident events' payload.
"""

from imas.events.bus import Event, emit, sink
from imas.events.catalogue import CATALOGUE, EventInfo, EventType

__all__ = ["CATALOGUE", "Event", "EventInfo", "EventType", "emit", "sink"]
