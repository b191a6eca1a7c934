"""The sender keeps connections alive while a worker runs, one pool per host name: a connection
is reused only for the name it was opened for, to the address checked for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from imas.notify import destinations, sender
from tests.notify.receivers import Counting

BODY = b'{"event_id":"e"}'


@pytest.fixture
async def counting() -> AsyncIterator[Counting]:
    running = await Counting().start()
    yield running
    await running.stop()


async def post(url: str) -> sender.Outcome:
    target = await destinations.target(url, allow_private=True)
    return await sender.send(url, BODY, httpx.Headers({"X-Test": "1"}), 5, target)


async def test_within_a_worker_one_connection_serves_many_deliveries(counting):
    async with sender.connections():
        outcomes = [await post(counting.url()) for _ in range(5)]
    assert all(o.ok and o.response_code == 200 for o in outcomes)
    assert (counting.requests, counting.connections) == (5, 1)


async def test_outside_a_worker_each_delivery_has_its_own_connection(counting):
    for _ in range(3):
        assert (await post(counting.url())).ok
    assert (counting.requests, counting.connections) == (3, 3)


async def test_two_names_for_one_address_never_share_a_connection(counting):
    """`localhost` is pinned to its checked address, 127.0.0.1 - as is the literal. A connection
    opened for one name is not reused for the other (with TLS, it was verified for that name)."""
    async with sender.connections():
        for _ in range(2):
            assert (await post(counting.url("localhost"))).ok
            assert (await post(counting.url("127.0.0.1"))).ok
    assert (counting.requests, counting.connections) == (4, 2)
    assert sorted(set(counting.hosts)) == [
        f"127.0.0.1:{counting.port}",
        f"localhost:{counting.port}",
    ]


async def test_the_least_recently_used_names_pool_is_closed_beyond_the_limit(counting, monkeypatch):
    monkeypatch.setattr(sender, "MAX_CLIENTS", 1)
    async with sender.connections():
        for host in ("localhost", "127.0.0.1", "localhost"):
            assert (await post(counting.url(host))).ok
    assert (counting.requests, counting.connections) == (3, 3)


async def test_the_connections_close_when_the_last_worker_stops(counting):
    async with sender.connections():
        async with sender.connections():  # a second worker of the same process
            assert (await post(counting.url())).ok
        assert sender._pools  # the first still runs
        assert (await post(counting.url())).ok
    assert sender._pools == {}
    assert counting.connections == 1


async def test_a_receivers_cookies_are_never_sent_back(counting):
    async with sender.connections():
        for _ in range(3):
            assert (await post(counting.url())).ok
    assert counting.cookies == [None, None, None]
