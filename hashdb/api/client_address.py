"""Who is asking: the client address a request is throttled by.

A request that comes straight from the client is known by its peer address. Behind a reverse
proxy (TLS termination, a load balancer) every request comes from the proxy, so a guesser would
get every platform behind it throttled with it; for a request from a configured trusted proxy
(``api.trusted_proxies``), the client is the last ``X-Forwarded-For`` hop that is not itself a
trusted proxy. Hops further left were written by the client and prove nothing, so they are never
believed. Imports nothing but aiohttp and the core's error root.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

from hashdb.errors import InvalidArgument

__all__ = ["ClientAddresses"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddresses:
    """Resolves a request's client address, believing ``X-Forwarded-For`` from trusted proxies."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        try:
            self._proxies: tuple[_Network, ...] = tuple(
                ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies
            )
        except ValueError as exc:
            raise InvalidArgument(f"api.trusted_proxies: {exc}") from None

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)

    def of(self, request: web.Request) -> str:
        """The client's address ("unknown" when the transport has none, e.g. a Unix socket)."""
        address = request.remote or "unknown"
        if not self._proxies or not self._trusted(address):
            return address
        hops = [
            hop.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",")
        ]
        for hop in reversed(hops):
            if not hop:
                break
            address = hop
            if not self._trusted(hop):
                break
        return address
