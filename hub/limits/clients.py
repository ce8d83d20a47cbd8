"""The client's address: the peer, or what a trusted proxy says the client was.

A proxy such as nginx *appends* the address it saw to ``X-Forwarded-For`` (what the client
sent comes first). So the header is read from the right: skip the trusted proxies, and the
first address that is not one is the client. Anything further left was written by the client
and is never believed. With no trusted proxy (the default) the peer is the client.
"""

from collections.abc import Sequence
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from fastapi import Request

Network = IPv4Network | IPv6Network


@cache
def parse_trusted(spec: str) -> tuple[Network, ...]:
    """Parse ``"127.0.0.1, 10.0.0.0/8"``: addresses and CIDR networks; ValueError if invalid."""
    networks = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"HUB_TRUSTED_PROXIES: {part!r} is neither an IP address nor a CIDR network"
            ) from exc
    return tuple(networks)


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPv4Address | IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def forwarded_client(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address from the peer and the ``X-Forwarded-For`` header lines.

    Walks the hops from the right while they are trusted proxies; the first other address is
    the client. An entry that is not an address stops the walk at the last trusted hop (a
    proxy that appends garbage is not believed either).
    """
    current = peer
    address = _ip(peer)
    if address is None or not _trusted(address, trusted):
        return peer
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return current
        current = str(address)
        if not _trusted(address, trusted):
            return current
    return current


def address_key(address: str) -> str:
    """The key a client address is counted under: itself, or its /64 for IPv6.

    An IPv6 subscriber is given a whole /64 (RFC 6177), so counting single addresses would let
    one client change address on each attempt.
    """
    parsed = _ip(address)
    if parsed is None:
        return address
    if isinstance(parsed, IPv6Address):
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def client_address(request: Request) -> str:
    """The client of ``request``, believing ``X-Forwarded-For`` only from trusted proxies."""
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_networks()
    if not trusted:
        return peer
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), trusted)
