"""The client address, trusting forwarded headers only from configured proxies.

Without CSM_TRUSTED_PROXIES (IP addresses or networks, separated by spaces or commas) the peer
of the TCP connection is the client, whatever X-Forwarded-For says: otherwise anyone could
rotate that header to escape the login throttle. Behind a TLS proxy, name its address(es).
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _parse(spec: str) -> tuple[Network, ...]:
    networks = []
    for part in spec.replace(",", " ").split():
        networks.append(ipaddress.ip_network(part, strict=False))
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    return _parse(os.environ.get("CSM_TRUSTED_PROXIES", ""))


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(conn: HTTPConnection) -> str:
    """The peer address; behind trusted proxies, the last X-Forwarded-For hop they did not add."""
    peer = conn.client.host if conn.client else "unknown"
    networks = trusted_proxies()
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in conn.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
