"""The SSRF guard's rules, and sending to the checked addresses only."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from imas.notify import destinations, sender
from imas.notify.destinations import DestinationRefused, Target


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.31.255.255", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),  # noqa: S104
        ("224.0.0.251", True),
        ("255.255.255.255", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd12:3456::1", True),
        ("::ffff:10.0.0.1", True),
        ("93.184.216.34", False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_which_addresses_are_forbidden(address, forbidden):
    assert destinations.is_forbidden(ipaddress.ip_address(address)) is forbidden


class TestCheckUrl:
    async def test_a_name_that_resolves_to_loopback_is_refused(self):
        with pytest.raises(DestinationRefused):
            await destinations.check_url("http://localhost.:8080/x", allow_private=False)

    async def test_a_name_that_does_not_resolve_yet_is_accepted(self):
        await destinations.check_url("https://no-such-host.invalid/x", allow_private=False)

    async def test_everything_goes_when_allowed(self):
        await destinations.check_url("http://127.0.0.1/x", allow_private=True)


class TestTarget:
    async def test_delivery_time_refuses_a_private_resolution(self):
        with pytest.raises(DestinationRefused):
            await destinations.target("http://localhost/x", allow_private=False)

    async def test_an_unresolvable_name_is_a_retryable_failure(self):
        with pytest.raises(destinations.DestinationUnresolvable):
            await destinations.target("https://no-such-host.invalid/x", allow_private=False)

    async def test_a_literal_address_is_used_as_is(self):
        target = await destinations.target("http://[::1]:8080/x", allow_private=True)
        assert target.addresses == ("::1",)


async def test_an_address_that_refuses_is_skipped_for_the_next(receiver):
    target = Target(host="localhost", addresses=("::1", "127.0.0.1"))
    url = receiver.url.replace("127.0.0.1", "localhost")
    outcome = await sender.send(url, b"{}", httpx.Headers(), 5, target)
    assert outcome.ok, outcome
    [got] = receiver.received
    assert got.headers["host"] == f"localhost:{receiver.port}"


async def test_no_address_answering_is_a_failure_that_says_why(receiver):
    await receiver.stop()
    target = Target(host="127.0.0.1", addresses=("127.0.0.1",))
    outcome = await sender.send(receiver.url, b"{}", httpx.Headers(), 5, target)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith("cannot connect to 127.0.0.1")
