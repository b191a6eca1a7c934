"""The SSRF guard: where a webhook (and any other request to a URL an organization configures:
Slack's API base URL, a JIRA server, an HTTP automation action) may be sent.

A URL whose host is, or resolves to, an address that is not globally routable (loopback,
private, link-local such as the cloud metadata service 169.254.169.254, carrier-grade NAT,
multicast, unspecified, reserved) is refused unless `IMAS_WEBHOOK_ALLOW_PRIVATE` is true.
It is checked when a subscription is saved (a 400) and again before every delivery, because DNS
may change in between; a delivery then goes to the very address that was checked (`Target`),
so a name that re-resolves elsewhere between the check and the connection (DNS rebinding)
cannot slip through. Slack and JIRA are checked the same way (when saved, and before each call),
but slack-sdk and the `jira` library resolve the name again themselves: for them a rebinding
between the check and their connection is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from imas.errors import ValidationFailed

DNS_TIMEOUT_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(Exception):
    """The URL leads to an address webhooks may not reach."""


class DestinationUnresolvable(Exception):
    """The URL's host does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    host: str
    addresses: tuple[str, ...]  # the checked addresses to connect to, in the resolver's order


def is_forbidden(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(DNS_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise DestinationUnresolvable(f"{host} does not resolve: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def _refuse(host: str, address: str) -> DestinationRefused:
    where = host if host == address else f"{host} ({address})"
    return DestinationRefused(
        f"{where} is a loopback, private or link-local address; IMAS sends nothing there "
        "(an administrator can allow it with IMAS_WEBHOOK_ALLOW_PRIVATE=true)"
    )


async def check_url(url: str, allow_private: bool) -> None:
    """For saving a subscription: refuse a host that is, or now resolves to, a forbidden
    address. A name that does not resolve yet is accepted; each delivery checks again."""
    if allow_private:
        return
    host, port = _host_port(url)
    literal = _literal(host)
    if literal is not None:
        if is_forbidden(literal):
            raise _refuse(host, host)
        return
    if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        raise _refuse(host, "127.0.0.1")
    try:
        addresses = await _resolve(host, port)
    except DestinationUnresolvable:
        return
    for address in addresses:
        if is_forbidden(ipaddress.ip_address(address)):
            raise _refuse(host, address)


async def check_field(name: str, url: str, allow_private: bool) -> None:
    """`check_url` of a field of a request: a refusal is a 400 on that field."""
    try:
        await check_url(url, allow_private)
    except DestinationRefused as exc:
        raise ValidationFailed.field(name, str(exc)) from None


async def target(url: str, allow_private: bool) -> Target:
    """For a delivery: the addresses to connect to, every one of them allowed."""
    host, port = _host_port(url)
    literal = _literal(host)
    addresses = [str(literal)] if literal is not None else await _resolve(host, port)
    if not allow_private:
        for address in addresses:
            if is_forbidden(ipaddress.ip_address(address)):
                raise _refuse(host, address)
    return Target(host=host, addresses=tuple(addresses))


async def check_before_call(url: str, allow_private: bool) -> None:
    """For a library that connects by itself (slack-sdk, `jira`): refuse the URL if its name now
    leads to a forbidden address. With private addresses allowed there is nothing to look up
    (`target` would resolve the name anyway, for the addresses it returns)."""
    if not allow_private:
        await target(url, allow_private=False)
