"""Who is calling: the client address, believing `X-Forwarded-For` only from trusted proxies."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from auth_service.state import app_state

__all__ = ["client_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: Request) -> str:
    """The caller's address; X-Forwarded-For is read only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = app_state(request).booth.settings.trusted_proxies
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
