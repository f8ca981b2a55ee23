"""The region's TLS proxy: which addresses the server believes when they say the request came over
HTTPS (`X-Forwarded-Proto`) or from another client (`X-Forwarded-For`): SCREENING_TRUSTED_PROXIES,
none by default."""

from __future__ import annotations

import ipaddress

from fastapi import Request

from screening.errors import BadInput


def over_https(request: Request) -> bool:
    """The request came over HTTPS: to this server, or to a proxy it trusts that says so."""
    if request.url.scheme == "https":
        return True
    client = request.client.host if request.client else None
    return (request.headers.get("x-forwarded-proto", "").lower() == "https"
            and client is not None and trusted(client, request.app.state.trusted))


def trusted_proxies(text: str) -> tuple:
    """SCREENING_TRUSTED_PROXIES: addresses or networks, separated by commas (none by default)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise BadInput("SCREENING_TRUSTED_PROXIES: '{value}' is not an address or a network",
                               value=item) from None
    return tuple(networks)


def trusted(host: str, networks: tuple) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)
